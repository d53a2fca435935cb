package ossdriver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/kind"
)

// Defaults and limits of Config.
const (
	DefaultPartSize       = 5 << 20
	DefaultListPageSize   = 1000
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 2

	// MinPartSize is the smallest part OSS accepts, except the last: 100 KB.
	MinPartSize = 100 << 10
	// MaxPartSize is the largest part OSS accepts: 5 GB.
	MaxPartSize = 5 << 30
	// maxParts is the most parts one multipart upload may have.
	maxParts = 10000
	// maxListPageSize is the largest max-keys that ListObjectsV2 accepts.
	maxListPageSize = 1000
)

// Server-side encryption algorithms for Config.SSE.
const (
	SSEAES256 = "AES256"
	SSEKMS    = "KMS"
)

// Credentials are an AccessKey pair, with the STS security token when the
// pair is temporary. String and LogValue hide the secret and the token.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// String returns the AccessKey ID only, so printing Credentials never
// shows the secret or the token.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{AccessKeyID: %q, AccessKeySecret: <redacted>, SecurityToken: <%d bytes, redacted>}", c.AccessKeyID, len(c.SecurityToken))
}

// GoString hides the secret and the token from the %#v verb as well.
func (c Credentials) GoString() string { return c.String() }

// LogValue hides the secret and the token from log/slog.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.Bool("sts", c.SecurityToken != ""))
}

// CredentialsFunc returns the credentials for one driver call. The driver
// calls it at the start of every call, with that call's context, so
// rotating credentials (such as the STS credentials of a Function Compute
// invocation) take effect on the next call. It should be cheap; cache
// inside it if fetching is not.
type CredentialsFunc func(ctx context.Context) (Credentials, error)

// StaticCredentials returns a CredentialsFunc that always returns c.
func StaticCredentials(c Credentials) CredentialsFunc {
	return func(context.Context) (Credentials, error) { return c, nil }
}

// Config configures a Driver.
type Config struct {
	// Endpoint is the OSS endpoint for object requests, with its scheme:
	// the internal endpoint inside Alibaba Cloud, such as
	// https://oss-cn-hangzhou-internal.aliyuncs.com, or an emulator such as
	// http://127.0.0.1:9000. IP addresses and single-label hosts (localhost)
	// use path-style addressing, other hosts virtual-hosted style.
	Endpoint string
	// PublicEndpoint is the endpoint put in signed URLs, which users reach
	// from outside; empty means Endpoint.
	PublicEndpoint string
	// Region is the region in V4 signatures, such as cn-hangzhou. Required.
	Region string
	// Bucket is the bucket name. Required.
	Bucket string
	// Credentials is called once per driver call. Required.
	Credentials CredentialsFunc

	// SSE is the server-side encryption of every written object: SSEAES256
	// (the default when empty) or SSEKMS.
	SSE string
	// SSEKMSKeyID is the KMS key for SSEKMS; empty uses the OSS-managed
	// default key. It must be empty with SSEAES256.
	SSEKMSKeyID string

	// PartSize is the part size of multipart uploads; objects larger than
	// one part are uploaded in parts, streamed from the reader. Zero means
	// DefaultPartSize; the range is MinPartSize to MaxPartSize.
	PartSize int64
	// ListPageSize is the max-keys of each ListObjectsV2 request, 1 to
	// 1000; zero means DefaultListPageSize.
	ListPageSize int
	// RequestTimeout bounds each HTTP request, including the reading of a
	// GetObject body. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxRetries is how many times a failed idempotent request (HEAD, GET,
	// list, DELETE) is retried when the failure is retryable. Zero means
	// DefaultMaxRetries; a negative value disables retries. Writes are
	// never retried by the driver, because their body is a stream.
	MaxRetries int
	// HTTPClient sends the requests; nil means a client of the driver's
	// own that does not follow redirects.
	HTTPClient *http.Client
}

// normalize fills in defaults and validates c.
func (c Config) normalize() (Config, error) {
	invalid := func(format string, args ...any) (Config, error) {
		return Config{}, kind.Errorf(kind.InvalidArgument, "invalid OSS driver configuration: "+format, args...)
	}

	if c.PublicEndpoint == "" {
		c.PublicEndpoint = c.Endpoint
	}
	for _, e := range []struct{ name, value string }{{"endpoint", c.Endpoint}, {"public endpoint", c.PublicEndpoint}} {
		if err := checkEndpoint(e.value); err != nil {
			return invalid("%s: %v", e.name, err)
		}
	}
	if c.Region == "" {
		return invalid("missing region: set the OSS region, such as cn-hangzhou, which V4 signatures name")
	}
	if !validBucketName(c.Bucket) {
		return invalid("bucket name %q: use 3 to 63 lower-case letters, digits or hyphens, starting and ending with a letter or digit", c.Bucket)
	}
	if c.Credentials == nil {
		return invalid("missing credentials function")
	}

	switch c.SSE {
	case "":
		c.SSE = SSEAES256
	case SSEAES256, SSEKMS:
	default:
		return invalid("server-side encryption %q: use %s or %s", c.SSE, SSEAES256, SSEKMS)
	}
	if c.SSEKMSKeyID != "" && c.SSE != SSEKMS {
		return invalid("a KMS key ID is set, but server-side encryption is %s: set it to %s or remove the key ID", c.SSE, SSEKMS)
	}

	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.PartSize < MinPartSize || c.PartSize > MaxPartSize {
		return invalid("part size %d: use %d to %d bytes", c.PartSize, MinPartSize, MaxPartSize)
	}
	if c.ListPageSize == 0 {
		c.ListPageSize = DefaultListPageSize
	}
	if c.ListPageSize < 1 || c.ListPageSize > maxListPageSize {
		return invalid("list page size %d: use 1 to %d", c.ListPageSize, maxListPageSize)
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.RequestTimeout < 0 {
		return invalid("request timeout %s: it must be positive", c.RequestTimeout)
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	return c, nil
}

// checkEndpoint accepts http:// or https:// URLs of a host, with no path,
// query or user information.
func checkEndpoint(endpoint string) error {
	if endpoint == "" {
		return fmt.Errorf("missing: set an endpoint such as https://oss-cn-hangzhou-internal.aliyuncs.com")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("%q does not parse as a URL", endpoint)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: start it with https:// or http://", endpoint)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q: missing host", endpoint)
	case u.User != nil, u.RawQuery != "", u.Fragment != "", u.Path != "" && u.Path != "/":
		return fmt.Errorf("%q: give only the scheme, host and port", endpoint)
	}
	return nil
}

// pathStyle reports whether the SDK needs oss.ForcePathStyle to put the
// bucket in the path. The SDK does so by itself for IP addresses, but a
// single-label host such as localhost would otherwise become
// <bucket>.localhost.
func pathStyle(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	return net.ParseIP(host) == nil && !strings.Contains(host, ".")
}

// validBucketName applies the OSS bucket naming rules.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(name)-1:
		default:
			return false
		}
	}
	return true
}
