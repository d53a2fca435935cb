package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/credreport/credreport/internal/httpapi"
	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/ram"
	"github.com/credreport/credreport/internal/reportsvc"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/ossdriver"
)

// generationMargin is kept free before the invocation deadline so that a
// generation that runs out of time still leaves room to respond.
const generationMargin = 5 * time.Second

// handler serves every invocation. It keeps the clients of the last
// credentials, because Function Compute hands the same role credentials to
// many invocations in a row.
type handler struct {
	cfg    Config
	cfgErr error
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	current *clients
}

// clients are the RAM and OSS clients for one set of credentials.
type clients struct {
	fingerprint [32]byte
	ram         *ram.Client
	store       *store.Store
	service     *reportsvc.Service
	accountID   string
}

func newHandler(cfg Config, cfgErr error, log *slog.Logger, now func() time.Time) *handler {
	return &handler{cfg: cfg, cfgErr: cfgErr, log: log, now: now}
}

// invocation is the per-invocation state behind its log line.
type invocation struct {
	requestID string
	trigger   eventKind
	start     time.Time
	calls0    int64
}

// handle is the function's entry point for both triggers.
func (h *handler) handle(ctx context.Context, payload json.RawMessage) (any, error) {
	inv := invocation{start: h.now()}
	fc, _ := fccontext.FromContext(ctx)
	if fc != nil {
		inv.requestID = fc.RequestID
	}
	log := h.log.With("request_id", inv.requestID)

	trigger, err := classifyEvent(payload)
	if err != nil {
		log.Error("invocation rejected", "error", err.Error(), "payload_bytes", len(payload))
		return nil, err
	}
	inv.trigger = trigger
	log = log.With("trigger", trigger.String())

	switch trigger {
	case eventHTTP:
		var ev events.HTTPTriggerEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			log.Error("invocation rejected", "error", err.Error())
			return nil, fmt.Errorf("invalid HTTP-trigger event: %w", err)
		}
		return h.serveHTTP(ctx, fc, ev, inv, log), nil
	default:
		var ev events.TimerEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			log.Error("invocation rejected", "error", err.Error())
			return nil, fmt.Errorf("invalid timer event: %w", err)
		}
		return h.runTimer(ctx, fc, ev, inv, log)
	}
}

// credentials returns the invocation's role credentials, falling back to
// the ALIBABA_CLOUD_* variables for local runs.
func credentials(fc *fccontext.FcContext) ram.Credentials {
	if fc != nil && fc.Credentials.AccessKeyId != "" {
		return ram.Credentials{
			AccessKeyID:     fc.Credentials.AccessKeyId,
			AccessKeySecret: fc.Credentials.AccessKeySecret,
			SecurityToken:   fc.Credentials.SecurityToken,
		}
	}
	return ram.Credentials{
		AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
	}
}

