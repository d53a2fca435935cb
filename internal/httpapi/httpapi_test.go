package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	emulator "github.com/credreport/credreport/internal/emulator/oss"
	"github.com/credreport/credreport/internal/httpapi"
	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/ram"
	"github.com/credreport/credreport/internal/report"
	"github.com/credreport/credreport/internal/reportsvc"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/driver"
	"github.com/credreport/credreport/internal/store/ossdriver"
	"github.com/credreport/credreport/internal/store/storetest"
)

const (
	testAccount = "5123456789012345"
	testBucket  = "credreport-local"
	testRegion  = "cn-hangzhou"
	testToken   = "api-token-7f3c9a"
)

var (
	stsKey = ossdriver.Credentials{AccessKeyID: "STS.NTempKey", AccessKeySecret: "sts-secret-value", SecurityToken: "sts-token-value"}

	// t0 is the fake clock of the store, the service and the handler. The
	// OSS emulator runs on the real clock, because the SDK signs with it.
	t0 = time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
)

// generator is a reportsvc.Generator that builds a small report for the
// requested account at the clock's time, or fails with err when it is set.
type generator struct {
	clk *storetest.Clock
	err error

	mu    sync.Mutex
	calls int
}

func (g *generator) Generate(ctx context.Context, src ram.Source, opts ram.Options) (*ram.Generation, error) {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()

	if g.err != nil {
		return nil, g.err
	}
	meta, csv := storetest.NewReport(opts.AccountID, g.clk.Now(), report.SourceBuild)
	return &ram.Generation{CSV: csv, Metadata: meta}, nil
}

func (g *generator) callCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// faultDriver wraps a driver. With tamper set, Open returns the bytes of
// reports upper-cased, as if the stored object had been changed. With
// hideLocks set, Open of a lock object fails with NotFound, as it does when
// another process deletes the object between listing and reading it.
type faultDriver struct {
	driver.Driver
	tamper    atomic.Bool
	hideLocks atomic.Bool
}

func (d *faultDriver) Open(ctx context.Context, key string) (io.ReadCloser, driver.Attributes, error) {
	if d.hideLocks.Load() && strings.Contains(key, "/locks/") {
		return nil, driver.Attributes{}, kind.Errorf(kind.NotFound, "open %q: no such object", key)
	}
	rc, attrs, err := d.Driver.Open(ctx, key)
	if err != nil || !d.tamper.Load() || !strings.Contains(key, "/reports/") {
		return rc, attrs, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, driver.Attributes{}, err
	}
	return io.NopCloser(bytes.NewReader(bytes.ToUpper(data))), attrs, nil
}

// env is a handler over a report service and a store on an OSS emulator
// served on loopback.
type env struct {
	// ossURL is the emulator's endpoint.
	ossURL string
	clk    *storetest.Clock
	drv    *faultDriver
	store  *store.Store
	gen    *generator
	cfg    httpapi.Config
	deps   httpapi.Deps

	mu       sync.Mutex
	outcomes []httpapi.Outcome
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, err := emulator.New(emulator.Options{
		Credentials: []emulator.Credential{{AccessKeyID: stsKey.AccessKeyID, AccessKeySecret: stsKey.AccessKeySecret, SecurityToken: stsKey.SecurityToken}},
		Buckets:     []string{testBucket},
		Region:      testRegion,
	})
	if err != nil {
		t.Fatalf("start OSS emulator: %v", err)
	}
	ossServer := httptest.NewServer(srv)
	t.Cleanup(ossServer.Close)

	e := &env{ossURL: ossServer.URL, clk: storetest.NewClock(t0)}
	e.drv = &faultDriver{Driver: newOSSDriver(t, e.ossURL, stsKey)}
	e.store = store.New(e.drv, store.Options{Now: e.clk.Now})
	e.gen = &generator{clk: e.clk}
	svc := reportsvc.New(e.store, reportsvc.Config{
		Source:             ram.SourceBuild,
		MaxAge:             4 * time.Hour,
		TimerMargin:        15 * time.Minute,
		MinRefreshInterval: 5 * time.Minute,
		GeneratorName:      "credreport/test",
		Now:                e.clk.Now,
	})
	e.cfg = httpapi.Config{AuthToken: testToken, Now: e.clk.Now}
	e.deps = httpapi.Deps{
		Service:   svc,
		Store:     e.store,
		Generator: e.gen,
		AccountID: testAccount,
		Owner:     "request-1",
		OnOutcome: func(out httpapi.Outcome) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.outcomes = append(e.outcomes, out)
		},
	}
	return e
}

