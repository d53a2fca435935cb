package fcruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeFunction plays the SDK's side of the runtime API with plain HTTP calls, so tests
// can control the order and content of results.
type fakeFunction struct {
	base string
}

func newFakeFunction(t *testing.T, cfg Config) (*Runtime, *fakeFunction) {
	t.Helper()
	rt := NewRuntime(cfg)
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return rt, &fakeFunction{base: srv.URL + apiPrefix}
}

// next fetches the next event; the 15-second guard only stops a hung test.
func (f *fakeFunction) next(t *testing.T) (string, http.Header, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+"next", nil)
	if err != nil {
		t.Fatalf("build next request: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET next: %v", err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET next: status %d, body %s", resp.StatusCode, body)
	}
	return resp.Header.Get("x-fc-request-id"), resp.Header, body
}

// post sends body to {requestID}/{kind} and returns the status and response body.
func (f *fakeFunction) post(t *testing.T, requestID, kind string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(f.base+requestID+"/"+kind, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s/%s: %v", requestID, kind, err)
	}
	return resp.StatusCode, readBody(t, resp)
}

// pendingInvoke is an Invoke running in its own goroutine.
type pendingInvoke struct {
	done   chan struct{}
	result Result
	err    error
}

func invokeAsync(ctx context.Context, rt *Runtime, payload string) *pendingInvoke {
	p := &pendingInvoke{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.result, p.err = rt.Invoke(ctx, []byte(payload))
	}()
	return p
}

func (p *pendingInvoke) wait(t *testing.T) (Result, error) {
	t.Helper()
	waitClosed(t, p.done, "Invoke return")
	return p.result, p.err
}

// stepClock is a clock that moves only when the test advances it.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestNextHeaders(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout = 1500 * time.Millisecond
	cfg.Now = fixedClock
	rt, fn := newFakeFunction(t, cfg)

	pending := invokeAsync(context.Background(), rt, `{"op":"x"}`)
	requestID, header, body := fn.next(t)

	if string(body) != `{"op":"x"}` {
		t.Errorf("event body = %s, want {\"op\":\"x\"}", body)
	}
	want := map[string]string{
		"x-fc-function-deadline": strconv.FormatInt(fixedNow.Add(1500*time.Millisecond).UnixMilli(), 10),
		"x-fc-function-timeout":  "2",
		"x-fc-retry-count":       "0",
		"x-fc-function-type":     "0",
		"x-fc-function-name":     "credreport-test",
		"x-fc-function-handler":  "main",
		"x-fc-function-memory":   "256",
		"x-fc-region":            "cn-hangzhou",
		"x-fc-account-id":        "1234567890123456",
		"x-fc-access-key-id":     "STS.test-key-id",
		"x-fc-access-key-secret": "test-key-secret",
		"x-fc-security-token":    "test-security-token",
	}
	for key, value := range want {
		if got := header.Get(key); got != value {
			t.Errorf("header %s = %q, want %q", key, got, value)
		}
	}
	wantPrefix := "1-" + strconv.FormatInt(fixedNow.Unix(), 16) + "-"
	if !strings.HasPrefix(requestID, wantPrefix) || len(requestID) != len(wantPrefix)+24 {
		t.Errorf("request ID = %q, want %s followed by 24 hex digits", requestID, wantPrefix)
	}

	fn.post(t, requestID, "response", []byte(`"ok"`))
	result, err := pending.wait(t)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if result.RequestID != requestID {
		t.Errorf("Result.RequestID = %q, want %q", result.RequestID, requestID)
	}
}

func TestNextDefaultsAndEmptyHeaders(t *testing.T) {
	rt, fn := newFakeFunction(t, Config{
		Now:         fixedClock,
		Credentials: Credentials{AccessKeyID: "STS.only-id"},
	})

	pending := invokeAsync(context.Background(), rt, `{}`)
	requestID, header, _ := fn.next(t)
	defer func() {
		fn.post(t, requestID, "response", []byte(`null`))
		pending.wait(t)
	}()

	want := map[string]string{
		"x-fc-function-name":     "credreport",
		"x-fc-function-handler":  "main",
		"x-fc-function-memory":   "512",
		"x-fc-function-timeout":  "60",
		"x-fc-function-deadline": strconv.FormatInt(fixedNow.Add(60*time.Second).UnixMilli(), 10),
		"x-fc-access-key-id":     "STS.only-id",
	}
	for key, value := range want {
		if got := header.Get(key); got != value {
			t.Errorf("header %s = %q, want %q", key, got, value)
		}
	}
	for _, key := range []string{"x-fc-region", "x-fc-account-id", "x-fc-access-key-secret", "x-fc-security-token"} {
		if values, ok := header[http.CanonicalHeaderKey(key)]; ok {
			t.Errorf("header %s = %q, want it absent", key, values)
		}
	}
}