// clientsFor returns clients for the invocation's credentials, reusing the
// previous ones while the credentials stay the same.
func (h *handler) clientsFor(ctx context.Context, fc *fccontext.FcContext) (*clients, error) {
	creds := credentials(fc)
	if creds.AccessKeyID == "" || creds.AccessKeySecret == "" {
		return nil, kind.Errorf(kind.Unauthenticated, "no credentials: the function needs a role (Function Compute passes its credentials with each invocation) or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	}
	fingerprint := sha256.Sum256([]byte(creds.AccessKeyID + "\x00" + creds.AccessKeySecret + "\x00" + creds.SecurityToken))
	h.mu.Lock()
	cur := h.current
	h.mu.Unlock()
	if cur != nil && cur.fingerprint == fingerprint {
		return cur, nil
	}

	region := h.cfg.Region
	if region == "" && fc != nil {
		region = fc.Region
	}
	if region == "" {
		return nil, kind.Errorf(kind.InvalidArgument, "no region: set CREDREPORT_REGION")
	}
	ramClient, err := ram.New(ram.Config{
		Credentials: creds,
		Endpoint:    h.cfg.RAMEndpoint,
		QPS:         h.cfg.RAMQPS,
		Concurrency: h.cfg.RAMConcurrency,
		UserAgent:   "credreport/" + version,
	})
	if err != nil {
		return nil, err
	}
	upload, public := h.cfg.ossEndpoints(region)
	drv, err := ossdriver.New(ossdriver.Config{
		Endpoint:       upload,
		PublicEndpoint: public,
		Region:         region,
		Bucket:         h.cfg.Bucket,
		Credentials: ossdriver.StaticCredentials(ossdriver.Credentials{
			AccessKeyID: creds.AccessKeyID, AccessKeySecret: creds.AccessKeySecret, SecurityToken: creds.SecurityToken,
		}),
		SSE:         h.cfg.SSE,
		SSEKMSKeyID: h.cfg.KMSKeyID,
	})
	if err != nil {
		return nil, err
	}
	st := store.New(drv, store.Options{Prefix: h.cfg.Prefix, Now: h.now, LockTTL: lockTTL(fc)})
	svc := reportsvc.New(st, reportsvc.Config{
		Source:        h.cfg.Source,
		MaxAge:        h.cfg.MaxAge,
		GeneratorName: "credreport/" + version,
		Now:           h.now,
	})
	c := &clients{fingerprint: fingerprint, ram: ramClient, store: st, service: svc}
	if fc != nil {
		c.accountID = fc.AccountId
	}
	if c.accountID == "" {
		caller, err := ramClient.CallerIdentity(ctx)
		if err != nil {
			return nil, err
		}
		c.accountID = caller.AccountID
	}
	h.mu.Lock()
	h.current = c
	h.mu.Unlock()
	return c, nil
}

// lockTTL returns a lock lifetime longer than the function's timeout.
// Function Compute stops an invocation at its timeout, so a live generation
// keeps its lock, and the lock of a stopped one expires a minute later.
func lockTTL(fc *fccontext.FcContext) time.Duration {
	if fc == nil || fc.Function.Timeout <= 0 {
		return store.DefaultLockTTL
	}
	return max(store.DefaultLockTTL, time.Duration(fc.Function.Timeout)*time.Second+time.Minute)
}

// generationContext leaves generationMargin before the invocation deadline.
func generationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, deadline.Add(-generationMargin))
	}
	return context.WithCancel(ctx)
}

func (h *handler) serveHTTP(ctx context.Context, fc *fccontext.FcContext, ev events.HTTPTriggerEvent, inv invocation, log *slog.Logger) *events.HTTPTriggerResponse {
	rec := httptest.NewRecorder()
	if h.cfgErr != nil {
		log.Error("request failed: invalid configuration", "error", h.cfgErr.Error())
		httpapi.WriteError(rec, http.StatusInternalServerError, "internal", "internal error; see the function logs")
		return httpResponse(rec)
	}
	req, err := httpRequest(ctx, ev)
	if err != nil {
		log.Warn("request rejected", "error", err.Error())
		httpapi.WriteError(rec, http.StatusBadRequest, "bad_request", err.Error())
		return httpResponse(rec)
	}
	c, err := h.clientsFor(ctx, fc)
	if err != nil {
		log.Error("request failed: cannot create clients", "error", err.Error(), "kind", kind.Of(err).String())
		httpapi.WriteError(rec, http.StatusInternalServerError, "internal", "internal error; see the function logs")
		return httpResponse(rec)
	}
	inv.calls0 = c.ram.Stats().Calls
	gctx, cancel := generationContext(req.Context())
	defer cancel()
	api := httpapi.New(httpapi.Config{AuthToken: h.cfg.AuthToken, URLExpiry: h.cfg.URLExpiry, Now: h.now}, httpapi.Deps{
		Service:   c.service,
		Store:     c.store,
		Generator: c.ram,
		AccountID: c.accountID,
		Owner:     inv.requestID,
		// NOTE: Function Compute passes no expiry with the role credentials.
		// A signed URL's lifetime is therefore bounded by
		// CREDREPORT_URL_EXPIRY alone, which must stay well under the role's
		// session duration.
		OnOutcome: func(out httpapi.Outcome) { h.logHTTP(log, c, inv, req, out) },
	})
	api.ServeHTTP(rec, req.WithContext(gctx))
	return httpResponse(rec)
}