func newOSSDriver(t *testing.T, endpoint string, creds ossdriver.Credentials) *ossdriver.Driver {
	t.Helper()
	d, err := ossdriver.New(ossdriver.Config{
		Endpoint:    endpoint,
		Region:      testRegion,
		Bucket:      testBucket,
		Credentials: ossdriver.StaticCredentials(creds),
		MaxRetries:  -1,
	})
	if err != nil {
		t.Fatalf("ossdriver.New: %v", err)
	}
	return d
}

// handler returns a Handler with the env's current configuration, as the
// function builds one for each request.
func (e *env) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.New(e.cfg, e.deps).ServeHTTP(w, r)
	})
}

// request returns a request that carries the right bearer token.
func (e *env) request(method, target string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Authorization", "Bearer "+testToken)
	return r
}

func (e *env) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.handler().ServeHTTP(rec, r)
	return rec
}

// lastOutcome returns what OnOutcome received for the last request.
func (e *env) lastOutcome(t *testing.T) httpapi.Outcome {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.outcomes) == 0 {
		t.Fatal("OnOutcome was not called")
	}
	return e.outcomes[len(e.outcomes)-1]
}

// putReport stores a report of testAccount that is age old by the fake
// clock and returns it with its bytes.
func (e *env) putReport(t *testing.T, age time.Duration) (store.Entry, []byte) {
	t.Helper()
	meta, csv := storetest.NewReport(testAccount, t0.Add(-age), report.SourceNative)
	entry, err := e.store.Put(context.Background(), meta, bytes.NewReader(csv), int64(len(csv)))
	if err != nil {
		t.Fatalf("Put report %s old: %v", age, err)
	}
	return entry, csv
}

// checkNoReport fails the test when a report of testAccount was stored.
func (e *env) checkNoReport(t *testing.T) {
	t.Helper()
	if _, err := e.store.Latest(context.Background(), testAccount); !kind.Is(err, kind.NotFound) {
		t.Errorf("Latest: err = %v, want not_found: no report should be stored", err)
	}
}

// fetchLoopback GETs a URL with plain net/http and returns the response
// and its body. It rejects any host other than a loopback address.
func fetchLoopback(t *testing.T, rawURL string) (*http.Response, []byte) {
	t.Helper()
	u, err := neturl.Parse(rawURL)
	if err != nil {
		t.Fatal("signed URL does not parse")
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		t.Fatalf("signed URL host %q is not a loopback address", u.Hostname())
	}
	resp, err := http.Get(rawURL)
	if err != nil {
		// The URL grants access until it expires: report the cause only.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		t.Fatalf("GET signed URL: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read signed URL body: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET signed URL: status %d, want 200; body %q", resp.StatusCode, body)
	}
	return resp, body
}

// decodeError checks that rec is a JSON error response and returns its body.
func decodeError(t *testing.T, rec *httptest.ResponseRecorder) httpapi.ErrorBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body httpapi.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("decode error body %q: %v", rec.Body.String(), err)
	}
	if body.Error.Message == "" {
		t.Errorf("error body %q has no message", rec.Body.String())
	}
	return body
}

// wantFileName returns the download name of a report generated at the given time.
func wantFileName(at time.Time) string {
	return "credential-report-" + testAccount + "-" + at.UTC().Format("20060102T150405Z") + ".csv"
}

