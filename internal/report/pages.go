package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Page is one GetCredentialReport response (IMS API version 2019-08-15): a
// page of Alibaba Cloud's own report.
type Page struct {
	// Content is the page's part of the CSV, in standard Base64.
	Content string `json:"Content"`
	// GeneratedTime is when the report was generated, such as
	// 2020-10-19T15:06:52Z. It is the same on every page of one report.
	GeneratedTime string `json:"GeneratedTime"`
	// IsTruncated is true when more pages follow. The API returns it as the
	// string "true" or "false"; UnmarshalJSON also accepts a JSON bool.
	IsTruncated bool `json:"IsTruncated"`
	// NextToken requests the next page.
	NextToken string `json:"NextToken"`
}

// UnmarshalJSON decodes one response object. Field names are matched without
// regard to case and unknown fields such as RequestId are ignored. Content
// must be present. IsTruncated may be a JSON bool, a string "true" or
// "false" in any case, an empty string, null or absent (the last three mean
// false).
func (p *Page) UnmarshalJSON(data []byte) error {
	var raw struct {
		Content       *string
		GeneratedTime string
		IsTruncated   json.RawMessage
		NextToken     string
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw.Content == nil {
		return errors.New("missing Content: not a GetCredentialReport response")
	}
	truncated, err := parseTruncated(raw.IsTruncated)
	if err != nil {
		return err
	}
	*p = Page{
		Content:       *raw.Content,
		GeneratedTime: raw.GeneratedTime,
		IsTruncated:   truncated,
		NextToken:     raw.NextToken,
	}
	return nil
}

func parseTruncated(raw json.RawMessage) (bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return false, fmt.Errorf("invalid IsTruncated %s: want \"true\", \"false\" or a JSON bool", raw)
	}
	switch {
	case strings.EqualFold(s, "true"):
		return true, nil
	case strings.EqualFold(s, "false"), s == "":
		return false, nil
	}
	return false, fmt.Errorf("invalid IsTruncated %q: want \"true\", \"false\" or a JSON bool", s)
}

// JoinPages decodes the Base64 Content of each page exactly once and joins
// the pages into one CSV. It fails when a page's Content is not valid
// standard Base64 (naming the page, counted from 1), when the pages differ
// in GeneratedTime (the report was regenerated while it was paged), or when
// the last page is truncated (pages are missing). A later page that starts
// with the header line of the first has that line dropped. Pages are joined
// with exactly one line break: one is added where a page does not end with
// one, and blank lines at the start of a later page are dropped. The line
// break added is CRLF when the header ends with CRLF, else LF. The end of the
// last page is left as it is.
func JoinPages(pages []Page) ([]byte, error) {
	if len(pages) == 0 {
		return nil, errors.New("join report pages: no pages")
	}

	decoded := make([][]byte, len(pages))
	size := 0
	for i := range pages {
		data, err := base64.StdEncoding.DecodeString(pages[i].Content)
		if err != nil {
			return nil, fmt.Errorf("join report pages: page %d of %d: Content is not valid standard Base64: %w", i+1, len(pages), err)
		}
		if i > 0 && !sameGeneratedTime(pages[0].GeneratedTime, pages[i].GeneratedTime) {
			return nil, fmt.Errorf("join report pages: page %d of %d has GeneratedTime %q, page 1 has %q: the report was regenerated while it was read; read all pages again",
				i+1, len(pages), pages[i].GeneratedTime, pages[0].GeneratedTime)
		}
		decoded[i] = data
		size += len(data) + 2
	}
	if last := pages[len(pages)-1]; last.IsTruncated {
		return nil, fmt.Errorf("join report pages: the last of %d pages is truncated: pages are missing; request the next with NextToken %q",
			len(pages), last.NextToken)
	}

	out := make([]byte, 0, size)
	var header []byte // the first line, without its line break
	lineBreak := "\n"
	for _, data := range decoded {
		if header == nil {
			if len(data) == 0 {
				continue
			}
			header, lineBreak = firstLine(bytes.TrimPrefix(data, []byte(utf8BOM)))
			out = append(out, data...)
			continue
		}

		// NOTE: whether GetCredentialReport repeats the header on later pages
		// is undocumented, so a page with or without it is accepted.
		data = bytes.TrimPrefix(data, []byte(utf8BOM))
		if line, _ := firstLine(data); bytes.Equal(line, header) {
			data = data[len(line):]
		}
		data = bytes.TrimLeft(data, "\r\n")
		if len(data) == 0 {
			continue
		}
		if out[len(out)-1] != '\n' {
			out = append(out, lineBreak...)
		}
		out = append(out, data...)
	}
	return out, nil
}

