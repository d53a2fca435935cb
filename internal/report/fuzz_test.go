package report

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// addCSVSeeds adds every fixture CSV and every CSV under testdata.
func addCSVSeeds(f *testing.F) {
	files := fixtureCSVs(f)
	more, _ := filepath.Glob(filepath.Join("testdata", "*", "*.csv"))
	for _, file := range append(files, more...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzParse(f *testing.F) {
	addCSVSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Parse(bytes.NewReader(data))
		_, problems := Validate(bytes.NewReader(data))
		if err != nil {
			if len(problems) == 0 {
				t.Fatalf("Parse failed with %v, but Validate found no problem", err)
			}
			return
		}
		// Validate's checks beyond Parse's concern the user column only.
		for _, p := range problems {
			if p.Column != "user" && !strings.HasPrefix(p.Message, "no data rows") {
				t.Fatalf("Parse succeeded, but Validate found %v", p)
			}
		}

		// Whatever parses is written back and parses to the same rows.
		var buf bytes.Buffer
		if err := rep.WriteCSV(&buf); err != nil {
			t.Fatalf("WriteCSV of a parsed report: %v", err)
		}
		again, err := Parse(&buf)
		if err != nil {
			t.Fatalf("Parse(WriteCSV(Parse(data))): %v\n%q", err, buf.String())
		}
		if !reflect.DeepEqual(again.Rows, rep.Rows) {
			t.Fatalf("rows changed across WriteCSV and Parse")
		}
		if !reflect.DeepEqual(again.Columns, rep.Columns) {
			t.Fatalf("columns changed across WriteCSV and Parse: %q, want %q", again.Columns, rep.Columns)
		}

		// With the root row first, Write gives the same typed rows.
		if rep.Root() == nil {
			return
		}
		buf.Reset()
		if err := Write(&buf, rep.Rows); err != nil {
			t.Fatalf("Write of parsed rows: %v", err)
		}
		written, err := Parse(&buf)
		if err != nil {
			t.Fatalf("Parse(Write(Parse(data))): %v", err)
		}
		if len(written.Rows) != len(rep.Rows) {
			t.Fatalf("Write wrote %d rows, want %d", len(written.Rows), len(rep.Rows))
		}
		for i := range rep.Rows {
			if !sameTypedFields(&written.Rows[i], &rep.Rows[i]) {
				t.Fatalf("row %d changed across Write and Parse:\n got %+v\nwant %+v", i, written.Rows[i], rep.Rows[i])
			}
		}
	})
}

// sameTypedFields compares rows without Extra, taking missing slots as empty.
func sameTypedFields(a, b *Row) bool {
	x, y := *a, *b
	x.AccessKeys, y.AccessKeys, x.Extra, y.Extra = nil, nil, nil, nil
	if !reflect.DeepEqual(x, y) {
		return false
	}
	for i := range max(len(a.AccessKeys), len(b.AccessKeys)) {
		sa, sb := EmptyKeySlot(), EmptyKeySlot()
		if i < len(a.AccessKeys) {
			sa = a.AccessKeys[i]
		}
		if i < len(b.AccessKeys) {
			sb = b.AccessKeys[i]
		}
		if sa != sb {
			return false
		}
	}
	return true
}

func FuzzJoinPages(f *testing.F) {
	f.Add([]byte("user,x\n<root>,1\n"), "not base64!", []byte("a,2\n"), generated, false)
	f.Add([]byte("h\r\nr1"), b64("h\r\nr2"), []byte("\nr3"), "2026-12-04T14:00:00+08:00", false)
	f.Add([]byte(""), "", []byte("h\n"), "", true)
	f.Fuzz(func(t *testing.T, first []byte, rawSecond string, third []byte, thirdGenerated string, truncated bool) {
		// Content that may not be Base64 at all.
		pages := []Page{
			{Content: base64.StdEncoding.EncodeToString(first), GeneratedTime: generated, IsTruncated: true},
			{Content: rawSecond, GeneratedTime: generated, IsTruncated: true},
			{Content: base64.StdEncoding.EncodeToString(third), GeneratedTime: thirdGenerated, IsTruncated: truncated},
		}
		if _, err := JoinPages(pages); err == nil && (truncated || !sameGeneratedTime(generated, thirdGenerated)) {
			t.Fatalf("JoinPages succeeded with a truncated last page or a different GeneratedTime")
		}

		// Two valid pages: the first comes back whole, the second at most
		// shortened by a repeated header and leading line breaks.
		two := []Page{
			{Content: base64.StdEncoding.EncodeToString(first), GeneratedTime: generated, IsTruncated: true},
			{Content: base64.StdEncoding.EncodeToString(third), GeneratedTime: generated},
		}
		got, err := JoinPages(two)
		if err != nil {
			t.Fatalf("JoinPages of valid pages: %v", err)
		}
		if !bytes.HasPrefix(got, first) {
			t.Fatalf("JoinPages = %q, want it to start with the first page %q", got, first)
		}
		if len(got) > len(first)+len(third)+2 {
			t.Fatalf("JoinPages = %q is longer than the pages with a line break", got)
		}
		header, _ := firstLine(bytes.TrimPrefix(first, []byte(utf8BOM)))
		secondLine, _ := firstLine(bytes.TrimPrefix(third, []byte(utf8BOM)))
		plain := len(first) > 0 && first[len(first)-1] == '\n' && !bytes.HasPrefix(third, []byte(utf8BOM)) &&
			!bytes.Equal(secondLine, header) && len(third) > 0 && third[0] != '\n' && third[0] != '\r'
		if plain && string(got) != string(first)+string(third) {
			t.Fatalf("JoinPages = %q, want the pages joined as they are", got)
		}
	})
}

func FuzzParseGetCredentialReportJSON(f *testing.F) {
	obj := `{"GeneratedTime":"` + generated + `","Content":"` + b64(smallCSV) + `","IsTruncated":"false"}`
	f.Add([]byte(obj))
	f.Add([]byte("[" + obj + "]"))
	f.Add([]byte(`{"statusCode":200,"body":` + obj + `}`))
	f.Add([]byte(`{"Code":"Expired.CredentialReport"}`))
	f.Add([]byte(`[{"Content":"","IsTruncated":true},{"Content":"%%"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		csv, at, err := ParseGetCredentialReportJSON(data)
		if err != nil {
			return
		}
		if at.Location() != time.UTC {
			t.Fatalf("generated time %v is not in UTC", at)
		}
		Validate(bytes.NewReader(csv))
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-01-02T03:04:05Z", "2019-13-45T00:00:00Z", "2024-02-29T23:59:59Z", "0000-01-01T00:00:00Z",
		"2024-01-02t03:04:05Z", "2024-01-02T03:04:05+08:00", "2024-01-02T03:04:05.123456789-11:30", "-", "N/A", "LOGIN_DISABLED"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if len(s) == len(TimeLayout) && s[len(s)-1] == 'Z' {
			// The hand-written parser must agree with the time package.
			want, wantErr := time.Parse(time.RFC3339, s)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("ParseTime(%q) error = %v, time.Parse error = %v", s, err, wantErr)
			}
			if err == nil && got != TimeAt(want) {
				t.Fatalf("ParseTime(%q) = %v, time.Parse gives %v", s, got, want)
			}
		}
		if err != nil {
			return
		}
		again, err := ParseTime(got.String())
		if err != nil || again != got {
			t.Fatalf("ParseTime(%q).String() = %q does not parse back: %v, %v", s, got.String(), again, err)
		}
	})
}
