package report

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// fieldID names one per-principal field of a Row, in header order.
type fieldID uint8

const (
	fieldUser fieldID = iota
	fieldUserCreationTime
	fieldUserLastLogon
	fieldPasswordExist
	fieldPasswordActive
	fieldPasswordLastChanged
	fieldPasswordNextRotation
	fieldMFAActive
	numRowFields
)

var rowFieldNames = [numRowFields]string{
	fieldUser:                 "user",
	fieldUserCreationTime:     "user_creation_time",
	fieldUserLastLogon:        "user_last_logon",
	fieldPasswordExist:        "password_exist",
	fieldPasswordActive:       "password_active",
	fieldPasswordLastChanged:  "password_last_changed",
	fieldPasswordNextRotation: "password_next_rotation",
	fieldMFAActive:            "mfa_active",
}

// Parts of an AccessKey slot, in header order.
const (
	partExist uint8 = iota
	partActive
	partLastRotated
	partLastUsed
	numKeyParts
)

var keyPartNames = [numKeyParts]string{"exist", "active", "last_rotated", "last_used"}

// fixedKeySlots is the number of key slots in the fixed columns.
const fixedKeySlots = 2

const additionalKeyPrefix = "additional_access_key_"

// awsColumn is a column of AWS IAM reports that Alibaba reports do not have.
const awsColumn = "arn"

type columnKind uint8

const (
	columnField columnKind = iota // a Row field; part is a fieldID
	columnKey                     // a key slot; part is a key part, index the slot
	columnExtra                   // an unknown column; index into Row.Extra
)

// column is the place in a Row of the values of one CSV column.
type column struct {
	kind  columnKind
	part  uint8
	index int
}

// keyColumnName returns the header name of one part of a key slot (0-based).
func keyColumnName(slot int, part uint8) string {
	if slot < fixedKeySlots {
		return "access_key_" + strconv.Itoa(slot+1) + "_" + keyPartNames[part]
	}
	return additionalKeyPrefix + strconv.Itoa(slot-fixedKeySlots+1) + "_" + keyPartNames[part]
}

// Header returns the header of a report with the given number of
// additional_access_key_N blocks: the 16 fixed columns, then four columns
// per block. A negative count is taken as 0.
func Header(additionalBlocks int) []string {
	return canonicalLayout(additionalBlocks).names
}

// layout maps the columns of a header to Row fields.
type layout struct {
	columns []column
	names   []string
	// blocks is the number of additional_access_key_N blocks.
	blocks int
	// extra contains the names of unknown columns in header order.
	extra []string
}

// slots returns the number of key slots the layout has.
func (l *layout) slots() int { return fixedKeySlots + l.blocks }

// canonicalLayout returns the layout that Write uses: the fixed columns,
// then the additional key blocks.
func canonicalLayout(blocks int) layout {
	blocks = max(blocks, 0)
	n := int(numRowFields) + int(numKeyParts)*(fixedKeySlots+blocks)
	l := layout{
		columns: make([]column, 0, n),
		names:   make([]string, 0, n),
		blocks:  blocks,
	}
	for f := range numRowFields {
		l.columns = append(l.columns, column{kind: columnField, part: uint8(f)})
		l.names = append(l.names, rowFieldNames[f])
	}
	for slot := range fixedKeySlots + blocks {
		for part := range numKeyParts {
			l.columns = append(l.columns, column{kind: columnKey, part: part, index: slot})
			l.names = append(l.names, keyColumnName(slot, part))
		}
	}
	return l
}

// knownColumns maps the name of each fixed column to its place.
var knownColumns = func() map[string]column {
	m := make(map[string]column, int(numRowFields)+int(numKeyParts)*fixedKeySlots)
	for f := range numRowFields {
		m[rowFieldNames[f]] = column{kind: columnField, part: uint8(f)}
	}
	for slot := range fixedKeySlots {
		for part := range numKeyParts {
			m[keyColumnName(slot, part)] = column{kind: columnKey, part: part, index: slot}
		}
	}
	return m
}()

