package report

import (
	"errors"
	"io"
	"strconv"
	"strings"
)

// Problem is one reason a report is not valid.
type Problem struct {
	// Line is the 1-based line of the CSV input the problem is on; 0 when it
	// concerns no line. The header is line 1.
	Line int
	// Column is the header name of the column concerned, or "". On a data
	// line the problem is with that field's Value.
	Column string
	// Value is the field's text.
	Value string
	// Message describes what is wrong and what is expected.
	Message string
}

// Description returns the problem without its line: for a field of a data
// line `column C: invalid value "V": MESSAGE`, for the header `column C:
// MESSAGE`, and the message alone when no column is concerned.
func (p Problem) Description() string {
	var b strings.Builder
	if p.Column != "" {
		b.WriteString("column ")
		b.WriteString(p.Column)
		b.WriteString(": ")
		if p.Line > 1 {
			b.WriteString("invalid value ")
			b.WriteString(strconv.Quote(p.Value))
			b.WriteString(": ")
		}
	}
	b.WriteString(p.Message)
	return b.String()
}

// String returns the problem as "line N: " followed by its Description.
func (p Problem) String() string {
	if p.Line == 0 {
		return p.Description()
	}
	return "line " + strconv.Itoa(p.Line) + ": " + p.Description()
}

// Error returns the same text as String, so that Parse can return a problem
// as an error.
func (p *Problem) Error() string { return p.String() }

// Summary counts what a report contains.
type Summary struct {
	// Users is the number of RAM user rows: the data rows after the root row,
	// or every data row when the first is not the root row.
	Users int
	// AdditionalKeyBlocks is the number of additional_access_key_N blocks in
	// the header.
	AdditionalKeyBlocks int
}

// Validate reads a credential report in CSV and returns every problem it
// finds, in input order, instead of stopping at the first. On top of the
// checks of Parse it requires a root row (<root>, or <root_account> as in
// AWS IAM reports) as the first data row and nowhere else, a non-empty user
// on every row and no user twice. It accepts what Parse accepts: a
// byte-order mark, CRLF line endings, any column order and unknown columns.
// An empty problem list means the report is valid. Lines are lines of the
// CSV input, the header being line 1.
func Validate(r io.Reader) (Summary, []Problem) {
	s, problems, err := openScanner(r, true)
	switch {
	case errors.Is(err, ErrAWSReport):
		return Summary{}, []Problem{{Line: 1, Column: awsColumn, Message: errAWSReport}}
	case err != nil:
		return Summary{}, append(problems, Problem{Message: "read report: " + err.Error()})
	case s == nil:
		return Summary{}, problems
	}

	summary := Summary{AdditionalKeyBlocks: s.layout.blocks}
	rows := 0
	firstIsRoot := false
	seen := make(map[string]int) // user -> line of its first row
	var row Row
	for {
		before := len(problems)
		var line int
		line, problems, err = s.next(&row, problems)
		if err != nil {
			break
		}
		rows++
		if userUnknown(problems[before:]) {
			continue
		}

		userColumn := rowFieldNames[fieldUser]
		if row.IsRoot() {
			if rows == 1 {
				firstIsRoot = true
			} else {
				problems = append(problems, Problem{Line: line, Column: userColumn, Value: row.User,
					Message: "a root row must be the first data row, and there must be only one"})
			}
			continue
		}
		if rows == 1 {
			problems = append(problems, Problem{Line: line, Column: userColumn, Value: row.User,
				Message: "the first data row must be the root row " + RootUser})
		}
		if row.User == "" {
			problems = append(problems, Problem{Line: line, Column: userColumn, Value: row.User,
				Message: "empty user name; want the user principal name, such as alice@example.onaliyun.com"})
			continue
		}
		if first, dup := seen[row.User]; dup {
			problems = append(problems, Problem{Line: line, Column: userColumn, Value: row.User,
				Message: "duplicate user, first on line " + strconv.Itoa(first)})
		} else {
			seen[row.User] = line
		}
	}

	switch {
	case err != io.EOF:
		problems = append(problems, Problem{Message: "read report: " + err.Error()})
	case rows == 0:
		problems = append(problems, Problem{Line: 1, Message: "no data rows: the header must be followed by the root row " + RootUser})
	}
	summary.Users = rows
	if firstIsRoot {
		summary.Users--
	}
	return summary, problems
}

// userUnknown reports whether the problems of one row leave its user unknown:
// its fields could not be mapped, or the user field is invalid.
func userUnknown(rowProblems []Problem) bool {
	for _, p := range rowProblems {
		if p.Column == "" || p.Column == rowFieldNames[fieldUser] {
			return true
		}
	}
	return false
}
