package fcruntime

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// startTrigger starts the test function and an HTTP trigger in front of it.
func startTrigger(t *testing.T, cfg Config) (*function, *httptest.Server) {
	t.Helper()
	fn := startFunction(t, cfg)
	trigger := httptest.NewServer(NewHTTPTrigger(fn.rt))
	t.Cleanup(trigger.Close)
	return fn, trigger
}

func doRequest(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp, readBody(t, resp)
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	return doRequest(t, req)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func TestHTTPTriggerEventFields(t *testing.T) {
	cfg := testConfig()
	cfg.Now = fixedClock
	fn, trigger := startTrigger(t, cfg)

	req, err := http.NewRequest(http.MethodGet, trigger.URL+"/echo/a%20b?status=201&tag=one&tag=two&q=x%20y", nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.Header.Set("User-Agent", "credreport-test/1.0")
	req.Header.Add("X-Multi", "first")
	req.Header.Add("X-Multi", "second")
	req.Header["x-lower-case"] = []string{"sent lower-case"}
	resp, body := doRequest(t, req)

	if resp.StatusCode != 201 {
		t.Fatalf("status = %d, want 201 from ?status=201 (body %s)", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Echo"); got != "yes" {
		t.Errorf("response header X-Echo = %q, want yes", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("response Content-Type = %q, want application/json", got)
	}
	requestID := resp.Header.Get("X-Fc-Request-Id")
	if requestID == "" {
		t.Error("response has no X-Fc-Request-Id")
	}

	var event events.HTTPTriggerEvent
	decodeJSON(t, body, &event)
	rc := event.TriggerContext
	fields := []struct {
		name string
		got  string
		want string
	}{
		{"version", deref(event.Version), "v1"},
		{"rawPath", deref(event.RawPath), "/echo/a%20b"},
		{"body", deref(event.Body), ""},
		{"requestContext.accountId", deref(rc.AccountId), "1234567890123456"},
		{"requestContext.domainName", deref(rc.DomainName), "127.0.0.1"},
		{"requestContext.domainPrefix", deref(rc.DomainPrefix), ""},
		{"requestContext.http.method", deref(rc.Http.Method), "GET"},
		{"requestContext.http.path", deref(rc.Http.Path), "/echo/a b"},
		{"requestContext.http.protocol", deref(rc.Http.Protocol), "HTTP/1.1"},
		{"requestContext.http.sourceIp", deref(rc.Http.SourceIp), "127.0.0.1"},
		{"requestContext.http.userAgent", deref(rc.Http.UserAgent), "credreport-test/1.0"},
		{"requestContext.requestId", deref(rc.RequestId), requestID},
		{"requestContext.time", deref(rc.Time), "2030-01-02T03:04:05Z"},
		{"requestContext.timeEpoch", deref(rc.TimeEpoch), strconv.FormatInt(fixedNow.UnixMilli(), 10)},
	}
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if event.IsBase64Encoded == nil || *event.IsBase64Encoded {
		t.Errorf("isBase64Encoded = %v, want false", event.IsBase64Encoded)
	}

	headers := deref(event.Headers)
	wantHeaders := map[string]string{
		"X-Multi":      "first,second",
		"X-Lower-Case": "sent lower-case",
		"User-Agent":   "credreport-test/1.0",
	}
	for key, value := range wantHeaders {
		if got := headers[key]; got != value {
			t.Errorf("headers[%q] = %q, want %q (headers %v)", key, got, value, headers)
		}
	}
	if _, ok := headers["x-lower-case"]; ok {
		t.Errorf("headers keep the non-canonical key x-lower-case: %v", headers)
	}

	query := deref(event.QueryParameters)
	wantQuery := map[string]string{"status": "201", "tag": "one,two", "q": "x y"}
	if len(query) != len(wantQuery) {
		t.Errorf("queryParameters = %v, want %v", query, wantQuery)
	}
	for key, value := range wantQuery {
		if got := query[key]; got != value {
			t.Errorf("queryParameters[%q] = %q, want %q", key, got, value)
		}
	}

	if out := fn.output.String(); !strings.Contains(out, "FC Invoke Start RequestId: "+requestID) {
		t.Errorf("function output lacks the SDK start line for %s:\n%s", requestID, out)
	}
}

func TestHTTPTriggerRequestBody(t *testing.T) {
	_, trigger := startTrigger(t, testConfig())
	binary := []byte{0xff, 0x00, 0xfe, 0x01}
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantBody    string
		wantBase64  bool
	}{
		{"plain text", "text/plain; charset=utf-8", []byte("hello, 世界"), "hello, 世界", false},
		{"json", "application/json", []byte(`{"a":1}`), `{"a":1}`, false},
		{"no content type", "", []byte("form=1"), "form=1", false},
		{"octet stream", "application/octet-stream", binary, base64.StdEncoding.EncodeToString(binary), true},
		{"invalid UTF-8 labelled text", "text/plain", binary, base64.StdEncoding.EncodeToString(binary), true},
		{"valid UTF-8 labelled binary", "image/png", []byte("PNG"), base64.StdEncoding.EncodeToString([]byte("PNG")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, trigger.URL+"/echo", bytes.NewReader(tt.body))
			if err != nil {
				t.Fatalf("build request: %v", err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, body := doRequest(t, req)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", resp.StatusCode, body)
			}

			var event events.HTTPTriggerEvent
			decodeJSON(t, body, &event)
			if got := deref(event.Body); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
			if got := deref(event.IsBase64Encoded); got != tt.wantBase64 {
				t.Errorf("isBase64Encoded = %t, want %t", got, tt.wantBase64)
			}
			if got := deref(event.TriggerContext.Http.Method); got != http.MethodPost {
				t.Errorf("method = %q, want POST", got)
			}
		})
	}
}

func TestHTTPTriggerBinaryResponse(t *testing.T) {
	_, trigger := startTrigger(t, testConfig())

	resp, body := get(t, trigger.URL+"/binary")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", resp.StatusCode, body)
	}
	if want := []byte{0x00, 0xff, 0x10, 0x80, 0xfe}; !bytes.Equal(body, want) {
		t.Errorf("body = %x, want %x", body, want)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("Content-Type = %q, want application/octet-stream", got)
	}
}

func TestHTTPTriggerFunctionFailures(t *testing.T) {
	fn, trigger := startTrigger(t, testConfig())
	tests := []struct {
		path        string
		wantMessage string
		wantType    string
	}{
		{"/error", "requested failure", "errorString"},
		{"/panic", "requested panic", "string"},
		{"/not-a-response", "", "InvalidResponse"},
		{"/no-status", "", "InvalidResponse"},
		{"/bad-base64", "", "InvalidResponse"},
		{"/echo?status=99", "", "InvalidResponse"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, trigger.URL+tt.path)
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status = %d, want 502 (body %s)", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			var failure errorBody
			decodeJSON(t, body, &failure)
			if failure.Type != tt.wantType {
				t.Errorf("errorType = %q, want %q", failure.Type, tt.wantType)
			}
			if tt.wantMessage != "" && failure.Message != tt.wantMessage {
				t.Errorf("errorMessage = %q, want %q", failure.Message, tt.wantMessage)
			}
			if failure.Message == "" {
				t.Error("errorMessage is empty")
			}

			// The function keeps serving after every failure, a panic included.
			select {
			case <-fn.process.Done():
				t.Fatalf("function process exited after %s: %v", tt.path, fn.process.Wait())
			default:
			}
			if resp, body := get(t, trigger.URL+"/echo"); resp.StatusCode != http.StatusOK {
				t.Errorf("request after %s: status %d, want 200 (body %s)", tt.path, resp.StatusCode, body)
			}
		})
	}
}

func TestHTTPTriggerTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout = 300 * time.Millisecond
	fn, trigger := startTrigger(t, cfg)

	resp, body := get(t, trigger.URL+"/sleep?millis=3000")
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status = %d, want 504 (body %s)", resp.StatusCode, body)
	}
	var failure errorBody
	decodeJSON(t, body, &failure)
	if !strings.Contains(failure.Message, "timed out") {
		t.Errorf("errorMessage = %q, want it to say the function timed out", failure.Message)
	}

	resp, body = get(t, trigger.URL+"/echo")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("request after the timeout: status %d, want 200 (body %s)", resp.StatusCode, body)
	}
	if got := fn.rt.Calls()[callTimeouts]; got != 1 {
		t.Errorf("timeouts = %d, want 1", got)
	}
}

func TestHTTPTriggerConcurrentRequests(t *testing.T) {
	const requests = 10
	_, trigger := startTrigger(t, testConfig())

	// Each "gather" invocation waits until all ten have arrived in the function, so
	// all of them succeed only if the runtime keeps ten in flight at once.
	var wg sync.WaitGroup
	statuses := make([]int, requests)
	bodies := make([]string, requests)
	errs := make([]error, requests)
	for i := range requests {
		wg.Go(func() {
			resp, err := http.Get(fmt.Sprintf("%s/gather?count=%d", trigger.URL, requests))
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			statuses[i], bodies[i], errs[i] = resp.StatusCode, string(body), err
		})
	}
	wg.Wait()

	arrivals := map[string]bool{}
	for i := range requests {
		if errs[i] != nil {
			t.Errorf("request %d: %v", i, errs[i])
			continue
		}
		if statuses[i] != http.StatusOK {
			t.Errorf("request %d: status %d, want 200 (body %s)", i, statuses[i], bodies[i])
			continue
		}
		arrivals[bodies[i]] = true
	}
	for n := 1; n <= requests; n++ {
		if !arrivals[strconv.Itoa(n)] {
			t.Errorf("no request arrived as number %d; arrivals %v", n, arrivals)
		}
	}
}

