// Package ram reads an Alibaba Cloud account's RAM users and credentials
// through the IMS (and STS) RPC APIs of github.com/aliyun/alibaba-cloud-sdk-go,
// with retries, a request budget and bounded concurrency, and turns what it
// reads into a credential report.
package ram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"github.com/credreport/credreport/internal/kind"
)

// Public endpoints of the services this package calls. Both are central
// (one endpoint for every region).
const (
	imsHost = "ims.aliyuncs.com"
	stsHost = "sts.aliyuncs.com"
)

// Defaults for Config fields left zero.
const (
	DefaultRegion      = "cn-hangzhou"
	DefaultCallTimeout = 10 * time.Second
	DefaultConcurrency = 8
	DefaultMaxAttempts = 10
)

// Credentials are an AccessKey pair and, for STS credentials, a security token.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// LogValue shows the AccessKey ID and hides the secret and the token.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", c.AccessKeyID),
		slog.Bool("security_token", c.SecurityToken != ""),
	)
}

// Config configures a Client.
type Config struct {
	Credentials Credentials
	// Region is the region the SDK signs for; RAM and IMS are global, so any
	// valid region works. Default cn-hangzhou.
	Region string
	// Endpoint overrides the IMS and STS endpoints, as "https://host:port",
	// "http://host:port" or "host:port" (HTTPS). Empty means the public
	// endpoints over HTTPS.
	Endpoint string
	// CallTimeout bounds one HTTP request. Default 10s.
	CallTimeout time.Duration
	// Concurrency is the most API calls in flight at once. Default 8.
	Concurrency int
	// QPS is the request budget in calls per second; 0 means unknown, and the
	// client then finds the rate by backing off when throttled.
	QPS float64
	// MaxAttempts bounds the tries of one call that keeps failing with a
	// retryable error. Default 10. The context deadline bounds them too.
	MaxAttempts int
	// UserAgent is appended to the SDK's User-Agent, such as "credreport/1.0.0".
	UserAgent string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Transport is the HTTP transport; nil means a tuned clone of http.DefaultTransport.
	Transport http.RoundTripper
}

// Client calls IMS and STS. It is safe for concurrent use.
type Client struct {
	cfg    Config
	scheme string
	ims    string // host[:port] for IMS calls
	sts    string // host[:port] for STS calls
	slots  chan *slot
	pace   *pacer

	calls     atomic.Int64
	throttled atomic.Int64
	retries   atomic.Int64
}

// slot is one SDK client. The v1 SDK mutates its client's HTTP timeout on
// every call, so a client must never serve two calls at once. The pool
// hands each call a slot of its own.
type slot struct {
	sdk       *sdk.Client
	transport *contextTransport
}

// contextTransport attaches the current call's context to the SDK's HTTP
// request, which the v1 SDK builds without one. The slot's owner sets ctx
// before each call; RoundTrip runs on the caller's goroutine.
type contextTransport struct {
	base http.RoundTripper
	ctx  context.Context
}

func (t *contextTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.ctx != nil {
		r = r.WithContext(t.ctx)
	}
	return t.base.RoundTrip(r)
}

// New returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	if cfg.Credentials.AccessKeyID == "" || cfg.Credentials.AccessKeySecret == "" {
		return nil, kind.Errorf(kind.Unauthenticated,
			"missing credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials)")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.QPS < 0 {
		return nil, kind.Errorf(kind.InvalidArgument, "invalid QPS %v: want 0 (unknown) or more", cfg.QPS)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, scheme: "HTTPS", ims: imsHost, sts: stsHost}
	if cfg.Endpoint != "" {
		scheme, host, err := parseEndpoint(cfg.Endpoint)
		if err != nil {
			return nil, err
		}
		c.scheme, c.ims, c.sts = scheme, host, host
	}
	base := cfg.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = cfg.Concurrency + 2
		t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		base = t
	}
	c.slots = make(chan *slot, cfg.Concurrency)
	for range cfg.Concurrency {
		s, err := newSlot(cfg, c.scheme, base)
		if err != nil {
			return nil, err
		}
		c.slots <- s
	}
	c.pace = newPacer(cfg.QPS, cfg.Concurrency, cfg.Now)
	return c, nil
}

