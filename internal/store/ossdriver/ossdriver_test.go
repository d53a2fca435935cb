package ossdriver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	emulator "github.com/credreport/credreport/internal/emulator/oss"
	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/driver"
	"github.com/credreport/credreport/internal/store/ossdriver"
	"github.com/credreport/credreport/internal/store/storetest"
)

const (
	testBucket  = "credreport-local"
	testRegion  = "cn-hangzhou"
	testAccount = "5123456789012345"
)

var (
	longTermKey = ossdriver.Credentials{AccessKeyID: "LTAI5tLongTermKey", AccessKeySecret: "long-term-secret"}
	stsKey      = ossdriver.Credentials{AccessKeyID: "STS.NTempKey", AccessKeySecret: "sts-secret", SecurityToken: "sts-token-value"}
	otherKey    = ossdriver.Credentials{AccessKeyID: "LTAI5tRotatedKey", AccessKeySecret: "rotated-secret"}
)

// env is an OSS emulator on a loopback httptest server, whose clock runs
// at real time plus an adjustable offset (the SDK signs with the real
// clock, and the emulator rejects header-signed requests more than 15
// minutes off).
type env struct {
	server *emulator.Server
	http   *httptest.Server
	offset atomic.Int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{}
	srv, err := emulator.New(emulator.Options{
		Credentials: []emulator.Credential{
			{AccessKeyID: longTermKey.AccessKeyID, AccessKeySecret: longTermKey.AccessKeySecret},
			{AccessKeyID: stsKey.AccessKeyID, AccessKeySecret: stsKey.AccessKeySecret, SecurityToken: stsKey.SecurityToken},
			{AccessKeyID: otherKey.AccessKeyID, AccessKeySecret: otherKey.AccessKeySecret},
		},
		Buckets: []string{testBucket},
		Region:  testRegion,
		Now:     func() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) },
	})
	if err != nil {
		t.Fatalf("start OSS emulator: %v", err)
	}
	e.server = srv
	e.http = httptest.NewServer(srv)
	t.Cleanup(e.http.Close)
	return e
}

// config returns a driver configuration for the emulator with small parts
// and pages, so the conformance suite exercises multipart uploads and
// listing continuation.
func (e *env) config() ossdriver.Config {
	return ossdriver.Config{
		Endpoint:     e.http.URL,
		Region:       testRegion,
		Bucket:       testBucket,
		Credentials:  ossdriver.StaticCredentials(stsKey),
		PartSize:     ossdriver.MinPartSize,
		ListPageSize: 3,
	}
}

func (e *env) driver(t *testing.T, modify func(*ossdriver.Config)) *ossdriver.Driver {
	t.Helper()
	cfg := e.config()
	if modify != nil {
		modify(&cfg)
	}
	d, err := ossdriver.New(cfg)
	if err != nil {
		t.Fatalf("ossdriver.New: %v", err)
	}
	return d
}

// rawBucket returns an SDK bucket handle on the emulator, for checks that
// look past the driver.
func (e *env) rawBucket(t *testing.T) *oss.Bucket {
	t.Helper()
	client, err := oss.New(e.http.URL, longTermKey.AccessKeyID, longTermKey.AccessKeySecret,
		oss.AuthVersion(oss.AuthV4), oss.Region(testRegion))
	if err != nil {
		t.Fatalf("oss.New: %v", err)
	}
	b, err := client.Bucket(testBucket)
	if err != nil {
		t.Fatalf("Bucket: %v", err)
	}
	return b
}

func TestConformance(t *testing.T) {
	storetest.RunConformance(t, func(t *testing.T) driver.Driver {
		return newEnv(t).driver(t, nil)
	})
}

func putReport(t *testing.T, s *store.Store, at time.Time) (store.Entry, []byte) {
	t.Helper()
	meta, csv := storetest.NewReport(testAccount, at, report.SourceNative)
	e, err := s.Put(context.Background(), meta, bytes.NewReader(csv), int64(len(csv)))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return e, csv
}

