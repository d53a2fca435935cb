package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrAWSReport is returned, wrapped, by Parse for an AWS IAM credential
// report, which it recognises by its arn column. AWS reports have other
// columns and rules (password_enabled, no _exist columns, certificates), so
// they are rejected instead of being mapped field by field.
var ErrAWSReport = errors.New(errAWSReport)

// Report is a parsed credential report.
type Report struct {
	// Columns is the header as read, in file order.
	Columns []string
	// ExtraColumns contains the names of the columns that are not part of the
	// format, in file order; each row holds their values in Row.Extra.
	ExtraColumns []string
	// AdditionalKeyBlocks is the number of additional_access_key_N blocks in
	// the header.
	AdditionalKeyBlocks int
	// Rows are the data rows in file order. In a valid report the first is
	// the root row.
	Rows []Row
}

// Root returns the root row, or nil when the first data row is not one.
func (r *Report) Root() *Row {
	if len(r.Rows) == 0 || !r.Rows[0].IsRoot() {
		return nil
	}
	return &r.Rows[0]
}

// Users returns the rows after the root row: the RAM users. When the first
// row is not a root row, Users returns every row.
func (r *Report) Users() []Row {
	if r.Root() != nil {
		return r.Rows[1:]
	}
	return r.Rows
}

// Parse reads a credential report in CSV: one written by this project,
// Alibaba Cloud's own, or one with a different column order or extra
// columns. Columns are mapped by header name. Unknown columns are kept in
// ExtraColumns and Row.Extra. A leading UTF-8 byte-order mark is skipped,
// and CRLF line endings are accepted.
//
// Parse fails on a header that lacks a fixed column, and the error names
// every missing one. It fails on the first invalid field (see ParseTime and
// ParseBool; text fields must be valid UTF-8), naming its line, column and
// value. It fails on the first line that is not valid CSV or whose number of
// fields differs from the header's. These errors wrap a *Problem.
// An AWS IAM report is rejected with ErrAWSReport. A first data row that is
// not the root row is accepted (see Report.Root), and Validate reports it.
func Parse(r io.Reader) (*Report, error) {
	s, problems, err := openScanner(r, false)
	if err != nil {
		return nil, fmt.Errorf("parse credential report: %w", err)
	}
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i := range problems {
			errs[i] = &problems[i]
		}
		return nil, fmt.Errorf("parse credential report: %w", errors.Join(errs...))
	}

	rep := &Report{
		Columns:             s.layout.names,
		ExtraColumns:        s.layout.extra,
		AdditionalKeyBlocks: s.layout.blocks,
	}
	for {
		var row Row
		_, problems, err := s.next(&row, nil)
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse credential report: %w", err)
		}
		if len(problems) > 0 {
			return nil, fmt.Errorf("parse credential report: %w", &problems[0])
		}
		rep.Rows = append(rep.Rows, row)
	}
}

// scanner reads a report record by record for Parse and Validate.
type scanner struct {
	cr     *csv.Reader
	layout layout
	// reuse makes every row share one slot slice, for callers that keep no rows.
	reuse bool
	arena []KeySlot
}

// utf8BOM is the UTF-8 byte-order mark, which spreadsheet programs add.
const utf8BOM = "\ufeff"

// openScanner reads the header. It returns a nil scanner and a problem when
// the input is empty or the header is not valid CSV, and ErrAWSReport for an
// AWS IAM report. Other header problems come with a scanner, which can still
// read the rows. Any other error is an I/O error.
func openScanner(r io.Reader, reuse bool) (*scanner, []Problem, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(len(utf8BOM)); err == nil && string(head) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true

	header, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, []Problem{{Line: 1, Message: "empty input: want a header line starting with user,user_creation_time"}}, nil
	case errors.As(err, &pe):
		return nil, []Problem{{Line: pe.Line, Message: "invalid CSV in the header: " + pe.Err.Error()}}, nil
	case err != nil:
		return nil, nil, err
	}
	header = cloneStrings(header)

	l, problems, aws := newLayout(header)
	if aws {
		return nil, nil, ErrAWSReport
	}
	for _, name := range header {
		if !utf8.ValidString(name) {
			problems = append(problems, Problem{Line: 1, Message: "column name " + strconv.Quote(name) + " is not valid UTF-8"})
		}
	}
	return &scanner{cr: cr, layout: l, reuse: reuse}, problems, nil
}

