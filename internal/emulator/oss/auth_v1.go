package oss

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// verifyV1Header checks an "Authorization: OSS <AccessKeyId>:<Signature>"
// request. The signature is base64(HMAC-SHA1(secret, StringToSign)) where
// StringToSign is
//
//	VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
func (s *Server) verifyV1Header(req *request, credential string) error {
	accessKeyID, signature, ok := strings.Cut(credential, ":")
	if !ok || accessKeyID == "" || signature == "" {
		return errInvalidArgument("The Authorization header is invalid: expected \"OSS <AccessKeyId>:<Signature>\".",
			"Authorization", "OSS "+credential)
	}

	cred, err := s.lookupCredential(accessKeyID)
	if err != nil {
		return err
	}

	date := req.r.Header.Get("Date")
	if date == "" {
		return errAccessDenied("The Date header is missing: V1 signed requests must send Date in RFC 1123 format.", "")
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return errAccessDenied("The Date header is not a valid RFC 1123 time: "+date, "0002-00000505")
	}
	if err := checkClockSkew(req, t); err != nil {
		return err
	}

	if err := checkSecurityToken(cred, req.r.Header.Get("X-Oss-Security-Token")); err != nil {
		return err
	}

	stringToSign := stringToSignV1(req, date)
	if !equalSecret(signV1(cred.AccessKeySecret, stringToSign), signature) {
		return errSignatureDoesNotMatch(accessKeyID, signature, stringToSign, "0002-00000040")
	}
	return nil
}

// verifyV1Query checks a V1 presigned URL: the OSSAccessKeyId, Expires
// (absolute Unix seconds) and Signature query parameters, plus
// security-token for STS credentials. The StringToSign is the header form
// with Expires in place of Date.
func (s *Server) verifyV1Query(req *request) error {
	q := req.query
	for _, name := range []string{"OSSAccessKeyId", "Expires", "Signature"} {
		if q.Get(name) == "" {
			return errAccessDenied("The presigned URL is missing the "+name+" query parameter: V1 presigned URLs need OSSAccessKeyId, Expires and Signature.", "")
		}
	}
	accessKeyID, expires, signature := q.Get("OSSAccessKeyId"), q.Get("Expires"), q.Get("Signature")

	cred, err := s.lookupCredential(accessKeyID)
	if err != nil {
		return err
	}

	expiresAt, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return errAccessDenied("The Expires query parameter must be a Unix time in seconds: "+expires, "0002-00000070")
	}
	if req.now.Unix() > expiresAt {
		return errAccessDenied("Request has expired.", "0002-00000069").
			with("Expires", time.Unix(expiresAt, 0).UTC().Format(listTimeFormat)).
			with("ServerTime", req.now.Format(listTimeFormat))
	}

	if err := checkSecurityToken(cred, q.Get("security-token")); err != nil {
		return err
	}

	stringToSign := stringToSignV1(req, expires)
	if !equalSecret(signV1(cred.AccessKeySecret, stringToSign), signature) {
		return errSignatureDoesNotMatch(accessKeyID, signature, stringToSign, "0002-00000040")
	}
	return nil
}

func signV1(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// stringToSignV1 builds the V1 StringToSign of req, with date being the Date
// header or, for presigned URLs, the Expires parameter.
func stringToSignV1(req *request, date string) string {
	h := req.r.Header
	headers := canonicalOSSHeaders(h, func(lower string) bool {
		return strings.HasPrefix(lower, "x-oss-")
	})
	return req.r.Method + "\n" +
		h.Get("Content-MD5") + "\n" +
		h.Get("Content-Type") + "\n" +
		date + "\n" +
		headers +
		canonicalResourceV1(req)
}

// canonicalResourceV1 is /<bucket>/<key> with the decoded key, followed by
// the signed sub-resources sorted by name, each as name=value (decoded) or
// just name when the value is empty.
func canonicalResourceV1(req *request) string {
	resource := "/"
	if req.bucket != "" {
		resource += req.bucket + "/" + req.key
	}

	var names []string
	for name := range req.query {
		if signedSubresources[name] || strings.HasPrefix(name, "x-oss-") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return resource
	}
	sort.Strings(names)

	parts := make([]string, len(names))
	for i, name := range names {
		if v := req.query.Get(name); v != "" {
			parts[i] = name + "=" + v
		} else {
			parts[i] = name
		}
	}
	return resource + "?" + strings.Join(parts, "&")
}