func TestRequestIDsUnique(t *testing.T) {
	first := NewRuntime(Config{Now: fixedClock})
	second := NewRuntime(Config{Now: fixedClock})
	seen := map[string]bool{}
	for range 100 {
		for _, rt := range []*Runtime{first, second} {
			id := rt.newRequestID()
			if seen[id] {
				t.Fatalf("request ID %q issued twice", id)
			}
			seen[id] = true
		}
	}
}

func TestInvokeResponse(t *testing.T) {
	clock := &stepClock{now: fixedNow}
	cfg := testConfig()
	cfg.Now = clock.Now
	rt, fn := newFakeFunction(t, cfg)

	pending := invokeAsync(context.Background(), rt, `{"op":"x"}`)
	requestID, _, _ := fn.next(t)
	clock.Advance(1234 * time.Millisecond)
	status, body := fn.post(t, requestID, "response", []byte(`{"answer":42}`))
	if status != http.StatusOK {
		t.Fatalf("POST response: status %d, body %s", status, body)
	}

	result, err := pending.wait(t)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if string(result.Payload) != `{"answer":42}` {
		t.Errorf("Payload = %s, want {\"answer\":42}", result.Payload)
	}
	if result.Err != nil {
		t.Errorf("Err = %v, want nil", result.Err)
	}
	if result.Duration != 1234*time.Millisecond {
		t.Errorf("Duration = %s, want 1.234s", result.Duration)
	}
}

func TestAnswersOutOfOrder(t *testing.T) {
	rt, fn := newFakeFunction(t, testConfig())

	first := invokeAsync(context.Background(), rt, `"first"`)
	firstID, _, firstEvent := fn.next(t)
	second := invokeAsync(context.Background(), rt, `"second"`)
	secondID, _, secondEvent := fn.next(t)
	if string(firstEvent) != `"first"` || string(secondEvent) != `"second"` {
		t.Fatalf("events = %s, %s; want \"first\", \"second\"", firstEvent, secondEvent)
	}
	if firstID == secondID {
		t.Fatalf("both invocations have request ID %q", firstID)
	}

	fn.post(t, secondID, "response", []byte(`"answer to second"`))
	fn.post(t, firstID, "response", []byte(`"answer to first"`))

	result, err := first.wait(t)
	if err != nil || string(result.Payload) != `"answer to first"` {
		t.Errorf("first Invoke = %s, %v; want \"answer to first\"", result.Payload, err)
	}
	result, err = second.wait(t)
	if err != nil || string(result.Payload) != `"answer to second"` {
		t.Errorf("second Invoke = %s, %v; want \"answer to second\"", result.Payload, err)
	}
}

func TestAnswerUnknownRequestID(t *testing.T) {
	rt, fn := newFakeFunction(t, testConfig())

	status, body := fn.post(t, "1-00000000-never-issued", "response", []byte(`null`))
	if status != http.StatusNotFound {
		t.Errorf("answer to unknown ID: status %d, want 404", status)
	}
	var apiErr errorBody
	decodeJSON(t, body, &apiErr)
	if apiErr.Type != "InvocationNotFound" {
		t.Errorf("errorType = %q, want InvocationNotFound", apiErr.Type)
	}

	pending := invokeAsync(context.Background(), rt, `{}`)
	requestID, _, _ := fn.next(t)
	if status, _ := fn.post(t, requestID, "response", []byte(`1`)); status != http.StatusOK {
		t.Errorf("first answer: status %d, want 200", status)
	}
	if status, _ := fn.post(t, requestID, "error", []byte(`{"errorMessage":"again"}`)); status != http.StatusNotFound {
		t.Errorf("second answer: status %d, want 404", status)
	}
	result, err := pending.wait(t)
	if err != nil || string(result.Payload) != "1" || result.Err != nil {
		t.Errorf("Invoke = %+v, %v; want payload 1 from the first answer", result, err)
	}
}

