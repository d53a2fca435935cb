package oss

import (
	"crypto/subtle"
	"net/http"
	"sort"
	"strings"
	"time"
)

// maxClockSkew is how far the time of a header-signed request may be from
// the server clock before OSS rejects it with RequestTimeTooSkewed.
const maxClockSkew = 15 * time.Minute

// authenticate verifies the signature of req. It accepts the V1 and V4
// algorithms, each in the Authorization header or in a presigned URL, and
// rejects anonymous requests because every bucket is private.
func (s *Server) authenticate(req *request) error {
	auth := req.r.Header.Get("Authorization")
	q := req.query

	switch {
	case strings.HasPrefix(auth, v4Algorithm+" "):
		return s.verifyV4Header(req, strings.TrimPrefix(auth, v4Algorithm+" "))
	case strings.HasPrefix(auth, "OSS "):
		return s.verifyV1Header(req, strings.TrimPrefix(auth, "OSS "))
	case auth != "":
		return errInvalidArgument("The authorization method is not supported: sign with \"OSS\" (V1) or \""+v4Algorithm+"\" (V4).",
			"Authorization", auth)
	case q.Has("x-oss-signature-version") || q.Has("x-oss-credential") || q.Has("x-oss-signature"):
		return s.verifyV4Query(req)
	case q.Has("OSSAccessKeyId") || q.Has("Signature") || q.Has("Expires"):
		return s.verifyV1Query(req)
	default:
		return errAccessDenied("You have no right to access this object because of bucket acl.", "0003-00000001")
	}
}

// lookupCredential returns the configured pair for accessKeyID.
func (s *Server) lookupCredential(accessKeyID string) (Credential, error) {
	cred, ok := s.credentials[accessKeyID]
	if !ok {
		return Credential{}, errInvalidAccessKeyID(accessKeyID, "")
	}
	return cred, nil
}

// checkSecurityToken compares the STS token that a request carries with the
// one the credential requires. OSS treats a request with a token as an STS
// request, so a token sent with a long-term key is rejected as an unknown
// AccessKey ID, and so is an STS key sent without its token.
func checkSecurityToken(cred Credential, token string) error {
	switch {
	case cred.SecurityToken == "" && token != "":
		return errInvalidAccessKeyID(cred.AccessKeyID, "0002-00000002")
	case cred.SecurityToken != "" && token == "":
		return errInvalidAccessKeyID(cred.AccessKeyID, "")
	case subtle.ConstantTimeCompare([]byte(cred.SecurityToken), []byte(token)) != 1:
		return errInvalidSecurityToken()
	}
	return nil
}

// checkClockSkew rejects a header-signed request whose time is more than
// maxClockSkew away from the server clock.
func checkClockSkew(req *request, t time.Time) error {
	d := req.now.Sub(t)
	if d > maxClockSkew || d < -maxClockSkew {
		return errRequestTimeTooSkewed(t, req.now)
	}
	return nil
}

// signedSubresources are the query parameters that the V1 algorithm puts in
// the canonicalized resource. The list is the union of signKeyList in
// aliyun-oss-go-sdk v3.0.2 (oss/conn.go) and requiredSignedParametersMap in
// alibabacloud-oss-go-sdk-v2 v1.6.1 (oss/signer/v1.go). Any parameter
// starting with "x-oss-" is signed as well.
var signedSubresources = toSet(
	"acl", "uploads", "location", "cors", "logging", "website", "referer",
	"lifecycle", "delete", "append", "tagging", "objectMeta", "uploadId",
	"partNumber", "security-token", "position", "img", "style", "styleName",
	"replication", "replicationProgress", "replicationLocation", "cname",
	"bucketInfo", "comp", "qos", "live", "status", "vod", "startTime",
	"endTime", "symlink", "response-content-type", "response-content-language",
	"response-expires", "response-cache-control", "response-content-disposition",
	"response-content-encoding", "udf", "udfName", "udfImage", "udfId",
	"udfImageDesc", "udfApplication", "udfApplicationLog", "restore", "callback",
	"callback-var", "qosInfo", "policy", "stat", "encryption", "versions",
	"versioning", "versionId", "requestPayment", "sequential", "inventory",
	"inventoryId", "continuation-token", "asyncFetch", "worm", "wormId",
	"wormExtend", "withHashContext", "transferAcceleration", "regionList",
	"cloudboxes", "metaQuery", "resourceGroup", "rtc", "responseHeader",
)

func toSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// canonicalOSSHeaders renders the x-oss-* headers of r as lower-case
// "name:value\n" lines sorted by name, the form both signature versions use.
// Repeated headers are joined with commas.
func canonicalOSSHeaders(h http.Header, include func(lowerName string) bool) string {
	names := make([]string, 0, len(h))
	values := make(map[string]string, len(h))
	for name, vs := range h {
		lower := strings.ToLower(name)
		if !include(lower) {
			continue
		}
		trimmed := make([]string, len(vs))
		for i, v := range vs {
			trimmed[i] = strings.TrimSpace(v)
		}
		names = append(names, lower)
		values[lower] = strings.Join(trimmed, ",")
	}
	sort.Strings(names)

	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + ":" + values[n] + "\n")
	}
	return b.String()
}

// escapeStrict percent-encodes every byte except the RFC 3986 unreserved
// characters, with upper-case hex. With keepSlash it leaves "/" as is, which
// is how V4 encodes the object key in the canonical URI.
func escapeStrict(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