// logHTTP writes the one line that sums up an HTTP invocation.
func (h *handler) logHTTP(log *slog.Logger, c *clients, inv invocation, req *http.Request, out httpapi.Outcome) {
	attrs := []any{
		"method", req.Method, "route", out.Route, "status", out.Status,
		"account_id", c.accountID, "cached", out.Cached, "generated", out.Generated,
		"api_calls", c.ram.Stats().Calls - inv.calls0,
		"duration_ms", h.now().Sub(inv.start).Milliseconds(),
	}
	if out.Entry.Key != "" {
		m := out.Entry.Metadata
		attrs = append(attrs, "key", out.Entry.Key, "source", string(m.Source), "users", m.UserCount,
			"generated_at", m.GeneratedAt.UTC().Format(time.RFC3339))
	}
	switch {
	case out.Err != nil && out.Status >= 500:
		log.Error("request failed", append(attrs, "error", out.Err.Error(), "kind", kind.Of(out.Err).String())...)
	case out.Err != nil:
		log.Info("request answered", append(attrs, "reason", out.Err.Error())...)
	case out.Status >= 400:
		log.Warn("request rejected", attrs...)
	default:
		log.Info("request served", attrs...)
	}
}

// TimerResult is the timer invocation's return value.
type TimerResult struct {
	Status      string `json:"status"` // fresh, generated or in_progress
	Key         string `json:"key,omitempty"`
	GeneratedAt string `json:"generated_at,omitempty"`
}

// runTimer regenerates the report when it is close to stale or the payload
// forces it. Another generation in progress is success: FC retries failed
// asynchronous invocations, and a retry would only wait for the same lock.
func (h *handler) runTimer(ctx context.Context, fc *fccontext.FcContext, ev events.TimerEvent, inv invocation, log *slog.Logger) (*TimerResult, error) {
	if h.cfgErr != nil {
		log.Error("timer run failed: invalid configuration", "error", h.cfgErr.Error())
		return nil, errors.New("invalid configuration; see the function logs")
	}
	opts, err := parseTimerPayload(ev)
	if err != nil {
		log.Error("timer run rejected", "error", err.Error())
		return nil, err
	}
	c, err := h.clientsFor(ctx, fc)
	if err != nil {
		log.Error("timer run failed: cannot create clients", "error", err.Error(), "kind", kind.Of(err).String())
		return nil, err
	}
	inv.calls0 = c.ram.Stats().Calls
	mode := reportsvc.ModeTimer
	if opts.Force {
		mode = reportsvc.ModeForce
	}
	gctx, cancel := generationContext(ctx)
	defer cancel()
	out, err := c.service.Ensure(gctx, reportsvc.Request{AccountID: c.accountID, Mode: mode, Owner: inv.requestID, Generator: c.ram})
	attrs := []any{"account_id", c.accountID, "force", opts.Force, "api_calls", c.ram.Stats().Calls - inv.calls0,
		"duration_ms", h.now().Sub(inv.start).Milliseconds()}
	var locked *store.ErrLocked
	switch {
	case errors.Is(err, reportsvc.ErrGenerating):
		holder := "unknown"
		if errors.As(err, &locked) {
			holder = locked.Owner
		}
		log.Info("timer run skipped: a generation is in progress", append(attrs, "holder", holder)...)
		return &TimerResult{Status: "in_progress"}, nil
	case err != nil:
		log.Error("timer run failed", append(attrs, "error", err.Error(), "kind", kind.Of(err).String())...)
		return nil, err
	}
	m := out.Entry.Metadata
	status := "fresh"
	if out.Generated {
		status = "generated"
	}
	log.Info("timer run finished", append(attrs, "status", status, "key", out.Entry.Key, "source", string(m.Source),
		"users", m.UserCount, "generated_at", m.GeneratedAt.UTC().Format(time.RFC3339))...)
	return &TimerResult{Status: status, Key: out.Entry.Key, GeneratedAt: m.GeneratedAt.UTC().Format(time.RFC3339)}, nil
}
