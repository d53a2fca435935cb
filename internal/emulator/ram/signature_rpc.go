package ram

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/fixture"
)

// signatureMismatchMarker precedes the server's string to sign in a
// SignatureDoesNotMatch message. The v1 SDK splits the message there and
// compares the rest with its own string to sign to tell a wrong secret from a
// signing bug.
const signatureMismatchMarker = "server string to sign is:"

// authenticateRPC checks an RPC request signed with HMAC-SHA1, signature
// version 1.0, and returns the caller's credential.
func (s *Server) authenticateRPC(method string, req *request, now time.Time) (*fixture.Credential, *apiError) {
	p := req.params

	// The signature parameters.
	if p["Signature"] == "" {
		return nil, authError(http.StatusBadRequest, "IncompleteSignature",
			"The request has no Signature parameter and no ACS3 Authorization header.")
	}
	for _, name := range []string{"AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if p[name] == "" {
			e := errMissingParameter(name)
			e.auth = true
			return nil, e
		}
	}
	if p["SignatureMethod"] != "HMAC-SHA1" {
		return nil, authError(http.StatusBadRequest, "IncompleteSignature",
			"SignatureMethod %q is not supported: sign with HMAC-SHA1.", p["SignatureMethod"])
	}
	if p["SignatureVersion"] != "1.0" {
		return nil, authError(http.StatusBadRequest, "IncompleteSignature",
			"SignatureVersion %q is not supported: use 1.0.", p["SignatureVersion"])
	}
	if t := p["SignatureType"]; t != "" {
		return nil, authError(http.StatusBadRequest, "IncompleteSignature",
			"SignatureType %q is not supported: this emulator accepts AccessKey signatures only.", t)
	}
	if e := s.checkTimestamp("Timestamp", p["Timestamp"], now); e != nil {
		return nil, e
	}

	// The signature itself.
	cred, e := s.lookupCredential(p["AccessKeyId"])
	if e != nil {
		return nil, e
	}
	stringToSign := rpcStringToSign(method, p)
	want := rpcSignature(stringToSign, cred.AccessKeySecret)
	if !hmac.Equal([]byte(want), []byte(p["Signature"])) {
		return nil, authError(http.StatusBadRequest, "SignatureDoesNotMatch",
			"The request signature does not match the signature the server calculated; check the AccessKey secret. %s%s",
			signatureMismatchMarker, stringToSign)
	}

	// The credential's other conditions.
	if e := checkSecurityToken(cred, p["SecurityToken"]); e != nil {
		return nil, e
	}
	if e := s.useNonce(cred.AccessKeyID, p["SignatureNonce"], now); e != nil {
		return nil, e
	}
	return cred, nil
}

// rpcStringToSign builds the RPC string to sign: the HTTP method, the
// encoded path "/" and the encoded canonical query, joined by "&". The
// canonical query holds every parameter except Signature, empty values
// included, sorted by name and percent-encoded per RFC 3986.
func rpcStringToSign(method string, params map[string]string) string {
	names := make([]string, 0, len(params))
	for name := range params {
		if name != "Signature" {
			names = append(names, name)
		}
	}
	sort.Strings(names)

	var canonical strings.Builder
	for i, name := range names {
		if i > 0 {
			canonical.WriteByte('&')
		}
		canonical.WriteString(percentEncode(name))
		canonical.WriteByte('=')
		canonical.WriteString(percentEncode(params[name]))
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(canonical.String())
}

// rpcSignature is Base64(HMAC-SHA1(secret + "&", stringToSign)).
func rpcSignature(stringToSign, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// percentEncode encodes s per RFC 3986: unreserved characters
// (A-Z a-z 0-9 - _ . ~) stay, every other byte becomes %XX in upper case,
// so a space is %20 and "*" is %2A.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0F])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}
