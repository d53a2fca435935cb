// Package oss emulates the Alibaba Cloud Object Storage Service REST API on
// loopback, so the unmodified OSS SDKs (github.com/aliyun/aliyun-oss-go-sdk
// and github.com/aliyun/alibabacloud-oss-go-sdk-v2), curl and plain net/http
// clients can run against it in tests.
//
// The emulator covers the object API that the project uses: PutObject,
// GetObject (with a single byte range), HeadObject, GetObjectMeta,
// DeleteObject, DeleteMultipleObjects, ListObjects (V1 and V2), multipart
// upload and ListBuckets. Every request must be signed with a configured
// AccessKey pair, by the V1 (OSS) or V4 (OSS4-HMAC-SHA256) algorithm, in the
// Authorization header or in a presigned URL. Buckets are private, so
// anonymous requests are rejected.
package oss

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Credential is an AccessKey pair that the emulator accepts.
type Credential struct {
	AccessKeyID     string
	AccessKeySecret string
	// SecurityToken is the STS token that requests signed with this pair
	// must carry. Empty means the pair is a long-term key, and a request
	// that carries a token is rejected.
	SecurityToken string
}

// Options configures a Server.
type Options struct {
	// Credentials lists the accepted AccessKey pairs. At least one is required.
	Credentials []Credential
	// Buckets are created when the server starts. Buckets that already
	// exist under DataDir are kept.
	Buckets []string
	// DataDir is the directory that persists buckets and objects, so they
	// survive a restart. Empty keeps everything in memory.
	DataDir string
	// Region is the region that V4 signatures must name in their credential
	// scope, for example "cn-hangzhou". Empty accepts any region.
	Region string
	// Now is the server clock, used for Date headers, Last-Modified, clock
	// skew checks and presigned URL expiry. Nil means time.Now.
	Now func() time.Time
}

// Server is an in-memory or file-backed OSS endpoint. It implements
// http.Handler and is safe for concurrent use.
type Server struct {
	credentials map[string]Credential
	region      string
	now         func() time.Time
	store       *store

	callsMu sync.Mutex
	calls   map[string]int
}

var _ http.Handler = (*Server)(nil)

// New returns a Server configured by opts. With DataDir set it loads the
// buckets and objects stored there. New does not listen on any port.
func New(opts Options) (*Server, error) {
	if len(opts.Credentials) == 0 {
		return nil, errors.New("new oss emulator: no credentials: set Options.Credentials to at least one AccessKey pair")
	}

	creds := make(map[string]Credential, len(opts.Credentials))
	for i, c := range opts.Credentials {
		if c.AccessKeyID == "" || c.AccessKeySecret == "" {
			return nil, fmt.Errorf("new oss emulator: credential %d: AccessKeyID and AccessKeySecret must both be set", i)
		}
		if _, dup := creds[c.AccessKeyID]; dup {
			return nil, fmt.Errorf("new oss emulator: credential %q is listed twice", c.AccessKeyID)
		}
		creds[c.AccessKeyID] = c
	}

	now := opts.Now
	if now == nil {
		now = time.Now
	}

	st, err := openStore(opts.DataDir, now)
	if err != nil {
		return nil, fmt.Errorf("new oss emulator: %w", err)
	}

	s := &Server{
		credentials: creds,
		region:      opts.Region,
		now:         now,
		store:       st,
		calls:       make(map[string]int),
	}
	for _, name := range opts.Buckets {
		if err := s.CreateBucket(name); err != nil {
			return nil, fmt.Errorf("new oss emulator: %w", err)
		}
	}
	return s, nil
}

// CreateBucket creates the bucket name. Creating a bucket that already
// exists succeeds and keeps its objects. The name must follow the OSS
// rules: 3 to 63 characters of lowercase letters, digits and hyphens,
// starting and ending with a letter or digit.
func (s *Server) CreateBucket(name string) error {
	if !validBucketName(name) {
		return fmt.Errorf("create bucket %q: invalid name: use 3 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit", name)
	}
	if err := s.store.createBucket(name); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	return nil
}

// Calls returns how many requests the server has served, keyed by HTTP
// method ("PUT", "GET", "HEAD", "DELETE", "POST"). Rejected requests count
// too. The returned map is a copy.
func (s *Server) Calls() map[string]int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()

	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// request is one HTTP request being served, with its resolved bucket and key.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	id     string
	now    time.Time
	bucket string // "" for service-level requests
	key    string // "" for bucket-level requests
	query  url.Values
}

// ServeHTTP serves one OSS REST request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.callsMu.Lock()
	s.calls[r.Method]++
	s.callsMu.Unlock()

	req := &request{
		w:     w,
		r:     r,
		id:    newRequestID(),
		now:   s.now().UTC(),
		query: r.URL.Query(),
	}
	req.bucket, req.key = resolveBucketAndKey(r)

	h := w.Header()
	h.Set("X-Oss-Request-Id", req.id)
	h.Set("Date", req.now.Format(http.TimeFormat))
	h.Set("Server", "AliyunOSS")

	if err := s.serve(req); err != nil {
		writeError(req, err)
	}
}

