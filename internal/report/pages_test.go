package report

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const generated = "2026-12-04T06:00:00Z"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// splitPages cuts csv into pages of at most rowsPerPage data rows, the first
// page also carrying the header, as GetCredentialReport pages with MaxItems.
// With repeatHeader every page starts with the header.
func splitPages(csv string, rowsPerPage int, repeatHeader bool) []Page {
	lines := strings.SplitAfter(csv, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	header, rows := lines[0], lines[1:]
	var pages []Page
	for start := 0; start < len(rows) || start == 0; start += rowsPerPage {
		end := min(start+rowsPerPage, len(rows))
		var content string
		if start == 0 || repeatHeader {
			content = header
		}
		content += strings.Join(rows[start:end], "")
		pages = append(pages, Page{Content: b64(content), GeneratedTime: generated, IsTruncated: true, NextToken: "token"})
		if end == len(rows) {
			break
		}
	}
	pages[len(pages)-1].IsTruncated = false
	pages[len(pages)-1].NextToken = ""
	return pages
}

const smallCSV = "user,x\n<root>,1\na,2\nb,3\nc,4\nd,5\n"

func TestJoinPagesRestoresTheFile(t *testing.T) {
	tests := []struct {
		name         string
		rowsPerPage  int
		repeatHeader bool
	}{
		{"one page", 100, false},
		{"one row per page", 1, false},
		{"two rows per page", 2, false},
		{"header on every page", 2, true},
		{"header on every one-row page", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JoinPages(splitPages(smallCSV, tt.rowsPerPage, tt.repeatHeader))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != smallCSV {
				t.Errorf("JoinPages = %q, want %q", got, smallCSV)
			}
		})
	}
}

