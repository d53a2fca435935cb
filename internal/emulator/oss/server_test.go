package oss

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	alioss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

var v4Options = []alioss.ClientOption{alioss.AuthVersion(alioss.AuthV4), alioss.Region(testRegion)}

// loopbackClient sends every request to the test server whatever the host
// name in the URL, so virtual-hosted names such as
// credreport-local.localhost reach the emulator without DNS.
func loopbackClient(ts *httptest.Server) *http.Client {
	addr := ts.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestVirtualHostedStyle(t *testing.T) {
	for _, mode := range sdkModes[:2] {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			hc := loopbackClient(ts)
			_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
			opts := append([]alioss.ClientOption{alioss.HTTPClient(hc)}, mode.clientOpts...)
			b := sdkBucket(t, "http://localhost:"+port, mode.keyID, mode.secret, opts...)

			if err := b.PutObject("vhost/a b.csv", strings.NewReader("virtual")); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			signed, err := b.SignURL("vhost/a b.csv", alioss.HTTPGet, 60)
			if err != nil {
				t.Fatalf("SignURL: %v", err)
			}
			if want := "http://" + testBucket + ".localhost:" + port + "/"; !strings.HasPrefix(signed, want) {
				t.Fatalf("signed URL %s does not start with %s", signed, want)
			}
			resp, err := hc.Get(signed)
			if err != nil {
				t.Fatalf("GET %s: %v", signed, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "virtual" {
				t.Errorf("GET virtual-hosted URL = %d %q, want 200 %q", resp.StatusCode, body, "virtual")
			}

			// The same object through path style.
			pathStyle := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)
			if ok, err := pathStyle.IsObjectExist("vhost/a b.csv"); err != nil || !ok {
				t.Errorf("IsObjectExist in path style = %v, %v; want true, nil", ok, err)
			}
		})
	}
}

func TestResolveBucketAndKey(t *testing.T) {
	cases := []struct {
		host, target, wantBucket, wantKey string
	}{
		{"127.0.0.1:9000", "/bkt/a/b.csv", "bkt", "a/b.csv"},
		{"127.0.0.1:9000", "/bkt/a%2Fb%20c.csv", "bkt", "a/b c.csv"},
		{"127.0.0.1:9000", "/bkt/", "bkt", ""},
		{"127.0.0.1:9000", "/bkt", "bkt", ""},
		{"127.0.0.1:9000", "/", "", ""},
		{"[::1]:9000", "/bkt/k", "bkt", "k"},
		{"localhost:9000", "/bkt/k", "bkt", "k"},
		{"localhost", "/bkt/k", "bkt", "k"},
		{"credreport-local.localhost:9000", "/reports/x.csv", "credreport-local", "reports/x.csv"},
		{"credreport-local.oss-cn-hangzhou.example", "/", "credreport-local", ""},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, tc.target, nil)
		r.Host = tc.host
		bucket, key := resolveBucketAndKey(r)
		if bucket != tc.wantBucket || key != tc.wantKey {
			t.Errorf("host %s, path %s: bucket %q, key %q; want %q, %q", tc.host, tc.target, bucket, key, tc.wantBucket, tc.wantKey)
		}
	}
}

func TestClockSkew(t *testing.T) {
	cases := []struct {
		name     string
		offset   time.Duration
		wantCode string
	}{
		{"server 1h ahead", time.Hour, "RequestTimeTooSkewed"},
		{"server 1h behind", -time.Hour, "RequestTimeTooSkewed"},
		{"server 14m ahead", 14 * time.Minute, ""},
		{"server 14m behind", -14 * time.Minute, ""},
	}
	for _, mode := range sdkModes[:2] {
		for _, tc := range cases {
			t.Run(mode.name+" "+tc.name, func(t *testing.T) {
				clock := &testClock{}
				clock.Advance(tc.offset)
				_, ts := startServer(t, Options{Now: clock.Now})
				b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)

				err := b.PutObject("skew.csv", strings.NewReader("x"))
				if tc.wantCode == "" {
					if err != nil {
						t.Errorf("PutObject: %v", err)
					}
					return
				}
				wantServiceError(t, err, http.StatusForbidden, tc.wantCode)
			})
		}
	}
}

