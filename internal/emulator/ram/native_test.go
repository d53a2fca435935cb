package ram

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
)

// basicReportTime is the generated_time of the basic fixture's native report.
var basicReportTime = time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)

// fetchReport pages through GetCredentialReport and returns the decoded bytes
// and the pages.
func fetchReport(t *testing.T, c *ims.Client, maxItems string) ([]byte, []*ims.GetCredentialReportResponse) {
	t.Helper()
	var content []byte
	var pages []*ims.GetCredentialReportResponse
	token := ""
	for {
		req := ims.CreateGetCredentialReportRequest()
		req.Scheme = "http"
		req.MaxItems = maxItems
		req.NextToken = token
		resp, err := c.GetCredentialReport(req)
		if err != nil {
			t.Fatalf("GetCredentialReport page %d: %v", len(pages), err)
		}
		part, err := base64.StdEncoding.DecodeString(resp.Content)
		if err != nil {
			t.Fatalf("page %d Content is not standard Base64: %v", len(pages), err)
		}
		content = append(content, part...)
		pages = append(pages, resp)
		if resp.IsTruncated != "true" {
			if resp.IsTruncated != "false" {
				t.Fatalf("IsTruncated = %q, want \"true\" or \"false\"", resp.IsTruncated)
			}
			return content, pages
		}
		if resp.NextToken == "" || len(pages) > 1000 {
			t.Fatalf("page %d is truncated with NextToken %q", len(pages), resp.NextToken)
		}
		token = resp.NextToken
	}
}

func TestGetCredentialReportPaging(t *testing.T) {
	a := loadFixture(t, "basic")
	clock := newFakeClock(basicReportTime.Add(time.Hour))
	_, ts := startServer(t, a, Options{Now: clock.Now, SkipTimestampCheck: true})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	// Default page: the whole report at once.
	content, pages := fetchReport(t, c, "")
	if !bytes.Equal(content, a.NativeCSV) {
		t.Errorf("report = %q, want the native CSV %q", content, a.NativeCSV)
	}
	if len(pages) != 1 || pages[0].GeneratedTime != "2026-12-04T06:00:00Z" || pages[0].NextToken != "" {
		t.Errorf("default paging: %d pages, first %+v; want one page generated 2026-12-04T06:00:00Z", len(pages), pages[0])
	}

	// Three rows per page: 8 data rows make pages of 3, 3 and 2, with the header on the first.
	content, pages = fetchReport(t, c, "3")
	if !bytes.Equal(content, a.NativeCSV) {
		t.Errorf("joined pages differ from the native CSV:\n%s", content)
	}
	if len(pages) != 3 {
		t.Fatalf("pages = %d, want 3", len(pages))
	}
	lines := bytes.SplitAfter(a.NativeCSV, []byte("\n"))
	wantFirst := bytes.Join(lines[:4], nil)
	if first, _ := base64.StdEncoding.DecodeString(pages[0].Content); !bytes.Equal(first, wantFirst) {
		t.Errorf("first page = %q, want the header and 3 rows %q", first, wantFirst)
	}
	if second, _ := base64.StdEncoding.DecodeString(pages[1].Content); bytes.HasPrefix(second, []byte("user,")) {
		t.Errorf("second page repeats the header: %q", second)
	}
}

func TestGetCredentialReportLargePaging(t *testing.T) {
	a := loadFixture(t, "paging-1234")
	clock := newFakeClock(a.NativeReport.GeneratedTime.Add(time.Minute))
	_, ts := startServer(t, a, Options{Now: clock.Now, SkipTimestampCheck: true})
	c := imsClient(t, ts, a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret)

	content, pages := fetchReport(t, c, "500")
	if !bytes.Equal(content, a.NativeCSV) {
		t.Errorf("joined pages (%d bytes) differ from the native CSV (%d bytes)", len(content), len(a.NativeCSV))
	}
	// 1,235 data rows: the root and 1,234 users.
	if len(pages) != 3 {
		t.Errorf("pages = %d, want 3", len(pages))
	}
}

func TestGetCredentialReportBadParameters(t *testing.T) {
	clock := newFakeClock(basicReportTime.Add(time.Hour))
	_, ts := startServer(t, loadFixture(t, "basic"), Options{Now: clock.Now, SkipTimestampCheck: true})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	for _, maxItems := range []string{"0", "3502", "ten"} {
		req := ims.CreateGetCredentialReportRequest()
		req.Scheme = "http"
		req.MaxItems = maxItems
		_, err := c.GetCredentialReport(req)
		wantServerError(t, err, http.StatusBadRequest, "InvalidParameter.MaxItems")
	}
	req := ims.CreateGetCredentialReportRequest()
	req.Scheme = "http"
	req.NextToken = "bm90LWEtdG9rZW4"
	_, err := c.GetCredentialReport(req)
	wantServerError(t, err, http.StatusBadRequest, "InvalidParameter.NextToken")
}

func generateReport(t *testing.T, c *ims.Client) string {
	t.Helper()
	req := ims.CreateGenerateCredentialReportRequest()
	req.Scheme = "http"
	resp, err := c.GenerateCredentialReport(req)
	if err != nil {
		t.Fatalf("GenerateCredentialReport: %v", err)
	}
	return resp.State
}

func getReport(c *ims.Client) (*ims.GetCredentialReportResponse, error) {
	req := ims.CreateGetCredentialReportRequest()
	req.Scheme = "http"
	return c.GetCredentialReport(req)
}

