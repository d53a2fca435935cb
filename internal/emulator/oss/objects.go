package oss

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// storedHeaders are the standard headers that PutObject and
// InitiateMultipartUpload keep with the object and GetObject returns.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// responseOverrides maps the query parameters of a signed GetObject to the
// response headers they replace.
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

var storageClasses = toSet("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")

// maxXMLBody limits the XML request bodies of DeleteMultipleObjects and
// CompleteMultipartUpload.
const maxXMLBody = 2 << 20

func (s *Server) putObject(req *request) error {
	h := req.r.Header
	forbid, err := parseForbidOverwrite(h)
	if err != nil {
		return err
	}
	meta, err := newObjectMeta(req)
	if err != nil {
		return err
	}
	wantMD5, err := parseContentMD5(h)
	if err != nil {
		return err
	}

	// Checked again when committing; this early check avoids receiving a
	// body that cannot be stored.
	if forbid && s.store.exists(req.bucket, req.key) {
		return errFileAlreadyExists(req.key)
	}

	b, err := s.store.receive(req.bucket, req.r.Body, req.r.ContentLength)
	if err != nil {
		return err
	}
	if wantMD5 != nil && !bytes.Equal(wantMD5, b.md5[:]) {
		s.store.discard(b)
		return errInvalidDigest("The Content-MD5 you specified did not match what we received.")
	}

	meta.Size = b.size
	meta.ETag = `"` + strings.ToUpper(hex.EncodeToString(b.md5[:])) + `"`
	meta.ContentMD5 = base64.StdEncoding.EncodeToString(b.md5[:])
	meta.CRC64 = b.crc
	meta.ObjectType = "Normal"
	if err := s.store.commit(req.bucket, meta, b, forbid, ""); err != nil {
		s.store.discard(b)
		return err
	}

	out := req.w.Header()
	out.Set("ETag", meta.ETag)
	out.Set("Content-MD5", meta.ContentMD5)
	out.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(meta.CRC64, 10))
	out.Set("Content-Length", "0")
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// newObjectMeta collects the metadata that a PutObject or
// InitiateMultipartUpload request sets: Content-Type, storage class,
// server-side encryption, x-oss-meta-* and the stored standard headers.
func newObjectMeta(req *request) (objectMeta, error) {
	h := req.r.Header
	meta := objectMeta{
		Key:          req.key,
		ContentType:  h.Get("Content-Type"),
		LastModified: req.now.Truncate(time.Second),
		StorageClass: "Standard",
	}
	if meta.ContentType == "" {
		meta.ContentType = "application/octet-stream"
	}

	if v := h.Get("X-Oss-Storage-Class"); v != "" {
		if !storageClasses[v] {
			return objectMeta{}, errInvalidArgument("Invalid storage class: use Standard, IA, Archive, ColdArchive or DeepColdArchive.",
				"x-oss-storage-class", v)
		}
		meta.StorageClass = v
	}

	meta.Encryption = h.Get("X-Oss-Server-Side-Encryption")
	meta.EncryptionKeyID = h.Get("X-Oss-Server-Side-Encryption-Key-Id")
	switch meta.Encryption {
	case "", "AES256", "KMS", "SM4":
	default:
		return objectMeta{}, (&apiError{status: http.StatusBadRequest, code: "InvalidEncryptionAlgorithmError",
			message: "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4."}).
			with("ArgumentValue", meta.Encryption)
	}
	if meta.EncryptionKeyID != "" && meta.Encryption != "KMS" {
		return objectMeta{}, errInvalidArgument("x-oss-server-side-encryption-key-id is allowed only with x-oss-server-side-encryption: KMS.",
			"x-oss-server-side-encryption-key-id", meta.EncryptionKeyID)
	}

	for name, values := range h {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-oss-meta-") {
			if meta.UserMeta == nil {
				meta.UserMeta = make(map[string]string)
			}
			meta.UserMeta[lower] = values[0]
		}
	}
	for _, name := range storedHeaders {
		if v := h.Get(name); v != "" {
			if meta.Headers == nil {
				meta.Headers = make(map[string]string)
			}
			meta.Headers[name] = v
		}
	}
	return meta, nil
}

