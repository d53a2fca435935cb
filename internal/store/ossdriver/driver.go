// Package ossdriver is the driver.Driver for Alibaba Cloud Object Storage
// Service, built on github.com/aliyun/aliyun-oss-go-sdk v3.0.2 with V4
// signatures throughout.
//
// Each driver call fetches credentials once through Config.Credentials and
// builds a light SDK client with them, so rotating STS credentials take
// effect on the next call. Each HTTP request runs under its own timeout
// (Config.RequestTimeout) and the caller's context, which the SDK honours
// through oss.WithContext.
//
// SDK v3.0.2 declares a retry count (Config.RetryTimes, default 5) but no
// code path reads it, so the SDK itself never retries. This driver retries
// idempotent requests that failed as throttled or unavailable, at most
// Config.MaxRetries times (2 by default), with jittered exponential
// backoff. Writes are not retried.
package ossdriver

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/store/driver"
)

const (
	defaultContentType = "application/octet-stream"
	metaHeaderPrefix   = "x-oss-meta-"

	// v4TimeLayout is the layout of the x-oss-date parameter of V4 URLs.
	v4TimeLayout = "20060102T150405Z"
	// maxURLExpiry is the longest validity of a V4 presigned URL: 7 days.
	maxURLExpiry = 7 * 24 * time.Hour
)

// Driver stores objects in one OSS bucket. It is safe for concurrent use.
type Driver struct {
	cfg        Config
	httpClient *http.Client
}

var _ driver.Driver = (*Driver)(nil)

// New returns a Driver for cfg. It validates cfg but makes no request.
func New(cfg Config) (*Driver, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		// Compressed responses would break Content-Length and CRC-64 checks.
		transport.DisableCompression = true
		hc = &http.Client{
			Transport: transport,
			// A redirect of a signed request is a wrong endpoint or region;
			// surfacing it beats following it with the signature dropped.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Driver{cfg: cfg, httpClient: hc}, nil
}

// objectOptions returns the SDK options for the attributes of a new object.
func (d *Driver) objectOptions(opts driver.PutOptions) []oss.Option {
	contentType := opts.ContentType
	if contentType == "" {
		contentType = defaultContentType
	}
	out := []oss.Option{oss.ContentType(contentType), oss.ServerSideEncryption(d.cfg.SSE)}
	if d.cfg.SSEKMSKeyID != "" {
		out = append(out, oss.ServerSideEncryptionKeyID(d.cfg.SSEKMSKeyID))
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Metadata)) {
		out = append(out, oss.Meta(strings.ToLower(name), opts.Metadata[name]))
	}
	if opts.IfNotExists {
		out = append(out, oss.ForbidOverWrite(true))
	}
	return out
}

// Put implements driver.Driver. Objects larger than Config.PartSize are
// uploaded in parts.
func (d *Driver) Put(ctx context.Context, key string, r io.Reader, size int64, opts driver.PutOptions) error {
	if size < 0 {
		return kind.Errorf(kind.InvalidArgument, "put %q: invalid size %d", key, size)
	}
	b, err := d.bucket(ctx, "put", key, d.cfg.Endpoint)
	if err != nil {
		return err
	}
	src := &sourceReader{r: r}
	if size > d.cfg.PartSize {
		return d.putMultipart(ctx, b, key, src, size, opts)
	}

	options := append(d.objectOptions(opts), oss.ContentLength(size))
	err = d.run(ctx, "put", key, false, func(rctx context.Context) error {
		return b.PutObject(key, io.LimitReader(src, size), append(options, oss.WithContext(rctx))...)
	})
	return src.check("put", key, size, err)
}

// Head implements driver.Driver.
func (d *Driver) Head(ctx context.Context, key string) (driver.Attributes, error) {
	b, err := d.bucket(ctx, "head", key, d.cfg.Endpoint)
	if err != nil {
		return driver.Attributes{}, err
	}
	var h http.Header
	err = d.run(ctx, "head", key, true, func(rctx context.Context) error {
		var err error
		h, err = b.GetObjectDetailedMeta(key, oss.WithContext(rctx))
		return err
	})
	if err != nil {
		return driver.Attributes{}, err
	}
	return attributesFrom("head", key, h)
}