func TestNativeReportLifecycle(t *testing.T) {
	a := loadFixture(t, "basic")
	a.NativeReport.GeneratedTime = nil // no report was ever generated
	start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	clock := newFakeClock(start)
	_, ts := startServer(t, a, Options{Now: clock.Now, SkipTimestampCheck: true})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	_, err := getReport(c)
	wantServerError(t, err, http.StatusNotFound, "EntityNotExist.CredentialReport")

	if got := generateReport(t, c); got != "STARTED" {
		t.Fatalf("first Generate = %s, want STARTED", got)
	}
	clock.Advance(100 * time.Millisecond)
	if got := generateReport(t, c); got != "INPROGRESS" {
		t.Fatalf("Generate during generation = %s, want INPROGRESS", got)
	}
	_, err = getReport(c)
	wantServerError(t, err, http.StatusNotFound, "EntityNotExist.CredentialReport")

	// ready_after_ms defaults to 500 ms after the start.
	clock.Advance(400 * time.Millisecond)
	if got := generateReport(t, c); got != "COMPLETED" {
		t.Fatalf("Generate after 500ms = %s, want COMPLETED", got)
	}
	resp, err := getReport(c)
	if err != nil {
		t.Fatalf("GetCredentialReport after COMPLETED: %v", err)
	}
	if resp.GeneratedTime != "2026-12-05T08:00:00Z" {
		t.Errorf("GeneratedTime = %s, want the generation start 2026-12-05T08:00:00Z", resp.GeneratedTime)
	}
	if got, _ := base64.StdEncoding.DecodeString(resp.Content); !bytes.Equal(got, a.NativeCSV) {
		t.Errorf("report content differs from the native CSV")
	}

	// Within four hours Generate changes nothing.
	clock.Advance(3 * time.Hour)
	if got := generateReport(t, c); got != "COMPLETED" {
		t.Errorf("Generate 3h later = %s, want COMPLETED", got)
	}
	if resp, err := getReport(c); err != nil || resp.GeneratedTime != "2026-12-05T08:00:00Z" {
		t.Errorf("report 3h later: %v, %+v; want the 08:00:00 report", err, resp)
	}

	// Four hours after the start the report has expired, until a new generation finishes.
	clock.Advance(time.Hour - 500*time.Millisecond)
	_, err = getReport(c)
	wantServerError(t, err, http.StatusGone, "Expired.CredentialReport")
	if got := generateReport(t, c); got != "STARTED" {
		t.Errorf("Generate on an expired report = %s, want STARTED", got)
	}
	clock.Advance(time.Second)
	resp, err = getReport(c)
	if err != nil {
		t.Fatalf("GetCredentialReport after regeneration: %v", err)
	}
	if resp.GeneratedTime != "2026-12-05T12:00:00Z" {
		t.Errorf("GeneratedTime = %s, want 2026-12-05T12:00:00Z", resp.GeneratedTime)
	}
}

func TestNativeReportFreshAndExpired(t *testing.T) {
	clock := newFakeClock(basicReportTime.Add(2 * time.Hour))
	_, ts := startServer(t, loadFixture(t, "basic"), Options{Now: clock.Now, SkipTimestampCheck: true})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	if got := generateReport(t, c); got != "COMPLETED" {
		t.Errorf("Generate with a 2h old report = %s, want COMPLETED", got)
	}
	resp, err := getReport(c)
	if err != nil || resp.GeneratedTime != "2026-12-04T06:00:00Z" {
		t.Fatalf("GetCredentialReport: %v, %+v; want the fixture's report", err, resp)
	}

	clock.Advance(2 * time.Hour) // exactly four hours old
	_, err = getReport(c)
	wantServerError(t, err, http.StatusGone, "Expired.CredentialReport")
}

func TestNativeReportZeroReadyAfter(t *testing.T) {
	a := loadFixture(t, "basic")
	a.NativeReport.GeneratedTime = nil
	zero := 0
	a.NativeReport.ReadyAfterMS = &zero
	clock := newFakeClock(basicReportTime)
	_, ts := startServer(t, a, Options{Now: clock.Now, SkipTimestampCheck: true})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	if got := generateReport(t, c); got != "STARTED" {
		t.Fatalf("Generate = %s, want STARTED", got)
	}
	if _, err := getReport(c); err != nil {
		t.Errorf("GetCredentialReport right after an instant generation: %v", err)
	}
	if got := generateReport(t, c); got != "COMPLETED" {
		t.Errorf("second Generate = %s, want COMPLETED", got)
	}
}

func TestNoNativeReport(t *testing.T) {
	a := loadFixture(t, "no-native-report")
	_, ts := startServer(t, a, Options{})
	c := imsClient(t, ts, a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret)

	_, err := getReport(c)
	wantServerError(t, err, http.StatusConflict, "LimitExceeded.User")
	req := ims.CreateGenerateCredentialReportRequest()
	req.Scheme = "http"
	_, err = c.GenerateCredentialReport(req)
	wantServerError(t, err, http.StatusConflict, "LimitExceeded.User")
}

func TestNativeReportNotLoaded(t *testing.T) {
	a := loadFixture(t, "basic")
	a.NativeCSV = nil
	if _, err := New(a, Options{}); err == nil {
		t.Errorf("New with a native report but no bytes: got no error")
	}
}

func TestCSVRecordStarts(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"", []int{0, 0}},
		{"h\n", []int{0, 2}},
		{"h\na\nb", []int{0, 2, 4, 5}},
		{"h\na\nb\n", []int{0, 2, 4, 6}},
		{"h\n\"a\nb\",c\nd\n", []int{0, 2, 10, 12}},
		{"h\r\na\r\n", []int{0, 3, 6}},
	}
	for _, tt := range tests {
		got := csvRecordStarts([]byte(tt.in))
		if len(got) != len(tt.want) {
			t.Errorf("csvRecordStarts(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("csvRecordStarts(%q) = %v, want %v", tt.in, got, tt.want)
				break
			}
		}
	}
}