func TestHTTPTriggerBodyTooLarge(t *testing.T) {
	rt := NewRuntime(testConfig())
	trigger := httptest.NewServer(NewHTTPTrigger(rt))
	defer trigger.Close()

	resp, err := http.Post(trigger.URL+"/echo", "application/octet-stream",
		bytes.NewReader(make([]byte, maxHTTPBodyBytes+1)))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413 (body %s)", resp.StatusCode, body)
	}
	if got := rt.Calls()[callInvocations]; got != 0 {
		t.Errorf("invocations = %d, want 0 for a rejected request", got)
	}
}

func TestHTTPTriggerClientGone(t *testing.T) {
	rt, fn := newFakeFunction(t, testConfig())
	trigger := httptest.NewServer(NewHTTPTrigger(rt))
	defer trigger.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, trigger.URL+"/echo", nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()

	fn.next(t)
	cancel()
	if err := <-done; err == nil {
		t.Error("request succeeded after its context was canceled")
	}
	waitFor(t, func() bool { return rt.Calls()[callCanceled] == 1 }, "count of the canceled invocation")
}

func TestJoinHeaders(t *testing.T) {
	got := joinHeaders(http.Header{
		"x-custom":        {"lower"},
		"X-Custom":        {"canonical-1", "canonical-2"},
		"Accept-Encoding": {"gzip"},
	})
	want := map[string]string{
		"X-Custom":        "canonical-1,canonical-2,lower",
		"Accept-Encoding": "gzip",
	}
	if len(got) != len(want) {
		t.Errorf("joinHeaders = %v, want %v", got, want)
	}
	for key, value := range want {
		if got[key] != value {
			t.Errorf("joinHeaders[%q] = %q, want %q", key, got[key], value)
		}
	}
}

