package oss

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	// listTimeFormat is the ISO 8601 form with milliseconds that OSS uses
	// in XML bodies, for example 2024-12-19T05:00:17.000Z.
	listTimeFormat = "2006-01-02T15:04:05.000Z"
	// ownerID is the owner reported for every bucket and object. The
	// emulator has no accounts, so it is a fixed placeholder.
	ownerID = "1000000000000000"

	defaultMaxKeys = 100
	maxMaxKeys     = 1000
)

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type listEntry struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Type         string `xml:"Type"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner,omitempty"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listV2Result struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	KeyCount              int            `xml:"KeyCount"`
	Contents              []listEntry    `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

type listV1Result struct {
	XMLName        xml.Name       `xml:"ListBucketResult"`
	Name           string         `xml:"Name"`
	Prefix         string         `xml:"Prefix"`
	Marker         string         `xml:"Marker"`
	MaxKeys        int            `xml:"MaxKeys"`
	Delimiter      string         `xml:"Delimiter"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	IsTruncated    bool           `xml:"IsTruncated"`
	NextMarker     string         `xml:"NextMarker,omitempty"`
	Contents       []listEntry    `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

// listPage is one page of a listing: objects and common prefixes in key
// order, at most max-keys of them together.
type listPage struct {
	objects   []objectMeta
	prefixes  []string
	truncated bool
	// last is the last key or common prefix on the page; the next page
	// starts after it.
	last string
}

// listObjectsV2 serves GET /<bucket>/?list-type=2 with prefix, delimiter,
// start-after, continuation-token, max-keys, fetch-owner and
// encoding-type=url.
func (s *Server) listObjectsV2(req *request) error {
	q := req.query
	urlEncoding, err := parseEncodingType(req)
	if err != nil {
		return err
	}
	maxKeys, err := parseMaxKeys(q.Get("max-keys"))
	if err != nil {
		return err
	}

	after := q.Get("start-after")
	token := q.Get("continuation-token")
	if token != "" {
		// The token takes precedence over start-after, as in OSS.
		if after, err = decodeContinuationToken(token); err != nil {
			return err
		}
	}

	prefix, delimiter := q.Get("prefix"), q.Get("delimiter")
	page, err := s.listPage(req.bucket, prefix, delimiter, after, maxKeys)
	if err != nil {
		return err
	}

	out := listV2Result{
		Name:              req.bucket,
		Prefix:            encodeName(prefix, urlEncoding),
		StartAfter:        encodeName(q.Get("start-after"), urlEncoding),
		ContinuationToken: token,
		MaxKeys:           maxKeys,
		Delimiter:         encodeName(delimiter, urlEncoding),
		IsTruncated:       page.truncated,
		KeyCount:          len(page.objects) + len(page.prefixes),
	}
	if urlEncoding {
		out.EncodingType = "url"
	}
	if page.truncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.last))
	}
	fetchOwner := q.Get("fetch-owner") == "true"
	for _, m := range page.objects {
		out.Contents = append(out.Contents, newListEntry(m, urlEncoding, fetchOwner))
	}
	for _, p := range page.prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{encodeName(p, urlEncoding)})
	}
	return writeXML(req, out)
}

// listObjectsV1 serves GET /<bucket>/ (ListObjects) with prefix, marker,
// delimiter, max-keys and encoding-type=url.
func (s *Server) listObjectsV1(req *request) error {
	q := req.query
	urlEncoding, err := parseEncodingType(req)
	if err != nil {
		return err
	}
	maxKeys, err := parseMaxKeys(q.Get("max-keys"))
	if err != nil {
		return err
	}

	prefix, delimiter, marker := q.Get("prefix"), q.Get("delimiter"), q.Get("marker")
	page, err := s.listPage(req.bucket, prefix, delimiter, marker, maxKeys)
	if err != nil {
		return err
	}

	out := listV1Result{
		Name:        req.bucket,
		Prefix:      encodeName(prefix, urlEncoding),
		Marker:      encodeName(marker, urlEncoding),
		MaxKeys:     maxKeys,
		Delimiter:   encodeName(delimiter, urlEncoding),
		IsTruncated: page.truncated,
	}
	if urlEncoding {
		out.EncodingType = "url"
	}
	if page.truncated {
		out.NextMarker = encodeName(page.last, urlEncoding)
	}
	for _, m := range page.objects {
		out.Contents = append(out.Contents, newListEntry(m, urlEncoding, true))
	}
	for _, p := range page.prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{encodeName(p, urlEncoding)})
	}
	return writeXML(req, out)
}

