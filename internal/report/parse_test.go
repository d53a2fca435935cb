package report

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParseReorderedAndUnknownColumns(t *testing.T) {
	data := readTestdata(t, "reordered-extra.csv")
	rep, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.ExtraColumns, []string{"note", "zone"}) {
		t.Errorf("ExtraColumns = %q, want [note zone]", rep.ExtraColumns)
	}
	if rep.AdditionalKeyBlocks != 1 {
		t.Errorf("AdditionalKeyBlocks = %d, want 1", rep.AdditionalKeyBlocks)
	}
	root := rep.Root()
	if root == nil {
		t.Fatal("Root() = nil")
	}
	if !slices.Equal(root.Extra, []string{"root, with comma", "cn-hangzhou"}) {
		t.Errorf("root Extra = %q", root.Extra)
	}
	if got := root.UserCreationTime.String(); got != "2017-02-03T04:05:06Z" {
		t.Errorf("root user_creation_time = %s, want 2017-02-03T04:05:06Z", got)
	}
	slot := root.AccessKeys[2]
	if slot.Exist != BoolTrue || slot.Active != BoolTrue || slot.LastRotated.String() != "2018-01-01T00:00:00Z" || slot.LastUsed != TimeNever() {
		t.Errorf("additional key slot = %+v, want TRUE,TRUE,2018-01-01T00:00:00Z,-", slot)
	}

	// WriteCSV writes the columns back as they were read.
	var back bytes.Buffer
	if err := rep.WriteCSV(&back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), data) {
		t.Errorf("WriteCSV differs from the input:\n%s", lineDiff(back.String(), string(data)))
	}

	// Write uses the canonical order and drops the unknown columns.
	var canonical bytes.Buffer
	if err := Write(&canonical, rep.Rows); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(canonical.String(), "\n")
	if header != strings.Join(Header(1), ",") {
		t.Errorf("Write header = %s, want Header(1)", header)
	}
}