// parseForbidOverwrite reads x-oss-forbid-overwrite: absent or "false"
// allows overwriting, "true" forbids it, anything else is invalid.
func parseForbidOverwrite(h http.Header) (bool, error) {
	v := h.Get("X-Oss-Forbid-Overwrite")
	switch {
	case v == "", strings.EqualFold(v, "false"):
		return false, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	}
	return false, errInvalidArgument("x-oss-forbid-overwrite must be true or false.", "x-oss-forbid-overwrite", v)
}

// parseContentMD5 decodes the Content-MD5 header, or returns nil when the
// request has none.
func parseContentMD5(h http.Header) ([]byte, error) {
	v := h.Get("Content-MD5")
	if v == "" {
		return nil, nil
	}
	sum, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sum) != md5.Size {
		return nil, errInvalidDigest("The Content-MD5 you specified is not valid: it must be the base64 of a 16-byte MD5 digest.")
	}
	return sum, nil
}

func (s *Server) getObject(req *request) error {
	meta, content, err := s.store.open(req.bucket, req.key)
	if err != nil {
		return err
	}
	defer content.Close()

	if err := checkConditions(req, meta); err != nil {
		return err
	}
	start, end, partial, err := parseRange(req.r.Header.Get("Range"), meta.Size)
	if err != nil {
		req.w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", meta.Size))
		return err
	}

	out := req.w.Header()
	writeObjectHeaders(out, meta)
	for _, o := range responseOverrides {
		if v := req.query.Get(o.param); v != "" {
			out.Set(o.header, v)
		}
	}

	if !partial {
		out.Set("Content-Length", strconv.FormatInt(meta.Size, 10))
		req.w.WriteHeader(http.StatusOK)
		_, _ = io.Copy(req.w, content) // a write error means the client went away
		return nil
	}

	// The CRC-64 describes the whole object, so it is left out of a range.
	out.Del("X-Oss-Hash-Crc64ecma")
	out.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, meta.Size))
	out.Set("Content-Length", strconv.FormatInt(end-start+1, 10))
	if _, err := content.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("get object %q: seek to %d: %w", req.key, start, err)
	}
	req.w.WriteHeader(http.StatusPartialContent)
	_, _ = io.CopyN(req.w, content, end-start+1)
	return nil
}

