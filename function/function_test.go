package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/emulator"
	"github.com/credreport/credreport/internal/emulator/fcruntime"
	"github.com/credreport/credreport/internal/fixture"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/ossdriver"
)

// functionBinary is the function built once for every test in this package.
var functionBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credreport-function-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	functionBinary = filepath.Join(dir, "main")
	build := exec.Command("go", "build", "-o", functionBinary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the function: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func fixtureRoot(t testing.TB) string {
	t.Helper()
	dir, err := fixture.AcceptanceRoot("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// deployment is the function running under the emulated runtime, with
// RAM/IMS and OSS emulated on one loopback listener.
type deployment struct {
	account *fixture.Account
	emu     *emulator.Emulator
	base    *httptest.Server
	trigger *httptest.Server
	runtime *fcruntime.Runtime
	log     *lockedBuffer
}

const testBucket = "credreport-local"

// deploy starts the function on the named fixture; env adds or overrides
// its CREDREPORT_* variables (an empty value removes one).
func deploy(t *testing.T, name string, timeout time.Duration, env map[string]string) *deployment {
	t.Helper()
	a, err := fixture.Load(filepath.Join(fixtureRoot(t), name, "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(emulator.Config{Account: a, Buckets: []string{testBucket}})
	if err != nil {
		t.Fatal(err)
	}
	base := httptest.NewServer(emu)
	cred := a.Credentials[0]
	rt := fcruntime.NewRuntime(fcruntime.Config{
		Timeout: timeout, Region: emulator.DefaultRegion, AccountID: a.AccountID,
		Credentials: fcruntime.Credentials{AccessKeyID: cred.AccessKeyID, AccessKeySecret: cred.AccessKeySecret, SecurityToken: cred.SecurityToken},
	})
	emu.AttachRuntime(rt, "test-timer")
	vars := map[string]string{
		"CREDREPORT_BUCKET":              testBucket,
		"CREDREPORT_REGION":              emulator.DefaultRegion,
		"CREDREPORT_RAM_ENDPOINT":        base.URL,
		"CREDREPORT_OSS_ENDPOINT":        base.URL,
		"CREDREPORT_OSS_PUBLIC_ENDPOINT": base.URL,
	}
	for k, v := range env {
		vars[k] = v
	}
	procEnv := rt.Environ()
	for k, v := range vars {
		if v != "" {
			procEnv = append(procEnv, k+"="+v)
		}
	}
	log := &lockedBuffer{}
	proc, err := fcruntime.StartProcess(context.Background(), functionBinary, strings.TrimPrefix(base.URL, "http://"), procEnv, log, log)
	if err != nil {
		t.Fatal(err)
	}
	trigger := httptest.NewServer(fcruntime.NewHTTPTrigger(rt))
	t.Cleanup(func() {
		trigger.Close()
		proc.Close()
		base.Close()
		if t.Failed() {
			t.Logf("function output:\n%s", log.String())
		}
	})
	return &deployment{account: a, emu: emu, base: base, trigger: trigger, runtime: rt, log: log}
}

// lockedBuffer collects the function's output from two pipes at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// calls returns the emulator's request counts for one service.
func (d *deployment) calls(service string) int {
	n := 0
	for _, c := range d.emu.Calls()[service] {
		n += c
	}
	return n
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (d *deployment) do(t *testing.T, method, path string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, d.trigger.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

type summary struct {
	URL         string `json:"url"`
	ExpiresAt   string `json:"expires_at"`
	GeneratedAt string `json:"generated_at"`
	AgeSeconds  int64  `json:"age_seconds"`
	Source      string `json:"source"`
	UserCount   int    `json:"user_count"`
	SHA256      string `json:"sha256"`
	Key         string `json:"key"`
	Cached      bool   `json:"cached"`
}

func decodeSummary(t *testing.T, r response) summary {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	var s summary
	if err := json.Unmarshal(r.body, &s); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return s
}

func download(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("download the signed URL: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download the signed URL: status %d: %s", resp.StatusCode, body)
	}
	return body
}

func TestReportAcceptance(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(fixtureRoot(t), "*", "account.json"))
	for _, path := range names {
		name := filepath.Base(filepath.Dir(path))
		t.Run(name, func(t *testing.T) {
			d := deploy(t, name, 60*time.Second, nil)
			want, err := os.ReadFile(filepath.Join(fixtureRoot(t), name, "expected-auto.csv"))
			if err != nil {
				t.Fatal(err)
			}

			first := decodeSummary(t, d.do(t, "GET", "/report", nil))
			if first.Cached {
				t.Errorf("first GET /report: cached = true, want a generation")
			}
			if got := download(t, first.URL); !bytes.Equal(got, want) {
				t.Errorf("signed URL bytes differ from expected-auto.csv:\n%s", got)
			}

			ram0, oss0 := d.calls("ram"), d.calls("oss")
			second := decodeSummary(t, d.do(t, "GET", "/report", nil))
			if !second.Cached || second.Key != first.Key {
				t.Errorf("second GET /report: cached %v key %q, want cached %q", second.Cached, second.Key, first.Key)
			}
			if n := d.calls("ram") - ram0; n != 0 {
				t.Errorf("cached GET /report made %d RAM/IMS calls, want 0", n)
			}
			if n := d.calls("oss") - oss0; n > 2 {
				t.Errorf("cached GET /report made %d OSS requests, want at most 2", n)
			}

			ram0 = d.calls("ram")
			res, err := d.runtime.FireTimer(context.Background(), "test-timer", "")
			if err != nil || res.Err != nil {
				t.Fatalf("timer: %v %v", err, res.Err)
			}
			if !strings.Contains(string(res.Payload), `"status":"fresh"`) {
				t.Errorf("timer on a fresh report returned %s, want status fresh", res.Payload)
			}
			if n := d.calls("ram") - ram0; n != 0 {
				t.Errorf("timer on a fresh report made %d RAM/IMS calls, want 0", n)
			}

			csv := d.do(t, "GET", "/report?format=csv", nil)
			if csv.status != http.StatusOK || !bytes.Equal(csv.body, want) {
				t.Errorf("format=csv: status %d, body equal %v", csv.status, bytes.Equal(csv.body, want))
			}
			if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("format=csv Content-Type = %q", ct)
			}
			if got := csv.header.Get("X-Credreport-Sha256"); got != first.SHA256 {
				t.Errorf("format=csv X-Credreport-Sha256 = %q, want %q", got, first.SHA256)
			}

			redirect := d.do(t, "GET", "/report?redirect=1", nil)
			if redirect.status != http.StatusFound {
				t.Fatalf("redirect=1: status %d, want 302", redirect.status)
			}
			if got := download(t, redirect.header.Get("Location")); !bytes.Equal(got, want) {
				t.Errorf("redirect target bytes differ from expected-auto.csv")
			}
		})
	}
}

func TestErrorStatuses(t *testing.T) {
	d := deploy(t, "basic", 60*time.Second, map[string]string{"CREDREPORT_AUTH_TOKEN": "s3cret-token-for-tests"})
	auth := map[string]string{"Authorization": "Bearer s3cret-token-for-tests"}
	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{"missing token", "GET", "/report", nil, 401, "unauthorized"},
		{"wrong token", "GET", "/report", map[string]string{"Authorization": "Bearer nope"}, 401, "unauthorized"},
		{"bad parameter", "GET", "/report?format=xml", auth, 400, "bad_request"},
		{"unknown parameter", "GET", "/report?fresh=1", auth, 400, "bad_request"},
		{"unknown path", "GET", "/nope", auth, 404, "not_found"},
		{"wrong method", "DELETE", "/report", auth, 405, "method_not_allowed"},
		{"health without token", "GET", "/healthz", nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := d.do(t, tt.method, tt.path, tt.header)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantCode == "" {
				return
			}
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatalf("error body %s: %v", r.body, err)
			}
			if body.Error.Code != tt.wantCode || body.Error.Message == "" {
				t.Errorf("error = %+v, want code %q and a message", body.Error, tt.wantCode)
			}
		})
	}
	if r := d.do(t, "GET", "/report", auth); r.status != 200 {
		t.Errorf("with the right token: status %d: %s", r.status, r.body)
	}
	if r := d.do(t, "POST", "/report/refresh", auth); r.status != 200 || !strings.Contains(string(r.body), `"cached":true`) {
		t.Errorf("refresh right after a generation: status %d %s, want 200 cached", r.status, r.body)
	}
}

func TestInvalidConfigAnswers500(t *testing.T) {
	d := deploy(t, "basic", 30*time.Second, map[string]string{"CREDREPORT_BUCKET": "", "CREDREPORT_MAX_AGE": "forever"})
	r := d.do(t, "GET", "/report", nil)
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "CREDREPORT") {
		t.Errorf("500 body leaks configuration details: %s", r.body)
	}
	waitFor(t, func() bool { return strings.Contains(d.log.String(), "CREDREPORT_MAX_AGE") }, "log naming CREDREPORT_MAX_AGE")
	if !strings.Contains(d.log.String(), "CREDREPORT_BUCKET") {
		t.Errorf("log does not name CREDREPORT_BUCKET:\n%s", d.log.String())
	}
}