func TestErrorResponses(t *testing.T) {
	_, ts := startServer(t, Options{})

	resp, err := http.Get(ts.URL + "/" + testBucket + "/private.csv")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous GET = %d, want 403", resp.StatusCode)
	}
	e := parseErrorBody(t, body)
	if e.Code != "AccessDenied" || e.EC != "0003-00000001" || e.Message == "" {
		t.Errorf("anonymous GET error = %+v, want AccessDenied with EC 0003-00000001", e)
	}
	if e.RequestID == "" || e.RequestID != resp.Header.Get("X-Oss-Request-Id") {
		t.Errorf("RequestId %q, x-oss-request-id %q: want the same non-empty value", e.RequestID, resp.Header.Get("X-Oss-Request-Id"))
	}
	if e.HostID == "" {
		t.Error("HostId is empty")
	}
	for name, want := range map[string]string{"Content-Type": "application/xml", "X-Oss-Ec": "0003-00000001", "Server": "AliyunOSS"} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, err := http.ParseTime(resp.Header.Get("Date")); err != nil {
		t.Errorf("Date header %q: %v", resp.Header.Get("Date"), err)
	}

	// A HEAD error has no body; the XML comes base64-encoded in x-oss-err.
	b := sdkBucket(t, ts.URL, testKeyID, testSecret)
	signed, err := b.SignURL("missing.csv", alioss.HTTPHead, 60)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Head(signed)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD of missing key = %d, want 404", resp.StatusCode)
	}
	raw, err := base64.StdEncoding.DecodeString(resp.Header.Get("X-Oss-Err"))
	if err != nil {
		t.Fatalf("x-oss-err is not base64: %v", err)
	}
	if e := parseErrorBody(t, raw); e.Code != "NoSuchKey" {
		t.Errorf("x-oss-err code = %q, want NoSuchKey", e.Code)
	}
}

func TestSDKErrorCodes(t *testing.T) {
	_, ts := startServer(t, Options{})
	b := sdkBucket(t, ts.URL, testKeyID, testSecret, v4Options...)
	if err := b.PutObject("small.csv", strings.NewReader("0123456789")); err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	client, err := alioss.New(ts.URL, testKeyID, testSecret, v4Options...)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := client.Bucket("missing-bucket")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name       string
		call       func() error
		wantStatus int
		wantCode   string
	}{
		{"no such bucket", func() error { return missing.PutObject("k", strings.NewReader("x")) }, 404, "NoSuchBucket"},
		{"range past end", func() error { _, err := b.GetObject("small.csv", alioss.Range(100, 200)); return err }, 416, "InvalidRange"},
		{"If-Match fails", func() error { _, err := b.GetObjectDetailedMeta("small.csv", alioss.IfMatch(`"0000"`)); return err }, 412, "PreconditionFailed"},
		{"key too long", func() error { return b.PutObject(strings.Repeat("k", 1024), strings.NewReader("x")) }, 400, "InvalidObjectName"},
		{"wrong Content-MD5", func() error {
			return b.PutObject("md5.csv", strings.NewReader("x"), alioss.ContentMD5(base64.StdEncoding.EncodeToString(make([]byte, 16))))
		}, 400, "InvalidDigest"},
		{"bad encryption", func() error { return b.PutObject("e.csv", strings.NewReader("x"), alioss.ServerSideEncryption("DES")) }, 400, "InvalidEncryptionAlgorithmError"},
		{"unsupported sub-resource", func() error { _, err := b.GetObjectACL("small.csv"); return err }, 501, "NotImplemented"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantServiceError(t, tc.call(), tc.wantStatus, tc.wantCode)
		})
	}
}

func TestV4PresignedExpiresLimit(t *testing.T) {
	_, ts := startServer(t, Options{})
	b := sdkBucket(t, ts.URL, testKeyID, testSecret, v4Options...)
	if err := b.PutObject("k.csv", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}

	signed, err := b.SignURL("k.csv", alioss.HTTPGet, 8*24*3600)
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := httpGet(t, signed)
	if e := parseErrorBody(t, body); status != http.StatusBadRequest || e.Code != "InvalidArgument" {
		t.Errorf("GET with x-oss-expires over 7 days = %d %s, want 400 InvalidArgument", status, e.Code)
	}
}

