package oss

import (
	"crypto/md5"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	alioss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

const (
	testRegion = "cn-hangzhou"
	testBucket = "credreport-local"

	testKeyID  = "LTAI5tEmulatorTestKey"
	testSecret = "emulator-test-secret"

	stsKeyID  = "STS.EmulatorTestKey"
	stsSecret = "emulator-sts-secret"
	stsToken  = "CAIS-emulator-sts-token+/="
)

// testClock is a settable clock for Options.Now. It starts at the real time
// because the SDKs sign with the real clock.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// startServer runs an emulator with the test credentials and bucket on a
// loopback httptest server. Options fields left empty get test defaults.
func startServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Credentials == nil {
		opts.Credentials = []Credential{
			{AccessKeyID: testKeyID, AccessKeySecret: testSecret},
			{AccessKeyID: stsKeyID, AccessKeySecret: stsSecret, SecurityToken: stsToken},
		}
	}
	if opts.Buckets == nil {
		opts.Buckets = []string{testBucket}
	}
	if opts.Region == "" {
		opts.Region = testRegion
	}

	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// sdkBucket returns a bucket handle of aliyun-oss-go-sdk on the endpoint.
func sdkBucket(t *testing.T, endpoint, keyID, secret string, opts ...alioss.ClientOption) *alioss.Bucket {
	t.Helper()
	opts = append([]alioss.ClientOption{alioss.Timeout(5, 10)}, opts...)
	client, err := alioss.New(endpoint, keyID, secret, opts...)
	if err != nil {
		t.Fatalf("oss.New: %v", err)
	}
	b, err := client.Bucket(testBucket)
	if err != nil {
		t.Fatalf("client.Bucket: %v", err)
	}
	return b
}

// serviceError extracts the OSS error of aliyun-oss-go-sdk from err.
func serviceError(t *testing.T, err error) alioss.ServiceError {
	t.Helper()
	var se alioss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want oss.ServiceError", err, err)
	}
	return se
}

func wantServiceError(t *testing.T, err error, status int, code string) {
	t.Helper()
	se := serviceError(t, err)
	if se.StatusCode != status || se.Code != code {
		t.Errorf("error = %d %s (%s), want %d %s", se.StatusCode, se.Code, se.Message, status, code)
	}
}

// errorBody is the XML error document the emulator sends.
type errorBody struct {
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
	EC        string `xml:"EC"`
}

// httpGet fetches url with net/http and returns the status, headers and body.
func httpGet(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header, body
}

func parseErrorBody(t *testing.T, body []byte) errorBody {
	t.Helper()
	var e errorBody
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not XML: %v\n%s", err, body)
	}
	return e
}

func md5Sum(b []byte) []byte {
	sum := md5.Sum(b)
	return sum[:]
}