func TestUnavailableAnswers503(t *testing.T) {
	// Every RAM/IMS call is refused at a closed port, so the generation runs
	// out of its deadline while retrying.
	d := deploy(t, "basic", 8*time.Second, map[string]string{"CREDREPORT_RAM_ENDPOINT": "http://127.0.0.1:1"})
	r := d.do(t, "GET", "/report", nil)
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", r.status, r.body)
	}
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
}

func TestLockHeldAnswers202(t *testing.T) {
	d := deploy(t, "basic", 60*time.Second, nil)
	drv, err := ossdriver.New(ossdriver.Config{
		Endpoint: d.base.URL, Region: emulator.DefaultRegion, Bucket: testBucket,
		Credentials: ossdriver.StaticCredentials(ossdriver.Credentials{
			AccessKeyID: d.account.Credentials[0].AccessKeyID, AccessKeySecret: d.account.Credentials[0].AccessKeySecret,
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(drv, store.Options{})
	lock, err := st.Lock(context.Background(), d.account.AccountID, "another-invocation")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release(context.Background())
	r := d.do(t, "GET", "/report", nil)
	if r.status != http.StatusAccepted || !strings.Contains(string(r.body), `"generating"`) {
		t.Fatalf("status %d %s, want 202 generating", r.status, r.body)
	}
	if r.header.Get("Retry-After") == "" {
		t.Errorf("202 without Retry-After")
	}
	res, err := d.runtime.FireTimer(context.Background(), "test-timer", "")
	if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), "in_progress") {
		t.Errorf("timer while locked: %v %v %s, want in_progress", err, res.Err, res.Payload)
	}
}

func TestConcurrentStaleRequests(t *testing.T) {
	d := deploy(t, "basic", 60*time.Second, nil)
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = d.do(t, "GET", "/report", nil).status
		})
	}
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusAccepted:
		default:
			t.Errorf("request %d: status %d, want 200 or 202", i, s)
		}
	}
	if ok == 0 {
		t.Errorf("no request got 200")
	}
	listed := d.listReports(t)
	if listed != 1 {
		t.Errorf("%d reports stored, want exactly one generation", listed)
	}
}

