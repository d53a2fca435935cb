// Package fcruntime emulates the Function Compute 3.0 go1 runtime on loopback.
//
// A Runtime serves the runtime API that github.com/aliyun/fc-runtime-go-sdk v0.3.1
// polls (GET .../invocation/next, POST .../{requestID}/response and .../{requestID}/error).
// HTTPTrigger turns HTTP requests into FC 3.0 HTTP-trigger events, FireTimer and RunTimer
// send timer events, and StartProcess runs the unmodified function binary against the
// runtime API.
package fcruntime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// apiPrefix is the path of the runtime API that the SDK builds from FC_RUNTIME_API and
// its API version 2020-11-11.
const apiPrefix = "/2020-11-11/runtime/invocation/"

// Defaults that NewRuntime applies to zero Config fields.
const (
	defaultFunctionName = "credreport"
	defaultHandler      = "main"
	defaultMemoryMB     = 512
	defaultTimeout      = 60 * time.Second
)

// maxResultBytes limits the body of a /response or /error post.
//
// NOTE: FC 3.0 documents 32 MB for the request body of a synchronous invocation. No
// documented limit for the response of a built-in runtime was found, so the same value
// is assumed.
const maxResultBytes = 32 << 20

// maxAbandoned bounds how many timed-out or canceled request IDs are remembered so
// that a late /response or /error for them is accepted and discarded.
const maxAbandoned = 1024

// Keys of the map that Calls returns.
const (
	callInvocations = "invocations"  // events queued by Invoke, HTTPTrigger and FireTimer
	callHTTP        = "http"         // requests that HTTPTrigger turned into events
	callTimer       = "timer"        // timer events sent
	callErrors      = "errors"       // invocations that ended with an /error post
	callTimeouts    = "timeouts"     // invocations with no result by their deadline
	callCanceled    = "canceled"     // invocations whose caller's context ended first
	callAPINext     = "api_next"     // GET .../next requests received
	callAPIResponse = "api_response" // POST .../{requestID}/response requests received
	callAPIError    = "api_error"    // POST .../{requestID}/error requests received
)

var callKeys = []string{
	callInvocations, callHTTP, callTimer, callErrors, callTimeouts, callCanceled,
	callAPINext, callAPIResponse, callAPIError,
}

// Credentials are the temporary credentials of the function role that FC passes to
// every invocation.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Config describes the emulated function. Zero fields take the defaults listed on each.
type Config struct {
	// FunctionName is sent as x-fc-function-name; default "credreport".
	FunctionName string
	// Handler is sent as x-fc-function-handler; default "main", the binary name of a go1
	// function.
	Handler string
	// MemoryMB is sent as x-fc-function-memory; zero or negative means 512.
	MemoryMB int
	// Timeout is the function timeout; zero or negative means 60s. Invoke waits this
	// long on the real clock. The x-fc-function-timeout header carries it rounded up to
	// whole seconds (at least 1), and x-fc-function-deadline carries Now()+Timeout in
	// epoch milliseconds.
	Timeout time.Duration
	// Region is sent as x-fc-region when non-empty.
	Region string
	// AccountID is sent as x-fc-account-id when non-empty and fills
	// requestContext.accountId of HTTP-trigger events.
	AccountID string
	// Credentials are sent as x-fc-access-key-id, x-fc-access-key-secret and
	// x-fc-security-token; empty fields are left out.
	Credentials Credentials
	// Now stamps deadlines, event times and durations; nil means time.Now.
	Now func() time.Time
}

// Runtime is the FC runtime API for one function: an http.Handler serving
// /2020-11-11/runtime/invocation/... whose constructor does not listen. Several
// invocations may be in flight at once, because the SDK runs each one in its own
// goroutine and polls next again at once. All methods are safe for concurrent use.
//
// A pending next request returns only when an event is queued or its connection
// closes. Stop the function process before http.Server.Shutdown, or use
// http.Server.Close, so that shutdown does not wait for it.
type Runtime struct {
	cfg Config

	// instanceID makes request IDs unique across runtimes started in the same second.
	instanceID string

	mu          sync.Mutex
	credentials Credentials
	sequence    uint64
	// queue contains invocations that no next request has taken yet, oldest first.
	queue []*invocation
	// queueGrew is closed and replaced each time an invocation joins the queue.
	queueGrew chan struct{}
	// waiting contains the queued and delivered invocations without a result, by
	// request ID.
	waiting map[string]*invocation
	// abandoned contains delivered invocations that timed out or were canceled, so
	// their late results are accepted. abandonedOrder evicts the oldest first.
	abandoned      map[string]struct{}
	abandonedOrder []string
	calls          map[string]int
}

