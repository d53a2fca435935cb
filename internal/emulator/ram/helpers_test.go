package ram

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"

	"github.com/credreport/credreport/internal/fixture"
)

// Credentials of the acceptance fixtures.
const (
	basicKeyID  = "LTAI5tLocalExampleCorpKey"
	basicSecret = "local-secret-example-corp"
	basicAlias  = "@example-corp.onaliyun.com"
)

// loadFixture loads an acceptance fixture by folder name: from ../shared/fixtures
// beside the repository when it exists, else from the copy under testdata.
func loadFixture(t testing.TB, name string) *fixture.Account {
	t.Helper()
	for _, root := range []string{"../../../../shared/fixtures", "../../../testdata/fixtures"} {
		path := filepath.Join(root, name, "account.json")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		a, err := fixture.Load(path)
		if err != nil {
			t.Fatalf("load fixture %s: %v", path, err)
		}
		return a
	}
	t.Fatalf("fixture %q not found in ../shared/fixtures or testdata/fixtures", name)
	return nil
}

// fakeClock is an emulator clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(at time.Time) *fakeClock { return &fakeClock{now: at} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startServer mounts a Server for a on an httptest server.
func startServer(t testing.TB, a *fixture.Account, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(a, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// imsClient is the v1 SDK client pointed at the emulator.
func imsClient(t testing.TB, ts *httptest.Server, keyID, secret string) *ims.Client {
	t.Helper()
	c, err := ims.NewClientWithAccessKey("cn-hangzhou", keyID, secret)
	if err != nil {
		t.Fatalf("NewClientWithAccessKey: %v", err)
	}
	c.Domain = strings.TrimPrefix(ts.URL, "http://")
	t.Cleanup(c.Shutdown)
	return c
}

// stsClient is the v1 SDK client with an STS token, pointed at the emulator.
func stsClient(t testing.TB, ts *httptest.Server, keyID, secret, token string) *ims.Client {
	t.Helper()
	c, err := ims.NewClientWithStsToken("cn-hangzhou", keyID, secret, token)
	if err != nil {
		t.Fatalf("NewClientWithStsToken: %v", err)
	}
	c.Domain = strings.TrimPrefix(ts.URL, "http://")
	t.Cleanup(c.Shutdown)
	return c
}

// wantServerError checks that err is an SDK server error with the status and code.
func wantServerError(t testing.TB, err error, status int, code string) *sdkerrors.ServerError {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %s", status, code)
	}
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("got error %T %v, want *errors.ServerError %d %s", err, err, status, code)
	}
	if se.HttpStatus() != status || se.ErrorCode() != code {
		t.Fatalf("got %d %s (%s), want %d %s", se.HttpStatus(), se.ErrorCode(), se.Message(), status, code)
	}
	if se.HostId() != hostID {
		t.Errorf("HostId = %q, want %q", se.HostId(), hostID)
	}
	if se.RequestId() == "" {
		t.Errorf("RequestId is empty")
	}
	return se
}

var nonceSeq atomic.Int64

// rpcParams returns the signature parameters of a raw RPC request for action,
// timestamped at the given time, with a fresh nonce.
func rpcParams(keyID, action string, at time.Time) map[string]string {
	return map[string]string{
		"AccessKeyId":      keyID,
		"Action":           action,
		"Format":           "JSON",
		"RegionId":         "cn-hangzhou",
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureNonce":   fmt.Sprintf("raw-nonce-%d-%d", time.Now().UnixNano(), nonceSeq.Add(1)),
		"SignatureType":    "",
		"SignatureVersion": "1.0",
		"Timestamp":        at.UTC().Format(timeLayout),
		"Version":          imsVersion,
	}
}

// signRPC adds the Signature of params for method with secret.
func signRPC(method string, params map[string]string, secret string) {
	delete(params, "Signature")
	params["Signature"] = rpcSignature(rpcStringToSign(method, params), secret)
}

// rawResult is the decoded response to a raw request.
type rawResult struct {
	status int
	header http.Header
	body   map[string]any
}

// code returns the Code of an error response.
func (r rawResult) code() string {
	code, _ := r.body["Code"].(string)
	return code
}

// doRPC sends params as a raw RPC request: in the query string, or for POST
// with inBody in a form body.
func doRPC(t testing.TB, ts *httptest.Server, method string, params map[string]string, inBody bool) rawResult {
	t.Helper()
	values := url.Values{}
	for k, v := range params {
		values.Set(k, v)
	}
	target := ts.URL + "/"
	var body io.Reader
	if inBody {
		body = strings.NewReader(values.Encode())
	} else {
		target += "?" + values.Encode()
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if inBody {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) rawResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	out := rawResult{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(data, &out.body); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, data)
	}
	return out
}

// wantRawError checks a raw error response: status, code and the error document,
// whose fields must all be strings for the v1 SDK.
func wantRawError(t testing.TB, got rawResult, status int, code string) {
	t.Helper()
	if got.status != status || got.code() != code {
		t.Fatalf("got %d %s (%v), want %d %s", got.status, got.code(), got.body["Message"], status, code)
	}
	for _, field := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
		if _, ok := got.body[field].(string); !ok {
			t.Errorf("error field %s = %#v, want a string", field, got.body[field])
		}
	}
	if got.body["HostId"] != hostID {
		t.Errorf("HostId = %v, want %s", got.body["HostId"], hostID)
	}
}
