package ram

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/fixture"
)

// acs3Algorithm is the one ACS3 signature algorithm the emulator verifies.
const acs3Algorithm = "ACS3-HMAC-SHA256"

// acs3Authorization is the parsed Authorization header of an ACS3 request.
type acs3Authorization struct {
	algorithm     string
	accessKeyID   string
	signedHeaders []string
	signature     string
}

// authenticateACS3 checks a request signed with ACS3-HMAC-SHA256, the default
// of darabonba-openapi v2 clients, and returns the caller's credential.
func (s *Server) authenticateACS3(r *http.Request, req *request, now time.Time) (*fixture.Credential, *apiError) {
	auth, e := parseACS3Authorization(r.Header.Get("Authorization"))
	if e != nil {
		return nil, e
	}

	// The signed request headers.
	for _, name := range []string{"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} {
		if r.Header.Get(name) == "" {
			e := errMissingParameter(name)
			e.auth = true
			return nil, e
		}
	}
	if e := checkSignedHeaders(r.Header, auth.signedHeaders); e != nil {
		return nil, e
	}
	if e := s.checkTimestamp("x-acs-date", r.Header.Get("x-acs-date"), now); e != nil {
		return nil, e
	}
	bodyHash := sha256.Sum256(req.body)
	if got := r.Header.Get("x-acs-content-sha256"); !strings.EqualFold(got, hex.EncodeToString(bodyHash[:])) {
		return nil, authError(http.StatusBadRequest, "SignatureDoesNotMatch",
			"The x-acs-content-sha256 header %q is not the hex SHA-256 of the request body.", got)
	}

	// The signature itself.
	cred, e := s.lookupCredential(auth.accessKeyID)
	if e != nil {
		return nil, e
	}
	canonical := acs3CanonicalRequest(r, auth.signedHeaders)
	stringToSign := acs3StringToSign(canonical)
	want := acs3Signature(stringToSign, cred.AccessKeySecret)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(auth.signature))) {
		return nil, authError(http.StatusBadRequest, "SignatureDoesNotMatch",
			"The request signature does not match the signature the server calculated; check the AccessKey secret. The canonical request is:\n%s\n%s%s",
			canonical, signatureMismatchMarker, stringToSign)
	}

	// The credential's other conditions.
	if e := checkSecurityToken(cred, r.Header.Get("x-acs-security-token")); e != nil {
		return nil, e
	}
	if e := s.useNonce(cred.AccessKeyID, r.Header.Get("x-acs-signature-nonce"), now); e != nil {
		return nil, e
	}
	return cred, nil
}

// parseACS3Authorization splits
// "ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<h1;h2>,Signature=<hex>".
func parseACS3Authorization(header string) (*acs3Authorization, *apiError) {
	algorithm, rest, _ := strings.Cut(header, " ")
	if algorithm != acs3Algorithm {
		return nil, authError(http.StatusBadRequest, "IncompleteSignature",
			"The signature algorithm %q is not supported: sign with %s.", algorithm, acs3Algorithm)
	}
	auth := &acs3Authorization{algorithm: algorithm}
	for _, part := range strings.Split(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch name {
		case "Credential":
			auth.accessKeyID = value
		case "SignedHeaders":
			if value != "" {
				auth.signedHeaders = strings.Split(value, ";")
			}
		case "Signature":
			auth.signature = value
		}
	}
	if auth.accessKeyID == "" || len(auth.signedHeaders) == 0 || auth.signature == "" {
		return nil, authError(http.StatusBadRequest, "IncompleteSignature",
			"The Authorization header must carry Credential, SignedHeaders and Signature: got %q.", header)
	}
	return auth, nil
}

// checkSignedHeaders requires the signature to cover the host and every
// x-acs-* header the request carries, so none of them can be swapped.
func checkSignedHeaders(header http.Header, signed []string) *apiError {
	covered := make(map[string]bool, len(signed))
	for _, name := range signed {
		if name != strings.ToLower(name) {
			return authError(http.StatusBadRequest, "IncompleteSignature",
				"SignedHeaders must list lowercase header names: got %q.", name)
		}
		covered[name] = true
	}
	if !covered["host"] {
		return authError(http.StatusBadRequest, "IncompleteSignature", "SignedHeaders must include host.")
	}
	for name := range header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-acs-") && !covered[lower] {
			return authError(http.StatusBadRequest, "IncompleteSignature",
				"SignedHeaders must include every x-acs-* header: %s is missing.", lower)
		}
	}
	return nil
}

// acs3CanonicalRequest builds the canonical request the way openapi-util
// (darabonba-openapi v2.1.13, utils.GetAuthorization) does: method, path,
// query, signed headers, the signed header list and the payload hash, one
// per line. Query names stay as sent, and values are URL-encoded with %20 for
// a space, %2A for "*" and a literal "~". Form body parameters are covered by
// the payload hash instead.
func acs3CanonicalRequest(r *http.Request, signedHeaders []string) string {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	path = acs3Escape(path)

	// The query: every parameter of the URL, sorted by name.
	query := r.URL.Query()
	names := make([]string, 0, len(query))
	for name := range query {
		names = append(names, name)
	}
	sort.Strings(names)
	var q strings.Builder
	for i, name := range names {
		if i > 0 {
			q.WriteByte('&')
		}
		q.WriteString(name)
		q.WriteByte('=')
		if v := query.Get(name); v != "" {
			q.WriteString(url.QueryEscape(v))
		}
	}

	// The headers, in the order the client listed them.
	var h strings.Builder
	for _, name := range signedHeaders {
		var values []string
		if name == "host" {
			values = []string{r.Host}
		} else {
			for _, v := range r.Header.Values(name) {
				values = append(values, strings.TrimSpace(v))
			}
		}
		sort.Strings(values)
		h.WriteString(name)
		h.WriteByte(':')
		h.WriteString(strings.Join(values, ","))
		h.WriteByte('\n')
	}

	return r.Method + "\n" + path + "\n" + acs3Escape(q.String()) + "\n" + h.String() + "\n" +
		strings.Join(signedHeaders, ";") + "\n" + r.Header.Get("x-acs-content-sha256")
}

// acs3Escape applies the replacements openapi-util makes after URL encoding.
func acs3Escape(s string) string {
	s = strings.ReplaceAll(s, "+", "%20")
	s = strings.ReplaceAll(s, "*", "%2A")
	return strings.ReplaceAll(s, "%7E", "~")
}

// acs3StringToSign is the algorithm name and the hex SHA-256 of the canonical request.
func acs3StringToSign(canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return acs3Algorithm + "\n" + hex.EncodeToString(sum[:])
}

// acs3Signature is hex(HMAC-SHA256(secret, stringToSign)).
func acs3Signature(stringToSign, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hex.EncodeToString(mac.Sum(nil))
}