// firstLine returns the first line of data without its line break, and the
// line break: "\r\n" when the line ends with CRLF, else "\n".
func firstLine(data []byte) (line []byte, lineBreak string) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		return data, "\n"
	}
	if i > 0 && data[i-1] == '\r' {
		return data[:i-1], "\r\n"
	}
	return data[:i], "\n"
}

// sameGeneratedTime compares two GeneratedTime values as instants when both
// are RFC 3339 timestamps, else as text.
func sameGeneratedTime(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339, a)
	tb, errB := time.Parse(time.RFC3339, b)
	if errA == nil && errB == nil {
		return ta.Equal(tb)
	}
	return a == b
}

// ParseGetCredentialReportJSON reads saved GetCredentialReport output and
// returns the joined CSV and the report's GeneratedTime in UTC. It accepts
// one response object, a JSON array of response objects (the pages in
// order), and the wrapper the Darabonba SDKs (alibabacloud-go) return,
// {"headers": ..., "statusCode": ..., "body": {response}}, alone or in an
// array. An error response such as {"Code": "Expired.CredentialReport"} is
// an error naming the code. Pages are joined by JoinPages, so a last page
// that is still truncated is an error.
func ParseGetCredentialReportJSON(data []byte) ([]byte, time.Time, error) {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte(utf8BOM)))
	var pages []Page
	switch {
	case len(data) == 0:
		return nil, time.Time{}, errors.New("read GetCredentialReport response: empty input")
	case data[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return nil, time.Time{}, fmt.Errorf("read GetCredentialReport response: invalid JSON: %w", err)
		}
		if len(items) == 0 {
			return nil, time.Time{}, errors.New("read GetCredentialReport response: empty array: want one response object per page")
		}
		for i, item := range items {
			page, err := decodePage(item)
			if err != nil {
				return nil, time.Time{}, fmt.Errorf("read GetCredentialReport response: page %d of %d: %w", i+1, len(items), err)
			}
			pages = append(pages, page)
		}
	case data[0] == '{':
		page, err := decodePage(data)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("read GetCredentialReport response: %w", err)
		}
		pages = []Page{page}
	default:
		return nil, time.Time{}, errors.New("read GetCredentialReport response: not a JSON object or array")
	}

	generated := pages[0].GeneratedTime
	if generated == "" {
		return nil, time.Time{}, errors.New("read GetCredentialReport response: missing GeneratedTime")
	}
	at, err := time.Parse(time.RFC3339, generated)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read GetCredentialReport response: invalid GeneratedTime %q: want an RFC 3339 timestamp", generated)
	}
	csv, err := JoinPages(pages)
	if err != nil {
		return nil, time.Time{}, err
	}
	return csv, at.UTC(), nil
}

// decodePage decodes one response object, unwrapping an SDK wrapper's body.
func decodePage(data []byte) (Page, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return Page{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if fields == nil {
		return Page{}, errors.New("null: want a response object")
	}
	if _, ok := lookupField(fields, "Content"); !ok {
		if body, ok := lookupField(fields, "body"); ok {
			fields = nil
			if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
				return Page{}, errors.New("body is not a JSON object: want the response object")
			}
			data = body
		}
	}
	if _, ok := lookupField(fields, "Content"); !ok {
		if code, ok := lookupField(fields, "Code"); ok {
			var message json.RawMessage
			message, _ = lookupField(fields, "Message")
			return Page{}, fmt.Errorf("error response: Code %s, Message %s", code, message)
		}
		return Page{}, errors.New("missing Content: not a GetCredentialReport response")
	}

	var page Page
	if err := json.Unmarshal(data, &page); err != nil {
		return Page{}, err
	}
	return page, nil
}

// lookupField finds a JSON object field without regard to case, as
// encoding/json matches struct fields.
func lookupField(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if v, ok := fields[name]; ok {
		return v, true
	}
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}