func (d *deployment) listReports(t *testing.T) int {
	t.Helper()
	drv, err := ossdriver.New(ossdriver.Config{
		Endpoint: d.base.URL, Region: emulator.DefaultRegion, Bucket: testBucket,
		Credentials: ossdriver.StaticCredentials(ossdriver.Credentials{
			AccessKeyID: d.account.Credentials[0].AccessKeyID, AccessKeySecret: d.account.Credentials[0].AccessKeySecret,
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := store.New(drv, store.Options{}).List(context.Background(), d.account.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestTimerForceAndBadEvents(t *testing.T) {
	d := deploy(t, "no-native-report", 60*time.Second, nil)
	for _, payload := range []string{"", "force", `{"force": true}`} {
		ram0 := d.calls("ram")
		res, err := d.runtime.FireTimer(context.Background(), "test-timer", payload)
		if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"status":"generated"`) {
			t.Fatalf("timer %q: %v %v %s, want generated", payload, err, res.Err, res.Payload)
		}
		if d.calls("ram") == ram0 {
			t.Errorf("timer %q reported a generation without reading RAM", payload)
		}
	}
	res, err := d.runtime.FireTimer(context.Background(), "test-timer", "")
	if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"status":"fresh"`) {
		t.Errorf("timer after a generation: %v %v %s, want fresh", err, res.Err, res.Payload)
	}
	res, err = d.runtime.FireTimer(context.Background(), "test-timer", `{"forse":true}`)
	if err != nil || res.Err == nil {
		t.Errorf("timer with a bad payload: %v %+v, want a function error", err, res)
	}
	res, err = d.runtime.Invoke(context.Background(), []byte(`{"hello":"world"}`))
	if err != nil || res.Err == nil || !strings.Contains(res.Err.Message, "unsupported event") {
		t.Errorf("unknown event: %v %+v, want an unsupported event error", err, res.Err)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