func TestAnswerBeforeDelivery(t *testing.T) {
	rt, fn := newFakeFunction(t, testConfig())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	requestID := rt.newRequestID()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = rt.invoke(ctx, requestID, []byte(`{}`))
	}()

	// The event is queued (or about to be) but no next request has taken it.
	waitFor(t, func() bool { return rt.Calls()[callInvocations] == 1 }, "queueing of the event")
	if status, _ := fn.post(t, requestID, "response", []byte(`1`)); status != http.StatusNotFound {
		t.Errorf("answer before delivery: status %d, want 404", status)
	}
	cancel()
	waitClosed(t, done, "Invoke return after cancel")
}

func TestTimeoutAcceptsLateAnswer(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout = 50 * time.Millisecond
	rt, fn := newFakeFunction(t, cfg)

	pending := invokeAsync(context.Background(), rt, `{}`)
	requestID, _, _ := fn.next(t)
	result, err := pending.wait(t)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke error = %v, want ErrTimeout", err)
	}
	if result.RequestID != requestID {
		t.Errorf("Result.RequestID = %q, want %q", result.RequestID, requestID)
	}
	if result.Payload != nil {
		t.Errorf("Payload = %s, want nil", result.Payload)
	}

	if status, body := fn.post(t, requestID, "response", []byte(`"late"`)); status != http.StatusOK {
		t.Errorf("late answer: status %d, body %s, want 200", status, body)
	}
	if status, _ := fn.post(t, requestID, "response", []byte(`"later"`)); status != http.StatusNotFound {
		t.Errorf("second late answer: status %d, want 404", status)
	}
	if got := rt.Calls()[callTimeouts]; got != 1 {
		t.Errorf("timeouts = %d, want 1", got)
	}
}

func TestTimeoutWhileQueued(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout = 50 * time.Millisecond
	rt := NewRuntime(cfg)

	if _, err := rt.Invoke(context.Background(), []byte(`"expired"`)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke without a function = %v, want ErrTimeout", err)
	}
	rt.mu.Lock()
	queued, waiting, abandoned := len(rt.queue), len(rt.waiting), len(rt.abandoned)
	rt.mu.Unlock()
	if queued != 0 || waiting != 0 || abandoned != 0 {
		t.Errorf("after timeout: %d queued, %d waiting, %d abandoned; want none", queued, waiting, abandoned)
	}
}

func TestCanceledWhileQueued(t *testing.T) {
	rt, fn := newFakeFunction(t, testConfig())

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := rt.Invoke(ctx, []byte(`"abandoned"`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke with a short ctx = %v, want context.DeadlineExceeded", err)
	}

	pending := invokeAsync(context.Background(), rt, `"current"`)
	requestID, _, event := fn.next(t)
	if string(event) != `"current"` {
		t.Errorf("next delivered %s, want only the event still waiting, \"current\"", event)
	}
	fn.post(t, requestID, "response", []byte(`null`))
	if _, err := pending.wait(t); err != nil {
		t.Errorf("Invoke: %v", err)
	}
}

func TestInvokeCanceled(t *testing.T) {
	rt, fn := newFakeFunction(t, testConfig())
	ctx, cancel := context.WithCancel(context.Background())

	pending := invokeAsync(ctx, rt, `{}`)
	requestID, _, _ := fn.next(t)
	cancel()
	_, err := pending.wait(t)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke error = %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrTimeout) {
		t.Errorf("Invoke error %v wraps ErrTimeout, want only context.Canceled", err)
	}
	if status, _ := fn.post(t, requestID, "response", []byte(`null`)); status != http.StatusOK {
		t.Errorf("answer after cancel: status %d, want 200", status)
	}

	calls := rt.Calls()
	if calls[callCanceled] != 1 || calls[callTimeouts] != 0 {
		t.Errorf("canceled = %d, timeouts = %d; want 1 and 0", calls[callCanceled], calls[callTimeouts])
	}

	if _, err := rt.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Invoke with an ended ctx = %v, want context.Canceled", err)
	}
}

