package ossdriver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/credreport/credreport/internal/kind"
)

// Bounds of the wait before a retry.
const (
	retryBaseDelay = 100 * time.Millisecond
	retryMaxDelay  = 2 * time.Second
)

// credentialsProvider hands one fixed set of credentials to the SDK.
type credentialsProvider struct{ c Credentials }

func (p credentialsProvider) GetCredentials() oss.Credentials { return p }
func (p credentialsProvider) GetAccessKeyID() string          { return p.c.AccessKeyID }
func (p credentialsProvider) GetAccessKeySecret() string      { return p.c.AccessKeySecret }
func (p credentialsProvider) GetSecurityToken() string        { return p.c.SecurityToken }

// bucket fetches credentials and returns an SDK bucket handle on endpoint
// that signs with them.
func (d *Driver) bucket(ctx context.Context, op, key, endpoint string) (*oss.Bucket, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s %q: %w", op, key, err)
	}
	creds, err := d.cfg.Credentials(ctx)
	if err != nil {
		if kind.Of(err) == kind.Unknown {
			err = kind.Wrap(kind.Unauthenticated, err)
		}
		return nil, fmt.Errorf("%s %q: load OSS credentials: %w", op, key, err)
	}
	if creds.AccessKeyID == "" || creds.AccessKeySecret == "" {
		return nil, kind.Errorf(kind.Unauthenticated, "%s %q: the OSS credentials lack an AccessKey ID or secret", op, key)
	}

	opts := []oss.ClientOption{
		oss.AuthVersion(oss.AuthV4),
		oss.Region(d.cfg.Region),
		oss.SetCredentialsProvider(credentialsProvider{creds}),
		oss.HTTPClient(d.httpClient),
	}
	if pathStyle(endpoint) {
		opts = append(opts, oss.ForcePathStyle(true))
	}
	client, err := oss.New(endpoint, "", "", opts...)
	if err != nil {
		return nil, kind.Errorf(kind.InvalidArgument, "%s %q: create OSS client: %w", op, key, err)
	}
	b, err := client.Bucket(d.cfg.Bucket)
	if err != nil {
		return nil, kind.Errorf(kind.InvalidArgument, "%s %q: %w", op, key, err)
	}
	return b, nil
}

// request is one SDK call made under the context it is given.
type request func(ctx context.Context) error

// run makes one request under the per-request timeout and classifies its
// error. With retry set it retries throttled and unavailable failures.
func (d *Driver) run(ctx context.Context, op, key string, retry bool, req request) error {
	cancel, err := d.runKeep(ctx, op, key, retry, req)
	cancel()
	return err
}

// runKeep is run for requests whose response body outlives the call: on
// success the request context stays open until the returned cancel
// function is called. The caller must always call it.
func (d *Driver) runKeep(ctx context.Context, op, key string, retry bool, req request) (context.CancelFunc, error) {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return func() {}, fmt.Errorf("%s %q: %w", op, key, err)
		}

		rctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
		err := req(rctx)
		if err == nil {
			return cancel, nil
		}
		timedOut := errors.Is(rctx.Err(), context.DeadlineExceeded)
		cancel()

		switch {
		case ctx.Err() != nil:
			return func() {}, fmt.Errorf("%s %q: %w", op, key, ctx.Err())
		case timedOut:
			err = kind.Errorf(kind.Unavailable, "%s %q: timed out after %s (the per-request timeout): %w", op, key, d.cfg.RequestTimeout, err)
		default:
			err = d.mapError(op, key, err)
		}
		if !retry || attempt >= d.cfg.MaxRetries || !kind.Retryable(kind.Of(err)) {
			return func() {}, err
		}
		if werr := sleep(ctx, backoff(attempt)); werr != nil {
			return func() {}, fmt.Errorf("%s %q: %w (while waiting to retry after: %w)", op, key, werr, err)
		}
	}
}

// backoff returns a random wait before retry number attempt+1: full jitter
// over an exponential bound.
func backoff(attempt int) time.Duration {
	bound := min(retryBaseDelay<<attempt, retryMaxDelay)
	return time.Duration(rand.Int64N(int64(bound))) + time.Millisecond
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
