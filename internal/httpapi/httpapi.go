// Package httpapi is the HTTP API of the function's HTTP trigger: it serves
// the latest credential report as a short-lived signed URL, as CSV or as a
// redirect, generating a new one when the stored report is stale.
package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/reportsvc"
	"github.com/credreport/credreport/internal/store"
)

// Defaults for Config fields left zero.
const (
	DefaultURLExpiry  = 15 * time.Minute
	DefaultRetryAfter = 30 * time.Second
)

// Config holds the settings that stay the same across requests.
type Config struct {
	// AuthToken, when set, must arrive as "Authorization: Bearer <token>".
	AuthToken  string
	URLExpiry  time.Duration
	RetryAfter time.Duration
	Now        func() time.Time
}

// Deps are the per-request collaborators: they carry the credentials of
// the invocation that serves the request.
type Deps struct {
	Service   *reportsvc.Service
	Store     *store.Store
	Generator reportsvc.Generator
	AccountID string
	// Owner identifies this request in the generation lock.
	Owner string
	// CredentialsExpireAt is when the signing credentials expire; zero = unknown.
	CredentialsExpireAt time.Time
	// OnOutcome, when set, receives what the request did, for logging.
	OnOutcome func(Outcome)
}

// Outcome describes one handled request.
type Outcome struct {
	Status    int
	Route     string
	Cached    bool
	Generated bool
	Entry     store.Entry
	// Err is the error behind a failed request; its text never reaches the caller.
	Err error
}

// Handler serves the API for one set of Deps.
type Handler struct {
	cfg  Config
	deps Deps
}

// New returns the API handler.
func New(cfg Config, deps Deps) *Handler {
	if cfg.URLExpiry <= 0 {
		cfg.URLExpiry = DefaultURLExpiry
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg, deps: deps}
}

// route is one API endpoint.
type route struct {
	method  string
	handler func(*Handler, http.ResponseWriter, *http.Request) Outcome
}

var routes = map[string]route{
	"/report":         {http.MethodGet, (*Handler).getReport},
	"/report/refresh": {http.MethodPost, (*Handler).refreshReport},
	"/healthz":        {http.MethodGet, (*Handler).healthz},
}

// ServeHTTP dispatches the request and reports its Outcome.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every response concerns credentials or a URL that grants access to
	// them, so none may be cached.
	w.Header().Set("Cache-Control", "no-store")
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == "" {
		path = "/"
	}
	out := h.dispatch(w, r, path)
	out.Route = path
	if h.deps.OnOutcome != nil {
		h.deps.OnOutcome(out)
	}
}