func TestJoinPagesFixtures(t *testing.T) {
	for _, file := range fixtureCSVs(t) {
		if filepath.Base(file) != "native.csv" {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, rows := range []int{1, 100, 3501} {
			got, err := JoinPages(splitPages(string(data), rows, false))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(data) {
				t.Errorf("%s in pages of %d rows: joined bytes differ from the file", file, rows)
			}
		}
	}
}

func TestJoinPagesLineBreaks(t *testing.T) {
	page := func(content string, truncated bool) Page {
		return Page{Content: b64(content), GeneratedTime: generated, IsTruncated: truncated}
	}
	tests := []struct {
		name  string
		pages []Page
		want  string
	}{
		{"no newline at page end", []Page{page("h\nr1", true), page("r2\n", false)}, "h\nr1\nr2\n"},
		{"blank line at page start", []Page{page("h\nr1\n", true), page("\nr2\n", false)}, "h\nr1\nr2\n"},
		{"both", []Page{page("h\nr1", true), page("\n\nr2", false)}, "h\nr1\nr2"},
		{"empty page in the middle", []Page{page("h\nr1\n", true), page("", true), page("r2\n", false)}, "h\nr1\nr2\n"},
		{"empty first page", []Page{page("", true), page("h\nr1\n", false)}, "h\nr1\n"},
		{"repeated header only", []Page{page("h\nr1\n", true), page("h\n", false)}, "h\nr1\n"},
		{"CRLF", []Page{page("h\r\nr1", true), page("h\r\nr2\r\n", false)}, "h\r\nr1\r\nr2\r\n"},
		{"byte-order mark on each page", []Page{page("\ufeffh\nr1\n", true), page("\ufeffh\nr2\n", false)}, "\ufeffh\nr1\nr2\n"},
		{"a row like the header is kept after the first line", []Page{page("h\nr1\n", true), page("r2\nh\n", false)}, "h\nr1\nr2\nh\n"},
		{"last page without newline is kept so", []Page{page("h\nr1\n", true), page("r2", false)}, "h\nr1\nr2"},
		{"all pages empty", []Page{page("", true), page("", false)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JoinPages(tt.pages)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("JoinPages = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestJoinPagesErrors(t *testing.T) {
	good := splitPages(smallCSV, 2, false)
	withPage := func(i int, edit func(*Page)) []Page {
		pages := append([]Page(nil), good...)
		edit(&pages[i])
		return pages
	}
	tests := []struct {
		name    string
		pages   []Page
		wantErr string
	}{
		{"no pages", nil, "no pages"},
		{"plain CSV, not Base64", withPage(1, func(p *Page) { p.Content = "a,2\nb,3\n" }),
			"page 2 of 3: Content is not valid standard Base64"},
		{"URL-safe alphabet", withPage(0, func(p *Page) { p.Content = strings.NewReplacer("+", "-", "/", "_").Replace(b64("??>>??>>\n")) }),
			"page 1 of 3: Content is not valid standard Base64"},
		{"missing padding", withPage(2, func(p *Page) { p.Content = strings.TrimRight(b64("d,5\n1"), "=") }),
			"page 3 of 3: Content is not valid standard Base64"},
		{"different GeneratedTime", withPage(2, func(p *Page) { p.GeneratedTime = "2026-12-04T10:00:00Z" }),
			`page 3 of 3 has GeneratedTime "2026-12-04T10:00:00Z", page 1 has "2026-12-04T06:00:00Z"`},
		{"last page truncated", withPage(2, func(p *Page) { p.IsTruncated = true; p.NextToken = "next" }),
			`the last of 3 pages is truncated: pages are missing; request the next with NextToken "next"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := JoinPages(tt.pages)
			if err == nil {
				t.Fatalf("JoinPages succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestJoinPagesSameInstantDifferentText(t *testing.T) {
	pages := splitPages(smallCSV, 3, false)
	pages[1].GeneratedTime = "2026-12-04T14:00:00+08:00"
	if _, err := JoinPages(pages); err != nil {
		t.Errorf("JoinPages: %v, want the same instant accepted", err)
	}
}

func TestJoinPagesDecodesOnce(t *testing.T) {
	// A CSV whose text is itself valid Base64 must come back as it is.
	csv := "dXNlcix1\n"
	got, err := JoinPages([]Page{{Content: b64(csv), GeneratedTime: generated}})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != csv {
		t.Errorf("JoinPages = %q, want %q", got, csv)
	}
}

func TestPageUnmarshalJSON(t *testing.T) {
	tests := []struct {
		json          string
		wantTruncated bool
	}{
		{`{"Content":"","IsTruncated":"true"}`, true},
		{`{"Content":"","IsTruncated":"TRUE"}`, true},
		{`{"Content":"","IsTruncated":"True"}`, true},
		{`{"Content":"","IsTruncated":"false"}`, false},
		{`{"Content":"","IsTruncated":""}`, false},
		{`{"Content":"","IsTruncated":true}`, true},
		{`{"Content":"","IsTruncated":false}`, false},
		{`{"Content":"","IsTruncated":null}`, false},
		{`{"Content":""}`, false},
		{`{"content":"","isTruncated":"true"}`, true},
	}
	for _, tt := range tests {
		var p Page
		if err := json.Unmarshal([]byte(tt.json), &p); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.json, err)
			continue
		}
		if p.IsTruncated != tt.wantTruncated {
			t.Errorf("Unmarshal(%s).IsTruncated = %v, want %v", tt.json, p.IsTruncated, tt.wantTruncated)
		}
	}

	var p Page
	full := `{"RequestId":"7A01826E","GeneratedTime":"2020-10-19T15:06:52Z","Content":"dXNlcgo=","IsTruncated":"true","NextToken":"abc"}`
	if err := json.Unmarshal([]byte(full), &p); err != nil {
		t.Fatal(err)
	}
	want := Page{Content: "dXNlcgo=", GeneratedTime: "2020-10-19T15:06:52Z", IsTruncated: true, NextToken: "abc"}
	if p != want {
		t.Errorf("Unmarshal = %+v, want %+v", p, want)
	}

	for _, bad := range []string{`{"Content":"","IsTruncated":"yes"}`, `{"Content":"","IsTruncated":1}`, `{"IsTruncated":"false"}`, `{"Content":5}`} {
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want an error", bad)
		}
	}
}

func TestParseGetCredentialReportJSON(t *testing.T) {
	obj := func(content, truncated string) string {
		return `{"RequestId":"R1","GeneratedTime":"` + generated + `","Content":"` + b64(content) + `","IsTruncated":` + truncated + `,"NextToken":"t"}`
	}
	want := "h\nr1\nr2\n"
	tests := []struct {
		name string
		json string
	}{
		{"one response", obj(want, `"false"`)},
		{"one response with bool", "\n  " + obj(want, `false`) + "\n"},
		{"array of pages", "[" + obj("h\nr1\n", `"true"`) + "," + obj("r2\n", `"false"`) + "]"},
		{"SDK wrapper", `{"headers":{"x-acs-request-id":"R1"},"statusCode":200,"body":` + obj(want, `"false"`) + `}`},
		{"array of SDK wrappers", `[{"statusCode":200,"body":` + obj("h\nr1\n", `"true"`) + `},{"statusCode":200,"body":` + obj("h\nr2\n", `"False"`) + `}]`},
		{"byte-order mark", "\ufeff" + obj(want, `"false"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csv, at, err := ParseGetCredentialReportJSON([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if string(csv) != want {
				t.Errorf("csv = %q, want %q", csv, want)
			}
			if !at.Equal(time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)) || at.Location() != time.UTC {
				t.Errorf("generated = %v, want 2026-12-04T06:00:00Z in UTC", at)
			}
		})
	}
}

func TestParseGetCredentialReportJSONErrors(t *testing.T) {
	page := func(gen, content, truncated string) string {
		return `{"GeneratedTime":"` + gen + `","Content":"` + content + `","IsTruncated":"` + truncated + `"}`
	}
	tests := []struct {
		name    string
		json    string
		wantErr string
	}{
		{"empty", "  ", "empty input"},
		{"not JSON", "user,x\n", "not a JSON object or array"},
		{"invalid JSON", `{"Content":`, "invalid JSON"},
		{"trailing data", page(generated, b64("h\n"), "false") + "{}", "invalid JSON"},
		{"empty array", "[]", "empty array"},
		{"null", "[null]", "page 1 of 1: null"},
		{"no Content", `{"GeneratedTime":"` + generated + `"}`, "missing Content: not a GetCredentialReport response"},
		{"error response", `{"Code":"Expired.CredentialReport","Message":"The credential report has been expired.","RequestId":"R"}`,
			`error response: Code "Expired.CredentialReport", Message "The credential report has been expired."`},
		{"wrapper with error body", `{"statusCode":410,"body":{"Code":"Expired.CredentialReport"}}`, `Code "Expired.CredentialReport"`},
		{"wrapper body not an object", `{"statusCode":200,"body":"text"}`, "body is not a JSON object"},
		{"non-Base64 Content", page(generated, "user,user_creation_time", "false"), "page 1 of 1: Content is not valid standard Base64"},
		{"non-Base64 on page 2", "[" + page(generated, b64("h\n"), "true") + "," + page(generated, "%%%", "false") + "]",
			"page 2 of 2: Content is not valid standard Base64"},
		{"different GeneratedTime", "[" + page(generated, b64("h\n"), "true") + "," + page("2026-12-04T10:00:00Z", b64("r\n"), "false") + "]",
			"page 2 of 2 has GeneratedTime"},
		{"last page truncated", page(generated, b64("h\n"), "true"), "pages are missing"},
		{"missing GeneratedTime", `{"Content":"` + b64("h\n") + `"}`, "missing GeneratedTime"},
		{"invalid GeneratedTime", page("yesterday", b64("h\n"), "false"), `invalid GeneratedTime "yesterday"`},
		{"invalid IsTruncated", page(generated, b64("h\n"), "maybe"), `invalid IsTruncated "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseGetCredentialReportJSON([]byte(tt.json))
			if err == nil {
				t.Fatalf("succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
