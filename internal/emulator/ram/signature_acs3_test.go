package ram

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

// openapiClient is a darabonba-openapi v2 client pointed at the emulator.
func openapiClient(t *testing.T, ts *httptest.Server, keyID, secret, token string) *openapi.Client {
	t.Helper()
	config := &openapi.Config{
		AccessKeyId:     dara.String(keyID),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(strings.TrimPrefix(ts.URL, "http://")),
		Protocol:        dara.String("http"),
		RegionId:        dara.String("cn-hangzhou"),
	}
	if token != "" {
		config.SecurityToken = dara.String(token)
	}
	c, err := openapi.NewClient(config)
	if err != nil {
		t.Fatalf("openapi.NewClient: %v", err)
	}
	return c
}

// callAPI runs an IMS action through CallApi the way generated clients do for RPC.
func callAPI(c *openapi.Client, action string, query map[string]string) (map[string]any, error) {
	params := &openapi.Params{
		Action:      dara.String(action),
		Version:     dara.String(imsVersion),
		Protocol:    dara.String("HTTP"),
		Method:      dara.String("POST"),
		AuthType:    dara.String("AK"),
		Style:       dara.String("RPC"),
		Pathname:    dara.String("/"),
		ReqBodyType: dara.String("json"),
		BodyType:    dara.String("json"),
	}
	req := &openapi.OpenApiRequest{Query: map[string]*string{}}
	for k, v := range query {
		req.Query[k] = dara.String(v)
	}
	out, err := c.CallApi(params, req, &dara.RuntimeOptions{})
	if err != nil {
		return nil, err
	}
	body, _ := out["body"].(map[string]any)
	return body, nil
}

func TestACS3Client(t *testing.T) {
	s, ts := startServer(t, stsAccount(t), Options{})
	c := openapiClient(t, ts, basicKeyID, basicSecret, "")

	body, err := callAPI(c, "ListUsers", map[string]string{"Status": "active,freeze", "MaxItems": "3"})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	users, _ := body["Users"].(map[string]any)["User"].([]any)
	if len(users) != 3 || body["IsTruncated"] != true {
		t.Fatalf("ListUsers body = %v, want 3 users and IsTruncated", body)
	}
	if first, _ := users[0].(map[string]any); first["UserPrincipalName"] != "alice"+basicAlias {
		t.Errorf("first user = %v, want alice", first)
	}

	body, err = callAPI(c, "GetUserMFAInfo", map[string]string{"UserPrincipalName": "alice" + basicAlias})
	if err != nil {
		t.Fatalf("GetUserMFAInfo: %v", err)
	}
	device, _ := body["MFADevice"].(map[string]any)
	if body["IsMFAEnable"] != true || device["SerialNumber"] != "acs:ram::5123456789012345:mfa/alice" || device["Type"] != "VMFA" {
		t.Errorf("GetUserMFAInfo body = %v", body)
	}

	// A value that needs encoding in the canonical query (space, "*", "~").
	_, err = callAPI(c, "GetUser", map[string]string{"UserPrincipalName": "a b*c~d@example.com"})
	wantOpenAPIError(t, err, http.StatusNotFound, "EntityNotExist.User")

	if got := s.Calls(); got["ListUsers"] != 1 || got["GetUserMFAInfo"] != 1 || got["GetUser"] != 1 {
		t.Errorf("Calls = %v, want one each of ListUsers, GetUserMFAInfo, GetUser", got)
	}
}

func TestACS3Credentials(t *testing.T) {
	_, ts := startServer(t, stsAccount(t), Options{})

	tests := []struct {
		name                 string
		keyID, secret, token string
		status               int
		code                 string // "" means success
	}{
		{"sts token", "STS.LocalTempKey", "sts-secret", "token-for-temp-key", 0, ""},
		{"wrong secret", basicKeyID, "wrong-secret", "", http.StatusBadRequest, "SignatureDoesNotMatch"},
		{"unknown key", "LTAI5tNoSuchKey", basicSecret, "", http.StatusNotFound, "InvalidAccessKeyId.NotFound"},
		{"sts without token", "STS.LocalTempKey", "sts-secret", "", http.StatusBadRequest, "MissingSecurityToken"},
		{"sts other token", "STS.LocalTempKey", "sts-secret", "another-token", http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openapiClient(t, ts, tt.keyID, tt.secret, tt.token)
			body, err := callAPI(c, "GetAccountMFAInfo", nil)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("GetAccountMFAInfo: %v", err)
				}
				if body["IsMFAEnable"] != true {
					t.Errorf("body = %v, want IsMFAEnable true", body)
				}
				return
			}
			wantOpenAPIError(t, err, tt.status, tt.code)
		})
	}
}

// wantOpenAPIError checks the error of a darabonba client call. With
// DisableSDKError unset the client returns a *tea.SDKError.
func wantOpenAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %s", status, code)
	}
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("got error %T %v, want *tea.SDKError %d %s", err, err, status, code)
	}
	if dara.IntValue(se.StatusCode) != status || dara.StringValue(se.Code) != code {
		t.Fatalf("got %d %s (%s), want %d %s", dara.IntValue(se.StatusCode), dara.StringValue(se.Code),
			dara.StringValue(se.Message), status, code)
	}
}

