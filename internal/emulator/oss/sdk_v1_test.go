package oss

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	alioss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// sdkModes are the signing set-ups of aliyun-oss-go-sdk v3.0.2 that the
// emulator must accept.
var sdkModes = []struct {
	name       string
	keyID      string
	secret     string
	clientOpts []alioss.ClientOption
}{
	{"AuthV1", testKeyID, testSecret, nil},
	{"AuthV4", testKeyID, testSecret, []alioss.ClientOption{alioss.AuthVersion(alioss.AuthV4), alioss.Region(testRegion)}},
	{"AuthV1 STS", stsKeyID, stsSecret, []alioss.ClientOption{alioss.SecurityToken(stsToken)}},
	{"AuthV4 STS", stsKeyID, stsSecret, []alioss.ClientOption{alioss.SecurityToken(stsToken), alioss.AuthVersion(alioss.AuthV4), alioss.Region(testRegion)}},
}

func TestV1SDKObjectLifecycle(t *testing.T) {
	for _, mode := range sdkModes {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)
			key := "reports/cred report+1 ü.csv"
			content := []byte("user,arn\nalice,acs:ram::1:user/alice\n")

			err := b.PutObject(key, bytes.NewReader(content),
				alioss.ContentType("text/csv"),
				alioss.Meta("generated-at", "2025-01-02T03:04:05Z"),
				alioss.ServerSideEncryption("KMS"),
				alioss.ServerSideEncryptionKeyID("key-1234"))
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}

			h, err := b.GetObjectDetailedMeta(key)
			if err != nil {
				t.Fatalf("GetObjectDetailedMeta: %v", err)
			}
			wantHeaders := map[string]string{
				"Content-Type":                        "text/csv",
				"Content-Length":                      fmt.Sprint(len(content)),
				"X-Oss-Meta-Generated-At":             "2025-01-02T03:04:05Z",
				"X-Oss-Server-Side-Encryption":        "KMS",
				"X-Oss-Server-Side-Encryption-Key-Id": "key-1234",
				"X-Oss-Object-Type":                   "Normal",
				"X-Oss-Storage-Class":                 "Standard",
				"Server":                              "AliyunOSS",
				"ETag":                                fmt.Sprintf(`"%X"`, md5Sum(content)),
			}
			for name, want := range wantHeaders {
				if got := h.Get(name); got != want {
					t.Errorf("HEAD %s = %q, want %q", name, got, want)
				}
			}
			for _, name := range []string{"Last-Modified", "Date", "X-Oss-Request-Id"} {
				if h.Get(name) == "" {
					t.Errorf("HEAD %s is missing", name)
				}
			}

			rc, err := b.GetObject(key)
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("read GetObject body: %v", err)
			}
			if !bytes.Equal(got, content) {
				t.Errorf("GetObject = %q, want %q", got, content)
			}

			rc, err = b.GetObject(key, alioss.Range(5, 8))
			if err != nil {
				t.Fatalf("GetObject with range: %v", err)
			}
			got, _ = io.ReadAll(rc)
			rc.Close()
			if want := content[5:9]; !bytes.Equal(got, want) {
				t.Errorf("GetObject bytes 5-8 = %q, want %q", got, want)
			}

			exists, err := b.IsObjectExist(key)
			if err != nil || !exists {
				t.Errorf("IsObjectExist = %v, %v; want true, nil", exists, err)
			}

			if err := b.DeleteObject(key); err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			exists, err = b.IsObjectExist(key)
			if err != nil || exists {
				t.Errorf("IsObjectExist after delete = %v, %v; want false, nil", exists, err)
			}

			_, err = b.GetObjectDetailedMeta(key)
			se := serviceError(t, err)
			if se.StatusCode != http.StatusNotFound || se.Code != "NoSuchKey" {
				t.Errorf("HEAD of deleted key = %d %q, want 404 NoSuchKey", se.StatusCode, se.Code)
			}

			_, err = b.GetObject(key)
			wantServiceError(t, err, http.StatusNotFound, "NoSuchKey")
		})
	}
}

