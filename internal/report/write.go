package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Write writes a report of rows to w: the header, then one line per row.
// rows[0] must be the root row. The header has one additional_access_key_N
// block for each key beyond the second of the principal with the most keys
// (see Row.KeyCount), and missing slots are written FALSE,N/A,N/A,N/A.
// Row.Extra is not written. The output is UTF-8 without a byte-order mark,
// with LF line endings and encoding/csv quoting.
//
// Write fails on a Bool that is not one of the four constants, or on a
// timestamp outside the years 0000 to 9999. The error names the row and
// column, and the bytes written up to then are an incomplete report.
func Write(w io.Writer, rows []Row) error {
	if len(rows) == 0 {
		return errors.New("write report: no rows: the first row must be the root row " + RootUser)
	}
	if !rows[0].IsRoot() {
		return fmt.Errorf("write report: first row is user %q: the first row must be the root row %s", rows[0].User, RootUser)
	}
	l := canonicalLayout(additionalBlocks(rows))
	return writeRows(w, &l, rows)
}

// WriteCSV writes the report with the columns of r.Columns in their order,
// unknown columns included, so that a parsed report is written back as it
// was read. When the rows hold more keys than the header has blocks, the
// missing blocks are added at the end. An empty r.Columns is the header
// Write would use. Unlike Write, WriteCSV accepts a first row that is not
// the root row.
func (r *Report) WriteCSV(w io.Writer) error {
	var l layout
	if len(r.Columns) == 0 {
		l = canonicalLayout(additionalBlocks(r.Rows))
	} else {
		var problems []Problem
		l, problems, _ = newLayout(r.Columns)
		if len(problems) > 0 {
			return fmt.Errorf("write report: %w", &problems[0])
		}
		if need := additionalBlocks(r.Rows); need > l.blocks {
			l.names = append([]string(nil), l.names...)
			for slot := l.slots(); slot < fixedKeySlots+need; slot++ {
				for part := range numKeyParts {
					l.columns = append(l.columns, column{kind: columnKey, part: part, index: slot})
					l.names = append(l.names, keyColumnName(slot, part))
				}
			}
			l.blocks = need
		}
	}
	return writeRows(w, &l, r.Rows)
}

// additionalBlocks returns the number of additional key blocks rows need.
func additionalBlocks(rows []Row) int {
	most := 0
	for i := range rows {
		most = max(most, rows[i].KeyCount())
	}
	return max(most-fixedKeySlots, 0)
}

// writeRows writes the header of l and the rows in one pass. Each line is
// built in one reused buffer, so writing allocates nothing per row.
func writeRows(w io.Writer, l *layout, rows []Row) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	line := make([]byte, 0, 1024)

	for i, name := range l.names {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendField(line, name)
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return fmt.Errorf("write report header: %w", err)
	}

	for r := range rows {
		row := &rows[r]
		line = line[:0]
		for i, col := range l.columns {
			if i > 0 {
				line = append(line, ',')
			}
			var ok bool
			line, ok = appendColumn(line, row, col)
			if !ok {
				return fmt.Errorf("write report: rows[%d] (user %q): column %s: invalid value %s: want TRUE, FALSE, N/A or LOGIN_DISABLED, or a timestamp in the years 0000 to 9999",
					r, row.User, l.names[i], columnValue(row, col))
			}
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}

	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// appendColumn appends the value of one column of row. It returns false for
// a value that cannot be written.
func appendColumn(b []byte, row *Row, col column) ([]byte, bool) {
	switch col.kind {
	case columnField:
		switch fieldID(col.part) {
		case fieldUser:
			return appendField(b, row.User), true
		case fieldUserCreationTime:
			return appendTime(b, row.UserCreationTime)
		case fieldUserLastLogon:
			return appendTime(b, row.UserLastLogon)
		case fieldPasswordExist:
			return appendBool(b, row.PasswordExist)
		case fieldPasswordActive:
			return appendBool(b, row.PasswordActive)
		case fieldPasswordLastChanged:
			return appendTime(b, row.PasswordLastChanged)
		case fieldPasswordNextRotation:
			return appendTime(b, row.PasswordNextRotation)
		case fieldMFAActive:
			return appendBool(b, row.MFAActive)
		}
	case columnKey:
		slot := EmptyKeySlot()
		if col.index < len(row.AccessKeys) {
			slot = row.AccessKeys[col.index]
		}
		switch col.part {
		case partExist:
			return appendBool(b, slot.Exist)
		case partActive:
			return appendBool(b, slot.Active)
		case partLastRotated:
			return appendTime(b, slot.LastRotated)
		case partLastUsed:
			return appendTime(b, slot.LastUsed)
		}
	case columnExtra:
		if col.index < len(row.Extra) {
			return appendField(b, row.Extra[col.index]), true
		}
		return b, true
	}
	return b, false
}

// columnValue returns the text of one column of row for an error message,
// including values that appendColumn rejects.
func columnValue(row *Row, col column) string {
	if b, ok := appendColumn(nil, row, col); ok {
		return string(b)
	}
	if col.kind == columnKey {
		// appendColumn never rejects an empty slot, so the slot exists.
		slot := row.AccessKeys[col.index]
		values := [numKeyParts]fmt.Stringer{slot.Exist, slot.Active, slot.LastRotated, slot.LastUsed}
		return values[col.part].String()
	}
	values := [numRowFields]fmt.Stringer{
		fieldUserCreationTime:     row.UserCreationTime,
		fieldUserLastLogon:        row.UserLastLogon,
		fieldPasswordExist:        row.PasswordExist,
		fieldPasswordActive:       row.PasswordActive,
		fieldPasswordLastChanged:  row.PasswordLastChanged,
		fieldPasswordNextRotation: row.PasswordNextRotation,
		fieldMFAActive:            row.MFAActive,
	}
	return values[col.part].String()
}

func appendTime(b []byte, t Time) ([]byte, bool) {
	if !t.inRange() {
		return b, false
	}
	return t.appendText(b), true
}

func appendBool(b []byte, v Bool) ([]byte, bool) {
	if !v.valid() {
		return b, false
	}
	return append(b, boolWords[v]...), true
}

// appendField appends s as encoding/csv's Writer (comma separator, LF line
// endings) writes a field: quoted when it contains a comma, a double quote,
// CR or LF, starts with a space, or is \. ; a double quote inside is doubled.
func appendField(b []byte, s string) []byte {
	if !fieldNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func fieldNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
