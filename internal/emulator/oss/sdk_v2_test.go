package oss

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	oss2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// v2Client returns a client of alibabacloud-oss-go-sdk-v2 on the endpoint,
// in path style.
func v2Client(endpoint, keyID, secret, token string, version oss2.SignatureVersionType) *oss2.Client {
	cfg := oss2.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyID, secret, token)).
		WithRegion(testRegion).
		WithEndpoint(endpoint).
		WithUsePathStyle(true).
		WithDisableSSL(true).
		WithRetryMaxAttempts(1).
		WithSignatureVersion(version)
	return oss2.NewClient(cfg)
}

func TestV2SDK(t *testing.T) {
	modes := []struct {
		name                 string
		keyID, secret, token string
		version              oss2.SignatureVersionType
	}{
		{"V4", testKeyID, testSecret, "", oss2.SignatureVersionV4},
		{"V1", testKeyID, testSecret, "", oss2.SignatureVersionV1},
		{"V4 STS", stsKeyID, stsSecret, stsToken, oss2.SignatureVersionV4},
		{"V1 STS", stsKeyID, stsSecret, stsToken, oss2.SignatureVersionV1},
	}
	ctx := context.Background()

	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			_, ts := startServer(t, Options{})
			c := v2Client(ts.URL, mode.keyID, mode.secret, mode.token, mode.version)
			key := "v2/cred report+1.csv"
			content := []byte("user,mfa_active\nbob,false\n")

			_, err := c.PutObject(ctx, &oss2.PutObjectRequest{
				Bucket:               oss2.Ptr(testBucket),
				Key:                  oss2.Ptr(key),
				Body:                 bytes.NewReader(content),
				ContentType:          oss2.Ptr("text/csv"),
				Metadata:             map[string]string{"generated-at": "2025-01-02T03:04:05Z"},
				ServerSideEncryption: oss2.Ptr("AES256"),
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}

			head, err := c.HeadObject(ctx, &oss2.HeadObjectRequest{Bucket: oss2.Ptr(testBucket), Key: oss2.Ptr(key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if head.ContentLength != int64(len(content)) || oss2.ToString(head.ContentType) != "text/csv" ||
				head.Metadata["generated-at"] != "2025-01-02T03:04:05Z" || oss2.ToString(head.ServerSideEncryption) != "AES256" {
				t.Errorf("HeadObject = length %d, type %q, meta %v, encryption %q",
					head.ContentLength, oss2.ToString(head.ContentType), head.Metadata, oss2.ToString(head.ServerSideEncryption))
			}

			got, err := c.GetObject(ctx, &oss2.GetObjectRequest{Bucket: oss2.Ptr(testBucket), Key: oss2.Ptr(key)})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			body, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil || !bytes.Equal(body, content) {
				t.Errorf("GetObject = %q (err %v), want %q", body, err, content)
			}

			for _, k := range []string{"v2/b.csv", "v2/c.csv", "other.csv"} {
				if _, err := c.PutObject(ctx, &oss2.PutObjectRequest{Bucket: oss2.Ptr(testBucket), Key: oss2.Ptr(k), Body: strings.NewReader(k)}); err != nil {
					t.Fatalf("PutObject %q: %v", k, err)
				}
			}
			var listed []string
			pager := c.NewListObjectsV2Paginator(&oss2.ListObjectsV2Request{Bucket: oss2.Ptr(testBucket), Prefix: oss2.Ptr("v2/"), MaxKeys: 2})
			for pager.HasNext() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListObjectsV2: %v", err)
				}
				for _, o := range page.Contents {
					listed = append(listed, oss2.ToString(o.Key))
				}
			}
			if want := []string{"v2/b.csv", "v2/c.csv", key}; !slices.Equal(listed, want) {
				t.Errorf("listed = %q, want %q", listed, want)
			}

			presigned, err := c.Presign(ctx, &oss2.GetObjectRequest{Bucket: oss2.Ptr(testBucket), Key: oss2.Ptr(key)},
				oss2.PresignExpires(10*time.Minute))
			if err != nil {
				t.Fatalf("Presign: %v", err)
			}
			status, _, fetched := httpGet(t, presigned.URL)
			if status != http.StatusOK || !bytes.Equal(fetched, content) {
				t.Errorf("GET presigned URL = %d %q, want 200 %q", status, fetched, content)
			}

			_, err = c.DeleteObject(ctx, &oss2.DeleteObjectRequest{Bucket: oss2.Ptr(testBucket), Key: oss2.Ptr(key)})
			if err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			_, err = c.HeadObject(ctx, &oss2.HeadObjectRequest{Bucket: oss2.Ptr(testBucket), Key: oss2.Ptr(key)})
			var se *oss2.ServiceError
			if !errors.As(err, &se) || se.StatusCode != http.StatusNotFound || se.Code != "NoSuchKey" {
				t.Errorf("HeadObject of deleted key: error %v, want 404 NoSuchKey", err)
			}
		})
	}
}

func TestV2SDKMultipartUploader(t *testing.T) {
	_, ts := startServer(t, Options{})
	c := v2Client(ts.URL, testKeyID, testSecret, "", oss2.SignatureVersionV4)
	ctx := context.Background()
	content := bytes.Repeat([]byte("multipart-v2 "), 30000) // 390000 bytes: 4 parts of 100 KiB
	key := "v2/big file+1.bin"

	u := c.NewUploader(func(o *oss2.UploaderOptions) {
		o.PartSize = minPartSize
		o.ParallelNum = 3
	})
	res, err := u.UploadFrom(ctx, &oss2.PutObjectRequest{Bucket: oss2.Ptr(testBucket), Key: oss2.Ptr(key)}, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("UploadFrom: %v", err)
	}
	if etag := oss2.ToString(res.ETag); !strings.HasSuffix(etag, `-4"`) {
		t.Errorf("ETag = %s, want a multipart ETag ending in -4", etag)
	}

	got, err := c.GetObject(ctx, &oss2.GetObjectRequest{Bucket: oss2.Ptr(testBucket), Key: oss2.Ptr(key)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, err := io.ReadAll(got.Body)
	got.Body.Close()
	if err != nil || !bytes.Equal(body, content) {
		t.Errorf("GetObject returned %d bytes (err %v), want the %d uploaded", len(body), err, len(content))
	}
}