func TestCompleteRejectsPartsOutOfOrder(t *testing.T) {
	_, ts := startServer(t, Options{})
	b := sdkBucket(t, ts.URL, testKeyID, testSecret)
	part := bytes.Repeat([]byte("p"), minPartSize)

	imur, err := b.InitiateMultipartUpload("order.bin")
	if err != nil {
		t.Fatal(err)
	}
	p1, err := b.UploadPart(imur, bytes.NewReader(part), int64(len(part)), 1)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := b.UploadPart(imur, bytes.NewReader(part), int64(len(part)), 2)
	if err != nil {
		t.Fatal(err)
	}

	complete := func(parts string) (int, errorBody) {
		t.Helper()
		signed, err := b.SignURL("order.bin", alioss.HTTPPost, 60, alioss.AddParam("uploadId", imur.UploadID))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(signed, "", strings.NewReader("<CompleteMultipartUpload>"+parts+"</CompleteMultipartUpload>"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK {
			return resp.StatusCode, errorBody{}
		}
		return resp.StatusCode, parseErrorBody(t, body)
	}
	xmlPart := func(p alioss.UploadPart) string {
		return fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", p.PartNumber, p.ETag)
	}

	if status, e := complete(xmlPart(p2) + xmlPart(p1)); status != http.StatusBadRequest || e.Code != "InvalidPartOrder" {
		t.Errorf("complete with parts 2, 1 = %d %s, want 400 InvalidPartOrder", status, e.Code)
	}
	if status, e := complete("<Part>"); status != http.StatusBadRequest || e.Code != "MalformedXML" {
		t.Errorf("complete with broken XML = %d %s, want 400 MalformedXML", status, e.Code)
	}
	if status, e := complete(xmlPart(p1) + xmlPart(p2)); status != http.StatusOK {
		t.Errorf("complete with parts 1, 2 = %d %s, want 200", status, e.Code)
	}
}

func TestCalls(t *testing.T) {
	s, ts := startServer(t, Options{})
	b := sdkBucket(t, ts.URL, testKeyID, testSecret)

	if err := b.PutObject("c.csv", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetObjectDetailedMeta("c.csv"); err != nil {
		t.Fatal(err)
	}
	rc, err := b.GetObject("c.csv")
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if _, err := b.DeleteObjects([]string{"c.csv"}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteObject("c.csv"); err != nil {
		t.Fatal(err)
	}
	_, _ = http.Get(ts.URL + "/" + testBucket + "/anonymous.csv")

	want := map[string]int{"PUT": 1, "HEAD": 1, "GET": 2, "POST": 1, "DELETE": 1}
	if got := s.Calls(); !maps.Equal(got, want) {
		t.Errorf("Calls() = %v, want %v", got, want)
	}
}

func TestDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	_, ts := startServer(t, Options{DataDir: dir})
	b := sdkBucket(t, ts.URL, testKeyID, testSecret, v4Options...)

	err := b.PutObject("keep/report.csv", strings.NewReader("first version"), alioss.ContentType("text/csv"),
		alioss.Meta("generated-at", "2025-01-02T03:04:05Z"), alioss.ServerSideEncryption("AES256"))
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if err := b.PutObject("keep/report.csv", strings.NewReader("second version"), alioss.ContentType("text/csv"),
		alioss.Meta("generated-at", "2025-01-02T04:04:05Z"), alioss.ServerSideEncryption("AES256")); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if err := b.PutObject("gone.csv", strings.NewReader("deleted")); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if err := b.DeleteObject("gone.csv"); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	big := bytes.Repeat([]byte("persisted multipart "), 12000) // 240000 bytes: 3 parts
	path := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(path, big, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.UploadFile("keep/big.bin", path, minPartSize, alioss.Routines(2)); err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	before, err := b.GetObjectDetailedMeta("keep/report.csv")
	if err != nil {
		t.Fatal(err)
	}
	ts.Close()

	// A write interrupted by a crash leaves a temporary file behind.
	leftover := filepath.Join(dir, testBucket, "0123.data.tmp")
	if err := os.WriteFile(leftover, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, ts2 := startServer(t, Options{DataDir: dir, Buckets: []string{}})
	b2 := sdkBucket(t, ts2.URL, testKeyID, testSecret)

	after, err := b2.GetObjectDetailedMeta("keep/report.csv")
	if err != nil {
		t.Fatalf("GetObjectDetailedMeta after restart: %v", err)
	}
	for _, name := range []string{"ETag", "Content-Type", "Content-Length", "Last-Modified", "X-Oss-Meta-Generated-At", "X-Oss-Server-Side-Encryption", "X-Oss-Hash-Crc64ecma"} {
		if after.Get(name) != before.Get(name) {
			t.Errorf("%s after restart = %q, want %q", name, after.Get(name), before.Get(name))
		}
	}
	for key, want := range map[string][]byte{"keep/report.csv": []byte("second version"), "keep/big.bin": big} {
		rc, err := b2.GetObject(key)
		if err != nil {
			t.Fatalf("GetObject %s after restart: %v", key, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, want) {
			t.Errorf("%s after restart: %d bytes, want %d", key, len(got), len(want))
		}
	}
	if ok, err := b2.IsObjectExist("gone.csv"); err != nil || ok {
		t.Errorf("deleted object after restart: exists %v, err %v; want false, nil", ok, err)
	}

	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover temporary file was not removed: %v", err)
	}
	dataFiles, _ := filepath.Glob(filepath.Join(dir, testBucket, "*.data"))
	metaFiles, _ := filepath.Glob(filepath.Join(dir, testBucket, "*.json"))
	if len(dataFiles) != 2 || len(metaFiles) != 2 {
		t.Errorf("bucket directory contains %d data and %d metadata files, want 2 and 2", len(dataFiles), len(metaFiles))
	}
}

func TestConcurrentClients(t *testing.T) {
	for _, dataDir := range []bool{false, true} {
		t.Run(fmt.Sprintf("DataDir=%v", dataDir), func(t *testing.T) {
			opts := Options{}
			if dataDir {
				opts.DataDir = t.TempDir()
			}
			_, ts := startServer(t, opts)

			const workers, rounds = 8, 15
			var wg sync.WaitGroup
			errs := make(chan error, workers*rounds)
			for w := 0; w < workers; w++ {
				b := sdkBucket(t, ts.URL, testKeyID, testSecret, v4Options...)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < rounds; i++ {
						own := fmt.Sprintf("w%d/%d.csv", w, i)
						content := fmt.Sprintf("worker %d round %d", w, i)
						if err := b.PutObject(own, strings.NewReader(content)); err != nil {
							errs <- fmt.Errorf("put %s: %w", own, err)
							continue
						}
						if err := b.PutObject("shared.csv", strings.NewReader(content)); err != nil {
							errs <- fmt.Errorf("put shared.csv: %w", err)
						}
						rc, err := b.GetObject(own)
						if err != nil {
							errs <- fmt.Errorf("get %s: %w", own, err)
							continue
						}
						got, err := io.ReadAll(rc)
						rc.Close()
						if err != nil || string(got) != content {
							errs <- fmt.Errorf("get %s = %q (err %v), want %q", own, got, err, content)
						}
						if rc, err := b.GetObject("shared.csv"); err == nil {
							_, _ = io.Copy(io.Discard, rc)
							rc.Close()
						} else {
							errs <- fmt.Errorf("get shared.csv: %w", err)
						}
						if _, err := b.ListObjectsV2(alioss.Prefix(fmt.Sprintf("w%d/", w))); err != nil {
							errs <- fmt.Errorf("list: %w", err)
						}
						if i%2 == 0 {
							if err := b.DeleteObject(own); err != nil {
								errs <- fmt.Errorf("delete %s: %w", own, err)
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}

			b := sdkBucket(t, ts.URL, testKeyID, testSecret)
			res, err := b.ListObjectsV2(alioss.MaxKeys(1000))
			if err != nil {
				t.Fatal(err)
			}
			// Each worker keeps its odd rounds, plus the shared key.
			if want := workers*(rounds/2) + 1; len(res.Objects) != want {
				t.Errorf("objects after the run = %d, want %d", len(res.Objects), want)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	good := []Credential{{AccessKeyID: "a", AccessKeySecret: "s"}}
	cases := []struct {
		name string
		opts Options
	}{
		{"no credentials", Options{}},
		{"empty secret", Options{Credentials: []Credential{{AccessKeyID: "a"}}}},
		{"duplicate key", Options{Credentials: append(good, good[0])}},
		{"bad bucket name", Options{Credentials: good, Buckets: []string{"Bad_Name"}}},
		{"data dir is a file", Options{Credentials: good, DataDir: "/dev/null"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.opts); err == nil {
				t.Error("New returned no error")
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	cases := []struct {
		spec               string
		size               int64
		wantStart, wantEnd int64
		wantPartial        bool
		wantErr            bool
	}{
		{"", 10, 0, 0, false, false},
		{"bytes=0-3", 10, 0, 3, true, false},
		{"bytes=5-", 10, 5, 9, true, false},
		{"bytes=-4", 10, 6, 9, true, false},
		{"bytes=-40", 10, 0, 9, true, false},
		{"bytes=8-40", 10, 8, 9, true, false},
		{"bytes=10-12", 10, 0, 0, false, true},
		{"bytes=5-2", 10, 0, 0, false, false},
		{"bytes=0-1,3-4", 10, 0, 0, false, false},
		{"items=0-1", 10, 0, 0, false, false},
		{"bytes=x-1", 10, 0, 0, false, false},
		{"bytes=0-1", 0, 0, 0, false, false},
	}
	for _, tc := range cases {
		start, end, partial, err := parseRange(tc.spec, tc.size)
		if start != tc.wantStart || end != tc.wantEnd || partial != tc.wantPartial || (err != nil) != tc.wantErr {
			t.Errorf("parseRange(%q, %d) = %d, %d, %v, %v; want %d, %d, %v, error %v",
				tc.spec, tc.size, start, end, partial, err, tc.wantStart, tc.wantEnd, tc.wantPartial, tc.wantErr)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	_, ts := startServer(t, Options{})
	b := sdkBucket(t, ts.URL, testKeyID, testSecret)

	signed, err := b.SignURL("k.csv", alioss.HTTPMethod("PATCH"), 60)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("PATCH", signed, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if e := parseErrorBody(t, body); resp.StatusCode != http.StatusMethodNotAllowed || e.Code != "MethodNotAllowed" {
		t.Errorf("PATCH = %d %s, want 405 MethodNotAllowed", resp.StatusCode, e.Code)
	}
}

func TestCompleteAllParts(t *testing.T) {
	_, ts := startServer(t, Options{})
	b := sdkBucket(t, ts.URL, testKeyID, testSecret, v4Options...)
	part := bytes.Repeat([]byte("a"), minPartSize)

	imur, err := b.InitiateMultipartUpload("all.bin", alioss.ContentType("text/plain"))
	if err != nil {
		t.Fatal(err)
	}
	for n, data := range [][]byte{part, []byte("end")} {
		if _, err := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), n+1); err != nil {
			t.Fatalf("UploadPart %d: %v", n+1, err)
		}
	}
	if _, err := b.CompleteMultipartUpload(imur, nil, alioss.SetHeader("x-oss-complete-all", "yes")); err != nil {
		t.Fatalf("CompleteMultipartUpload with x-oss-complete-all: %v", err)
	}

	h, err := b.GetObjectDetailedMeta("all.bin")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("Content-Length"), fmt.Sprint(len(part)+3); got != want {
		t.Errorf("Content-Length = %s, want %s", got, want)
	}
	if got := h.Get("Content-Type"); got != "text/plain" {
		t.Errorf("Content-Type = %q, want text/plain from the initiate request", got)
	}
}

func TestListBuckets(t *testing.T) {
	_, ts := startServer(t, Options{Buckets: []string{"zeta-bucket", testBucket}})
	client, err := alioss.New(ts.URL, testKeyID, testSecret, v4Options...)
	if err != nil {
		t.Fatal(err)
	}

	res, err := client.ListBuckets()
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range res.Buckets {
		names = append(names, b.Name)
	}
	if want := []string{testBucket, "zeta-bucket"}; !slices.Equal(names, want) {
		t.Errorf("buckets = %q, want %q", names, want)
	}
}

func TestDataDirRejectsBadMetadata(t *testing.T) {
	cases := []struct {
		name, metadata string
	}{
		{"not JSON", "{"},
		{"data file outside the bucket", `{"key":"k","dataFile":"../../secret.data"}`},
		{"data file missing", `{"key":"k","dataFile":"0000.data"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bucketDir := filepath.Join(dir, testBucket)
			if err := os.MkdirAll(bucketDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(bucketDir, "k.json"), []byte(tc.metadata), 0o600); err != nil {
				t.Fatal(err)
			}

			_, err := New(Options{Credentials: []Credential{{AccessKeyID: "a", AccessKeySecret: "s"}}, DataDir: dir})
			if err == nil {
				t.Fatal("New returned no error")
			}
			if !strings.Contains(err.Error(), "k.json") {
				t.Errorf("error %q does not name the metadata file k.json", err)
			}
		})
	}
}