// NewRuntime returns a Runtime for cfg with defaults applied. It does not listen:
// mount it on an http.Server or httptest.Server and pass that address to StartProcess.
func NewRuntime(cfg Config) *Runtime {
	if cfg.FunctionName == "" {
		cfg.FunctionName = defaultFunctionName
	}
	if cfg.Handler == "" {
		cfg.Handler = defaultHandler
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = defaultMemoryMB
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	calls := make(map[string]int, len(callKeys))
	for _, key := range callKeys {
		calls[key] = 0
	}
	return &Runtime{
		cfg:         cfg,
		instanceID:  newInstanceID(),
		credentials: cfg.Credentials,
		queueGrew:   make(chan struct{}),
		waiting:     make(map[string]*invocation),
		abandoned:   make(map[string]struct{}),
		calls:       calls,
	}
}

// newInstanceID returns 12 random hex digits.
func newInstanceID() string {
	var b [6]byte
	// crypto/rand.Read never returns an error on supported platforms.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SetCredentials replaces the credentials sent with invocations delivered from now on.
// The environment of a running function process does not change.
func (r *Runtime) SetCredentials(c Credentials) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.credentials = c
}

// Calls returns a copy of the counters: "invocations", "http", "timer", "errors",
// "timeouts", "canceled", and the runtime API requests received, "api_next",
// "api_response" and "api_error". Every key is present, zero included.
func (r *Runtime) Calls() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := make(map[string]int, len(r.calls))
	for key, n := range r.calls {
		calls[key] = n
	}
	return calls
}

func (r *Runtime) count(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[key]++
}

// newRequestID returns an ID in FC's "1-<8 hex>-<24 hex>" shape: the epoch seconds of
// Now, then this runtime's instance ID and a sequence number.
func (r *Runtime) newRequestID() string {
	r.mu.Lock()
	r.sequence++
	sequence := r.sequence
	r.mu.Unlock()
	return fmt.Sprintf("1-%08x-%s%012x", uint32(r.cfg.Now().Unix()), r.instanceID, sequence)
}

// ServeHTTP implements the runtime API: GET next, POST {requestID}/response and POST
// {requestID}/error. Errors are JSON objects with errorMessage and errorType.
func (r *Runtime) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rest, ok := strings.CutPrefix(req.URL.Path, apiPrefix)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "NotFound",
			fmt.Sprintf("path %q is not part of the runtime API; use %snext", req.URL.Path, apiPrefix))
		return
	}

	if rest == "next" {
		if req.Method != http.MethodGet {
			writeMethodNotAllowed(w, req, http.MethodGet)
			return
		}
		r.serveNext(w, req)
		return
	}

	requestID, kind, ok := strings.Cut(rest, "/")
	if !ok || requestID == "" || (kind != "response" && kind != "error") {
		writeAPIError(w, http.StatusNotFound, "NotFound",
			fmt.Sprintf("path %q is not part of the runtime API; use {requestID}/response or {requestID}/error", req.URL.Path))
		return
	}
	if req.Method != http.MethodPost {
		writeMethodNotAllowed(w, req, http.MethodPost)
		return
	}
	r.serveResult(w, req, requestID, kind)
}