func TestGetReportSummary(t *testing.T) {
	tests := []struct {
		name string
		// age is the age of the stored report, and a negative age stores none.
		age        time.Duration
		urlExpiry  time.Duration
		wantCached bool
		wantSource string
		wantExpiry time.Duration
	}{
		{"generated without report", -1, 0, false, "build", 15 * time.Minute},
		{"cached fresh report", 3*time.Hour + 30*time.Second, 0, true, "native", 15 * time.Minute},
		{"generated stale report", 4 * time.Hour, 0, false, "build", 15 * time.Minute},
		{"configured URL expiry", time.Hour, 2 * time.Hour, true, "native", 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.URLExpiry = tt.urlExpiry
			wantAt := t0
			if tt.age >= 0 {
				e.putReport(t, tt.age)
				if tt.wantCached {
					wantAt = t0.Add(-tt.age)
				}
			}
			wantMeta, wantCSV := storetest.NewReport(testAccount, wantAt, report.Source(tt.wantSource))

			before := time.Now()
			rec := e.serve(e.request(http.MethodGet, "/report"))
			after := time.Now()

			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}

			var fields map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &fields); err != nil {
				t.Fatalf("decode body %q: %v", rec.Body, err)
			}
			for _, name := range []string{"url", "expires_at", "generated_at", "age_seconds", "source", "user_count", "sha256", "key", "cached"} {
				if _, ok := fields[name]; !ok {
					t.Errorf("summary has no field %q: %s", name, rec.Body)
				}
			}
			var s httpapi.Summary
			if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
				t.Fatalf("decode summary: %v", err)
			}

			latest, err := e.store.Latest(context.Background(), testAccount)
			if err != nil {
				t.Fatalf("Latest: %v", err)
			}
			if s.Key != latest.Key {
				t.Errorf("key = %q, want the latest report %q", s.Key, latest.Key)
			}
			if s.Cached != tt.wantCached {
				t.Errorf("cached = %v, want %v", s.Cached, tt.wantCached)
			}
			if want := wantAt.Format(time.RFC3339); s.GeneratedAt != want {
				t.Errorf("generated_at = %q, want %q", s.GeneratedAt, want)
			}
			if want := int64(t0.Sub(wantAt) / time.Second); s.AgeSeconds != want {
				t.Errorf("age_seconds = %d, want %d", s.AgeSeconds, want)
			}
			if s.Source != tt.wantSource {
				t.Errorf("source = %q, want %q", s.Source, tt.wantSource)
			}
			if s.UserCount != wantMeta.UserCount {
				t.Errorf("user_count = %d, want %d", s.UserCount, wantMeta.UserCount)
			}
			if s.SHA256 != wantMeta.SHA256 {
				t.Errorf("sha256 = %q, want %q", s.SHA256, wantMeta.SHA256)
			}

			expiresAt, err := time.Parse(time.RFC3339, s.ExpiresAt)
			if err != nil {
				t.Fatalf("expires_at %q is not RFC 3339: %v", s.ExpiresAt, err)
			}
			earliest := before.Add(tt.wantExpiry).Truncate(time.Second).Add(-time.Second)
			latestExpiry := after.Add(tt.wantExpiry + time.Second)
			if expiresAt.Before(earliest) || expiresAt.After(latestExpiry) {
				t.Errorf("expires_at = %s, want %s after the request", s.ExpiresAt, tt.wantExpiry)
			}

			resp, body := fetchLoopback(t, s.URL)
			if !bytes.Equal(body, wantCSV) {
				t.Errorf("signed URL body = %q, want %q", body, wantCSV)
			}
			wantCD := fmt.Sprintf("attachment; filename=%q", wantFileName(wantAt))
			if got := resp.Header.Get("Content-Disposition"); got != wantCD {
				t.Errorf("signed URL Content-Disposition = %q, want %q", got, wantCD)
			}
		})
	}
}

func TestGetReportCSV(t *testing.T) {
	tests := []struct {
		name string
		// age is the age of the stored report, and a negative age stores none.
		age        time.Duration
		method     string
		wantCached bool
	}{
		{"generated", -1, http.MethodGet, false},
		{"cached", 90 * time.Minute, http.MethodGet, true},
		{"head cached", 90 * time.Minute, http.MethodHead, true},
		{"head generated", -1, http.MethodHead, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			wantAt, wantSource := t0, report.SourceBuild
			if tt.age >= 0 {
				e.putReport(t, tt.age)
				wantAt, wantSource = t0.Add(-tt.age), report.SourceNative
			}
			wantMeta, wantCSV := storetest.NewReport(testAccount, wantAt, wantSource)

			rec := e.serve(e.request(tt.method, "/report?format=csv"))

			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			latest, err := e.store.Latest(context.Background(), testAccount)
			if err != nil {
				t.Fatalf("Latest: %v", err)
			}
			wantHeaders := map[string]string{
				"Content-Type":              "text/csv; charset=utf-8",
				"Content-Disposition":       fmt.Sprintf("attachment; filename=%q", wantFileName(wantAt)),
				"Cache-Control":             "no-store",
				"X-Credreport-Generated-At": wantAt.Format(time.RFC3339),
				"X-Credreport-Age-Seconds":  strconv.FormatInt(int64(t0.Sub(wantAt)/time.Second), 10),
				"X-Credreport-Source":       string(wantSource),
				"X-Credreport-User-Count":   strconv.Itoa(wantMeta.UserCount),
				"X-Credreport-Sha256":       wantMeta.SHA256,
				"X-Credreport-Key":          latest.Key,
				"X-Credreport-Cached":       strconv.FormatBool(tt.wantCached),
			}
			for name, want := range wantHeaders {
				if got := rec.Header().Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}

			wantBody := wantCSV
			if tt.method == http.MethodHead {
				wantBody = nil
			}
			if !bytes.Equal(rec.Body.Bytes(), wantBody) {
				t.Errorf("body = %q, want %q", rec.Body.Bytes(), wantBody)
			}
		})
	}
}

func TestGetReportCSVOverServer(t *testing.T) {
	e := newEnv(t)
	_, csv := e.putReport(t, time.Hour)
	srv := httptest.NewServer(e.handler())
	defer srv.Close()

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, err := http.NewRequest(method, srv.URL+"/report?format=csv", nil)
		if err != nil {
			t.Fatalf("NewRequest: %v", err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s /report?format=csv: %v", method, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("read body: %v", err)
		}

		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status = %d, want 200", method, resp.StatusCode)
		}
		want := csv
		if method == http.MethodHead {
			want = nil
		}
		if !bytes.Equal(body, want) {
			t.Errorf("%s: body = %q, want %q", method, body, want)
		}
	}
}

