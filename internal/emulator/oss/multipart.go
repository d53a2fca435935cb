package oss

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// minPartSize is the smallest size OSS accepts for every part of a
	// multipart upload except the last: 100 KB.
	minPartSize = 100 << 10
	maxParts    = 10000
)

// upload is a multipart upload in progress. Its parts are kept in memory
// even when the store has a data directory, so uploads in progress do not
// survive a restart.
type upload struct {
	id        string
	key       string
	initiated time.Time
	// meta is the object metadata from InitiateMultipartUpload.
	meta            objectMeta
	forbidOverwrite bool
	parts           map[int]*part
}

// part is one uploaded part. A part is immutable; uploading the same part
// number again replaces it.
type part struct {
	number       int
	data         []byte
	size         int64
	md5          [md5.Size]byte
	crc          uint64
	lastModified time.Time
}

func (p *part) etag() string {
	return `"` + strings.ToUpper(hex.EncodeToString(p.md5[:])) + `"`
}

type initiateResult struct {
	XMLName      xml.Name `xml:"InitiateMultipartUploadResult"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	UploadID     string   `xml:"UploadId"`
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Location     string   `xml:"Location"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	ETag         string   `xml:"ETag"`
}

type listPartsResult struct {
	XMLName              xml.Name    `xml:"ListPartsResult"`
	EncodingType         string      `xml:"EncodingType,omitempty"`
	Bucket               string      `xml:"Bucket"`
	Key                  string      `xml:"Key"`
	UploadID             string      `xml:"UploadId"`
	PartNumberMarker     int         `xml:"PartNumberMarker"`
	NextPartNumberMarker int         `xml:"NextPartNumberMarker"`
	MaxParts             int         `xml:"MaxParts"`
	IsTruncated          bool        `xml:"IsTruncated"`
	Parts                []partEntry `xml:"Part"`
}

type partEntry struct {
	PartNumber    int    `xml:"PartNumber"`
	LastModified  string `xml:"LastModified"`
	ETag          string `xml:"ETag"`
	HashCrc64ecma uint64 `xml:"HashCrc64ecma"`
	Size          int64  `xml:"Size"`
}

// initiateMultipartUpload serves POST /<bucket>/<key>?uploads. The request
// carries the metadata of the final object, as PutObject does.
func (s *Server) initiateMultipartUpload(req *request) error {
	urlEncoding, err := parseEncodingType(req)
	if err != nil {
		return err
	}
	forbid, err := parseForbidOverwrite(req.r.Header)
	if err != nil {
		return err
	}
	meta, err := newObjectMeta(req)
	if err != nil {
		return err
	}
	if forbid && s.store.exists(req.bucket, req.key) {
		return errFileAlreadyExists(req.key)
	}

	u := &upload{
		id:              strings.ToUpper(randomHex(16)),
		key:             req.key,
		initiated:       req.now,
		meta:            meta,
		forbidOverwrite: forbid,
		parts:           make(map[int]*part),
	}
	if err := s.store.createUpload(req.bucket, u); err != nil {
		return err
	}

	out := initiateResult{Bucket: req.bucket, Key: encodeName(req.key, urlEncoding), UploadID: u.id}
	if urlEncoding {
		out.EncodingType = "url"
	}
	return writeXML(req, out)
}