func TestParseMissingColumnsNamesAll(t *testing.T) {
	_, err := Parse(bytes.NewReader(readTestdata(t, "missing-columns.csv")))
	if err == nil {
		t.Fatal("Parse succeeded, want an error")
	}
	for _, name := range []string{"user_last_logon", "password_exist", "access_key_2_last_used"} {
		if !strings.Contains(err.Error(), "column "+name+": missing from the header") {
			t.Errorf("error = %q, want it to name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "column mfa_active") {
		t.Errorf("error = %q names mfa_active, which is present", err)
	}
	var p *Problem
	if !errors.As(err, &p) || p.Line != 1 || p.Column != "user_last_logon" {
		t.Errorf("errors.As(*Problem) = %+v, want line 1, column user_last_logon", p)
	}
}

func TestParseInvalidValue(t *testing.T) {
	_, err := Parse(bytes.NewReader(readTestdata(t, "bad-values.csv")))
	if err == nil {
		t.Fatal("Parse succeeded, want an error")
	}
	const want = `line 3: column user_creation_time: invalid value "2019-13-45T00:00:00Z": month out of range`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v does not wrap a *Problem", err)
	}
	if p.Line != 3 || p.Column != "user_creation_time" || p.Value != "2019-13-45T00:00:00Z" {
		t.Errorf("problem = %+v", p)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
	}{
		{"empty.csv", "empty input"},
		{"syntax.csv", "line 3: the row has 15 fields, but the header has 16"},
		{"duplicate-column.csv", "column mfa_active: duplicate column"},
		{"block-gaps.csv", "additional_access_key blocks must be numbered from 1 to 3 without gaps"},
		{"aws.csv", "AWS IAM credential report, not an Alibaba Cloud RAM credential report"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := Parse(bytes.NewReader(readTestdata(t, tt.file)))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	_, err := Parse(bytes.NewReader(readTestdata(t, "aws.csv")))
	if !errors.Is(err, ErrAWSReport) {
		t.Errorf("AWS report error = %v, want it to wrap ErrAWSReport", err)
	}
}

func TestParseWithoutRootFirst(t *testing.T) {
	rep, err := Parse(bytes.NewReader(readTestdata(t, "root-position.csv")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if rep.Root() != nil {
		t.Errorf("Root() = %q, want nil: the first row is a user", rep.Root().User)
	}
	if len(rep.Users()) != len(rep.Rows) {
		t.Errorf("Users() has %d rows, want all %d", len(rep.Users()), len(rep.Rows))
	}
	if !rep.Rows[1].IsRoot() || !rep.Rows[5].IsRoot() {
		t.Errorf("IsRoot() false for <root> or <root_account>")
	}
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Errorf("WriteCSV: %v", err)
	}
	if err := Write(&buf, rep.Rows); err == nil {
		t.Errorf("Write accepted rows whose first is not the root row")
	}
}

func TestParseHeaderOnly(t *testing.T) {
	rep, err := Parse(bytes.NewReader(readTestdata(t, "header-only.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 0 || rep.Root() != nil || len(rep.Users()) != 0 {
		t.Errorf("rows = %d, want none", len(rep.Rows))
	}
}

func TestParseNormalises(t *testing.T) {
	for _, tt := range []struct {
		file string
		want string // expected Write output, after the header
	}{
		{"accepted-words.csv",
			"<root>,2017-02-03T04:05:06Z,-,TRUE,N/A,2025-06-01T08:00:00Z,N/A,TRUE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n" +
				"disabled@example.onaliyun.com,2019-11-11T12:33:18Z,LOGIN_DISABLED,LOGIN_DISABLED,LOGIN_DISABLED,LOGIN_DISABLED,LOGIN_DISABLED,LOGIN_DISABLED,TRUE,FALSE,2019-11-11T17:33:18Z,-,FALSE,N/A,N/A,N/A\n"},
		{"bom-crlf.csv",
			"<root>,2017-02-03T04:05:06Z,2026-11-30T01:02:03Z,TRUE,N/A,2025-06-01T08:00:00Z,N/A,TRUE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n" +
				"alice@example.onaliyun.com,2019-11-11T12:33:18Z,-,FALSE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			rep, err := Parse(bytes.NewReader(readTestdata(t, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Write(&buf, rep.Rows); err != nil {
				t.Fatal(err)
			}
			want := strings.Join(Header(0), ",") + "\n" + tt.want
			if buf.String() != want {
				t.Errorf("Write after Parse:\n%s", lineDiff(buf.String(), want))
			}
		})
	}
}

func TestParseMultilineUser(t *testing.T) {
	data := strings.Join(Header(0), ",") + "\n" +
		"<root>,N/A,N/A,TRUE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n" +
		"\"two\nlines\",N/A,-,FALSE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n"
	rep, err := Parse(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows[1].User != "two\nlines" {
		t.Errorf("user = %q, want %q", rep.Rows[1].User, "two\nlines")
	}
	var buf bytes.Buffer
	if err := Write(&buf, rep.Rows); err != nil {
		t.Fatal(err)
	}
	if buf.String() != data {
		t.Errorf("round trip differs:\n%s", lineDiff(buf.String(), data))
	}
}

func TestParseRowsDoNotShareSlots(t *testing.T) {
	var b strings.Builder
	b.WriteString(strings.Join(Header(0), ",") + "\n")
	for range 5000 {
		b.WriteString("<root>,N/A,N/A,TRUE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n")
	}
	rep, err := Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Rows {
		if len(rep.Rows[i].AccessKeys) != 2 {
			t.Fatalf("row %d has %d slots, want 2", i, len(rep.Rows[i].AccessKeys))
		}
	}
	rep.Rows[0].AccessKeys = append(rep.Rows[0].AccessKeys, KeySlot{Exist: BoolTrue})
	rep.Rows[1].AccessKeys[0].Exist = BoolTrue
	if rep.Rows[1].AccessKeys[0] == rep.Rows[2].AccessKeys[0] || !rep.Rows[2].AccessKeys[0].IsEmpty() {
		t.Errorf("changing one row's slots changed another's")
	}
	if !rep.Rows[1].AccessKeys[1].IsEmpty() {
		t.Errorf("appending to row 0's slots overwrote row 1's")
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestParseReadError(t *testing.T) {
	errBroken := errors.New("connection reset")
	header := strings.Join(Header(0), ",") + "\n"
	_, err := Parse(io.MultiReader(strings.NewReader(header), errReader{errBroken}))
	if !errors.Is(err, errBroken) {
		t.Errorf("Parse error = %v, want it to wrap %v", err, errBroken)
	}
	_, problems := Validate(io.MultiReader(strings.NewReader(header), errReader{errBroken}))
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "connection reset") {
		t.Errorf("Validate problems = %v, want the read error", problems)
	}
}

func TestWriteCSVAddsBlocks(t *testing.T) {
	rep, err := Parse(bytes.NewReader(readTestdata(t, "bom-crlf.csv")))
	if err != nil {
		t.Fatal(err)
	}
	rep.Rows[1].AccessKeys = append(rep.Rows[1].AccessKeys[:2:2],
		KeySlot{Exist: BoolTrue, Active: BoolTrue, LastRotated: TimeNever(), LastUsed: TimeNever()})
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if again.AdditionalKeyBlocks != 1 {
		t.Errorf("AdditionalKeyBlocks after WriteCSV = %d, want 1", again.AdditionalKeyBlocks)
	}
	if got := again.Rows[0].AccessKeys[2]; !got.IsEmpty() {
		t.Errorf("root's added slot = %+v, want empty", got)
	}
	if got := again.Rows[1].AccessKeys[2]; got.Exist != BoolTrue {
		t.Errorf("alice's added slot = %+v, want the key", got)
	}
}
