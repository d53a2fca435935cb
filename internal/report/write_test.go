package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestHeader(t *testing.T) {
	const fixed = "user,user_creation_time,user_last_logon,password_exist,password_active,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_exist,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used," +
		"access_key_2_exist,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used"
	tests := []struct {
		blocks int
		want   string
	}{
		{-1, fixed},
		{0, fixed},
		{1, fixed + ",additional_access_key_1_exist,additional_access_key_1_active,additional_access_key_1_last_rotated,additional_access_key_1_last_used"},
		{2, fixed + ",additional_access_key_1_exist,additional_access_key_1_active,additional_access_key_1_last_rotated,additional_access_key_1_last_used" +
			",additional_access_key_2_exist,additional_access_key_2_active,additional_access_key_2_last_rotated,additional_access_key_2_last_used"},
	}
	for _, tt := range tests {
		if got := strings.Join(Header(tt.blocks), ","); got != tt.want {
			t.Errorf("Header(%d) = %s\nwant %s", tt.blocks, got, tt.want)
		}
	}
	// Callers may change the slice they get.
	h := Header(0)
	h[0] = "changed"
	if Header(0)[0] != "user" {
		t.Errorf("Header shares its slice between calls")
	}
}

func TestWriteBlocksFromMostKeys(t *testing.T) {
	user := func(upn string, keys int) Row {
		var ks []AccessKey
		for i := range keys {
			ks = append(ks, AccessKey{ID: upn + string(rune('a'+i)), Active: true, CreateDate: time.Unix(int64(1e9+i), 0)})
		}
		return UserRow(User{UPN: upn, CreateDate: time.Unix(1e9, 0), AccessKeys: ks}, PasswordPolicy{})
	}
	tests := []struct {
		name       string
		rows       []Row
		wantBlocks int
	}{
		{"root only", []Row{PartialRootRow(false, 0)}, 0},
		{"users with 0, 1 and 2 keys", []Row{PartialRootRow(false, 0), user("a", 0), user("b", 1), user("c", 2)}, 0},
		{"one user with 4 keys", []Row{PartialRootRow(false, 0), user("a", 1), user("b", 4)}, 2},
		{"root with 3 keys", []Row{PartialRootRow(false, 3), user("a", 2)}, 1},
		{"trailing empty slots are not keys", []Row{PartialRootRow(false, 0),
			{User: "a", AccessKeys: []KeySlot{EmptyKeySlot(), EmptyKeySlot(), EmptyKeySlot(), EmptyKeySlot()}}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.rows); err != nil {
				t.Fatal(err)
			}
			records, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("encoding/csv cannot read the output: %v", err)
			}
			if want := 16 + 4*tt.wantBlocks; len(records[0]) != want {
				t.Errorf("header has %d columns, want %d", len(records[0]), want)
			}
			if len(records) != len(tt.rows)+1 {
				t.Errorf("%d records, want %d", len(records), len(tt.rows)+1)
			}
			for _, rec := range records[1:] {
				// Every slot after the principal's keys is written empty.
				for i := 8; i < len(rec); i += 4 {
					if rec[i] == "FALSE" && strings.Join(rec[i:i+4], ",") != "FALSE,N/A,N/A,N/A" {
						t.Errorf("empty slot of %s = %v, want FALSE,N/A,N/A,N/A", rec[0], rec[i:i+4])
					}
				}
			}
		})
	}
}

func TestWriteFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, []Row{PartialRootRow(true, 1)}); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if bytes.HasPrefix(out, []byte(utf8BOM)) {
		t.Errorf("output starts with a byte-order mark")
	}
	if bytes.Contains(out, []byte("\r")) {
		t.Errorf("output contains CR")
	}
	if !bytes.HasSuffix(out, []byte("\n")) || bytes.HasSuffix(out, []byte("\n\n")) {
		t.Errorf("output must end with exactly one newline: %q", out[len(out)-10:])
	}
}