func TestGetReportCSVTampered(t *testing.T) {
	e := newEnv(t)
	entry, csv := e.putReport(t, time.Hour)
	e.drv.tamper.Store(true)

	rec := e.serve(e.request(http.MethodGet, "/report?format=csv"))

	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500; body %s", rec.Code, rec.Body)
	}
	if got := decodeError(t, rec).Error.Code; got != "internal" {
		t.Errorf("error code = %q, want internal", got)
	}
	if got := rec.Header().Get("Retry-After"); got != "" {
		t.Errorf("Retry-After = %q, want none: retrying does not repair the bytes", got)
	}
	if bytes.Contains(rec.Body.Bytes(), bytes.ToUpper(csv)) || bytes.Contains(rec.Body.Bytes(), csv) {
		t.Errorf("body %q contains report bytes", rec.Body)
	}
	if strings.Contains(rec.Body.String(), entry.Key) {
		t.Errorf("body %q names the report key", rec.Body)
	}
	out := e.lastOutcome(t)
	if k := kind.Of(out.Err); k != kind.Internal {
		t.Errorf("Outcome.Err = %v (kind %v), want kind internal", out.Err, k)
	}
}

func TestGetReportRedirect(t *testing.T) {
	e := newEnv(t)
	_, csv := e.putReport(t, time.Hour)
	srv := httptest.NewServer(e.handler())
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	for _, query := range []string{"redirect=1", "redirect=true", "format=json&redirect=1"} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/report?"+query, nil)
		if err != nil {
			t.Fatalf("NewRequest: %v", err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET /report?%s: %v", query, err)
		}
		resp.Body.Close()

		if resp.StatusCode != http.StatusFound {
			t.Fatalf("%s: status = %d, want 302", query, resp.StatusCode)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", query, got)
		}
		if out := e.lastOutcome(t); out.Status != http.StatusFound || !out.Cached {
			t.Errorf("%s: Outcome status %d cached %v, want 302 and cached", query, out.Status, out.Cached)
		}
		_, body := fetchLoopback(t, resp.Header.Get("Location"))
		if !bytes.Equal(body, csv) {
			t.Errorf("%s: body at Location = %q, want %q", query, body, csv)
		}
	}
}

func TestGetReportParameters(t *testing.T) {
	tests := []struct {
		query           string
		wantStatus      int
		wantContentType string
	}{
		{"", http.StatusOK, "application/json"},
		{"format=json", http.StatusOK, "application/json"},
		{"format=", http.StatusOK, "application/json"},
		{"format=CSV", http.StatusOK, "text/csv; charset=utf-8"},
		{"redirect=0", http.StatusOK, "application/json"},
		{"format=csv&redirect=false", http.StatusOK, "text/csv; charset=utf-8"},
		{"redirect=1", http.StatusFound, ""},
	}
	e := newEnv(t)
	e.putReport(t, time.Hour)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := e.serve(e.request(http.MethodGet, "/report?"+tt.query))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
			}
		})
	}
}

func TestBadRequest(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		// wantText is part of the message that names the problem.
		wantText string
	}{
		{"unknown format", http.MethodGet, "/report?format=xml", `"xml"`},
		{"invalid redirect", http.MethodGet, "/report?redirect=maybe", `"maybe"`},
		{"empty redirect", http.MethodGet, "/report?redirect=", "redirect"},
		{"unknown parameter", http.MethodGet, "/report?force=1", `"force"`},
		{"csv and redirect", http.MethodGet, "/report?format=csv&redirect=1", "exclusive"},
		{"csv and redirect true", http.MethodGet, "/report?redirect=true&format=csv", "exclusive"},
		{"head with unknown parameter", http.MethodHead, "/report?x=1", `"x"`},
		{"refresh with parameter", http.MethodPost, "/report/refresh?force=1", "no parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			rec := e.serve(e.request(tt.method, tt.target))

			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", rec.Code, rec.Body)
			}
			body := decodeError(t, rec)
			if body.Error.Code != "bad_request" {
				t.Errorf("error code = %q, want bad_request", body.Error.Code)
			}
			if !strings.Contains(body.Error.Message, tt.wantText) {
				t.Errorf("message %q does not contain %q", body.Error.Message, tt.wantText)
			}
			if n := e.gen.callCount(); n != 0 {
				t.Errorf("generator calls = %d, want 0", n)
			}
			e.checkNoReport(t)
		})
	}
}