// parseAdditionalKeyColumn returns the block number (from 1) and part of a
// name such as additional_access_key_3_last_used. A name with a zero, a
// leading zero or more than six digits is not one.
func parseAdditionalKeyColumn(name string) (block int, part uint8, ok bool) {
	rest, found := strings.CutPrefix(name, additionalKeyPrefix)
	if !found {
		return 0, 0, false
	}
	for p := range numKeyParts {
		digits, found := strings.CutSuffix(rest, "_"+keyPartNames[p])
		if !found {
			continue
		}
		if len(digits) == 0 || len(digits) > 6 || digits[0] == '0' || !isDigits(digits) {
			return 0, 0, false
		}
		return int(atoi(digits)), p, true
	}
	return 0, 0, false
}

// errAWSReport is the message for a header with the AWS IAM arn column.
const errAWSReport = "AWS IAM credential report, not an Alibaba Cloud RAM credential report (it has an arn column); read it with an AWS tool"

// newLayout maps a header by column name. It returns every problem it finds:
// a missing fixed column, a duplicate known column, an incomplete block of
// additional key columns, or blocks not numbered from 1 without gaps. A
// header with an arn column is an AWS IAM report: the only problem returned
// is then that one, and aws is true.
func newLayout(header []string) (l layout, problems []Problem, aws bool) {
	for _, name := range header {
		if name == awsColumn {
			return layout{}, []Problem{{Line: 1, Column: awsColumn, Message: errAWSReport}}, true
		}
	}

	l.columns = make([]column, len(header))
	l.names = header
	seen := make(map[string]bool, len(header))
	var fixedSeen [int(numRowFields) + int(numKeyParts)*fixedKeySlots]bool
	blockParts := map[int]uint8{} // block number -> bit set of parts present
	maxBlock := 0
	var additionalColumns []int // positions of additional_access_key_N columns

	for i, name := range header {
		col, known := knownColumns[name]
		block, part, additional := parseAdditionalKeyColumn(name)
		switch {
		case known:
			if col.kind == columnField {
				fixedSeen[col.part] = true
			} else {
				fixedSeen[int(numRowFields)+col.index*int(numKeyParts)+int(col.part)] = true
			}
		case additional:
			// index holds the block number until the blocks are numbered below.
			col = column{kind: columnKey, part: part, index: block}
			blockParts[block] |= 1 << part
			maxBlock = max(maxBlock, block)
			additionalColumns = append(additionalColumns, i)
		default:
			col = column{kind: columnExtra, index: len(l.extra)}
			l.extra = append(l.extra, name)
		}
		if col.kind != columnExtra {
			if seen[name] {
				problems = append(problems, Problem{Line: 1, Column: name, Message: "duplicate column"})
			}
			seen[name] = true
		}
		l.columns[i] = col
	}

	// Every fixed column must be present.
	for f := range numRowFields {
		if !fixedSeen[f] {
			problems = append(problems, missingColumn(rowFieldNames[f]))
		}
	}
	for slot := range fixedKeySlots {
		for part := range numKeyParts {
			if !fixedSeen[int(numRowFields)+slot*int(numKeyParts)+int(part)] {
				problems = append(problems, missingColumn(keyColumnName(slot, part)))
			}
		}
	}

	// Additional blocks must be complete and numbered 1..maxBlock. A header
	// of n columns has at most n blocks, so the loop ends after the first
	// gap once it passes n.
	gapReported := false
	for block := 1; block <= maxBlock; block++ {
		parts := blockParts[block]
		if parts == 0 {
			if !gapReported {
				problems = append(problems, Problem{
					Line:    1,
					Column:  additionalKeyPrefix + strconv.Itoa(block) + "_exist",
					Message: "missing: additional_access_key blocks must be numbered from 1 to " + strconv.Itoa(maxBlock) + " without gaps",
				})
				gapReported = true
			}
			if block > len(header) {
				break
			}
			continue
		}
		for part := range numKeyParts {
			if parts&(1<<part) == 0 {
				problems = append(problems, missingColumn(keyColumnName(fixedKeySlots+block-1, part)))
			}
		}
	}
	// Give the blocks consecutive slots. In a valid header, block n is slot
	// n+1 anyway. In a header with gaps, a row then needs only as many slots
	// as there are blocks, however large their numbers.
	slotOf := make(map[int]int, len(blockParts))
	for i, block := range slices.Sorted(maps.Keys(blockParts)) {
		slotOf[block] = fixedKeySlots + i
	}
	for _, i := range additionalColumns {
		l.columns[i].index = slotOf[l.columns[i].index]
	}
	l.blocks = len(slotOf)
	return l, problems, false
}

func missingColumn(name string) Problem {
	return Problem{Line: 1, Column: name, Message: "missing from the header"}
}
