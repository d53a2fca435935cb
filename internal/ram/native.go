package ram

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
)

// Generation states of GenerateCredentialReport. Alibaba documents
// COMPLETED; COMPLETE is AWS's word, accepted in case a gateway uses it.
const (
	stateStarted    = "STARTED"
	stateInProgress = "INPROGRESS"
	stateCompleted  = "COMPLETED"
	stateComplete   = "COMPLETE"
)

// nativeReport is Alibaba's own report: its bytes, unchanged, and when it was generated.
type nativeReport struct {
	csv       []byte
	generated time.Time
}

// Polling bounds while a native report is being generated.
const (
	pollFirst = 250 * time.Millisecond
	pollMax   = 5 * time.Second
	// pageRestarts bounds how often reading restarts because the report was
	// regenerated between two pages.
	pageRestarts = 3
)

// errNativeNotReady marks a native report that did not become available in time.
var errNativeNotReady = errors.New("the native credential report was not generated in time")

// fetchNative returns the current native report, generating a new one and
// waiting for it when there is none or it has expired.
func (c *Client) fetchNative(ctx context.Context) (*nativeReport, error) {
	got, err := c.readNative(ctx)
	if err == nil || !reportMissing(err) {
		return got, err
	}
	wait := pollFirst
	for {
		state, err := c.generateReport(ctx)
		if err != nil {
			return nil, err
		}
		if state == stateCompleted || state == stateComplete {
			got, err := c.readNative(ctx)
			if err == nil || !reportMissing(err) {
				return got, err
			}
			// Completed but not yet readable: keep polling.
		}
		// STARTED, INPROGRESS and any state this code does not know mean "not yet".
		jittered := wait/2 + rand.N(wait/2+1)
		if err := sleep(ctx, jittered); err != nil {
			return nil, kind.Errorf(kind.DeadlineExceeded, "GenerateCredentialReport: %w (last state %q): %w", errNativeNotReady, state, err)
		}
		wait = min(wait*3/2, pollMax)
	}
}

// reportMissing reports whether GetCredentialReport returned that there is no usable
// report yet: expired (410 Expired.CredentialReport, seen on real accounts)
// or not found. Alibaba does not document the code for "never generated" or
// "generating", so any not-found answer counts, not just
// EntityNotExist.CredentialReport.
func reportMissing(err error) bool {
	return isCode(err, codeReportExpired) || kind.Is(err, kind.NotFound)
}

// readNative reads every page of the current native report and joins them.
func (c *Client) readNative(ctx context.Context) (*nativeReport, error) {
	for restart := 0; ; restart++ {
		var pages []report.Page
		token := ""
		consistent := true
		for {
			page, err := c.reportPage(ctx, token, 0)
			if err != nil {
				return nil, err
			}
			if len(pages) > 0 && page.GeneratedTime != pages[0].GeneratedTime {
				consistent = false
				break
			}
			pages = append(pages, page)
			if !page.IsTruncated {
				break
			}
			if page.NextToken == "" || page.NextToken == token {
				return nil, kind.Errorf(kind.Internal, "GetCredentialReport: truncated page %d without a new NextToken", len(pages))
			}
			token = page.NextToken
		}
		if !consistent {
			// The report was regenerated while being read; read the new one.
			if restart < pageRestarts {
				continue
			}
			return nil, kind.Errorf(kind.Unavailable, "GetCredentialReport: the report changed while being read %d times", pageRestarts+1)
		}
		csv, err := report.JoinPages(pages)
		if err != nil {
			return nil, kind.Errorf(kind.Internal, "GetCredentialReport: %w", err)
		}
		generated, err := time.Parse(time.RFC3339, pages[0].GeneratedTime)
		if err != nil {
			return nil, kind.Errorf(kind.Internal, "GetCredentialReport: invalid GeneratedTime %q", pages[0].GeneratedTime)
		}
		return &nativeReport{csv: csv, generated: generated.UTC()}, nil
	}
}

// nativeUnavailableReason returns why the native report cannot be had, in
// words for the metadata, or "" when err would fail a build as well: bad
// credentials, a canceled run, or a deadline that has passed.
func nativeUnavailableReason(err error) string {
	switch {
	case isCode(err, codeReportUserLimit):
		return "native report unavailable: the account has more RAM users than Alibaba's report covers (3,500)"
	case kind.Is(err, kind.PermissionDenied):
		return "native report unavailable: permission denied for GenerateCredentialReport or GetCredentialReport"
	case errors.Is(err, errNativeNotReady):
		return "native report unavailable: not generated within the time allowed"
	case kind.Is(err, kind.Unauthenticated), kind.Is(err, kind.Canceled), kind.Is(err, kind.DeadlineExceeded):
		return ""
	case ErrorCode(err) != "":
		// Alibaba documents few of the native report's error codes, so any
		// other service error counts as "unavailable", with its code.
		return "native report unavailable: " + ErrorCode(err)
	}
	return "native report unavailable: " + kind.Of(err).String()
}