// slots returns a zeroed slot slice for one row. Rows get their slots from
// a shared arena, so that a 50,000-row report costs a few allocations.
func (s *scanner) slots() []KeySlot {
	n := s.layout.slots()
	if s.reuse {
		if len(s.arena) < n {
			s.arena = make([]KeySlot, n)
		}
		clear(s.arena[:n])
		return s.arena[:n:n]
	}
	if len(s.arena) < n {
		s.arena = make([]KeySlot, max(n, 4096/n*n))
	}
	out := s.arena[:n:n]
	s.arena = s.arena[n:]
	return out
}

// next reads the next data row into row and appends the problems it has to
// problems. It returns the line the row starts on, and io.EOF after the
// last row. A row whose fields cannot be mapped (a CSV syntax error or the
// wrong number of fields) has only that problem, and its fields stay zero.
func (s *scanner) next(row *Row, problems []Problem) (int, []Problem, error) {
	rec, err := s.cr.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return 0, problems, io.EOF
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		problems = append(problems, Problem{
			Line:    pe.StartLine,
			Message: "the row has " + strconv.Itoa(len(rec)) + " fields, but the header has " + strconv.Itoa(len(s.layout.names)),
		})
		return pe.StartLine, problems, nil
	case errors.As(err, &pe):
		problems = append(problems, Problem{Line: pe.Line, Message: "invalid CSV: " + pe.Err.Error()})
		return pe.StartLine, problems, nil
	case err != nil:
		return 0, problems, err
	}

	*row = Row{AccessKeys: s.slots()}
	if len(s.layout.extra) > 0 {
		row.Extra = make([]string, len(s.layout.extra))
	}
	start, _ := s.cr.FieldPos(0)
	for i, col := range s.layout.columns {
		if reason := setColumn(row, col, rec[i]); reason != "" {
			line, _ := s.cr.FieldPos(i)
			problems = append(problems, Problem{
				Line:    line,
				Column:  s.layout.names[i],
				Value:   strings.Clone(rec[i]),
				Message: reason,
			})
		}
	}
	return start, problems, nil
}

// setColumn parses one field into row. It returns why the value is invalid,
// or "".
func setColumn(row *Row, col column, value string) string {
	switch col.kind {
	case columnField:
		switch fieldID(col.part) {
		case fieldUser:
			if !utf8.ValidString(value) {
				return "invalid UTF-8"
			}
			row.User = strings.Clone(value)
			return ""
		case fieldUserCreationTime:
			return setTime(&row.UserCreationTime, value)
		case fieldUserLastLogon:
			return setTime(&row.UserLastLogon, value)
		case fieldPasswordExist:
			return setBool(&row.PasswordExist, value)
		case fieldPasswordActive:
			return setBool(&row.PasswordActive, value)
		case fieldPasswordLastChanged:
			return setTime(&row.PasswordLastChanged, value)
		case fieldPasswordNextRotation:
			return setTime(&row.PasswordNextRotation, value)
		case fieldMFAActive:
			return setBool(&row.MFAActive, value)
		}
	case columnKey:
		slot := &row.AccessKeys[col.index]
		switch col.part {
		case partExist:
			return setBool(&slot.Exist, value)
		case partActive:
			return setBool(&slot.Active, value)
		case partLastRotated:
			return setTime(&slot.LastRotated, value)
		case partLastUsed:
			return setTime(&slot.LastUsed, value)
		}
	case columnExtra:
		if !utf8.ValidString(value) {
			return "invalid UTF-8"
		}
		row.Extra[col.index] = strings.Clone(value)
		return ""
	}
	return "internal error: unmapped column"
}

func setTime(dst *Time, value string) string {
	t, reason := parseTime(value)
	*dst = t
	return reason
}

func setBool(dst *Bool, value string) string {
	b, reason := parseBool(value)
	*dst = b
	return reason
}

func cloneStrings(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.Clone(v)
	}
	return out
}