func get(t *testing.T, rawURL string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL itself is a credential
		}
		t.Fatalf("GET signed URL: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read signed URL body: %v", err)
	}
	return resp.StatusCode, resp.Header, body
}

func TestSignedURLExpires(t *testing.T) {
	e := newEnv(t)
	s := store.New(e.driver(t, nil), store.Options{})
	entry, csv := putReport(t, s, time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC))

	signed, expiresAt, err := s.SignedURL(context.Background(), entry, 10*time.Minute, time.Time{})
	if err != nil {
		t.Fatalf("SignedURL: %v", err)
	}
	status, h, body := get(t, signed)
	if status != http.StatusOK || !bytes.Equal(body, csv) {
		t.Fatalf("GET before expiry: status %d, %d bytes; want 200 and the report", status, len(body))
	}
	want := `attachment; filename="credential-report-5123456789012345-20240601T090000Z.csv"`
	if got := h.Get("Content-Disposition"); got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}

	// Move the emulator clock one second past the returned expiry.
	e.offset.Store(int64(time.Until(expiresAt) + time.Second))
	if status, _, _ := get(t, signed); status != http.StatusForbidden {
		t.Errorf("GET after expiry: status %d, want 403", status)
	}
}

func TestSignedURLTampered(t *testing.T) {
	e := newEnv(t)
	s := store.New(e.driver(t, nil), store.Options{})
	entry, _ := putReport(t, s, time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC))
	signed, _, err := s.SignedURL(context.Background(), entry, 0, time.Time{})
	if err != nil {
		t.Fatalf("SignedURL: %v", err)
	}

	tests := []struct {
		name  string
		param string
	}{
		{"signature", "x-oss-signature"},
		{"disposition", "response-content-disposition"},
		{"expires", "x-oss-expires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(signed)
			if err != nil {
				t.Fatal("signed URL does not parse")
			}
			q := u.Query()
			v := q.Get(tt.param)
			if v == "" {
				t.Fatalf("signed URL has no %s parameter", tt.param)
			}
			// Change one character, keeping the value well-formed.
			last := v[len(v)-1]
			repl := byte('1')
			if last == '1' {
				repl = '2'
			}
			q.Set(tt.param, v[:len(v)-1]+string(repl))
			u.RawQuery = q.Encode()
			if status, _, _ := get(t, u.String()); status != http.StatusForbidden {
				t.Errorf("GET with %s changed: status %d, want 403", tt.param, status)
			}
		})
	}
}

func TestSignedURLUsesPublicEndpoint(t *testing.T) {
	e := newEnv(t)
	public := strings.Replace(e.http.URL, "127.0.0.1", "localhost", 1)
	d := e.driver(t, func(c *ossdriver.Config) { c.PublicEndpoint = public })
	s := store.New(d, store.Options{})
	entry, csv := putReport(t, s, time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC))

	signed, _, err := s.SignedURL(context.Background(), entry, 0, time.Time{})
	if err != nil {
		t.Fatalf("SignedURL: %v", err)
	}
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal("signed URL does not parse")
	}
	if u.Hostname() != "localhost" {
		t.Errorf("signed URL host = %q, want the public endpoint's localhost", u.Hostname())
	}
	if status, _, body := get(t, signed); status != http.StatusOK || !bytes.Equal(body, csv) {
		t.Errorf("GET via the public endpoint: status %d, want 200 and the report", status)
	}
}

func TestSignedURLInvalidExpiry(t *testing.T) {
	d := newEnv(t).driver(t, nil)
	for _, expiry := range []time.Duration{0, 500 * time.Millisecond, 7*24*time.Hour + time.Second} {
		_, _, err := d.SignedURL(context.Background(), "a/b.csv", driver.SignOptions{Expiry: expiry})
		if !kind.Is(err, kind.InvalidArgument) {
			t.Errorf("SignedURL with expiry %s: err = %v (kind %v), want invalid_argument", expiry, err, kind.Of(err))
		}
	}
}