func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, path string) Outcome {
	rt, ok := routes[path]
	if !ok {
		return h.fail(w, http.StatusNotFound, "not_found", fmt.Sprintf("no such path %q; use GET /report, POST /report/refresh or GET /healthz", path), nil)
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		allow := rt.method
		if rt.method == http.MethodGet {
			allow += ", " + http.MethodHead
		}
		w.Header().Set("Allow", allow)
		return h.fail(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s %s is not allowed; use %s", r.Method, path, rt.method), nil)
	}
	if path != "/healthz" && !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="credreport"`)
		return h.fail(w, http.StatusUnauthorized, "unauthorized", "missing or invalid bearer token: send Authorization: Bearer <CREDREPORT_AUTH_TOKEN>", nil)
	}
	return rt.handler(h, w, r)
}

// authorized checks the bearer token in constant time.
func (h *Handler) authorized(r *http.Request) bool {
	if h.cfg.AuthToken == "" {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	want := sha256.Sum256([]byte(h.cfg.AuthToken))
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) Outcome {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return Outcome{Status: http.StatusOK}
}

// reportQuery is the parsed query of GET /report.
type reportQuery struct {
	csv      bool
	redirect bool
}

func parseReportQuery(r *http.Request) (reportQuery, error) {
	var q reportQuery
	for name, values := range r.URL.Query() {
		value := values[len(values)-1]
		switch name {
		case "format":
			switch strings.ToLower(value) {
			case "", "json":
			case "csv":
				q.csv = true
			default:
				return q, fmt.Errorf("invalid format %q: want json or csv", value)
			}
		case "redirect":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return q, fmt.Errorf("invalid redirect %q: want 1 or 0", value)
			}
			q.redirect = b
		default:
			return q, fmt.Errorf("unknown parameter %q: GET /report takes format and redirect", name)
		}
	}
	if q.csv && q.redirect {
		return q, errors.New("format=csv and redirect=1 are exclusive: pick one")
	}
	return q, nil
}

func (h *Handler) getReport(w http.ResponseWriter, r *http.Request) Outcome {
	q, err := parseReportQuery(r)
	if err != nil {
		return h.fail(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
	}
	res, err := h.deps.Service.Ensure(r.Context(), h.request(reportsvc.ModeServe))
	if err != nil {
		return h.failFrom(w, err)
	}
	out := Outcome{Status: http.StatusOK, Cached: res.Cached, Generated: res.Generated, Entry: res.Entry}
	switch {
	case q.csv:
		return h.writeCSV(w, r, out)
	case q.redirect:
		url, _, err := h.deps.Store.SignedURL(r.Context(), res.Entry, h.cfg.URLExpiry, h.deps.CredentialsExpireAt)
		if err != nil {
			return h.failFrom(w, err)
		}
		w.Header().Set("Location", url)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusFound)
		out.Status = http.StatusFound
		return out
	}
	return h.writeSummary(w, r.Context(), out, http.StatusOK)
}

func (h *Handler) refreshReport(w http.ResponseWriter, r *http.Request) Outcome {
	if len(r.URL.Query()) > 0 {
		return h.fail(w, http.StatusBadRequest, "bad_request", "POST /report/refresh takes no parameters", nil)
	}
	res, err := h.deps.Service.Ensure(r.Context(), h.request(reportsvc.ModeRefresh))
	if err != nil {
		return h.failFrom(w, err)
	}
	out := Outcome{Status: http.StatusOK, Cached: res.Cached, Generated: res.Generated, Entry: res.Entry}
	return h.writeSummary(w, r.Context(), out, http.StatusOK)
}

func (h *Handler) request(mode reportsvc.Mode) reportsvc.Request {
	return reportsvc.Request{AccountID: h.deps.AccountID, Mode: mode, Owner: h.deps.Owner, Generator: h.deps.Generator}
}

// Summary is the JSON response of GET /report and POST /report/refresh.
type Summary struct {
	URL            string `json:"url"`
	ExpiresAt      string `json:"expires_at"`
	GeneratedAt    string `json:"generated_at"`
	AgeSeconds     int64  `json:"age_seconds"`
	Source         string `json:"source"`
	UserCount      int    `json:"user_count"`
	SHA256         string `json:"sha256"`
	Key            string `json:"key"`
	Cached         bool   `json:"cached"`
	RootRow        string `json:"root_row,omitempty"`
	VanishedUsers  int    `json:"vanished_users,omitempty"`
	FallbackReason string `json:"fallback_reason,omitempty"`
}

func (h *Handler) writeSummary(w http.ResponseWriter, ctx context.Context, out Outcome, status int) Outcome {
	url, expires, err := h.deps.Store.SignedURL(ctx, out.Entry, h.cfg.URLExpiry, h.deps.CredentialsExpireAt)
	if err != nil {
		return h.failFrom(w, err)
	}
	m := out.Entry.Metadata
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, Summary{
		URL:            url,
		ExpiresAt:      expires.UTC().Format(time.RFC3339),
		GeneratedAt:    m.GeneratedAt.UTC().Format(time.RFC3339),
		AgeSeconds:     int64(h.cfg.Now().Sub(m.GeneratedAt) / time.Second),
		Source:         string(m.Source),
		UserCount:      m.UserCount,
		SHA256:         m.SHA256,
		Key:            out.Entry.Key,
		Cached:         out.Cached,
		RootRow:        m.RootRow,
		VanishedUsers:  m.VanishedUsers,
		FallbackReason: m.FallbackReason,
	})
	out.Status = status
	return out
}

// writeCSV responds with the report bytes, checked against their SHA-256.
func (h *Handler) writeCSV(w http.ResponseWriter, r *http.Request, out Outcome) Outcome {
	body, _, err := h.deps.Store.Open(r.Context(), out.Entry.Key)
	if err != nil {
		return h.failFrom(w, err)
	}
	defer body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, body); err != nil {
		// The store's reader fails with kind.Internal when the bytes do not
		// match their metadata, so only an unclassified failure is the backend's.
		err = fmt.Errorf("read report %s: %w", out.Entry.Key, err)
		if kind.Of(err) == kind.Unknown {
			err = kind.Wrap(kind.Unavailable, err)
		}
		return h.failFrom(w, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if got := hex.EncodeToString(sum[:]); got != out.Entry.Metadata.SHA256 {
		return h.failFrom(w, kind.Errorf(kind.Internal, "report %s: SHA-256 %s does not match its metadata %s", out.Entry.Key, got, out.Entry.Metadata.SHA256))
	}
	m := out.Entry.Metadata
	hdr := w.Header()
	hdr.Set("Content-Type", "text/csv; charset=utf-8")
	hdr.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", out.Entry.FileName()))
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Credreport-Generated-At", m.GeneratedAt.UTC().Format(time.RFC3339))
	hdr.Set("X-Credreport-Age-Seconds", strconv.FormatInt(int64(h.cfg.Now().Sub(m.GeneratedAt)/time.Second), 10))
	hdr.Set("X-Credreport-Source", string(m.Source))
	hdr.Set("X-Credreport-User-Count", strconv.Itoa(m.UserCount))
	hdr.Set("X-Credreport-Sha256", m.SHA256)
	hdr.Set("X-Credreport-Key", out.Entry.Key)
	hdr.Set("X-Credreport-Cached", strconv.FormatBool(out.Cached))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
	out.Status = http.StatusOK
	return out
}

// failFrom maps a service error to a response: 202 while a generation runs
// elsewhere or cannot finish in time, 503 when RAM or OSS throttle or are
// down, and 500 without internals for everything else.
func (h *Handler) failFrom(w http.ResponseWriter, err error) Outcome {
	var locked *store.ErrLocked
	retry := strconv.Itoa(int(h.cfg.RetryAfter / time.Second))
	switch k := kind.Of(err); {
	case errors.Is(err, reportsvc.ErrGenerating) || errors.As(err, &locked) || errors.Is(err, reportsvc.ErrNotEnoughTime):
		w.Header().Set("Retry-After", retry)
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "generating"})
		return Outcome{Status: http.StatusAccepted, Err: err}
	case k == kind.Throttled || k == kind.Unavailable || k == kind.DeadlineExceeded:
		w.Header().Set("Retry-After", retry)
		return h.fail(w, http.StatusServiceUnavailable, "unavailable", "RAM or OSS is throttling or unavailable; retry later", err)
	}
	return h.fail(w, http.StatusInternalServerError, "internal", "internal error; see the function logs", err)
}

func (h *Handler) fail(w http.ResponseWriter, status int, code, message string, err error) Outcome {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
	return Outcome{Status: status, Err: err}
}

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error class and a message saying what the caller should do next.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError writes an error response outside a Handler, such as the 500 the
// function returns while its configuration is invalid.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