func TestV1SDKForbidOverwrite(t *testing.T) {
	for _, mode := range sdkModes {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)

			if err := b.PutObject("once.csv", strings.NewReader("first"), alioss.ForbidOverWrite(true)); err != nil {
				t.Fatalf("first PutObject: %v", err)
			}
			err := b.PutObject("once.csv", strings.NewReader("second"), alioss.ForbidOverWrite(true))
			wantServiceError(t, err, http.StatusConflict, "FileAlreadyExists")

			if err := b.PutObject("once.csv", strings.NewReader("third")); err != nil {
				t.Fatalf("PutObject without forbid-overwrite: %v", err)
			}
			rc, err := b.GetObject("once.csv")
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != "third" {
				t.Errorf("object = %q, want %q", got, "third")
			}

			err = b.PutObject("other.csv", strings.NewReader("x"), alioss.SetHeader("X-Oss-Forbid-Overwrite", "maybe"))
			wantServiceError(t, err, http.StatusBadRequest, "InvalidArgument")
		})
	}
}

func TestV1SDKListObjectsV2(t *testing.T) {
	for _, mode := range sdkModes {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)

			keys := []string{
				"reports/2025/a.csv", "reports/2025/b c.csv", "reports/2025/d+e.csv",
				"reports/2026/f.csv", "reports/latest.csv", "reports/ü%20.csv", "other/x.csv",
			}
			for _, k := range keys {
				if err := b.PutObject(k, strings.NewReader(k)); err != nil {
					t.Fatalf("PutObject %q: %v", k, err)
				}
			}

			var listed []string
			token, pages := "", 0
			for {
				opts := []alioss.Option{alioss.Prefix("reports/"), alioss.MaxKeys(2)}
				if token != "" {
					opts = append(opts, alioss.ContinuationToken(token))
				}
				res, err := b.ListObjectsV2(opts...)
				if err != nil {
					t.Fatalf("ListObjectsV2 page %d: %v", pages, err)
				}
				pages++
				for _, o := range res.Objects {
					listed = append(listed, o.Key)
					if o.Size != int64(len(o.Key)) || o.ETag == "" || o.LastModified.IsZero() {
						t.Errorf("object %q: size %d, etag %q, last modified %v", o.Key, o.Size, o.ETag, o.LastModified)
					}
				}
				if !res.IsTruncated {
					break
				}
				token = res.NextContinuationToken
				if pages > 10 {
					t.Fatal("ListObjectsV2 did not finish after 10 pages")
				}
			}
			want := []string{"reports/2025/a.csv", "reports/2025/b c.csv", "reports/2025/d+e.csv",
				"reports/2026/f.csv", "reports/latest.csv", "reports/ü%20.csv"}
			if !slices.Equal(listed, want) {
				t.Errorf("listed keys = %q, want %q", listed, want)
			}
			if pages != 3 {
				t.Errorf("pages = %d, want 3", pages)
			}

			res, err := b.ListObjectsV2(alioss.Prefix("reports/"), alioss.Delimiter("/"))
			if err != nil {
				t.Fatalf("ListObjectsV2 with delimiter: %v", err)
			}
			if got, want := res.CommonPrefixes, []string{"reports/2025/", "reports/2026/"}; !slices.Equal(got, want) {
				t.Errorf("common prefixes = %q, want %q", got, want)
			}
			if len(res.Objects) != 2 || res.Objects[0].Key != "reports/latest.csv" {
				t.Errorf("objects with delimiter = %+v, want reports/latest.csv and reports/ü%%20.csv", res.Objects)
			}

			res, err = b.ListObjectsV2(alioss.StartAfter("reports/2026/f.csv"), alioss.Prefix("reports/"))
			if err != nil {
				t.Fatalf("ListObjectsV2 with start-after: %v", err)
			}
			if len(res.Objects) != 2 || res.Objects[0].Key != "reports/latest.csv" {
				t.Errorf("objects after reports/2026/f.csv = %+v", res.Objects)
			}

			v1, err := b.ListObjects(alioss.Prefix("reports/2025/"), alioss.MaxKeys(2))
			if err != nil {
				t.Fatalf("ListObjects: %v", err)
			}
			if len(v1.Objects) != 2 || !v1.IsTruncated || v1.NextMarker != "reports/2025/b c.csv" {
				t.Errorf("ListObjects = %d objects, truncated %v, next marker %q", len(v1.Objects), v1.IsTruncated, v1.NextMarker)
			}
		})
	}
}