// uploadPart serves PUT /<bucket>/<key>?partNumber=N&uploadId=ID.
func (s *Server) uploadPart(req *request) error {
	uploadID := req.query.Get("uploadId")
	number, err := strconv.Atoi(req.query.Get("partNumber"))
	if err != nil || number < 1 || number > maxParts {
		return errInvalidArgument(fmt.Sprintf("partNumber must be a whole number from 1 to %d.", maxParts),
			"partNumber", req.query.Get("partNumber"))
	}
	if _, err := s.store.snapshotUpload(req.bucket, uploadID, req.key); err != nil {
		return err
	}
	wantMD5, err := parseContentMD5(req.r.Header)
	if err != nil {
		return err
	}

	b, err := receiveInMemory(req.r.Body, req.r.ContentLength)
	if err != nil {
		return err
	}
	if wantMD5 != nil && !bytes.Equal(wantMD5, b.md5[:]) {
		return errInvalidDigest("The Content-MD5 you specified did not match what we received.")
	}

	p := &part{number: number, data: b.data, size: b.size, md5: b.md5, crc: b.crc, lastModified: req.now}
	if err := s.store.putPart(req.bucket, uploadID, req.key, p); err != nil {
		return err
	}

	out := req.w.Header()
	out.Set("ETag", p.etag())
	out.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(p.crc, 10))
	out.Set("Content-Length", "0")
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// completeMultipartUpload serves POST /<bucket>/<key>?uploadId=ID. The body
// lists the parts in ascending order with their ETags; with the header
// x-oss-complete-all: yes every uploaded part is used instead. The object's
// ETag is the MD5 of the concatenated part MD5s followed by "-<part count>".
func (s *Server) completeMultipartUpload(req *request) error {
	urlEncoding, err := parseEncodingType(req)
	if err != nil {
		return err
	}
	forbid, err := parseForbidOverwrite(req.r.Header)
	if err != nil {
		return err
	}
	uploadID := req.query.Get("uploadId")
	u, err := s.store.snapshotUpload(req.bucket, uploadID, req.key)
	if err != nil {
		return err
	}

	selected, err := selectParts(req, u)
	if err != nil {
		return err
	}
	for _, p := range selected[:len(selected)-1] {
		if p.size < minPartSize {
			return errEntityTooSmall(p.number)
		}
	}
	forbid = forbid || u.forbidOverwrite
	if forbid && s.store.exists(req.bucket, req.key) {
		return errFileAlreadyExists(req.key)
	}

	readers := make([]io.Reader, len(selected))
	digests := md5.New()
	var total int64
	for i, p := range selected {
		readers[i] = bytes.NewReader(p.data)
		digests.Write(p.md5[:])
		total += p.size
	}
	b, err := s.store.receive(req.bucket, io.MultiReader(readers...), total)
	if err != nil {
		return err
	}

	meta := u.meta
	meta.Size = b.size
	meta.ETag = fmt.Sprintf(`"%s-%d"`, strings.ToUpper(hex.EncodeToString(digests.Sum(nil))), len(selected))
	meta.CRC64 = b.crc
	meta.ObjectType = "Multipart"
	meta.LastModified = req.now.Truncate(time.Second)
	if err := s.store.commit(req.bucket, meta, b, forbid, uploadID); err != nil {
		s.store.discard(b)
		return err
	}

	req.w.Header().Set("ETag", meta.ETag)
	req.w.Header().Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(meta.CRC64, 10))
	out := completeResult{
		Location: "http://" + req.r.Host + req.r.URL.EscapedPath(),
		Bucket:   req.bucket,
		Key:      encodeName(req.key, urlEncoding),
		ETag:     meta.ETag,
	}
	if urlEncoding {
		out.EncodingType = "url"
	}
	return writeXML(req, out)
}

// selectParts returns the parts that form the object, in order: the ones
// the request body lists, or all uploaded parts for x-oss-complete-all.
func selectParts(req *request, u *upload) ([]*part, error) {
	if strings.EqualFold(req.r.Header.Get("X-Oss-Complete-All"), "yes") {
		numbers := slices.Sorted(maps.Keys(u.parts))
		if len(numbers) == 0 {
			return nil, errInvalidPart("The upload has no parts to complete.")
		}
		selected := make([]*part, len(numbers))
		for i, n := range numbers {
			selected[i] = u.parts[n]
		}
		return selected, nil
	}

	body, err := readXMLBody(req)
	if err != nil {
		return nil, err
	}
	var in completeRequest
	if err := xml.Unmarshal(body, &in); err != nil {
		return nil, errMalformedXML(err.Error())
	}
	if len(in.Parts) == 0 {
		return nil, errMalformedXML("CompleteMultipartUpload lists no Part")
	}

	selected := make([]*part, 0, len(in.Parts))
	previous := 0
	for _, listed := range in.Parts {
		if listed.PartNumber <= previous {
			return nil, errInvalidPartOrder()
		}
		previous = listed.PartNumber

		p, ok := u.parts[listed.PartNumber]
		if !ok || !strings.EqualFold(strings.Trim(listed.ETag, `"`), strings.Trim(p.etag(), `"`)) {
			return nil, errInvalidPart("One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.").
				with("PartNumber", strconv.Itoa(listed.PartNumber)).
				with("ETag", listed.ETag)
		}
		selected = append(selected, p)
	}
	return selected, nil
}