func TestServerSideEncryption(t *testing.T) {
	tests := []struct {
		name      string
		sse       string
		keyID     string
		wantSSE   string
		wantKeyID string
	}{
		{"default AES256", "", "", "AES256", ""},
		{"KMS with key", "KMS", "kms-key-0123", "KMS", "kms-key-0123"},
		{"KMS default key", "KMS", "", "KMS", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			d := e.driver(t, func(c *ossdriver.Config) {
				c.SSE = tt.sse
				c.SSEKMSKeyID = tt.keyID
			})
			small := []byte("a,b\n")
			large := bytes.Repeat([]byte("0123456789abcdef"), ossdriver.MinPartSize/8)
			for key, data := range map[string][]byte{"sse/small.csv": small, "sse/large.csv": large} {
				err := d.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), driver.PutOptions{IfNotExists: true})
				if err != nil {
					t.Fatalf("Put(%q): %v", key, err)
				}
				h, err := e.rawBucket(t).GetObjectDetailedMeta(key)
				if err != nil {
					t.Fatalf("HEAD %q: %v", key, err)
				}
				if got := h.Get("X-Oss-Server-Side-Encryption"); got != tt.wantSSE {
					t.Errorf("%s: x-oss-server-side-encryption = %q, want %q", key, got, tt.wantSSE)
				}
				if got := h.Get("X-Oss-Server-Side-Encryption-Key-Id"); got != tt.wantKeyID {
					t.Errorf("%s: x-oss-server-side-encryption-key-id = %q, want %q", key, got, tt.wantKeyID)
				}
			}
		})
	}
}

func TestLatestIsOneRequest(t *testing.T) {
	e := newEnv(t)
	s := store.New(e.driver(t, nil), store.Options{})
	entry, _ := putReport(t, s, time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC))

	before := e.server.Calls()
	got, err := s.Latest(context.Background(), testAccount)
	if err != nil {
		t.Fatalf("Latest: %v", err)
	}
	after := e.server.Calls()
	if got.Key != entry.Key {
		t.Errorf("Latest = %q, want %q", got.Key, entry.Key)
	}
	diff := map[string]int{}
	for method, n := range after {
		if d := n - before[method]; d != 0 {
			diff[method] = d
		}
	}
	if !maps.Equal(diff, map[string]int{"HEAD": 1}) {
		t.Errorf("Latest sent %v, want exactly one HEAD", diff)
	}
}

func TestNoSuchBucket(t *testing.T) {
	e := newEnv(t)
	d := e.driver(t, func(c *ossdriver.Config) { c.Bucket = "missing-bucket" })
	ctx := context.Background()

	calls := map[string]error{}
	_, calls["Head"] = d.Head(ctx, "a/latest.json")
	calls["Put"] = d.Put(ctx, "a/x.csv", strings.NewReader("x"), 1, driver.PutOptions{})
	calls["Delete"] = d.Delete(ctx, "a/x.csv")
	calls["List"] = d.List(ctx, "a/", func(driver.ObjectInfo) error { return nil })
	for name, err := range calls {
		if !kind.Is(err, kind.NotFound) {
			t.Errorf("%s: err = %v (kind %v), want not_found", name, err, kind.Of(err))
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, `"missing-bucket"`) || !strings.Contains(msg, "CREDREPORT_BUCKET") {
			t.Errorf("%s: error %q does not name the bucket and the setting to fix", name, msg)
		}
	}
}

func TestCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	t.Run("RotationTakesEffect", func(t *testing.T) {
		var current atomic.Value
		current.Store(longTermKey)
		calls := 0
		d := e.driver(t, func(c *ossdriver.Config) {
			c.Credentials = func(context.Context) (ossdriver.Credentials, error) {
				calls++
				return current.Load().(ossdriver.Credentials), nil
			}
		})
		if err := d.Put(ctx, "rot/a", strings.NewReader("a"), 1, driver.PutOptions{}); err != nil {
			t.Fatalf("Put with the first key: %v", err)
		}
		current.Store(otherKey)
		if _, err := d.Head(ctx, "rot/a"); err != nil {
			t.Fatalf("Head after rotating to a second key: %v", err)
		}
		current.Store(ossdriver.Credentials{AccessKeyID: "LTAI5tRevoked", AccessKeySecret: "x"})
		if _, err := d.Head(ctx, "rot/a"); !kind.Is(err, kind.Unauthenticated) {
			t.Errorf("Head with an unknown key: err = %v (kind %v), want unauthenticated", err, kind.Of(err))
		}
		if calls != 3 {
			t.Errorf("credentials function called %d times for 3 driver calls, want 3", calls)
		}
	})

	t.Run("WrongSecurityToken", func(t *testing.T) {
		bad := stsKey
		bad.SecurityToken = "stale-token"
		d := e.driver(t, func(c *ossdriver.Config) { c.Credentials = ossdriver.StaticCredentials(bad) })
		if _, err := d.Head(ctx, "x"); !kind.Is(err, kind.Unauthenticated) {
			t.Errorf("Head with a wrong STS token: err = %v (kind %v), want unauthenticated", err, kind.Of(err))
		}
	})

	t.Run("WrongSecret", func(t *testing.T) {
		bad := longTermKey
		bad.AccessKeySecret = "wrong"
		d := e.driver(t, func(c *ossdriver.Config) { c.Credentials = ossdriver.StaticCredentials(bad) })
		if _, err := d.Head(ctx, "x"); !kind.Is(err, kind.Unauthenticated) {
			t.Errorf("Head with a wrong secret: err = %v (kind %v), want unauthenticated", err, kind.Of(err))
		}
	})

	t.Run("FunctionError", func(t *testing.T) {
		plain := errors.New("metadata service down")
		d := e.driver(t, func(c *ossdriver.Config) {
			c.Credentials = func(context.Context) (ossdriver.Credentials, error) { return ossdriver.Credentials{}, plain }
		})
		_, err := d.Head(ctx, "x")
		if !kind.Is(err, kind.Unauthenticated) || !errors.Is(err, plain) {
			t.Errorf("Head with a failing credentials function: err = %v (kind %v), want unauthenticated wrapping the cause", err, kind.Of(err))
		}

		throttled := kind.Errorf(kind.Throttled, "STS throttled")
		d = e.driver(t, func(c *ossdriver.Config) {
			c.Credentials = func(context.Context) (ossdriver.Credentials, error) { return ossdriver.Credentials{}, throttled }
		})
		if _, err := d.Head(ctx, "x"); !kind.Is(err, kind.Throttled) {
			t.Errorf("Head with a throttled credentials function: kind %v, want the function's kind throttled", kind.Of(err))
		}
	})

	t.Run("Empty", func(t *testing.T) {
		d := e.driver(t, func(c *ossdriver.Config) { c.Credentials = ossdriver.StaticCredentials(ossdriver.Credentials{}) })
		if _, err := d.Head(ctx, "x"); !kind.Is(err, kind.Unauthenticated) {
			t.Errorf("Head with empty credentials: err = %v (kind %v), want unauthenticated", err, kind.Of(err))
		}
	})

	t.Run("Redacted", func(t *testing.T) {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(format, stsKey)
			if strings.Contains(out, stsKey.AccessKeySecret) || strings.Contains(out, stsKey.SecurityToken) {
				t.Errorf("Sprintf(%q) = %q, shows the secret or the token", format, out)
			}
		}
	})
}

// faultHandler responds with status to the first fail requests of
// method, and passes everything else to the emulator.
type faultHandler struct {
	next   http.Handler
	method string
	status int
	mu     sync.Mutex
	fail   int
	seen   int
}