// acs3Request builds a raw request signed with ACS3-HMAC-SHA256. Query
// parameters go in the URL and form parameters in the body.
func acs3Request(t *testing.T, ts *httptest.Server, action string, query, form url.Values, keyID, secret, nonce string, at time.Time) *http.Request {
	t.Helper()
	var body string
	if form != nil {
		body = form.Encode()
	}
	target := ts.URL + "/"
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	sum := sha256.Sum256([]byte(body))
	req.Header.Set("x-acs-action", action)
	req.Header.Set("x-acs-version", imsVersion)
	req.Header.Set("x-acs-date", at.UTC().Format(timeLayout))
	req.Header.Set("x-acs-signature-nonce", nonce)
	req.Header.Set("x-acs-content-sha256", hex.EncodeToString(sum[:]))
	signed := []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		signed = append([]string{"content-type"}, signed...)
	}
	signature := acs3Signature(acs3StringToSign(acs3CanonicalRequest(req, signed)), secret)
	req.Header.Set("Authorization", acs3Algorithm+" Credential="+keyID+",SignedHeaders="+strings.Join(signed, ";")+",Signature="+signature)
	return req
}

func TestACS3RawRequests(t *testing.T) {
	clock := newFakeClock(time.Now().UTC().Truncate(time.Second))
	_, ts := startServer(t, loadFixture(t, "basic"), Options{Now: clock.Now})
	now := clock.Now()
	alice := url.Values{"UserPrincipalName": {"alice" + basicAlias}}

	// Parameters in the query string or in a form body.
	got := send(t, acs3Request(t, ts, "GetUser", alice, nil, basicKeyID, basicSecret, "acs3-query", now))
	if got.status != http.StatusOK {
		t.Fatalf("query parameters: %d %v", got.status, got.body)
	}
	got = send(t, acs3Request(t, ts, "GetUser", nil, alice, basicKeyID, basicSecret, "acs3-form", now))
	if got.status != http.StatusOK {
		t.Fatalf("form parameters: %d %v", got.status, got.body)
	}

	// The same nonce again.
	got = send(t, acs3Request(t, ts, "GetUser", alice, nil, basicKeyID, basicSecret, "acs3-query", now))
	wantRawError(t, got, http.StatusBadRequest, "SignatureNonceUsed")

	// A skewed clock.
	got = send(t, acs3Request(t, ts, "GetUser", alice, nil, basicKeyID, basicSecret, "acs3-skew", now.Add(-time.Hour)))
	wantRawError(t, got, http.StatusBadRequest, "InvalidTimeStamp.Expired")

	// A body changed after signing.
	req := acs3Request(t, ts, "GetUser", nil, alice, basicKeyID, basicSecret, "acs3-body", now)
	req.Body = io.NopCloser(strings.NewReader(url.Values{"UserPrincipalName": {"bob" + basicAlias}}.Encode()))
	req.ContentLength = -1
	wantRawError(t, send(t, req), http.StatusBadRequest, "SignatureDoesNotMatch")

	// An x-acs-* header left out of the signature.
	req = acs3Request(t, ts, "GetUser", alice, nil, basicKeyID, basicSecret, "acs3-unsigned", now)
	req.Header.Set("x-acs-security-token", "slipped-in")
	wantRawError(t, send(t, req), http.StatusBadRequest, "IncompleteSignature")

	// Another algorithm.
	req = acs3Request(t, ts, "GetUser", alice, nil, basicKeyID, basicSecret, "acs3-sm3", now)
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), acs3Algorithm, "ACS3-HMAC-SM3", 1))
	wantRawError(t, send(t, req), http.StatusBadRequest, "IncompleteSignature")

	// A missing x-acs-action.
	req = acs3Request(t, ts, "", alice, nil, basicKeyID, basicSecret, "acs3-noaction", now)
	wantRawError(t, send(t, req), http.StatusBadRequest, "MissingParameter")
}

func TestParseACS3Authorization(t *testing.T) {
	auth, e := parseACS3Authorization("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=abc")
	if e != nil {
		t.Fatalf("parse: %v", e.message)
	}
	if auth.accessKeyID != "AK" || strings.Join(auth.signedHeaders, ";") != "host;x-acs-date" || auth.signature != "abc" {
		t.Errorf("parsed = %+v", auth)
	}
	for _, bad := range []string{
		"",
		"ACS3-HMAC-SHA256",
		"ACS3-HMAC-SHA256 Credential=AK,Signature=abc",
		"HMAC-SHA1 Credential=AK,SignedHeaders=host,Signature=abc",
	} {
		if _, e := parseACS3Authorization(bad); e == nil || e.code != "IncompleteSignature" {
			t.Errorf("parse(%q) = %v, want IncompleteSignature", bad, e)
		}
	}
}
