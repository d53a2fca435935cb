// Package ram emulates the Alibaba Cloud RAM/IMS OpenAPI (IMS version
// 2019-08-15) for one account fixture. Server is an http.Handler that speaks
// the RPC protocol as github.com/aliyun/alibaba-cloud-sdk-go (signature
// HMAC-SHA1 1.0) and github.com/alibabacloud-go/darabonba-openapi/v2
// (ACS3-HMAC-SHA256) send it, so the unmodified SDKs can run against it on
// loopback.
package ram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/credreport/credreport/internal/fixture"
)

const (
	// imsVersion is the only API version the emulator serves.
	imsVersion = "2019-08-15"
	// timeLayout is the timestamp format of requests and responses (always UTC).
	timeLayout = "2006-01-02T15:04:05Z"
	// maxBodyBytes bounds a request body. RPC bodies are small forms.
	maxBodyBytes = 1 << 20
)

// Options tune a Server. The zero value serves the fixture as written, with the
// wall clock.
type Options struct {
	// Now is the emulator clock, and nil means time.Now. It drives the Timestamp
	// check, nonce expiry, the native report lifecycle and the ages in
	// GetAccountSecurityPracticeReport.
	Now func() time.Time
	// QPS overrides the fixture's limits.qps when non-nil. 0 means no limit.
	QPS *float64
	// Latency overrides the fixture's limits.latency_ms when non-nil.
	Latency *time.Duration
	// SkipTimestampCheck accepts any well-formed request timestamp. The SDKs
	// sign with the wall clock, so tests whose Now is far from it set this.
	SkipTimestampCheck bool
}

// Stats counts the requests and error responses of a Server.
type Stats struct {
	Requests     int // every request received
	Throttled    int // Throttling.User responses, from the QPS limit or injected faults
	ServerErrors int // injected InternalError responses
	AuthFailures int // rejected credentials, signatures, tokens, timestamps and nonces
}

// Server serves one account fixture over the RAM/IMS RPC protocol. It is safe
// for concurrent use. The constructor does not listen: mount it on an
// httptest.Server or an http.Server.
type Server struct {
	account            *fixture.Account
	now                func() time.Time
	skipTimestampCheck bool
	latency            time.Duration
	limiter            *rate.Limiter // nil when there is no QPS limit

	credentials map[string]*fixture.Credential
	directory   *directory
	policy      map[string]any
	native      *nativeReport // nil when the account has no native report
	nonces      *nonceStore

	requests     atomic.Int64
	throttled    atomic.Int64
	serverErrors atomic.Int64
	authFailures atomic.Int64

	callsMu sync.Mutex
	calls   map[string]int
}

// New indexes account for serving. It returns an error when the account cannot
// be served as written: duplicate user principal names or user IDs, a native
// report whose bytes were not loaded, or password policy fields that collide
// once converted to API names. The Server keeps pointers into account and
// never changes it, so the caller must not change it either once New returns.
func New(account *fixture.Account, opts Options) (*Server, error) {
	if account == nil {
		return nil, errors.New("new RAM emulator: account is nil")
	}
	s := &Server{
		account:            account,
		now:                opts.Now,
		skipTimestampCheck: opts.SkipTimestampCheck,
		credentials:        make(map[string]*fixture.Credential, len(account.Credentials)),
		nonces:             newNonceStore(nonceWindow),
		calls:              make(map[string]int),
	}
	if s.now == nil {
		s.now = time.Now
	}

	// Service level: the options override the fixture.
	qps := account.Limits.QPS
	if opts.QPS != nil {
		qps = *opts.QPS
	}
	if qps < 0 || math.IsNaN(qps) || math.IsInf(qps, 0) {
		return nil, fmt.Errorf("new RAM emulator: invalid QPS %v: want 0 (no limit) or a positive number", qps)
	}
	if qps > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(qps), max(1, int(math.Ceil(qps))))
	}
	s.latency = time.Duration(account.Limits.LatencyMS) * time.Millisecond
	if opts.Latency != nil {
		s.latency = *opts.Latency
	}
	if s.latency < 0 {
		return nil, fmt.Errorf("new RAM emulator: invalid latency %v: want 0 or more", s.latency)
	}

	// Indexes, so that every call is O(1) or O(page).
	for i := range account.Credentials {
		c := &account.Credentials[i]
		s.credentials[c.AccessKeyID] = c
	}
	var err error
	if s.directory, err = newDirectory(account); err != nil {
		return nil, fmt.Errorf("new RAM emulator: %w", err)
	}
	if s.policy, err = passwordPolicyFields(account.PasswordPolicy); err != nil {
		return nil, fmt.Errorf("new RAM emulator: %w", err)
	}
	if s.native, err = newNativeReport(account); err != nil {
		return nil, fmt.Errorf("new RAM emulator: %w", err)
	}
	return s, nil
}

