package ram

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/credreport/credreport/internal/fixture"
)

// Native report rules: a report lives four hours, and GetCredentialReport
// pages by MaxItems data rows (1..3501, default 3501: 3,500 users and the root).
const (
	nativeReportLifetime = 4 * time.Hour
	defaultReportPage    = 3501
	maxReportPage        = 3501
)

// States of GenerateCredentialReport.
const (
	stateStarted    = "STARTED"
	stateInProgress = "INPROGRESS"
	stateCompleted  = "COMPLETED"
)

// nativeReport is Alibaba's own credential report for the account and its
// generation lifecycle.
type nativeReport struct {
	content []byte
	// records are the byte offsets where each CSV record starts, followed by
	// len(content). Record 0 is the header, and the data rows follow.
	records    []int
	readyAfter time.Duration

	mu        sync.Mutex
	generated *time.Time // the current report's generation time, or nil when there is none
	started   *time.Time // the start of a running generation, or nil when none runs
}

// newNativeReport prepares the native report of a, or returns nil when the
// account has none.
func newNativeReport(a *fixture.Account) (*nativeReport, error) {
	if a.NativeReport == nil {
		return nil, nil
	}
	if a.NativeCSV == nil {
		return nil, fmt.Errorf("native_report names %q but its bytes are not loaded: load the fixture with fixture.Load or set NativeCSV",
			a.NativeReport.CSV)
	}
	n := &nativeReport{
		content:    a.NativeCSV,
		records:    csvRecordStarts(a.NativeCSV),
		readyAfter: a.NativeReport.ReadyAfter(),
	}
	if t := a.NativeReport.GeneratedTime; t != nil {
		generated := *t
		n.generated = &generated
	}
	return n, nil
}

// csvRecordStarts returns the offset of every CSV record in data, then
// len(data). A newline inside a quoted field does not end a record.
func csvRecordStarts(data []byte) []int {
	if len(data) == 0 {
		return []int{0, 0}
	}
	starts := []int{0}
	inQuotes := false
	for i, c := range data {
		switch {
		case c == '"':
			inQuotes = !inQuotes
		case c == '\n' && !inQuotes && i+1 < len(data):
			starts = append(starts, i+1)
		}
	}
	return append(starts, len(data))
}

// settle finishes a running generation once readyAfter has passed. The
// caller holds n.mu.
func (n *nativeReport) settle(now time.Time) {
	if n.started != nil && !now.Before(n.started.Add(n.readyAfter)) {
		n.generated = n.started
		n.started = nil
	}
}

// NOTE: IMS documents neither the error for "no report yet or still
// generating" nor the one for an account too large for a report. 404
// EntityNotExist.CredentialReport and 409 LimitExceeded.User are the
// fixture format's choices, so a product must not depend on these codes.
func errReportUnavailable() *apiError {
	return newError(http.StatusConflict, "LimitExceeded.User",
		"The credential report cannot be generated for this account: it has more than 3500 RAM users.")
}

// generateCredentialReport serves GenerateCredentialReport. A report under
// four hours old is kept (COMPLETED). Otherwise a generation starts (STARTED)
// and runs for readyAfter (INPROGRESS) before the report exists (COMPLETED).
func (s *Server) generateCredentialReport(c *call) (any, *apiError) {
	type response struct {
		RequestId string `json:"RequestId"`
		State     string `json:"State"`
	}
	n := s.native
	if n == nil {
		return nil, errReportUnavailable()
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	n.settle(c.now)
	state := stateCompleted
	switch {
	case n.started != nil:
		state = stateInProgress
	case n.generated == nil || c.now.Sub(*n.generated) >= nativeReportLifetime:
		start := c.now
		n.started = &start
		state = stateStarted
		// A generation that needs no time is done at once, so the next call finds the report.
		n.settle(c.now)
	}
	return response{RequestId: c.requestID, State: state}, nil
}

// getCredentialReport serves GetCredentialReport: one page of the report, Base64-encoded.
func (s *Server) getCredentialReport(c *call) (any, *apiError) {
	type response struct {
		RequestId     string `json:"RequestId"`
		GeneratedTime string `json:"GeneratedTime"`
		Content       string `json:"Content"`
		IsTruncated   string `json:"IsTruncated"` // "true" or "false": IMS sends a string here
		NextToken     string `json:"NextToken"`
	}
	n := s.native
	if n == nil {
		return nil, errReportUnavailable()
	}
	pageSize, e := parseMaxItems(c.param("MaxItems"), defaultReportPage, maxReportPage)
	if e != nil {
		return nil, e
	}

	// The report's state at the emulator clock.
	n.mu.Lock()
	n.settle(c.now)
	generated, running := n.generated, n.started != nil
	n.mu.Unlock()
	switch {
	case running || generated == nil:
		return nil, newError(http.StatusNotFound, "EntityNotExist.CredentialReport",
			"No credential report is ready: call GenerateCredentialReport and wait for COMPLETED.")
	case c.now.Sub(*generated) >= nativeReportLifetime:
		return nil, newError(http.StatusGone, "Expired.CredentialReport",
			"The credential report generated at %s has expired: call GenerateCredentialReport for a new one.",
			generated.UTC().Format(timeLayout))
	}

	// The page: the header, then pageSize data rows, on the first page only.
	// Data row i spans records[i+1] to records[i+2].
	rows := len(n.records) - 2
	start, e := parseReportToken(c.param("NextToken"), *generated, rows)
	if e != nil {
		return nil, e
	}
	end := min(start+pageSize, rows)
	from, to := n.records[start+1], n.records[end+1]
	if start == 0 {
		from = 0
	}

	out := response{
		RequestId:     c.requestID,
		GeneratedTime: generated.UTC().Format(timeLayout),
		Content:       base64.StdEncoding.EncodeToString(n.content[from:to]),
		IsTruncated:   "false",
	}
	if end < rows {
		out.IsTruncated = "true"
		out.NextToken = formatReportToken(*generated, end)
	}
	return out, nil
}

// formatReportToken makes the opaque NextToken of a report page: the
// report's generation time and the index of the next data row.
func formatReportToken(generated time.Time, row int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(generated.UnixNano(), 10) + "@" + strconv.Itoa(row)))
}

// parseReportToken returns the data row a NextToken points at. An empty token
// is the first page. A token of an earlier report is rejected.
func parseReportToken(token string, generated time.Time, rows int) (int, *apiError) {
	if token == "" {
		return 0, nil
	}
	invalid := errInvalidParameter("NextToken",
		"NextToken %q does not belong to the current credential report: start again without NextToken.", token)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, invalid
	}
	stamp, rowText, ok := strings.Cut(string(raw), "@")
	if !ok || stamp != strconv.FormatInt(generated.UnixNano(), 10) {
		return 0, invalid
	}
	row, err := strconv.Atoi(rowText)
	if err != nil || row < 1 || row >= rows {
		return 0, invalid
	}
	return row, nil
}