func TestV1SDKDeleteObjects(t *testing.T) {
	for _, mode := range sdkModes {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)

			keys := []string{"a/1.csv", "a/2 + 3.csv", "a/<&>.csv"}
			for _, k := range keys {
				if err := b.PutObject(k, strings.NewReader("x")); err != nil {
					t.Fatalf("PutObject %q: %v", k, err)
				}
			}

			res, err := b.DeleteObjects(append(keys, "a/missing.csv"))
			if err != nil {
				t.Fatalf("DeleteObjects: %v", err)
			}
			want := append(slices.Clone(keys), "a/missing.csv")
			if !slices.Equal(res.DeletedObjects, want) {
				t.Errorf("deleted = %q, want %q", res.DeletedObjects, want)
			}

			list, err := b.ListObjectsV2(alioss.Prefix("a/"))
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			if len(list.Objects) != 0 {
				t.Errorf("objects left after DeleteObjects: %+v", list.Objects)
			}

			if err := b.PutObject("q.csv", strings.NewReader("x")); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			res, err = b.DeleteObjects([]string{"q.csv"}, alioss.DeleteObjectsQuiet(true))
			if err != nil {
				t.Fatalf("DeleteObjects quiet: %v", err)
			}
			if len(res.DeletedObjects) != 0 {
				t.Errorf("quiet DeleteObjects listed %q", res.DeletedObjects)
			}
		})
	}
}

func TestV1SDKMultipart(t *testing.T) {
	for _, mode := range sdkModes {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			b := sdkBucket(t, ts.URL, mode.keyID, mode.secret, mode.clientOpts...)

			content := bytes.Repeat([]byte("0123456789abcdef"), 22*1024) // 352 KiB: 4 parts of 100 KiB
			path := filepath.Join(t.TempDir(), "big.bin")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			err := b.UploadFile("big/file.bin", path, 100*1024, alioss.Routines(3),
				alioss.ContentType("application/x-test"), alioss.Meta("origin", "multipart"))
			if err != nil {
				t.Fatalf("UploadFile: %v", err)
			}

			h, err := b.GetObjectDetailedMeta("big/file.bin")
			if err != nil {
				t.Fatalf("GetObjectDetailedMeta: %v", err)
			}
			if got := h.Get("X-Oss-Object-Type"); got != "Multipart" {
				t.Errorf("object type = %q, want Multipart", got)
			}
			if got := h.Get("ETag"); !strings.HasSuffix(got, `-4"`) {
				t.Errorf("ETag = %s, want a multipart ETag ending in -4", got)
			}
			if got := h.Get("X-Oss-Meta-Origin"); got != "multipart" {
				t.Errorf("x-oss-meta-origin = %q, want multipart", got)
			}
			if got := h.Get("Content-Type"); got != "application/x-test" {
				t.Errorf("Content-Type = %q, want application/x-test", got)
			}

			rc, err := b.GetObject("big/file.bin")
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, content) {
				t.Errorf("GetObject returned %d bytes (err %v), want the %d uploaded", len(got), err, len(content))
			}
		})
	}
}

