package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/credreport/credreport/internal/fixture"
)

func newServer(t *testing.T) (*Emulator, *httptest.Server, *fixture.Account) {
	t.Helper()
	a, err := fixture.Load(filepath.Join("..", "..", "testdata", "fixtures", "basic", "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{Account: a})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(e)
	t.Cleanup(ts.Close)
	return e, ts, a
}

func TestRoutesRPCAndOSS(t *testing.T) {
	e, ts, a := newServer(t)
	cred := a.Credentials[0]

	client, err := ims.NewClientWithAccessKey(DefaultRegion, cred.AccessKeyID, cred.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	client.Domain = strings.TrimPrefix(ts.URL, "http://")
	req := ims.CreateGetAccountMFAInfoRequest()
	req.Scheme = "http"
	if _, err := client.GetAccountMFAInfo(req); err != nil {
		t.Fatalf("RPC call through the combined handler: %v", err)
	}

	ossClient, err := oss.New(ts.URL, cred.AccessKeyID, cred.AccessKeySecret, oss.AuthVersion(oss.AuthV4), oss.Region(DefaultRegion))
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := ossClient.Bucket(DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := bucket.PutObject("dir/report.csv", bytes.NewReader([]byte("a,b\n"))); err != nil {
		t.Fatalf("OSS put through the combined handler: %v", err)
	}
	body, err := bucket.GetObject("dir/report.csv")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	if string(got) != "a,b\n" {
		t.Errorf("OSS get = %q", got)
	}

	calls := e.Calls()
	if calls["ram"]["GetAccountMFAInfo"] != 1 {
		t.Errorf("ram calls = %v", calls["ram"])
	}
	if calls["oss"]["PUT"] != 1 || calls["oss"]["GET"] != 1 {
		t.Errorf("oss calls = %v", calls["oss"])
	}
	if _, ok := calls["fc"]; ok {
		t.Errorf("calls has an fc object without a runtime: %v", calls)
	}
}

func TestControlAPI(t *testing.T) {
	_, ts, _ := newServer(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/_emulator/calls", http.StatusOK},
		{"POST", "/_emulator/calls", http.StatusMethodNotAllowed},
		{"POST", "/_emulator/timer", http.StatusNotFound},
		{"GET", "/_emulator/timer", http.StatusMethodNotAllowed},
		{"GET", "/_emulator/nope", http.StatusNotFound},
		{"GET", "/2020-11-11/runtime/invocation/next", http.StatusNotFound},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
		if err != nil {
			t.Errorf("%s %s: body is not JSON: %v", tt.method, tt.path, err)
		}
	}
}

func TestIsRPC(t *testing.T) {
	tests := []struct {
		method, target, contentType, acsAction string
		want                                   bool
	}{
		{"POST", "/?Action=ListUsers", "", "", true},
		{"GET", "/?Action=ListUsers", "", "", true},
		{"POST", "/", "", "ListUsers", true},
		{"POST", "/", "application/x-www-form-urlencoded", "", true},
		{"GET", "/?list-type=2", "", "", false},
		{"GET", "/credreport-local/key", "", "", false},
		{"PUT", "/credreport-local/Action", "", "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		if tt.acsAction != "" {
			r.Header.Set("x-acs-action", tt.acsAction)
		}
		if got := isRPC(r); got != tt.want {
			t.Errorf("isRPC(%s %s) = %v, want %v", tt.method, tt.target, got, tt.want)
		}
	}
}