// listPage collects the keys under prefix that sort after the key after.
// With a delimiter, keys that contain it past the prefix roll up into one
// common prefix each, which counts once towards maxKeys.
func (s *Server) listPage(bucketName, prefix, delimiter, after string, maxKeys int) (listPage, error) {
	metas, err := s.store.list(bucketName, prefix)
	if err != nil {
		return listPage{}, err
	}

	var page listPage
	count := 0
	for _, m := range metas {
		if m.Key <= after {
			continue
		}

		rolledUp := ""
		if delimiter != "" {
			if i := strings.Index(m.Key[len(prefix):], delimiter); i >= 0 {
				rolledUp = m.Key[:len(prefix)+i+len(delimiter)]
			}
		}
		if rolledUp != "" && (rolledUp == after || rolledUp == page.last) {
			continue
		}

		if count == maxKeys {
			page.truncated = true
			break
		}
		count++
		if rolledUp != "" {
			page.prefixes = append(page.prefixes, rolledUp)
			page.last = rolledUp
		} else {
			page.objects = append(page.objects, m)
			page.last = m.Key
		}
	}
	return page, nil
}

func newListEntry(m objectMeta, urlEncoding, withOwner bool) listEntry {
	e := listEntry{
		Key:          encodeName(m.Key, urlEncoding),
		LastModified: m.LastModified.UTC().Format(listTimeFormat),
		ETag:         m.ETag,
		Type:         m.ObjectType,
		Size:         m.Size,
		StorageClass: m.StorageClass,
	}
	if withOwner {
		e.Owner = &owner{ID: ownerID, DisplayName: ownerID}
	}
	return e
}

func decodeContinuationToken(token string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", errInvalidArgument("The continuation-token is not valid: pass the NextContinuationToken of the previous page unchanged.",
			"continuation-token", token)
	}
	return string(raw), nil
}

func parseMaxKeys(v string) (int, error) {
	if v == "" {
		return defaultMaxKeys, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxMaxKeys {
		return 0, errInvalidArgument(fmt.Sprintf("max-keys must be a whole number from 1 to %d.", maxMaxKeys), "max-keys", v)
	}
	return n, nil
}

// parseEncodingType reports whether the request sets encoding-type=url, the
// only encoding OSS supports, which URL-encodes names in the response.
func parseEncodingType(req *request) (bool, error) {
	switch v := req.query.Get("encoding-type"); v {
	case "":
		return false, nil
	case "url":
		return true, nil
	default:
		return false, errInvalidArgument("encoding-type must be url.", "encoding-type", v)
	}
}

// encodeName URL-encodes an object name for a response to a request with
// encoding-type=url. Both Go SDKs decode such names with url.QueryUnescape.
func encodeName(name string, urlEncoding bool) string {
	if !urlEncoding {
		return name
	}
	return url.QueryEscape(name)
}

type listBucketsResult struct {
	XMLName xml.Name      `xml:"ListAllMyBucketsResult"`
	Owner   owner         `xml:"Owner"`
	Buckets []bucketEntry `xml:"Buckets>Bucket"`
}

type bucketEntry struct {
	CreationDate string `xml:"CreationDate"`
	Location     string `xml:"Location,omitempty"`
	Name         string `xml:"Name"`
	Region       string `xml:"Region,omitempty"`
	StorageClass string `xml:"StorageClass"`
}

// listBuckets serves GET / (ListBuckets) with every bucket of the emulator.
func (s *Server) listBuckets(req *request) error {
	out := listBucketsResult{Owner: owner{ID: ownerID, DisplayName: ownerID}}
	for _, b := range s.store.bucketList() {
		e := bucketEntry{
			CreationDate: b.created.Format(listTimeFormat),
			Name:         b.name,
			Region:       s.region,
			StorageClass: "Standard",
		}
		if s.region != "" {
			e.Location = "oss-" + s.region
		}
		out.Buckets = append(out.Buckets, e)
	}
	return writeXML(req, out)
}

// writeXML sends v as a 200 response with an XML body.
func writeXML(req *request, v any) error {
	body, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %T response: %w", v, err)
	}

	h := req.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xmlHeader)+len(body)))
	req.w.WriteHeader(http.StatusOK)
	_, _ = req.w.Write([]byte(xmlHeader))
	_, _ = req.w.Write(body)
	return nil
}

func escapeXML(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // strings.Builder.Write always returns a nil error
	return b.String()
}