func TestUnknownPath(t *testing.T) {
	for _, path := range []string{"/", "/reports", "/report/x", "/healthz/live", "/report/refresh/now", "/REPORT"} {
		t.Run(path, func(t *testing.T) {
			e := newEnv(t)
			rec := e.serve(e.request(http.MethodGet, path))

			if rec.Code != http.StatusNotFound {
				t.Fatalf("status = %d, want 404; body %s", rec.Code, rec.Body)
			}
			if got := decodeError(t, rec).Error.Code; got != "not_found" {
				t.Errorf("error code = %q, want not_found", got)
			}
			out := e.lastOutcome(t)
			if out.Status != http.StatusNotFound || out.Route != path {
				t.Errorf("Outcome status %d route %q, want 404 and %q", out.Status, out.Route, path)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	tests := []struct {
		method    string
		path      string
		wantAllow string
	}{
		{http.MethodPost, "/report", "GET, HEAD"},
		{http.MethodDelete, "/report", "GET, HEAD"},
		{http.MethodPut, "/report", "GET, HEAD"},
		{http.MethodGet, "/report/refresh", "POST"},
		{http.MethodHead, "/report/refresh", "POST"},
		{http.MethodPost, "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			e := newEnv(t)
			rec := e.serve(e.request(tt.method, tt.path))

			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status = %d, want 405; body %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if got := decodeError(t, rec).Error.Code; got != "method_not_allowed" {
				t.Errorf("error code = %q, want method_not_allowed", got)
			}
			if n := e.gen.callCount(); n != 0 {
				t.Errorf("generator calls = %d, want 0", n)
			}
		})
	}
}

func TestAuthorization(t *testing.T) {
	tests := []struct {
		name string
		// header is the Authorization value, and an empty one sends none.
		header string
		want   int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong token", "Bearer wrong-token", http.StatusUnauthorized},
		{"token prefix", "Bearer " + testToken[:len(testToken)-1], http.StatusUnauthorized},
		{"token with suffix", "Bearer " + testToken + "0", http.StatusUnauthorized},
		{"token with a second word", "Bearer " + testToken + " extra", http.StatusUnauthorized},
		{"token split by a space", "Bearer " + testToken[:4] + " " + testToken[4:], http.StatusUnauthorized},
		{"basic scheme", "Basic " + testToken, http.StatusUnauthorized},
		{"token without scheme", testToken, http.StatusUnauthorized},
		{"scheme without space", "Bearer" + testToken, http.StatusUnauthorized},
		{"tab after scheme", "Bearer\t" + testToken, http.StatusUnauthorized},
		{"scheme only", "Bearer", http.StatusUnauthorized},
		{"scheme and space", "Bearer ", http.StatusUnauthorized},
		{"right token", "Bearer " + testToken, http.StatusOK},
		// HTTP authentication schemes are case-insensitive (RFC 9110, section 11.1).
		{"lower-case scheme", "bearer " + testToken, http.StatusOK},
		{"upper-case scheme", "BEARER " + testToken, http.StatusOK},
		// The Bearer syntax allows one or more spaces after the scheme (RFC 6750, section 2.1).
		{"two spaces after scheme", "Bearer  " + testToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.putReport(t, time.Hour)
			r := httptest.NewRequest(http.MethodGet, "/report?format=csv", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			rec := e.serve(r)

			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == http.StatusOK {
				return
			}
			if got, want := rec.Header().Get("WWW-Authenticate"), `Bearer realm="credreport"`; got != want {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
			body := decodeError(t, rec)
			if body.Error.Code != "unauthorized" {
				t.Errorf("error code = %q, want unauthorized", body.Error.Code)
			}
			if strings.Contains(rec.Body.String(), testToken) {
				t.Errorf("body %q contains the token", rec.Body)
			}
			if out := e.lastOutcome(t); out.Status != http.StatusUnauthorized {
				t.Errorf("Outcome status = %d, want 401", out.Status)
			}
		})
	}
}

func TestAuthorizationPerRoute(t *testing.T) {
	tests := []struct {
		method string
		path   string
		want   int
	}{
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodHead, "/healthz", http.StatusOK},
		{http.MethodGet, "/report", http.StatusUnauthorized},
		{http.MethodHead, "/report", http.StatusUnauthorized},
		{http.MethodPost, "/report/refresh", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			e := newEnv(t)
			rec := e.serve(httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			if n := e.gen.callCount(); n != 0 {
				t.Errorf("generator calls = %d, want 0", n)
			}
		})
	}
}

func TestWithoutAuthToken(t *testing.T) {
	e := newEnv(t)
	e.cfg.AuthToken = ""
	rec := e.serve(httptest.NewRequest(http.MethodGet, "/report", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 without a configured token; body %s", rec.Code, rec.Body)
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	rec := e.serve(httptest.NewRequest(http.MethodGet, "/healthz", nil))

	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if got, want := strings.TrimSpace(rec.Body.String()), `{"status":"ok"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if out := e.lastOutcome(t); out.Route != "/healthz" || out.Status != http.StatusOK || out.Err != nil {
		t.Errorf("Outcome = %+v, want route /healthz, status 200, no error", out)
	}
}

func TestGenerating(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		// setup prepares the store and returns the request's timeout, or zero for none.
		setup          func(t *testing.T, e *env) time.Duration
		retryAfter     time.Duration
		wantRetryAfter string
	}{
		{
			name: "lock held", method: http.MethodGet, path: "/report",
			setup:          lockFor("timer-invocation"),
			wantRetryAfter: "30",
		},
		{
			name: "lock held with stale report", method: http.MethodGet, path: "/report?format=csv",
			setup: func(t *testing.T, e *env) time.Duration {
				e.putReport(t, 5*time.Hour)
				return lockFor("timer-invocation")(t, e)
			},
			retryAfter: 90 * time.Second, wantRetryAfter: "90",
		},
		{
			name: "lock held on refresh", method: http.MethodPost, path: "/report/refresh",
			setup:          lockFor("timer-invocation"),
			wantRetryAfter: "30",
		},
		{
			// Another process deleted the newest lock object between the
			// listing and the read, so the store cannot name the holder.
			name: "lock object vanished", method: http.MethodGet, path: "/report",
			setup: func(t *testing.T, e *env) time.Duration {
				lockFor("old-invocation")(t, e)
				e.drv.hideLocks.Store(true)
				return 0
			},
			wantRetryAfter: "30",
		},
		{
			name: "not enough time", method: http.MethodGet, path: "/report",
			setup: func(t *testing.T, e *env) time.Duration {
				meta, csv := storetest.NewReport(testAccount, t0.Add(-5*time.Hour), report.SourceBuild)
				meta.DurationMS = 10 * 60 * 1000
				if _, err := e.store.Put(context.Background(), meta, bytes.NewReader(csv), int64(len(csv))); err != nil {
					t.Fatalf("Put: %v", err)
				}
				return 30 * time.Second
			},
			wantRetryAfter: "30",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.RetryAfter = tt.retryAfter
			timeout := tt.setup(t, e)
			r := e.request(tt.method, tt.path)
			if timeout > 0 {
				ctx, cancel := context.WithTimeout(r.Context(), timeout)
				defer cancel()
				r = r.WithContext(ctx)
			}
			keysBefore := storedKeys(t, e)

			rec := e.serve(r)

			if rec.Code != http.StatusAccepted {
				t.Fatalf("status = %d, want 202; body %s", rec.Code, rec.Body)
			}
			if got, want := strings.TrimSpace(rec.Body.String()), `{"status":"generating"}`; got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.wantRetryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetryAfter)
			}
			if n := e.gen.callCount(); n != 0 {
				t.Errorf("generator calls = %d, want 0", n)
			}
			if keys := storedKeys(t, e); !slices.Equal(keys, keysBefore) {
				t.Errorf("stored reports = %q, want %q", keys, keysBefore)
			}
			out := e.lastOutcome(t)
			if out.Status != http.StatusAccepted || out.Err == nil {
				t.Errorf("Outcome status %d err %v, want 202 and the error", out.Status, out.Err)
			}
		})
	}
}

// lockFor returns a setup that takes the account's lock for owner and keeps it.
func lockFor(owner string) func(t *testing.T, e *env) time.Duration {
	return func(t *testing.T, e *env) time.Duration {
		t.Helper()
		if _, err := e.store.Lock(context.Background(), testAccount, owner); err != nil {
			t.Fatalf("Lock: %v", err)
		}
		return 0
	}
}

func storedKeys(t *testing.T, e *env) []string {
	t.Helper()
	entries, err := e.store.List(context.Background(), testAccount)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var keys []string
	for _, entry := range entries {
		keys = append(keys, entry.Key)
	}
	return keys
}

func TestGeneratorErrors(t *testing.T) {
	tests := []struct {
		name           string
		err            error
		wantStatus     int
		wantCode       string
		wantRetryAfter string
	}{
		{"throttled", kind.Errorf(kind.Throttled, "ims:GenerateCredentialReport: Throttling.User"), http.StatusServiceUnavailable, "unavailable", "30"},
		{"unavailable", kind.Errorf(kind.Unavailable, "ram endpoint unreachable: connection refused"), http.StatusServiceUnavailable, "unavailable", "30"},
		{"context deadline", fmt.Errorf("list users page 4: %w", context.DeadlineExceeded), http.StatusServiceUnavailable, "unavailable", "30"},
		{"classified deadline", kind.Errorf(kind.DeadlineExceeded, "native report not ready after 5m0s"), http.StatusServiceUnavailable, "unavailable", "30"},
		{"permission denied", kind.Errorf(kind.PermissionDenied, "ram:ListUsers denied for role acs:ram::5123456789012345:role/fc"), http.StatusInternalServerError, "internal", ""},
		{"unauthenticated", kind.Errorf(kind.Unauthenticated, "InvalidAccessKeyId.NotFound: STS.NTempKey"), http.StatusInternalServerError, "internal", ""},
		{"conflict from RAM", kind.Errorf(kind.Conflict, "ims:GenerateCredentialReport: LimitExceeded.User"), http.StatusInternalServerError, "internal", ""},
		{"invalid argument", kind.Errorf(kind.InvalidArgument, "invalid source \"x\""), http.StatusInternalServerError, "internal", ""},
		{"unclassified", errors.New("decode ListUsers page: unexpected end of JSON input"), http.StatusInternalServerError, "internal", ""},
	}
	for _, tt := range tests {
		for _, target := range []string{"GET /report", "GET /report?format=csv", "POST /report/refresh"} {
			t.Run(tt.name+" "+target, func(t *testing.T) {
				e := newEnv(t)
				e.gen.err = tt.err
				method, path, _ := strings.Cut(target, " ")

				rec := e.serve(e.request(method, path))

				if rec.Code != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
				}
				if got := decodeError(t, rec).Error.Code; got != tt.wantCode {
					t.Errorf("error code = %q, want %q", got, tt.wantCode)
				}
				if got := rec.Header().Get("Retry-After"); got != tt.wantRetryAfter {
					t.Errorf("Retry-After = %q, want %q", got, tt.wantRetryAfter)
				}
				if strings.Contains(rec.Body.String(), tt.err.Error()) {
					t.Errorf("body %q contains the error text", rec.Body)
				}
				out := e.lastOutcome(t)
				if !errors.Is(out.Err, tt.err) {
					t.Errorf("Outcome.Err = %v, want the generator's error", out.Err)
				}
				if out.Status != tt.wantStatus {
					t.Errorf("Outcome.Status = %d, want %d", out.Status, tt.wantStatus)
				}
				e.checkNoReport(t)
			})
		}
	}
}

// TestInternalErrorHidesSecrets checks the 500 responses whose errors come
// from signing URLs or from OSS: neither the body nor the error passed to
// OnOutcome may contain a secret or a URL signature.
func TestInternalErrorHidesSecrets(t *testing.T) {
	secrets := []string{testToken, stsKey.AccessKeySecret, stsKey.SecurityToken, "wrong-secret-value", "x-oss-signature", "Signature="}
	tests := []struct {
		name   string
		target string
		setup  func(t *testing.T, e *env)
	}{
		{
			name: "credentials expire before the URL", target: "/report",
			setup: func(t *testing.T, e *env) {
				e.putReport(t, time.Hour)
				e.deps.CredentialsExpireAt = t0.Add(30 * time.Second)
			},
		},
		{
			name: "credentials expire before the redirect URL", target: "/report?redirect=1",
			setup: func(t *testing.T, e *env) {
				e.putReport(t, time.Hour)
				e.deps.CredentialsExpireAt = t0.Add(30 * time.Second)
			},
		},
		{
			name: "OSS rejects the secret", target: "/report",
			setup: func(t *testing.T, e *env) {
				e.putReport(t, time.Hour)
				wrong := stsKey
				wrong.AccessKeySecret = "wrong-secret-value"
				e.drv.Driver = newOSSDriver(t, e.ossURL, wrong)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.setup(t, e)

			rec := e.serve(e.request(http.MethodGet, tt.target))

			if rec.Code != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500; body %s", rec.Code, rec.Body)
			}
			body := decodeError(t, rec)
			if body.Error.Code != "internal" {
				t.Errorf("error code = %q, want internal", body.Error.Code)
			}
			if got := rec.Header().Get("Location"); got != "" {
				t.Error("a failed response carries a Location header")
			}
			out := e.lastOutcome(t)
			if out.Err == nil {
				t.Fatal("Outcome.Err is nil, want the cause")
			}
			for _, secret := range secrets {
				if strings.Contains(rec.Body.String(), secret) {
					t.Errorf("body %q contains %q", rec.Body, secret)
				}
				if strings.Contains(out.Err.Error(), secret) {
					t.Errorf("Outcome.Err contains %q", secret)
				}
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name string
		// age is the age of the stored report, and a negative age stores none.
		age           time.Duration
		wantCached    bool
		wantGenerated bool
	}{
		{"no report", -1, false, true},
		{"younger than the interval", 4 * time.Minute, true, false},
		{"at the interval", 5 * time.Minute, false, true},
		{"fresh for serving", time.Hour, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var old store.Entry
			if tt.age >= 0 {
				old, _ = e.putReport(t, tt.age)
			}

			rec := e.serve(e.request(http.MethodPost, "/report/refresh"))

			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			var s httpapi.Summary
			if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
				t.Fatalf("decode summary %q: %v", rec.Body, err)
			}
			if s.Cached != tt.wantCached {
				t.Errorf("cached = %v, want %v", s.Cached, tt.wantCached)
			}
			if tt.wantCached && s.Key != old.Key {
				t.Errorf("key = %q, want the stored %q", s.Key, old.Key)
			}
			if tt.wantGenerated && s.GeneratedAt != t0.Format(time.RFC3339) {
				t.Errorf("generated_at = %q, want the clock's %s", s.GeneratedAt, t0.Format(time.RFC3339))
			}
			wantCalls := 0
			if tt.wantGenerated {
				wantCalls = 1
			}
			if n := e.gen.callCount(); n != wantCalls {
				t.Errorf("generator calls = %d, want %d", n, wantCalls)
			}
			out := e.lastOutcome(t)
			if out.Route != "/report/refresh" || out.Cached != tt.wantCached || out.Generated != tt.wantGenerated {
				t.Errorf("Outcome route %q cached %v generated %v, want /report/refresh, %v, %v",
					out.Route, out.Cached, out.Generated, tt.wantCached, tt.wantGenerated)
			}
		})
	}
}

func TestOnOutcome(t *testing.T) {
	genErr := kind.Errorf(kind.PermissionDenied, "ram:ListUsers denied")
	tests := []struct {
		name   string
		method string
		target string
		// age is the age of the stored report, and a negative age stores none.
		age    time.Duration
		genErr error
		want   httpapi.Outcome
	}{
		{"generated", http.MethodGet, "/report", -1, nil, httpapi.Outcome{Status: http.StatusOK, Route: "/report", Generated: true}},
		{"cached with trailing slash", http.MethodGet, "/report/", time.Hour, nil, httpapi.Outcome{Status: http.StatusOK, Route: "/report", Cached: true}},
		{"csv cached", http.MethodGet, "/report?format=csv", time.Hour, nil, httpapi.Outcome{Status: http.StatusOK, Route: "/report", Cached: true}},
		{"refresh generated", http.MethodPost, "/report/refresh", time.Hour, nil, httpapi.Outcome{Status: http.StatusOK, Route: "/report/refresh", Generated: true}},
		{"generator error", http.MethodPost, "/report/refresh", -1, genErr, httpapi.Outcome{Status: http.StatusInternalServerError, Route: "/report/refresh", Err: genErr}},
		{"bad request", http.MethodGet, "/report?format=xml", -1, nil, httpapi.Outcome{Status: http.StatusBadRequest, Route: "/report"}},
		{"not found", http.MethodGet, "/metrics", -1, nil, httpapi.Outcome{Status: http.StatusNotFound, Route: "/metrics"}},
		{"health", http.MethodGet, "/healthz", -1, nil, httpapi.Outcome{Status: http.StatusOK, Route: "/healthz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.age >= 0 {
				e.putReport(t, tt.age)
			}
			e.gen.err = tt.genErr

			rec := e.serve(e.request(tt.method, tt.target))

			e.mu.Lock()
			outcomes := slices.Clone(e.outcomes)
			e.mu.Unlock()
			if len(outcomes) != 1 {
				t.Fatalf("OnOutcome calls = %d, want 1", len(outcomes))
			}
			got := outcomes[0]
			if got.Status != tt.want.Status || got.Status != rec.Code {
				t.Errorf("Status = %d (answered %d), want %d", got.Status, rec.Code, tt.want.Status)
			}
			if got.Route != tt.want.Route {
				t.Errorf("Route = %q, want %q", got.Route, tt.want.Route)
			}
			if got.Cached != tt.want.Cached || got.Generated != tt.want.Generated {
				t.Errorf("Cached %v Generated %v, want %v %v", got.Cached, got.Generated, tt.want.Cached, tt.want.Generated)
			}
			if !errors.Is(got.Err, tt.want.Err) || (got.Err == nil) != (tt.want.Err == nil) {
				t.Errorf("Err = %v, want %v", got.Err, tt.want.Err)
			}
			if got.Status == http.StatusOK && got.Route != "/healthz" {
				latest, err := e.store.Latest(context.Background(), testAccount)
				if err != nil {
					t.Fatalf("Latest: %v", err)
				}
				if got.Entry.Key != latest.Key {
					t.Errorf("Entry.Key = %q, want %q", got.Entry.Key, latest.Key)
				}
			}
		})
	}
}