// Open implements driver.Driver. The per-request timeout also bounds the
// reading of the body. The reader verifies the CRC-64 that OSS sends, and
// fails with an Unavailable error at the end of a damaged body.
func (d *Driver) Open(ctx context.Context, key string) (io.ReadCloser, driver.Attributes, error) {
	b, err := d.bucket(ctx, "open", key, d.cfg.Endpoint)
	if err != nil {
		return nil, driver.Attributes{}, err
	}
	var res *oss.GetObjectResult
	cancel, err := d.runKeep(ctx, "open", key, true, func(rctx context.Context) error {
		var err error
		res, err = b.DoGetObject(&oss.GetObjectRequest{ObjectKey: key}, []oss.Option{oss.WithContext(rctx)})
		return err
	})
	if err != nil {
		cancel()
		return nil, driver.Attributes{}, err
	}
	attrs, err := attributesFrom("open", key, res.Response.Headers)
	if err != nil {
		res.Response.Body.Close()
		cancel()
		return nil, driver.Attributes{}, err
	}
	body := &objectReader{
		d: d, key: key, body: res.Response.Body, cancel: cancel,
		clientCRC: res.ClientCRC, serverCRC: res.ServerCRC,
	}
	return body, attrs, nil
}

// List implements driver.Driver with ListObjectsV2, Config.ListPageSize
// keys per request.
func (d *Driver) List(ctx context.Context, prefix string, fn func(driver.ObjectInfo) error) error {
	b, err := d.bucket(ctx, "list", prefix, d.cfg.Endpoint)
	if err != nil {
		return err
	}

	token := ""
	for {
		var page oss.ListObjectsResultV2
		err := d.run(ctx, "list", prefix, true, func(rctx context.Context) error {
			options := []oss.Option{oss.Prefix(prefix), oss.MaxKeys(d.cfg.ListPageSize), oss.WithContext(rctx)}
			if token != "" {
				options = append(options, oss.ContinuationToken(token))
			}
			var err error
			page, err = b.ListObjectsV2(options...)
			return err
		})
		if err != nil {
			return err
		}

		for _, o := range page.Objects {
			if err := fn(driver.ObjectInfo{Key: o.Key, Size: o.Size, ModTime: o.LastModified.UTC()}); err != nil {
				return err
			}
		}
		if !page.IsTruncated {
			return nil
		}
		if page.NextContinuationToken == "" || page.NextContinuationToken == token {
			return kind.Errorf(kind.Internal, "list %q: OSS returned a truncated page without a new continuation token", prefix)
		}
		token = page.NextContinuationToken
	}
}

// Delete implements driver.Driver.
func (d *Driver) Delete(ctx context.Context, key string) error {
	b, err := d.bucket(ctx, "delete", key, d.cfg.Endpoint)
	if err != nil {
		return err
	}
	err = d.run(ctx, "delete", key, true, func(rctx context.Context) error {
		return b.DeleteObject(key, oss.WithContext(rctx))
	})
	if kind.Is(err, kind.NotFound) && !isNoSuchBucket(err) {
		return nil
	}
	return err
}

// SignedURL implements driver.Driver with a V4 presigned GET URL on
// Config.PublicEndpoint. Signing makes no request. The expiry must be 1
// second to 7 days. The returned time is read from the URL's x-oss-date and
// x-oss-expires, so it is exact.
func (d *Driver) SignedURL(ctx context.Context, key string, opts driver.SignOptions) (string, time.Time, error) {
	seconds := int64(opts.Expiry / time.Second)
	if seconds < 1 || opts.Expiry > maxURLExpiry {
		return "", time.Time{}, kind.Errorf(kind.InvalidArgument, "sign URL for %q: invalid expiry %s: use 1s to %s", key, opts.Expiry, maxURLExpiry)
	}
	b, err := d.bucket(ctx, "sign URL for", key, d.cfg.PublicEndpoint)
	if err != nil {
		return "", time.Time{}, err
	}

	var options []oss.Option
	if opts.ContentDisposition != "" {
		options = append(options, oss.ResponseContentDisposition(opts.ContentDisposition))
	}
	signed, err := b.SignURL(key, oss.HTTPGet, seconds, options...)
	if err != nil {
		return "", time.Time{}, kind.Errorf(kind.InvalidArgument, "sign URL for %q: %w", key, err)
	}

	// The error messages below leave the URL out: it grants access.
	u, err := url.Parse(signed)
	if err != nil {
		return "", time.Time{}, kind.Errorf(kind.Internal, "sign URL for %q: the SDK returned a URL that does not parse", key)
	}
	q := u.Query()
	signedAt, err := time.Parse(v4TimeLayout, q.Get("x-oss-date"))
	if err != nil {
		return "", time.Time{}, kind.Errorf(kind.Internal, "sign URL for %q: the signed URL has no valid x-oss-date", key)
	}
	valid, err := strconv.ParseInt(q.Get("x-oss-expires"), 10, 64)
	if err != nil || valid < 1 {
		return "", time.Time{}, kind.Errorf(kind.Internal, "sign URL for %q: the signed URL has no valid x-oss-expires", key)
	}
	return signed, signedAt.Add(time.Duration(valid) * time.Second), nil
}