func TestWriteErrors(t *testing.T) {
	valid := PartialRootRow(false, 0)
	badBool := UserRow(User{UPN: "bad@x.onaliyun.com", CreateDate: time.Unix(1e9, 0)}, PasswordPolicy{})
	badBool.MFAActive = Bool(7)
	badTime := UserRow(User{UPN: "late@x.onaliyun.com", CreateDate: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, PasswordPolicy{})
	badSlot := UserRow(User{UPN: "slot@x.onaliyun.com", CreateDate: time.Unix(1e9, 0)}, PasswordPolicy{})
	badSlot.AccessKeys = []KeySlot{{Exist: Bool(5)}}
	tests := []struct {
		name    string
		rows    []Row
		wantErr string
	}{
		{"no rows", nil, "no rows"},
		{"first row not root", []Row{badTime}, `first row is user "late@x.onaliyun.com"`},
		{"invalid bool", []Row{valid, badBool}, `rows[1] (user "bad@x.onaliyun.com"): column mfa_active: invalid value Bool(7)`},
		{"time out of range", []Row{valid, badTime}, `rows[1] (user "late@x.onaliyun.com"): column user_creation_time: invalid value 10000-01-01T00:00:00Z`},
		{"invalid slot", []Row{valid, badSlot}, `column access_key_1_exist: invalid value Bool(5)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tt.rows)
			if err == nil {
				t.Fatalf("Write succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWritePassesWriterError(t *testing.T) {
	rows := make([]Row, 2000)
	rows[0] = PartialRootRow(false, 0)
	for i := 1; i < len(rows); i++ {
		rows[i] = UserRow(User{UPN: "user@x.onaliyun.com", CreateDate: time.Unix(1e9, 0)}, PasswordPolicy{})
	}
	if err := Write(failingWriter{}, rows); !errors.Is(err, errDiskFull) {
		t.Errorf("Write error = %v, want it to wrap %v", err, errDiskFull)
	}
}

func TestAppendFieldMatchesEncodingCSV(t *testing.T) {
	fields := []string{"", "plain", "a,b", `say "hi"`, "line\nbreak", "cr\rhere", "crlf\r\n", " leading space",
		"\tleading tab", "\u00a0nbsp", "trailing space ", `\.`, `\.x`, "ünïcödé", "\u2028sep", `"`, ",", "a\"\"b"}
	for _, f := range fields {
		checkAppendField(t, f)
	}
}

func checkAppendField(t *testing.T, field string) {
	t.Helper()
	var want bytes.Buffer
	w := csv.NewWriter(&want)
	if err := w.Write([]string{field, "x"}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	got := append(appendField(nil, field), ",x\n"...)
	if string(got) != want.String() {
		t.Errorf("appendField(%q) = %q, encoding/csv writes %q", field, got, want.String())
	}
}

// goldenRows covers every value of the vocabulary, quoting and blocks.
func goldenRows() []Row {
	at := func(s string) Time {
		v, _ := time.Parse(time.RFC3339, s)
		return TimeAt(v)
	}
	return []Row{
		RootRowFromKeys(true, []AccessKey{{ID: "R1", Active: true, CreateDate: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)}}),
		{
			User: "disabled@example.onaliyun.com", UserCreationTime: at("2020-01-01T00:00:00Z"),
			UserLastLogon: TimeLoginDisabled(), PasswordExist: BoolLoginDisabled, PasswordActive: BoolLoginDisabled,
			PasswordLastChanged: TimeLoginDisabled(), PasswordNextRotation: TimeLoginDisabled(), MFAActive: BoolLoginDisabled,
		},
		{
			User: `needs "quotes", really@example.onaliyun.com`, UserCreationTime: at("2020-01-01T08:00:00+08:00"),
			UserLastLogon: TimeNever(), PasswordExist: BoolFalse, PasswordActive: BoolNotApplicable,
			MFAActive: BoolFalse,
			AccessKeys: []KeySlot{
				{Exist: BoolTrue, Active: BoolTrue, LastRotated: at("2019-01-01T00:00:00Z"), LastUsed: TimeNever()},
				EmptyKeySlot(),
				{Exist: BoolTrue, Active: BoolFalse, LastRotated: at("2019-02-01T00:00:00Z"), LastUsed: at("2019-02-02T02:02:02.5Z")},
			},
		},
		UserRow(User{UPN: "plain@example.onaliyun.com", CreateDate: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC),
			Profile: &LoginProfile{Active: true, UpdateDate: time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)}, MFABound: true},
			PasswordPolicy{MaxPasswordAge: 365}),
	}
}

func TestWriteGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, goldenRows()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "write", "edge-rows.csv"), buf.Bytes())

	rep, err := Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("Parse of the written golden rows: %v", err)
	}
	var again bytes.Buffer
	if err := Write(&again, rep.Rows); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("Write(Parse(Write(rows))) differs:\n%s", lineDiff(again.String(), buf.String()))
	}
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n%s", path, lineDiff(string(got), string(want)))
	}
}