// Calls returns how many requests the server received per Action, including
// requests rejected with an error. Requests without an Action count under "".
func (s *Server) Calls() map[string]int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	out := make(map[string]int, len(s.calls))
	for action, n := range s.calls {
		out[action] = n
	}
	return out
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	return Stats{
		Requests:     int(s.requests.Load()),
		Throttled:    int(s.throttled.Load()),
		ServerErrors: int(s.serverErrors.Load()),
		AuthFailures: int(s.authFailures.Load()),
	}
}

// call is one authenticated request on its way to an action handler.
type call struct {
	requestID string
	params    map[string]string
	caller    *fixture.Credential
	now       time.Time
}

// param returns the named parameter, or "" when it is absent.
func (c *call) param(name string) string {
	return c.params[name]
}

// actionHandler serves one IMS action. It returns the response document,
// which must carry the request ID, or an error response.
type actionHandler func(s *Server, c *call) (any, *apiError)

// actions are the IMS 2019-08-15 actions the emulator serves.
var actions = map[string]actionHandler{
	"ListUsers":                        (*Server).listUsers,
	"GetUser":                          (*Server).getUser,
	"GetLoginProfile":                  (*Server).getLoginProfile,
	"ListAccessKeys":                   (*Server).listAccessKeys,
	"GetAccessKeyLastUsed":             (*Server).getAccessKeyLastUsed,
	"GetUserMFAInfo":                   (*Server).getUserMFAInfo,
	"ListVirtualMFADevices":            (*Server).listVirtualMFADevices,
	"GetPasswordPolicy":                (*Server).getPasswordPolicy,
	"GetAccountMFAInfo":                (*Server).getAccountMFAInfo,
	"GetAccountSecurityPracticeReport": (*Server).getAccountSecurityPracticeReport,
	"GenerateCredentialReport":         (*Server).generateCredentialReport,
	"GetCredentialReport":              (*Server).getCredentialReport,
}

// versions maps each served API version to its actions.
var versions = map[string]map[string]actionHandler{
	imsVersion: actions,
	stsVersion: stsActions,
}

// ServeHTTP serves one RPC request: it counts the request, applies the QPS
// limit and injected faults, authenticates the caller and runs the action.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	seq := s.requests.Add(1)
	requestID := formatRequestID(seq)

	status, body, apiErr := s.respond(r, seq, requestID)
	switch {
	case apiErr == nil:
	case apiErr.auth:
		s.authFailures.Add(1)
	case apiErr.code == "Throttling.User":
		s.throttled.Add(1)
	case apiErr.status == http.StatusInternalServerError:
		s.serverErrors.Add(1)
	}

	// The delay applies to every response. A caller that has gone away gets none.
	if !sleep(r.Context(), s.latency) {
		return
	}
	if apiErr != nil {
		writeError(w, requestID, apiErr)
		return
	}
	writeJSON(w, requestID, status, body)
}