func newSlot(cfg Config, scheme string, base http.RoundTripper) (*slot, error) {
	var cred auth.Credential
	if cfg.Credentials.SecurityToken != "" {
		cred = credentials.NewStsTokenCredential(cfg.Credentials.AccessKeyID, cfg.Credentials.AccessKeySecret, cfg.Credentials.SecurityToken)
	} else {
		cred = credentials.NewAccessKeyCredential(cfg.Credentials.AccessKeyID, cfg.Credentials.AccessKeySecret)
	}
	conf := sdk.NewConfig().WithScheme(scheme).WithAutoRetry(false)
	client, err := sdk.NewClientWithOptions(cfg.Region, conf, cred)
	if err != nil {
		return nil, kind.Errorf(kind.InvalidArgument, "create SDK client: %w", err)
	}
	transport := &contextTransport{base: base}
	client.SetTransport(transport)
	if cfg.UserAgent != "" {
		name, version, _ := strings.Cut(cfg.UserAgent, "/")
		client.AppendUserAgent(name, version)
	}
	return &slot{sdk: client, transport: transport}, nil
}

// parseEndpoint splits an endpoint override into the SDK's scheme and host.
func parseEndpoint(endpoint string) (scheme, host string, err error) {
	raw := endpoint
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", "", kind.Errorf(kind.InvalidArgument,
			"invalid RAM endpoint %q: want https://host[:port] or http://host[:port]", endpoint)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "HTTPS", u.Host, nil
	case "http":
		return "HTTP", u.Host, nil
	}
	return "", "", kind.Errorf(kind.InvalidArgument, "invalid RAM endpoint %q: scheme must be http or https", endpoint)
}

// Stats counts what a Client has sent so far.
type Stats struct {
	Calls     int64 // HTTP requests sent, retries included
	Throttled int64 // responses that were throttling errors
	Retries   int64 // requests that repeated an earlier failed one
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{Calls: c.calls.Load(), Throttled: c.throttled.Load(), Retries: c.retries.Load()}
}

// Concurrency returns the current number of calls allowed in flight, which
// shrinks when the service throttles and grows back after.
func (c *Client) Concurrency() int { return c.pace.currentLimit() }

// rpc is one API request: the SDK request and response plus where to send it.
type rpc struct {
	action   string
	host     string
	request  requests.AcsRequest
	response responses.AcsResponse
	// subject names what the call is about in error messages, such as a user.
	subject string
}

// do sends one call, retrying throttling, server and transport errors with
// exponential backoff and jitter until it succeeds, the error is not
// retryable, MaxAttempts is reached, or ctx ends.
func (c *Client) do(ctx context.Context, call rpc) error {
	call.request.SetDomain(call.host)
	call.request.SetScheme(c.scheme)
	call.request.SetReadTimeout(c.cfg.CallTimeout)
	call.request.SetConnectTimeout(c.cfg.CallTimeout)
	var last error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return c.interrupted(call, last, err)
		}
		ticket, err := c.pace.acquire(ctx)
		if err != nil {
			return c.interrupted(call, last, err)
		}
		if attempt > 1 {
			c.retries.Add(1)
		}
		err = c.send(ctx, call)
		c.calls.Add(1)
		k := classify(err)
		if k == kind.DeadlineExceeded && ctx.Err() == nil {
			// The request's own timeout ran out, not the caller's: the
			// service is slow, so the call may be retried.
			k = kind.Unavailable
		}
		if k == kind.Throttled {
			c.throttled.Add(1)
		}
		c.pace.release(ticket, k == kind.Throttled)
		if err == nil {
			return nil
		}
		last = describe(call, err, k)
		if !kind.Retryable(k) || attempt >= c.cfg.MaxAttempts {
			return last
		}
		if err := sleep(ctx, backoff(attempt, k)); err != nil {
			return c.interrupted(call, last, err)
		}
	}
}

// interrupted explains a call that ctx ended, keeping the last error it saw.
func (c *Client) interrupted(call rpc, last, ctxErr error) error {
	k := kind.DeadlineExceeded
	if errors.Is(ctxErr, context.Canceled) {
		k = kind.Canceled
	}
	if last != nil {
		return kind.Errorf(k, "%s: %w (last error: %v)", call.action, ctxErr, last)
	}
	return kind.Errorf(k, "%s: %w", call.action, ctxErr)
}

func (c *Client) send(ctx context.Context, call rpc) error {
	var s *slot
	select {
	case s = <-c.slots:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() {
		s.transport.ctx = nil
		c.slots <- s
	}()
	s.transport.ctx = ctx
	return s.sdk.DoAction(call.request, call.response)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrorCode returns the service error code in err's chain, or "".
func ErrorCode(err error) string {
	var se *APIError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// APIError is an error response from the service.
type APIError struct {
	Action     string
	HTTPStatus int
	Code       string
	Message    string
	RequestID  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d, request ID %s): %s", e.Code, e.HTTPStatus, e.RequestID, e.Message)
}