func TestFunctionErrorDecoded(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		want      FunctionError
		wantTrace string
	}{
		{
			name: "returned error",
			body: `{"errorMessage":"requested failure","errorType":"errorString"}`,
			want: FunctionError{Message: "requested failure", Type: "errorString"},
		},
		{
			name:      "panic with stack trace",
			body:      `{"errorMessage":"boom","errorType":"string","stackTrace":[{"path":"main.go","line":7,"label":"main"}]}`,
			want:      FunctionError{Message: "boom", Type: "string"},
			wantTrace: `[{"path":"main.go","line":7,"label":"main"}]`,
		},
		{
			name: "body not JSON",
			body: `plain failure text`,
			want: FunctionError{Message: "plain failure text"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, fn := newFakeFunction(t, testConfig())
			pending := invokeAsync(context.Background(), rt, `{}`)
			requestID, _, _ := fn.next(t)
			if status, _ := fn.post(t, requestID, "error", []byte(tt.body)); status != http.StatusOK {
				t.Fatalf("POST error: status %d, want 200", status)
			}

			result, err := pending.wait(t)
			if err != nil {
				t.Fatalf("Invoke error = %v, want nil with Result.Err set", err)
			}
			if result.Err == nil {
				t.Fatal("Result.Err = nil, want the function error")
			}
			if result.Err.Message != tt.want.Message || result.Err.Type != tt.want.Type {
				t.Errorf("Result.Err = %q/%q, want %q/%q", result.Err.Message, result.Err.Type, tt.want.Message, tt.want.Type)
			}
			if string(result.Err.StackTrace) != tt.wantTrace {
				t.Errorf("StackTrace = %s, want %s", result.Err.StackTrace, tt.wantTrace)
			}
			if result.Payload != nil {
				t.Errorf("Payload = %s, want nil", result.Payload)
			}
			if got := rt.Calls()[callErrors]; got != 1 {
				t.Errorf("errors = %d, want 1", got)
			}
		})
	}
}

func TestFunctionErrorString(t *testing.T) {
	tests := []struct {
		err  FunctionError
		want string
	}{
		{FunctionError{Message: "boom", Type: "errorString"}, "function error errorString: boom"},
		{FunctionError{Message: "boom"}, "function error: boom"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestAnswerTooLarge(t *testing.T) {
	rt, fn := newFakeFunction(t, testConfig())
	pending := invokeAsync(context.Background(), rt, `{}`)
	requestID, _, _ := fn.next(t)

	status, _ := fn.post(t, requestID, "response", bytes.Repeat([]byte("a"), maxResultBytes+1))
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized answer: status %d, want 413", status)
	}
	_, err := pending.wait(t)
	if !errors.Is(err, errResultTooLarge) {
		t.Errorf("Invoke error = %v, want errResultTooLarge", err)
	}
}

func TestRuntimeAPIRoutes(t *testing.T) {
	_, fn := newFakeFunction(t, testConfig())
	root := strings.TrimSuffix(fn.base, apiPrefix)
	tests := []struct {
		method string
		path   string
		want   int
	}{
		{http.MethodPost, apiPrefix + "next", http.StatusMethodNotAllowed},
		{http.MethodGet, apiPrefix + "some-id/response", http.StatusMethodNotAllowed},
		{http.MethodGet, apiPrefix + "some-id/error", http.StatusMethodNotAllowed},
		{http.MethodPost, apiPrefix + "some-id/result", http.StatusNotFound},
		{http.MethodPost, apiPrefix + "/response", http.StatusNotFound},
		{http.MethodGet, "/2018-06-01/runtime/invocation/next", http.StatusNotFound},
		{http.MethodGet, "/", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, root+tt.path, nil)
			if err != nil {
				t.Fatalf("build request: %v", err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.path, err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.want, body)
			}
			var apiErr errorBody
			if err := json.Unmarshal(body, &apiErr); err != nil || apiErr.Message == "" {
				t.Errorf("body %s is not a JSON error with errorMessage", body)
			}
		})
	}
}

func TestTimeoutSeconds(t *testing.T) {
	tests := []struct {
		timeout time.Duration
		want    int
	}{
		{50 * time.Millisecond, 1},
		{time.Second, 1},
		{1001 * time.Millisecond, 2},
		{60 * time.Second, 60},
		{24 * time.Hour, 86400},
	}
	for _, tt := range tests {
		if got := timeoutSeconds(tt.timeout); got != tt.want {
			t.Errorf("timeoutSeconds(%s) = %d, want %d", tt.timeout, got, tt.want)
		}
	}
}

func TestCallsHasEveryKey(t *testing.T) {
	calls := NewRuntime(Config{}).Calls()
	for _, key := range callKeys {
		if n, ok := calls[key]; !ok || n != 0 {
			t.Errorf("Calls()[%q] = %d, %t; want 0, true", key, n, ok)
		}
	}
	rt := NewRuntime(Config{})
	rt.Calls()[callInvocations] = 99
	if got := rt.Calls()[callInvocations]; got != 0 {
		t.Errorf("invocations = %d after changing a returned copy, want 0", got)
	}
}