// serve checks the bucket and the signature, then runs the operation that
// the method and sub-resources select.
func (s *Server) serve(req *request) error {
	if req.bucket == "" {
		if err := s.authenticate(req); err != nil {
			return err
		}
		if req.r.Method != http.MethodGet {
			return errMethodNotAllowed(req.r.Method)
		}
		return s.listBuckets(req)
	}

	if !validBucketName(req.bucket) {
		return errInvalidBucketName(req.bucket)
	}
	if !s.store.hasBucket(req.bucket) {
		return errNoSuchBucket(req.bucket)
	}
	if err := s.authenticate(req); err != nil {
		return err
	}

	if req.key == "" {
		return s.serveBucket(req)
	}
	if err := checkObjectName(req.key); err != nil {
		return err
	}
	return s.serveObject(req)
}

// unsupportedSubresources are OSS sub-resources that the emulator does not
// implement; requests naming them get NotImplemented instead of being
// mistaken for plain object operations.
var unsupportedSubresources = []string{
	"acl", "append", "tagging", "symlink", "restore", "x-oss-process",
	"versions", "versioning", "versionId", "cors", "lifecycle", "logging",
	"website", "referer", "policy", "encryption", "bucketInfo", "location",
	"stat", "worm", "inventory", "replication", "callback",
}

func (s *Server) unsupported(req *request) error {
	for _, name := range unsupportedSubresources {
		if req.query.Has(name) {
			return errNotImplemented(fmt.Sprintf("The emulator does not implement the %q sub-resource.", name))
		}
	}
	return nil
}

func (s *Server) serveBucket(req *request) error {
	if err := s.unsupported(req); err != nil {
		return err
	}

	switch req.r.Method {
	case http.MethodGet:
		if req.query.Has("uploads") {
			return errNotImplemented("The emulator does not implement ListMultipartUploads.")
		}
		if req.query.Get("list-type") == "2" {
			return s.listObjectsV2(req)
		}
		return s.listObjectsV1(req)
	case http.MethodPost:
		if req.query.Has("delete") {
			return s.deleteObjects(req)
		}
		return errMethodNotAllowed(req.r.Method)
	case http.MethodPut, http.MethodDelete:
		return errNotImplemented("The emulator creates buckets only from its options; PutBucket and DeleteBucket are not implemented.")
	default:
		return errMethodNotAllowed(req.r.Method)
	}
}

func (s *Server) serveObject(req *request) error {
	if err := s.unsupported(req); err != nil {
		return err
	}

	q := req.query
	switch req.r.Method {
	case http.MethodPut:
		if q.Has("uploadId") || q.Has("partNumber") {
			return s.uploadPart(req)
		}
		if req.r.Header.Get("X-Oss-Copy-Source") != "" {
			return errNotImplemented("The emulator does not implement CopyObject.")
		}
		return s.putObject(req)
	case http.MethodGet:
		if q.Has("uploadId") {
			return s.listParts(req)
		}
		return s.getObject(req)
	case http.MethodHead:
		if q.Has("objectMeta") {
			return s.getObjectMeta(req)
		}
		return s.headObject(req)
	case http.MethodDelete:
		if q.Has("uploadId") {
			return s.abortMultipartUpload(req)
		}
		return s.deleteObject(req)
	case http.MethodPost:
		if q.Has("uploads") {
			return s.initiateMultipartUpload(req)
		}
		if q.Has("uploadId") {
			return s.completeMultipartUpload(req)
		}
		return errMethodNotAllowed(req.r.Method)
	default:
		return errMethodNotAllowed(req.r.Method)
	}
}

// resolveBucketAndKey finds the bucket and the object key of r. A Host of the
// form <bucket>.<domain> selects virtual-hosted style, where the whole path is
// the key. A Host that is an IP address or a single label such as localhost
// selects path style, /<bucket>/<key>.
func resolveBucketAndKey(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")

	path := r.URL.Path
	if net.ParseIP(host) == nil {
		if dot := strings.IndexByte(host, '.'); dot > 0 {
			return host[:dot], strings.TrimPrefix(path, "/")
		}
	}

	rest := strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key
}

// validBucketName reports whether name follows the OSS bucket naming rules.
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

// checkObjectName applies the OSS object naming rules: 1 to 1023 bytes, not
// starting with a slash or a backslash.
func checkObjectName(key string) error {
	switch {
	case len(key) > 1023:
		return errInvalidObjectName("The Length of Object name must be less than 1024.")
	case strings.HasPrefix(key, "/"), strings.HasPrefix(key, `\`):
		return errInvalidObjectName("The object name must not start with a slash or a backslash.")
	}
	return nil
}

// newRequestID returns 24 upper-case hex digits, the shape of OSS request IDs.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error since Go 1.24
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