// abortMultipartUpload serves DELETE /<bucket>/<key>?uploadId=ID.
func (s *Server) abortMultipartUpload(req *request) error {
	if err := s.store.abortUpload(req.bucket, req.query.Get("uploadId"), req.key); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// listParts serves GET /<bucket>/<key>?uploadId=ID with max-parts and
// part-number-marker.
func (s *Server) listParts(req *request) error {
	q := req.query
	urlEncoding, err := parseEncodingType(req)
	if err != nil {
		return err
	}
	limit := 1000
	if v := q.Get("max-parts"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return errInvalidArgument("max-parts must be a whole number from 1 to 1000.", "max-parts", v)
		}
	}
	marker := 0
	if v := q.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return errInvalidArgument("part-number-marker must be a whole number of at least 0.", "part-number-marker", v)
		}
	}

	uploadID := q.Get("uploadId")
	u, err := s.store.snapshotUpload(req.bucket, uploadID, req.key)
	if err != nil {
		return err
	}

	out := listPartsResult{
		Bucket:           req.bucket,
		Key:              encodeName(req.key, urlEncoding),
		UploadID:         uploadID,
		PartNumberMarker: marker,
		MaxParts:         limit,
	}
	if urlEncoding {
		out.EncodingType = "url"
	}
	for _, n := range slices.Sorted(maps.Keys(u.parts)) {
		if n <= marker {
			continue
		}
		if len(out.Parts) == limit {
			out.IsTruncated = true
			break
		}
		p := u.parts[n]
		out.Parts = append(out.Parts, partEntry{
			PartNumber:    n,
			LastModified:  p.lastModified.Format(listTimeFormat),
			ETag:          p.etag(),
			HashCrc64ecma: p.crc,
			Size:          p.size,
		})
		out.NextPartNumberMarker = n
	}
	return writeXML(req, out)
}

func (s *store) createUpload(bucketName string, u *upload) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	b, ok := s.buckets[bucketName]
	if !ok {
		return errNoSuchBucket(bucketName)
	}
	b.uploads[u.id] = u
	return nil
}

// snapshotUpload returns a copy of an upload whose part map the caller may
// read without the lock. The upload must belong to key.
func (s *store) snapshotUpload(bucketName, uploadID, key string) (*upload, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()

	u, err := s.findUpload(bucketName, uploadID, key)
	if err != nil {
		return nil, err
	}
	c := *u
	c.parts = maps.Clone(u.parts)
	return &c, nil
}

func (s *store) putPart(bucketName, uploadID, key string, p *part) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	u, err := s.findUpload(bucketName, uploadID, key)
	if err != nil {
		return err
	}
	u.parts[p.number] = p
	return nil
}

func (s *store) abortUpload(bucketName, uploadID, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if _, err := s.findUpload(bucketName, uploadID, key); err != nil {
		return err
	}
	delete(s.buckets[bucketName].uploads, uploadID)
	return nil
}

// findUpload looks up an upload. The caller must hold s.mu.
func (s *store) findUpload(bucketName, uploadID, key string) (*upload, error) {
	b, ok := s.buckets[bucketName]
	if !ok {
		return nil, errNoSuchBucket(bucketName)
	}
	u, ok := b.uploads[uploadID]
	if !ok || u.key != key {
		return nil, errNoSuchUpload(uploadID)
	}
	return u, nil
}
