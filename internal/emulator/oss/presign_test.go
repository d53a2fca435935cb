package oss

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	alioss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// tamperQuery changes one character of the value of the query parameter
// param in a URL, leaving the rest of the URL byte for byte as it was.
func tamperQuery(t *testing.T, rawURL, param string) string {
	t.Helper()
	i := strings.Index(rawURL, "?"+param+"=")
	if i < 0 {
		i = strings.Index(rawURL, "&"+param+"=")
	}
	if i < 0 {
		t.Fatalf("URL %s has no %s parameter", rawURL, param)
	}
	pos := i + len(param) + 2
	replacement := byte('a')
	if rawURL[pos] == 'a' {
		replacement = 'b'
	}
	return rawURL[:pos] + string(replacement) + rawURL[pos+1:]
}

func TestSignURL(t *testing.T) {
	const key = "reports/credential report.csv"
	content := []byte("user,password_enabled\nalice,true\n")
	disposition := `attachment; filename="credential report.csv"`

	for _, mode := range sdkModes {
		t.Run(mode.name, func(t *testing.T) {
			clock := &testClock{}
			_, ts := startServer(t, Options{Now: clock.Now})
			b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)
			if err := b.PutObject(key, bytes.NewReader(content), alioss.ContentType("text/csv")); err != nil {
				t.Fatalf("PutObject: %v", err)
			}

			signed, err := b.SignURL(key, alioss.HTTPGet, 600, alioss.ResponseContentDisposition(disposition))
			if err != nil {
				t.Fatalf("SignURL: %v", err)
			}
			status, header, body := httpGet(t, signed)
			if status != http.StatusOK {
				t.Fatalf("GET signed URL = %d, want 200\n%s", status, body)
			}
			if !bytes.Equal(body, content) {
				t.Errorf("body = %q, want %q", body, content)
			}
			if got := header.Get("Content-Disposition"); got != disposition {
				t.Errorf("Content-Disposition = %q, want %q", got, disposition)
			}
			if got := header.Get("Content-Type"); got != "text/csv" {
				t.Errorf("Content-Type = %q, want text/csv", got)
			}

			typed, err := b.SignURL(key, alioss.HTTPGet, 600, alioss.ResponseContentType("text/plain; charset=utf-8"))
			if err != nil {
				t.Fatalf("SignURL: %v", err)
			}
			if status, header, _ := httpGet(t, typed); status != http.StatusOK || header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("GET with response-content-type = %d, Content-Type %q; want 200 text/plain; charset=utf-8", status, header.Get("Content-Type"))
			}

			signatureParam := "Signature"
			if strings.Contains(signed, "x-oss-signature=") {
				signatureParam = "x-oss-signature"
			}
			for _, param := range []string{signatureParam, "response-content-disposition"} {
				status, _, body := httpGet(t, tamperQuery(t, signed, param))
				if e := parseErrorBody(t, body); status != http.StatusForbidden || e.Code != "SignatureDoesNotMatch" {
					t.Errorf("GET with %s changed = %d %s, want 403 SignatureDoesNotMatch", param, status, e.Code)
				}
			}

			wrong := sdkBucket(t, ts.URL, mode.keyID, "wrong-secret", mode.clientOpts...)
			forged, err := wrong.SignURL(key, alioss.HTTPGet, 600)
			if err != nil {
				t.Fatalf("SignURL: %v", err)
			}
			status, _, body = httpGet(t, forged)
			if e := parseErrorBody(t, body); status != http.StatusForbidden || e.Code != "SignatureDoesNotMatch" {
				t.Errorf("GET signed with a wrong secret = %d %s, want 403 SignatureDoesNotMatch", status, e.Code)
			}

			clock.Advance(11 * time.Minute)
			status, _, body = httpGet(t, signed)
			e := parseErrorBody(t, body)
			if status != http.StatusForbidden || e.Code != "AccessDenied" || e.Message != "Request has expired." {
				t.Errorf("GET after expiry = %d %s %q, want 403 AccessDenied \"Request has expired.\"", status, e.Code, e.Message)
			}
		})
	}
}

func TestSignURLPut(t *testing.T) {
	for _, mode := range sdkModes {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)

			signed, err := b.SignURL("uploaded.csv", alioss.HTTPPut, 60, alioss.ContentType("text/csv"))
			if err != nil {
				t.Fatalf("SignURL: %v", err)
			}
			req, err := http.NewRequest(http.MethodPut, signed, strings.NewReader("a,b\n"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/csv")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("PUT signed URL: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("PUT signed URL = %d, want 200", resp.StatusCode)
			}

			h, err := b.GetObjectDetailedMeta("uploaded.csv")
			if err != nil {
				t.Fatalf("GetObjectDetailedMeta: %v", err)
			}
			if h.Get("Content-Type") != "text/csv" || h.Get("Content-Length") != "4" {
				t.Errorf("uploaded object: Content-Type %q, Content-Length %q; want text/csv, 4", h.Get("Content-Type"), h.Get("Content-Length"))
			}
		})
	}
}

func TestSignURLWithCurl(t *testing.T) {
	const curl = "/usr/bin/curl"
	if _, err := os.Stat(curl); err != nil {
		t.Skipf("curl is not installed at %s, so the curl check is skipped: %v", curl, err)
	}

	for _, mode := range sdkModes[:2] {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)
			content := []byte("fetched by curl\n")
			if err := b.PutObject("curl/report 1.csv", bytes.NewReader(content)); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			signed, err := b.SignURL("curl/report 1.csv", alioss.HTTPGet, 60,
				alioss.ResponseContentDisposition("attachment"))
			if err != nil {
				t.Fatalf("SignURL: %v", err)
			}

			out := filepath.Join(t.TempDir(), "body")
			cmd := exec.Command(curl, "--silent", "--show-error", "--globoff", "--noproxy", "*",
				"--output", out, "--write-out", "%{http_code}", signed)
			status, err := cmd.Output()
			if err != nil {
				t.Fatalf("curl %s: %v", signed, err)
			}
			if string(status) != "200" {
				t.Errorf("curl status = %s, want 200", status)
			}
			body, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, content) {
				t.Errorf("curl body = %q, want %q", body, content)
			}
		})
	}
}