// serveNext blocks until an invocation is queued or the request ends, then sends the
// event with the headers that the SDK parses into fccontext.
func (r *Runtime) serveNext(w http.ResponseWriter, req *http.Request) {
	r.count(callAPINext)

	inv, credentials, ok := r.takeQueued(req.Context())
	if !ok {
		return
	}

	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("x-fc-request-id", inv.id)
	h.Set("x-fc-function-deadline", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("x-fc-function-timeout", strconv.Itoa(timeoutSeconds(r.cfg.Timeout)))
	h.Set("x-fc-retry-count", "0")
	h.Set("x-fc-function-type", "0")
	h.Set("x-fc-function-name", r.cfg.FunctionName)
	h.Set("x-fc-function-handler", r.cfg.Handler)
	h.Set("x-fc-function-memory", strconv.Itoa(r.cfg.MemoryMB))
	setIfNotEmpty(h, "x-fc-region", r.cfg.Region)
	setIfNotEmpty(h, "x-fc-account-id", r.cfg.AccountID)
	setIfNotEmpty(h, "x-fc-access-key-id", credentials.AccessKeyID)
	setIfNotEmpty(h, "x-fc-access-key-secret", credentials.AccessKeySecret)
	setIfNotEmpty(h, "x-fc-security-token", credentials.SecurityToken)
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	// A failed write means the function process went away. The invocation then ends
	// at its deadline.
	_, _ = w.Write(inv.payload)
}

// takeQueued removes the oldest queued invocation and marks it delivered, waiting for
// one until ctx ends. It also returns the credentials current at delivery.
func (r *Runtime) takeQueued(ctx context.Context) (*invocation, Credentials, bool) {
	for {
		r.mu.Lock()
		if ctx.Err() != nil {
			r.mu.Unlock()
			return nil, Credentials{}, false
		}
		if len(r.queue) > 0 {
			inv := r.queue[0]
			r.queue[0] = nil
			r.queue = r.queue[1:]
			inv.delivered = true
			credentials := r.credentials
			r.mu.Unlock()
			return inv, credentials, true
		}
		queueGrew := r.queueGrew
		r.mu.Unlock()

		select {
		case <-queueGrew:
		case <-ctx.Done():
			return nil, Credentials{}, false
		}
	}
}

// serveResult records the function's result for requestID. It responds 404 when the
// request ID was never delivered or already has a result, and 200 to a late result
// after a timeout or cancellation, which it discards.
func (r *Runtime) serveResult(w http.ResponseWriter, req *http.Request, requestID, kind string) {
	if kind == "response" {
		r.count(callAPIResponse)
	} else {
		r.count(callAPIError)
	}

	body, err := io.ReadAll(io.LimitReader(req.Body, maxResultBytes+1))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest",
			fmt.Sprintf("read %s body of request %s: %v", kind, requestID, err))
		return
	}

	var out outcome
	switch {
	case len(body) > maxResultBytes:
		out.err = fmt.Errorf("%s body is larger than %d bytes: %w", kind, maxResultBytes, errResultTooLarge)
	case kind == "response":
		out.payload = body
	default:
		out.functionErr = parseFunctionError(body)
	}

	if !r.complete(requestID, out) {
		writeAPIError(w, http.StatusNotFound, "InvocationNotFound",
			fmt.Sprintf("request ID %q is not in flight: next never delivered it or it already has a result", requestID))
		return
	}
	if out.err != nil {
		writeAPIError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge",
			fmt.Sprintf("%s body of request %s is larger than %d bytes", kind, requestID, maxResultBytes))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
}

// parseFunctionError decodes an /error body as the SDK sends it:
// {"errorMessage":...,"errorType":...,"stackTrace":[...]}. A body that is not such an
// object becomes the message, with an empty type.
func parseFunctionError(body []byte) *FunctionError {
	var wire struct {
		Message    string          `json:"errorMessage"`
		Type       string          `json:"errorType"`
		StackTrace json.RawMessage `json:"stackTrace"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		return &FunctionError{Message: string(body)}
	}
	return &FunctionError{Message: wire.Message, Type: wire.Type, StackTrace: wire.StackTrace}
}

// timeoutSeconds rounds d up to whole seconds, at least 1, because the SDK parses
// x-fc-function-timeout as an integer.
func timeoutSeconds(d time.Duration) int {
	seconds := int((d + time.Second - 1) / time.Second)
	return max(seconds, 1)
}

func setIfNotEmpty(h http.Header, key, value string) {
	if value != "" {
		h.Set(key, value)
	}
}

// errorBody is the JSON error object of the runtime API and of HTTPTrigger, in the
// shape the SDK posts to /error.
type errorBody struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType,omitempty"`
}

func writeAPIError(w http.ResponseWriter, status int, errorType, message string) {
	writeJSON(w, status, errorBody{Message: message, Type: errorType})
}

func writeMethodNotAllowed(w http.ResponseWriter, req *http.Request, allowed string) {
	w.Header().Set("Allow", allowed)
	writeAPIError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
		fmt.Sprintf("method %s is not allowed on %s; use %s", req.Method, req.URL.Path, allowed))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the fixed types of this package reach here, and they always marshal.
		panic(fmt.Sprintf("fcruntime: marshal %T: %v", v, err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