func TestV1SDKMultipartErrors(t *testing.T) {
	_, ts := startServer(t, Options{})
	b := sdkBucket(t, ts.URL, testKeyID, testSecret, alioss.AuthVersion(alioss.AuthV4), alioss.Region(testRegion))
	big := bytes.Repeat([]byte("x"), minPartSize)

	// Forbid-overwrite is checked again when the upload completes.
	imur, err := b.InitiateMultipartUpload("race.bin", alioss.ForbidOverWrite(true))
	if err != nil {
		t.Fatalf("InitiateMultipartUpload: %v", err)
	}
	p1, err := b.UploadPart(imur, bytes.NewReader(big), int64(len(big)), 1)
	if err != nil {
		t.Fatalf("UploadPart 1: %v", err)
	}
	p2, err := b.UploadPart(imur, strings.NewReader("tail"), 4, 2)
	if err != nil {
		t.Fatalf("UploadPart 2: %v", err)
	}
	parts, err := b.ListUploadedParts(imur)
	if err != nil {
		t.Fatalf("ListUploadedParts: %v", err)
	}
	if len(parts.UploadedParts) != 2 || parts.UploadedParts[1].Size != 4 {
		t.Errorf("ListUploadedParts = %+v, want parts 1 and 2", parts.UploadedParts)
	}
	if err := b.PutObject("race.bin", strings.NewReader("someone else")); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	_, err = b.CompleteMultipartUpload(imur, []alioss.UploadPart{p1, p2})
	wantServiceError(t, err, http.StatusConflict, "FileAlreadyExists")

	// A wrong ETag is InvalidPart; the upload stays usable.
	imur, err = b.InitiateMultipartUpload("parts.bin")
	if err != nil {
		t.Fatalf("InitiateMultipartUpload: %v", err)
	}
	p1, err = b.UploadPart(imur, bytes.NewReader(big), int64(len(big)), 1)
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	_, err = b.CompleteMultipartUpload(imur, []alioss.UploadPart{{PartNumber: 1, ETag: `"00"`}})
	wantServiceError(t, err, http.StatusBadRequest, "InvalidPart")
	_, err = b.CompleteMultipartUpload(imur, []alioss.UploadPart{{PartNumber: 3, ETag: p1.ETag}})
	wantServiceError(t, err, http.StatusBadRequest, "InvalidPart")

	// Every part but the last must be at least 100 KB.
	small, err := b.UploadPart(imur, strings.NewReader("small"), 5, 2)
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	tail, err := b.UploadPart(imur, strings.NewReader("tail"), 4, 3)
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	_, err = b.CompleteMultipartUpload(imur, []alioss.UploadPart{p1, small, tail})
	wantServiceError(t, err, http.StatusBadRequest, "EntityTooSmall")

	if err := b.AbortMultipartUpload(imur); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err = b.UploadPart(imur, strings.NewReader("late"), 4, 4)
	wantServiceError(t, err, http.StatusNotFound, "NoSuchUpload")
	err = b.AbortMultipartUpload(imur)
	wantServiceError(t, err, http.StatusNotFound, "NoSuchUpload")
}

func TestV1SDKRejectsBadCredentials(t *testing.T) {
	v4 := []alioss.ClientOption{alioss.AuthVersion(alioss.AuthV4), alioss.Region(testRegion)}
	cases := []struct {
		name          string
		keyID, secret string
		opts          []alioss.ClientOption
		wantCode      string
	}{
		{"V1 wrong secret", testKeyID, "wrong-secret", nil, "SignatureDoesNotMatch"},
		{"V4 wrong secret", testKeyID, "wrong-secret", v4, "SignatureDoesNotMatch"},
		{"V1 unknown key", "LTAIunknown", testSecret, nil, "InvalidAccessKeyId"},
		{"V4 unknown key", "LTAIunknown", testSecret, v4, "InvalidAccessKeyId"},
		{"V4 wrong region", testKeyID, testSecret, []alioss.ClientOption{alioss.AuthVersion(alioss.AuthV4), alioss.Region("cn-beijing")}, "SignatureDoesNotMatch"},
		{"V1 wrong token", stsKeyID, stsSecret, []alioss.ClientOption{alioss.SecurityToken("wrong-token")}, "InvalidSecurityToken"},
		{"V4 wrong token", stsKeyID, stsSecret, append([]alioss.ClientOption{alioss.SecurityToken("wrong-token")}, v4...), "InvalidSecurityToken"},
		{"V1 missing token", stsKeyID, stsSecret, nil, "InvalidAccessKeyId"},
		{"V4 missing token", stsKeyID, stsSecret, v4, "InvalidAccessKeyId"},
		{"token with long-term key", testKeyID, testSecret, []alioss.ClientOption{alioss.SecurityToken(stsToken)}, "InvalidAccessKeyId"},
	}

	_, ts := startServer(t, Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := sdkBucket(t, ts.URL, tc.keyID, tc.secret, tc.opts...)

			err := b.PutObject("denied.csv", strings.NewReader("x"))
			wantServiceError(t, err, http.StatusForbidden, tc.wantCode)

			_, err = b.GetObjectDetailedMeta("denied.csv")
			wantServiceError(t, err, http.StatusForbidden, tc.wantCode)
		})
	}
}