func (s *Server) headObject(req *request) error {
	meta, err := s.store.stat(req.bucket, req.key)
	if err != nil {
		return err
	}
	if err := checkConditions(req, meta); err != nil {
		return err
	}

	out := req.w.Header()
	writeObjectHeaders(out, meta)
	out.Set("Content-Length", strconv.FormatInt(meta.Size, 10))
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// getObjectMeta serves HEAD ?objectMeta, which returns only the ETag, the
// size and the modification time.
func (s *Server) getObjectMeta(req *request) error {
	meta, err := s.store.stat(req.bucket, req.key)
	if err != nil {
		return err
	}

	out := req.w.Header()
	out.Set("ETag", meta.ETag)
	out.Set("Last-Modified", meta.LastModified.UTC().Format(http.TimeFormat))
	out.Set("Content-Length", strconv.FormatInt(meta.Size, 10))
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteObject(req *request) error {
	if err := s.store.remove(req.bucket, req.key); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   string   `xml:"Quiet"`
	Objects []struct {
		Key *string `xml:"Key"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName      xml.Name `xml:"DeleteResult"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Deleted      []struct {
		Key string `xml:"Key"`
	} `xml:"Deleted"`
}

// deleteObjects serves DeleteMultipleObjects: POST /<bucket>/?delete with
// up to 1000 keys. Quiet mode returns no list of deleted keys.
func (s *Server) deleteObjects(req *request) error {
	urlEncoding, err := parseEncodingType(req)
	if err != nil {
		return err
	}
	body, err := readXMLBody(req)
	if err != nil {
		return err
	}

	var in deleteRequest
	if err := xml.Unmarshal(body, &in); err != nil {
		return errMalformedXML(err.Error())
	}
	if len(in.Objects) == 0 || len(in.Objects) > 1000 {
		return errMalformedXML(fmt.Sprintf("a Delete request lists 1 to 1000 objects, got %d", len(in.Objects)))
	}
	for _, o := range in.Objects {
		if o.Key == nil || *o.Key == "" {
			return errMalformedXML("every Object element needs a non-empty Key")
		}
		if err := checkObjectName(*o.Key); err != nil {
			return err
		}
	}

	out := deleteResult{}
	if urlEncoding {
		out.EncodingType = "url"
	}
	for _, o := range in.Objects {
		if err := s.store.remove(req.bucket, *o.Key); err != nil {
			return err
		}
		if !strings.EqualFold(in.Quiet, "true") {
			out.Deleted = append(out.Deleted, struct {
				Key string `xml:"Key"`
			}{encodeName(*o.Key, urlEncoding)})
		}
	}
	return writeXML(req, out)
}

// readXMLBody reads a request body of at most maxXMLBody bytes and checks
// it against Content-MD5 when the request sends one.
func readXMLBody(req *request) ([]byte, error) {
	wantMD5, err := parseContentMD5(req.r.Header)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(req.r.Body, maxXMLBody+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(body) > maxXMLBody {
		return nil, errMalformedXML(fmt.Sprintf("the body is larger than %d bytes", maxXMLBody))
	}
	if wantMD5 != nil {
		if sum := md5.Sum(body); !bytes.Equal(sum[:], wantMD5) {
			return nil, errInvalidDigest("The Content-MD5 you specified did not match what we received.")
		}
	}
	return body, nil
}

// writeObjectHeaders sets the headers that describe a stored object on a
// GetObject or HeadObject response.
func writeObjectHeaders(h http.Header, meta objectMeta) {
	h.Set("Content-Type", meta.ContentType)
	h.Set("ETag", meta.ETag)
	h.Set("Last-Modified", meta.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("X-Oss-Object-Type", meta.ObjectType)
	h.Set("X-Oss-Storage-Class", meta.StorageClass)
	h.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(meta.CRC64, 10))
	if meta.ContentMD5 != "" {
		h.Set("Content-MD5", meta.ContentMD5)
	}
	if meta.Encryption != "" {
		h.Set("X-Oss-Server-Side-Encryption", meta.Encryption)
	}
	if meta.EncryptionKeyID != "" {
		h.Set("X-Oss-Server-Side-Encryption-Key-Id", meta.EncryptionKeyID)
	}
	for name, v := range meta.UserMeta {
		h.Set(name, v)
	}
	for name, v := range meta.Headers {
		h.Set(name, v)
	}
}

// checkConditions applies If-Match, If-Unmodified-Since, If-None-Match and
// If-Modified-Since, in that order, as HTTP defines.
func checkConditions(req *request, meta objectMeta) error {
	h := req.r.Header
	etag := strings.Trim(meta.ETag, `"`)

	if v := h.Get("If-Match"); v != "" && !etagListMatches(v, etag) {
		return errPreconditionFailed("If-Match")
	}
	if v := h.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && meta.LastModified.After(t) {
			return errPreconditionFailed("If-Unmodified-Since")
		}
	}

	notModified := false
	if v := h.Get("If-None-Match"); v != "" {
		notModified = etagListMatches(v, etag)
	} else if v := h.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !meta.LastModified.After(t) {
			notModified = true
		}
	}
	if notModified {
		req.w.Header().Set("ETag", meta.ETag)
		req.w.Header().Set("Last-Modified", meta.LastModified.UTC().Format(http.TimeFormat))
		return errNotModified
	}
	return nil
}

func etagListMatches(list, etag string) bool {
	for _, candidate := range strings.Split(list, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		candidate = strings.Trim(candidate, `"`)
		if candidate == "*" || strings.EqualFold(candidate, etag) {
			return true
		}
	}
	return false
}

// parseRange reads a single "bytes=first-last", "bytes=first-" or
// "bytes=-suffix" range. As OSS does, it ignores a range that it cannot parse
// or that names several ranges, so the whole object is served. A range
// starting at or past the end of the object is InvalidRange.
func parseRange(spec string, size int64) (start, end int64, partial bool, err error) {
	rest, ok := strings.CutPrefix(spec, "bytes=")
	if !ok || size == 0 || strings.Contains(rest, ",") {
		return 0, 0, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(rest), "-")
	if !ok {
		return 0, 0, false, nil
	}

	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false, nil
		}
		return max(size-n, 0), size - 1, true, nil
	}

	start, err = strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false, nil
	}
	end = size - 1
	if last != "" {
		end, err = strconv.ParseInt(last, 10, 64)
		if err != nil || end < start {
			return 0, 0, false, nil
		}
	}
	if start >= size {
		return 0, 0, false, errInvalidRange(size)
	}
	return start, min(end, size-1), true, nil
}