func TestDomainOf(t *testing.T) {
	tests := []struct {
		host       string
		wantDomain string
		wantPrefix string
	}{
		{"credrep-abcdefgh.cn-hangzhou.fcapp.run", "credrep-abcdefgh.cn-hangzhou.fcapp.run", "credrep-abcdefgh"},
		{"localhost:9000", "localhost", "localhost"},
		{"127.0.0.1:9000", "127.0.0.1", ""},
		{"[::1]:9000", "::1", ""},
	}
	for _, tt := range tests {
		domain, prefix := domainOf(tt.host)
		if domain != tt.wantDomain || prefix != tt.wantPrefix {
			t.Errorf("domainOf(%q) = %q, %q; want %q, %q", tt.host, domain, prefix, tt.wantDomain, tt.wantPrefix)
		}
	}
}

func TestIsTextContentType(t *testing.T) {
	tests := []struct {
		contentType string
		want        bool
	}{
		{"", true},
		{"text/html; charset=utf-8", true},
		{"application/json", true},
		{"application/problem+json", true},
		{"application/x-www-form-urlencoded", true},
		{"application/octet-stream", false},
		{"image/png", false},
		{"not a media type;;", false},
	}
	for _, tt := range tests {
		if got := isTextContentType(tt.contentType); got != tt.want {
			t.Errorf("isTextContentType(%q) = %t, want %t", tt.contentType, got, tt.want)
		}
	}
}

func TestWriteTriggerResponse(t *testing.T) {
	tests := []struct {
		name       string
		payload    string
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{
			name:       "text body with headers",
			payload:    `{"statusCode":302,"headers":{"Location":"/report","content-length":"999"},"body":"moved"}`,
			wantStatus: 302,
			wantBody:   "moved",
			wantHeader: map[string]string{"Location": "/report", "Content-Length": "5"},
		},
		{
			name:       "base64 body",
			payload:    `{"statusCode":200,"isBase64Encoded":true,"body":"aGk="}`,
			wantStatus: 200,
			wantBody:   "hi",
		},
		{name: "null", payload: `null`, wantStatus: 502},
		{name: "string", payload: `"hello"`, wantStatus: 502},
		{name: "status as string", payload: `{"statusCode":"200"}`, wantStatus: 502},
		{name: "status 600", payload: `{"statusCode":600}`, wantStatus: 502},
		{name: "header not a string", payload: `{"statusCode":200,"headers":{"X-A":1}}`, wantStatus: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeTriggerResponse(rec, []byte(tt.payload))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 502 {
				var failure errorBody
				decodeJSON(t, rec.Body.Bytes(), &failure)
				if failure.Type != "InvalidResponse" {
					t.Errorf("errorType = %q, want InvalidResponse", failure.Type)
				}
				return
			}
			if rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
			}
			for key, value := range tt.wantHeader {
				if got := rec.Header().Get(key); got != value {
					t.Errorf("header %s = %q, want %q", key, got, value)
				}
			}
		})
	}
}

func TestHTTPTriggerEventIsJSONObject(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://fn.example/x?a=1", nil)
	event := newHTTPTriggerEvent(req, nil, "1-00000000-id", "123", fixedNow)
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatalf("encode event: %v", err)
	}
	var raw map[string]json.RawMessage
	decodeJSON(t, payload, &raw)
	for _, key := range []string{"version", "rawPath", "body", "isBase64Encoded", "headers", "queryParameters", "requestContext"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("event lacks %q: %s", key, payload)
		}
	}
	var rc map[string]json.RawMessage
	decodeJSON(t, raw["requestContext"], &rc)
	if got, want := string(rc["timeEpoch"]), strconv.Quote(strconv.FormatInt(fixedNow.UnixMilli(), 10)); got != want {
		t.Errorf("timeEpoch = %s, want the JSON string %s", got, want)
	}
	if got := string(raw["headers"]); got != "{}" {
		t.Errorf("headers = %s, want {} for a request without headers", got)
	}
}

func TestWriteTriggerResponseNoContent(t *testing.T) {
	rec := httptest.NewRecorder()
	writeTriggerResponse(rec, []byte(`{"statusCode":204,"body":"dropped"}`))
	if rec.Code != http.StatusNoContent {
		t.Errorf("status = %d, want 204", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("body = %q, want empty for 204", rec.Body)
	}
}