// respond computes the response to request number seq.
func (s *Server) respond(r *http.Request, seq int64, requestID string) (int, any, *apiError) {
	req, parseErr := readRequest(r)
	s.recordCall(req.action)

	// Admission: the rate limit and the injected faults see every request.
	if e := s.admit(seq); e != nil {
		return 0, nil, e
	}
	if parseErr != nil {
		return 0, nil, parseErr
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return 0, nil, newError(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod",
			"HTTP method %s is not supported: send RPC requests with GET or POST.", r.Method)
	}
	if r.URL.Path != "/" {
		return 0, nil, newError(http.StatusNotFound, "InvalidApi.NotFound",
			"RPC requests go to path \"/\", not %q.", r.URL.Path)
	}

	// Authentication, by the signature scheme the request uses.
	now := s.now()
	var caller *fixture.Credential
	var e *apiError
	if req.acs3 {
		caller, e = s.authenticateACS3(r, req, now)
	} else {
		caller, e = s.authenticateRPC(r.Method, req, now)
	}
	if e != nil {
		return 0, nil, e
	}

	// Dispatch on Action and Version.
	if req.action == "" {
		return 0, nil, errMissingParameter("Action")
	}
	if req.version == "" {
		return 0, nil, errMissingParameter("Version")
	}
	table, ok := versions[req.version]
	if !ok {
		return 0, nil, newError(http.StatusBadRequest, "InvalidVersion",
			"Version %q is not supported: this endpoint serves IMS version %s and STS version %s.", req.version, imsVersion, stsVersion)
	}
	handler, ok := table[req.action]
	if !ok {
		return 0, nil, newError(http.StatusNotFound, "InvalidApi.NotFound",
			"The action %q does not exist in API version %s.", req.action, req.version)
	}
	if format := req.params["Format"]; format != "" && !strings.EqualFold(format, "JSON") {
		return 0, nil, errInvalidParameter("Format", "Format %q is not supported: this emulator responds only in JSON.", format)
	}
	body, e := handler(s, &call{requestID: requestID, params: req.params, caller: caller, now: now})
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, body, nil
}

func (s *Server) recordCall(action string) {
	s.callsMu.Lock()
	s.calls[action]++
	s.callsMu.Unlock()
}

// request is the decoded form of an RPC request.
type request struct {
	// params are the query and form-body parameters, one value per name.
	params  map[string]string
	body    []byte
	acs3    bool // signed with an ACS3 Authorization header rather than a Signature parameter
	action  string
	version string
}

// readRequest decodes r. It returns the request even when the parameters are
// malformed, with the action as far as it can be read, so that the call is
// still counted.
func readRequest(r *http.Request) (*request, *apiError) {
	req := &request{
		params: make(map[string]string),
		acs3:   strings.HasPrefix(r.Header.Get("Authorization"), "ACS3-"),
	}
	e := req.readParams(r)

	// ACS3 requests name the action and version in headers.
	req.action, req.version = req.params["Action"], req.params["Version"]
	if req.acs3 {
		if v := r.Header.Get("x-acs-action"); v != "" {
			req.action = v
		}
		if v := r.Header.Get("x-acs-version"); v != "" {
			req.version = v
		}
	}
	return req, e
}

// readParams reads the query string and a form-encoded body into req.params,
// and keeps the raw body for the ACS3 payload hash.
func (req *request) readParams(r *http.Request) *apiError {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errInvalidParameter("Query", "The query string is malformed: %v.", err)
	}
	if e := mergeParams(req.params, query, "query string"); e != nil {
		return e
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return errInvalidParameter("Body", "Reading the request body failed: %v.", err)
	}
	if len(body) > maxBodyBytes {
		return newError(http.StatusRequestEntityTooLarge, "InvalidParameter.Body",
			"The request body is larger than %d bytes.", maxBodyBytes)
	}
	req.body = body
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/x-www-form-urlencoded" {
		return errInvalidParameter("Body",
			"Body parameters must be form-encoded (application/x-www-form-urlencoded), not %q.", mediaType)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return errInvalidParameter("Body", "The form body is malformed: %v.", err)
	}
	return mergeParams(req.params, form, "form body")
}

// mergeParams adds values to params. A name given twice is rejected because
// the signature covers one value per name.
func mergeParams(params map[string]string, values url.Values, where string) *apiError {
	for name, list := range values {
		if _, dup := params[name]; dup || len(list) > 1 {
			return errInvalidParameter("Duplicate", "The parameter %q appears more than once (in the %s); send it once.", name, where)
		}
		params[name] = list[0]
	}
	return nil
}

// formatRequestID makes a request ID in the UUID shape that IMS uses, unique per server.
func formatRequestID(seq int64) string {
	return fmt.Sprintf("E0A1C2B3-0000-4000-8000-%012X", seq)
}

// sleep waits for d, or until ctx ends. It reports whether the full delay passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