func (f *faultHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	inject := r.Method == f.method && f.fail > 0
	if r.Method == f.method {
		f.seen++
	}
	if inject {
		f.fail--
	}
	f.mu.Unlock()

	if !inject {
		f.next.ServeHTTP(w, r)
		return
	}
	body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>busy</Message><RequestId>FAULT</RequestId></Error>`
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Oss-Err", base64.StdEncoding.EncodeToString([]byte(body)))
	w.WriteHeader(f.status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		method     string
		fail       int
		maxRetries int
		call       func(d *ossdriver.Driver) error
		wantKind   kind.Kind // Unknown: success
		wantSeen   int
	}{
		{"head recovers", http.MethodHead, 2, 0, func(d *ossdriver.Driver) error { _, err := d.Head(ctx, "r/a"); return err }, kind.Unknown, 3},
		{"head gives up", http.MethodHead, 5, 0, func(d *ossdriver.Driver) error { _, err := d.Head(ctx, "r/a"); return err }, kind.Unavailable, 3},
		{"retries disabled", http.MethodHead, 1, -1, func(d *ossdriver.Driver) error { _, err := d.Head(ctx, "r/a"); return err }, kind.Unavailable, 1},
		{"list recovers", http.MethodGet, 1, 0, func(d *ossdriver.Driver) error {
			return d.List(ctx, "r/", func(driver.ObjectInfo) error { return nil })
		}, kind.Unknown, 2},
		{"put not retried", http.MethodPut, 1, 0, func(d *ossdriver.Driver) error {
			return d.Put(ctx, "r/b", strings.NewReader("b"), 1, driver.PutOptions{})
		}, kind.Unavailable, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.driver(t, nil).Put(ctx, "r/a", strings.NewReader("a"), 1, driver.PutOptions{}); err != nil {
				t.Fatalf("Put: %v", err)
			}
			fh := &faultHandler{next: e.server, method: tt.method, status: http.StatusServiceUnavailable, fail: tt.fail}
			front := httptest.NewServer(fh)
			defer front.Close()
			d := e.driver(t, func(c *ossdriver.Config) {
				c.Endpoint = front.URL
				c.MaxRetries = tt.maxRetries
			})

			err := tt.call(d)
			if tt.wantKind == kind.Unknown && err != nil {
				t.Errorf("call: %v, want success after retries", err)
			}
			if tt.wantKind != kind.Unknown && !kind.Is(err, tt.wantKind) {
				t.Errorf("call: err = %v (kind %v), want %v", err, kind.Of(err), tt.wantKind)
			}
			if fh.seen != tt.wantSeen {
				t.Errorf("%s requests = %d, want %d", tt.method, fh.seen, tt.wantSeen)
			}
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	e := newEnv(t)
	stall := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			<-r.Context().Done() // never respond, so the client times out
			return
		}
		e.server.ServeHTTP(w, r)
	})
	front := httptest.NewServer(stall)
	defer front.Close()
	d := e.driver(t, func(c *ossdriver.Config) {
		c.Endpoint = front.URL
		c.RequestTimeout = 50 * time.Millisecond
		c.MaxRetries = -1
	})

	_, err := d.Head(context.Background(), "slow/key")
	if !kind.Is(err, kind.Unavailable) {
		t.Fatalf("Head of a stalled server: err = %v (kind %v), want unavailable", err, kind.Of(err))
	}
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("error %q does not say that the request timed out", err)
	}

	// The caller's own deadline is reported as such, not as unavailable.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Head(ctx, "slow/key"); kind.Of(err) != kind.Canceled {
		t.Errorf("Head with a canceled context: kind %v, want canceled", kind.Of(err))
	}
}

func TestLocalhostEndpoint(t *testing.T) {
	e := newEnv(t)
	d := e.driver(t, func(c *ossdriver.Config) { c.Endpoint = strings.Replace(e.http.URL, "127.0.0.1", "localhost", 1) })
	if err := d.Put(context.Background(), "lh/a", strings.NewReader("a"), 1, driver.PutOptions{}); err != nil {
		t.Fatalf("Put through localhost: %v", err)
	}
	if _, err := e.rawBucket(t).GetObjectDetailedMeta("lh/a"); err != nil {
		t.Errorf("object put through localhost is not in the bucket: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	valid := ossdriver.Config{
		Endpoint:    "http://127.0.0.1:9",
		Region:      testRegion,
		Bucket:      testBucket,
		Credentials: ossdriver.StaticCredentials(longTermKey),
	}
	tests := []struct {
		name   string
		modify func(c *ossdriver.Config)
	}{
		{"missing endpoint", func(c *ossdriver.Config) { c.Endpoint = "" }},
		{"endpoint without scheme", func(c *ossdriver.Config) { c.Endpoint = "oss-cn-hangzhou.aliyuncs.com" }},
		{"endpoint with path", func(c *ossdriver.Config) { c.Endpoint = "https://oss-cn-hangzhou.aliyuncs.com/bucket" }},
		{"bad public endpoint", func(c *ossdriver.Config) { c.PublicEndpoint = "ftp://example" }},
		{"missing region", func(c *ossdriver.Config) { c.Region = "" }},
		{"bad bucket", func(c *ossdriver.Config) { c.Bucket = "Bad_Bucket" }},
		{"missing credentials", func(c *ossdriver.Config) { c.Credentials = nil }},
		{"unknown SSE", func(c *ossdriver.Config) { c.SSE = "SM5" }},
		{"KMS key without KMS", func(c *ossdriver.Config) { c.SSEKMSKeyID = "key" }},
		{"part too small", func(c *ossdriver.Config) { c.PartSize = 1024 }},
		{"page too large", func(c *ossdriver.Config) { c.ListPageSize = 1001 }},
		{"negative timeout", func(c *ossdriver.Config) { c.RequestTimeout = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.modify(&cfg)
			if _, err := ossdriver.New(cfg); !kind.Is(err, kind.InvalidArgument) {
				t.Errorf("New: err = %v (kind %v), want invalid_argument", err, kind.Of(err))
			}
		})
	}
	if _, err := ossdriver.New(valid); err != nil {
		t.Errorf("New with a valid configuration: %v", err)
	}
}

func TestLargeObjectUsesMultipart(t *testing.T) {
	e := newEnv(t)
	d := e.driver(t, nil)
	ctx := context.Background()
	size := int64(storetest.LargeObjectSize)
	wantParts := int((size + ossdriver.MinPartSize - 1) / ossdriver.MinPartSize)

	before := e.server.Calls()
	data := bytes.Repeat([]byte{'x'}, int(size))
	// io.MultiReader hides the length, so the driver must stream by size.
	r := io.MultiReader(bytes.NewReader(data))
	if err := d.Put(ctx, "mp/big.csv", r, size, driver.PutOptions{IfNotExists: true}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	after := e.server.Calls()
	if got := after["PUT"] - before["PUT"]; got != wantParts {
		t.Errorf("UploadPart requests = %d, want %d", got, wantParts)
	}
	if got := after["POST"] - before["POST"]; got != 2 {
		t.Errorf("POST requests = %d, want 2 (initiate and complete)", got)
	}

	h, err := e.rawBucket(t).GetObjectDetailedMeta("mp/big.csv")
	if err != nil {
		t.Fatalf("HEAD: %v", err)
	}
	if got := h.Get("X-Oss-Object-Type"); got != "Multipart" {
		t.Errorf("x-oss-object-type = %q, want Multipart", got)
	}

	// One part's worth is a single PutObject.
	small := bytes.Repeat([]byte{'y'}, ossdriver.MinPartSize)
	if err := d.Put(ctx, "mp/small.csv", bytes.NewReader(small), int64(len(small)), driver.PutOptions{}); err != nil {
		t.Fatalf("Put small: %v", err)
	}
	h, err = e.rawBucket(t).GetObjectDetailedMeta("mp/small.csv")
	if err != nil {
		t.Fatalf("HEAD small: %v", err)
	}
	if got := h.Get("X-Oss-Object-Type"); got != "Normal" {
		t.Errorf("x-oss-object-type of a one-part object = %q, want Normal", got)
	}
}
