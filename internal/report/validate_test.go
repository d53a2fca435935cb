package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validateText runs Validate and formats its result as the golden files
// under testdata/validate hold it.
func validateText(data []byte) string {
	summary, problems := Validate(bytes.NewReader(data))
	var b strings.Builder
	fmt.Fprintf(&b, "users: %d, additional key blocks: %d\n", summary.Users, summary.AdditionalKeyBlocks)
	for _, p := range problems {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestValidateGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "validate", "*.csv"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs in testdata/validate: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(in, ".csv")+".golden", []byte(validateText(data)))
		})
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "validate", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestValidateNamesLineAndColumn(t *testing.T) {
	tests := []struct {
		file string
		want Problem
	}{
		{"bad-values.csv", Problem{Line: 3, Column: "user_creation_time", Value: "2019-13-45T00:00:00Z",
			Message: "month out of range; " + timeWant}},
		{"bad-values.csv", Problem{Line: 3, Column: "password_exist", Value: "YES", Message: boolWant}},
		{"bad-values.csv", Problem{Line: 4, Column: "mfa_active", Value: "", Message: "empty value; " + boolWant}},
		{"bad-values.csv", Problem{Line: 5, Column: "access_key_1_last_rotated", Value: "2019-02-30T00:00:00Z",
			Message: "day out of range; " + timeWant}},
		{"missing-column.csv", Problem{Line: 1, Column: "mfa_active", Message: "missing from the header"}},
		{"multiline-user.csv", Problem{Line: 4, Column: "mfa_active", Value: "MAYBE", Message: boolWant}},
		{"multiline-user.csv", Problem{Line: 5, Column: "access_key_2_last_used", Value: "never", Message: timeWant}},
		{"root-position.csv", Problem{Line: 2, Column: "user", Value: "alice@example.onaliyun.com",
			Message: "the first data row must be the root row <root>"}},
		{"syntax.csv", Problem{Line: 3, Message: "the row has 15 fields, but the header has 16"}},
		{"syntax.csv", Problem{Line: 5, Column: "password_exist", Value: "NO", Message: boolWant}},
		{"aws.csv", Problem{Line: 1, Column: "arn", Message: errAWSReport}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.want.Column, func(t *testing.T) {
			_, problems := Validate(bytes.NewReader(readTestdata(t, tt.file)))
			for _, p := range problems {
				if p == tt.want {
					return
				}
			}
			t.Errorf("problems = %v\nwant one to be %+v", problems, tt.want)
		})
	}
}

func TestValidateCollectsAllProblems(t *testing.T) {
	_, problems := Validate(bytes.NewReader(readTestdata(t, "bad-values.csv")))
	if len(problems) != 8 {
		t.Errorf("got %d problems, want 8 (every bad field of three rows):\n%s", len(problems), problemLines(problems))
	}
}

func TestValidateAcceptsWords(t *testing.T) {
	// LOGIN_DISABLED, no_information, not_supported, lowercase and mixed-case
	// booleans, +00:00 and other offsets, fractions, a byte-order mark, CRLF,
	// reordered and unknown columns.
	for _, name := range []string{"accepted-words.csv", "bom-crlf.csv", "reordered-extra.csv"} {
		t.Run(name, func(t *testing.T) {
			summary, problems := Validate(bytes.NewReader(readTestdata(t, name)))
			if len(problems) > 0 {
				t.Errorf("problems:\n%s", problemLines(problems))
			}
			if summary.Users != 1 {
				t.Errorf("Users = %d, want 1", summary.Users)
			}
		})
	}
}

func TestValidateEmptyAndHeaderOnly(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "line 1: empty input"},
		{"blank lines", "\n\n", "line 1: empty input"},
		{"header only", strings.Join(Header(0), ",") + "\n", "line 1: no data rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := Validate(strings.NewReader(tt.data))
			if len(problems) != 1 || !strings.HasPrefix(problems[0].String(), tt.want) {
				t.Errorf("problems = %v, want one starting with %q", problems, tt.want)
			}
		})
	}
}

func TestProblemText(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Line: 3, Column: "mfa_active", Value: "YES", Message: "want TRUE"}, `line 3: column mfa_active: invalid value "YES": want TRUE`},
		{Problem{Line: 3, Column: "user", Value: "a\x00b", Message: "bad"}, `line 3: column user: invalid value "a\x00b": bad`},
		{Problem{Line: 1, Column: "mfa_active", Message: "missing from the header"}, "line 1: column mfa_active: missing from the header"},
		{Problem{Line: 7, Message: "invalid CSV"}, "line 7: invalid CSV"},
		{Problem{Message: "read report: broken pipe"}, "read report: broken pipe"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
		if got := (&tt.p).Error(); got != tt.want {
			t.Errorf("Error() = %s, want %s", got, tt.want)
		}
	}
}

func problemLines(problems []Problem) string {
	var b strings.Builder
	for _, p := range problems {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
