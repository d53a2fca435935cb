package ram

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"

	"github.com/credreport/credreport/internal/fixture"
)

func TestRPCSignatureTestVector(t *testing.T) {
	// The example of the IMS "Request signatures" documentation.
	params := map[string]string{
		"AccessKeyId":       "testid",
		"Action":            "CreateUser",
		"DisplayName":       "test",
		"Format":            "JSON",
		"SignatureMethod":   "HMAC-SHA1",
		"SignatureNonce":    "3f6b4e80-56f7-11eb-a256-a9f756ea7e85",
		"SignatureVersion":  "1.0",
		"Timestamp":         "2021-01-15T06:02:28Z",
		"UserPrincipalName": "test@example.onaliyun.com",
		"Version":           "2019-08-15",
	}
	stringToSign := rpcStringToSign(http.MethodGet, params)
	wantStringToSign := "GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateUser%26DisplayName%3Dtest%26Format%3DJSON" +
		"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f6b4e80-56f7-11eb-a256-a9f756ea7e85" +
		"%26SignatureVersion%3D1.0%26Timestamp%3D2021-01-15T06%253A02%253A28Z" +
		"%26UserPrincipalName%3Dtest%2540example.onaliyun.com%26Version%3D2019-08-15"
	if stringToSign != wantStringToSign {
		t.Errorf("string to sign =\n%s\nwant\n%s", stringToSign, wantStringToSign)
	}
	if got := rpcSignature(stringToSign, "testsecret"); got != "02heLegtw4+BFamznl1Ltj+vJ4A=" {
		t.Errorf("signature = %s, want 02heLegtw4+BFamznl1Ltj+vJ4A=", got)
	}

	// Signature itself is not signed, and empty values are.
	params["Signature"] = "ignored"
	if got := rpcStringToSign(http.MethodGet, params); got != wantStringToSign {
		t.Errorf("string to sign with Signature present = %s", got)
	}
	params["SignatureType"] = ""
	if got := rpcStringToSign(http.MethodGet, params); !strings.Contains(got, "%26SignatureType%3D%26") {
		t.Errorf("string to sign lacks the empty SignatureType: %s", got)
	}
}

func TestPercentEncode(t *testing.T) {
	tests := map[string]string{
		"a b":      "a%20b",
		"a*b":      "a%2Ab",
		"a~b":      "a~b",
		"a+b":      "a%2Bb",
		"a/b=c&d":  "a%2Fb%3Dc%26d",
		"AZaz09-_": "AZaz09-_",
		"é":        "%C3%A9",
	}
	for in, want := range tests {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

// stsAccount is the basic fixture with an extra STS credential.
func stsAccount(t *testing.T) *fixture.Account {
	a := loadFixture(t, "basic")
	a.Credentials = append(a.Credentials, fixture.Credential{
		AccessKeyID: "STS.LocalTempKey", AccessKeySecret: "sts-secret", SecurityToken: "token-for-temp-key",
	})
	return a
}

func TestSDKCredentials(t *testing.T) {
	s, ts := startServer(t, stsAccount(t), Options{})

	tests := []struct {
		name   string
		client *ims.Client
		status int
		code   string // "" means success
	}{
		{"access key", imsClient(t, ts, basicKeyID, basicSecret), 0, ""},
		{"sts token", stsClient(t, ts, "STS.LocalTempKey", "sts-secret", "token-for-temp-key"), 0, ""},
		{"unknown key", imsClient(t, ts, "LTAI5tNoSuchKey", basicSecret), http.StatusNotFound, "InvalidAccessKeyId.NotFound"},
		{"wrong secret", imsClient(t, ts, basicKeyID, "wrong-secret"), http.StatusBadRequest, "SignatureDoesNotMatch"},
		{"sts without token", imsClient(t, ts, "STS.LocalTempKey", "sts-secret"), http.StatusBadRequest, "MissingSecurityToken"},
		{"sts other token", stsClient(t, ts, "STS.LocalTempKey", "sts-secret", "another-token"), http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey"},
		{"token on a permanent key", stsClient(t, ts, basicKeyID, basicSecret, "stray-token"), http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey"},
	}
	failures := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ims.CreateGetAccountMFAInfoRequest()
			req.Scheme = "http"
			resp, err := tt.client.GetAccountMFAInfo(req)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("GetAccountMFAInfo: %v", err)
				}
				if !resp.IsMFAEnable {
					t.Errorf("IsMFAEnable = false, want true")
				}
				return
			}
			failures++
			se := wantServerError(t, err, tt.status, tt.code)
			if tt.code == "SignatureDoesNotMatch" {
				// The SDK found the server's string to sign equal to its own,
				// so it blames the secret rather than itself.
				if !strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
					t.Errorf("Recommend = %q, want the SDK's InvalidAccessKeySecret hint", se.Recommend())
				}
			}
		})
	}
	if got := s.Stats().AuthFailures; got != failures {
		t.Errorf("Stats.AuthFailures = %d, want %d", got, failures)
	}
}

func TestRPCRejections(t *testing.T) {
	clock := newFakeClock(time.Now().UTC().Truncate(time.Second))
	_, ts := startServer(t, loadFixture(t, "basic"), Options{Now: clock.Now})
	now := clock.Now()

	tests := []struct {
		name   string
		edit   func(p map[string]string) // applied before signing
		after  func(p map[string]string) // applied after signing
		status int
		code   string
	}{
		{"timestamp 16 minutes behind", func(p map[string]string) { p["Timestamp"] = now.Add(-16 * time.Minute).Format(timeLayout) }, nil,
			http.StatusBadRequest, "InvalidTimeStamp.Expired"},
		{"timestamp 16 minutes ahead", func(p map[string]string) { p["Timestamp"] = now.Add(16 * time.Minute).Format(timeLayout) }, nil,
			http.StatusBadRequest, "InvalidTimeStamp.Expired"},
		{"timestamp format", func(p map[string]string) { p["Timestamp"] = now.Format(time.RFC1123) }, nil,
			http.StatusBadRequest, "InvalidTimeStamp.Format"},
		{"missing Action", func(p map[string]string) { delete(p, "Action") }, nil,
			http.StatusBadRequest, "MissingParameter"},
		{"missing Version", func(p map[string]string) { delete(p, "Version") }, nil,
			http.StatusBadRequest, "MissingParameter"},
		{"missing Signature", nil, func(p map[string]string) { delete(p, "Signature") },
			http.StatusBadRequest, "IncompleteSignature"},
		{"missing SignatureNonce", func(p map[string]string) { delete(p, "SignatureNonce") }, nil,
			http.StatusBadRequest, "MissingParameter"},
		{"missing AccessKeyId", func(p map[string]string) { delete(p, "AccessKeyId") }, nil,
			http.StatusBadRequest, "MissingParameter"},
		{"other SignatureMethod", func(p map[string]string) { p["SignatureMethod"] = "HMAC-SHA256" }, nil,
			http.StatusBadRequest, "IncompleteSignature"},
		{"tampered parameter", nil, func(p map[string]string) { p["MaxItems"] = "5" },
			http.StatusBadRequest, "SignatureDoesNotMatch"},
		{"unknown Action", func(p map[string]string) { p["Action"] = "DeleteEverything" }, nil,
			http.StatusNotFound, "InvalidApi.NotFound"},
		{"unsupported Version", func(p map[string]string) { p["Version"] = "2015-05-01" }, nil,
			http.StatusBadRequest, "InvalidVersion"},
		{"XML format", func(p map[string]string) { p["Format"] = "XML" }, nil,
			http.StatusBadRequest, "InvalidParameter.Format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := rpcParams(basicKeyID, "ListUsers", now)
			if tt.edit != nil {
				tt.edit(p)
			}
			signRPC(http.MethodPost, p, basicSecret)
			if tt.after != nil {
				tt.after(p)
			}
			wantRawError(t, doRPC(t, ts, http.MethodPost, p, false), tt.status, tt.code)
		})
	}
}

func TestRPCMismatchMessage(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	p := rpcParams(basicKeyID, "ListUsers", time.Now())
	signRPC(http.MethodPost, p, "wrong-secret")
	got := doRPC(t, ts, http.MethodPost, p, false)
	wantRawError(t, got, http.StatusBadRequest, "SignatureDoesNotMatch")

	message, _ := got.body["Message"].(string)
	_, serverStringToSign, ok := strings.Cut(message, signatureMismatchMarker)
	if !ok || serverStringToSign != rpcStringToSign(http.MethodPost, p) {
		t.Errorf("Message = %q, want the marker %q followed by the string to sign", message, signatureMismatchMarker)
	}
}

func TestRPCNonceReuse(t *testing.T) {
	clock := newFakeClock(time.Now().UTC().Truncate(time.Second))
	_, ts := startServer(t, loadFixture(t, "basic"), Options{Now: clock.Now})

	p := rpcParams(basicKeyID, "GetAccountMFAInfo", clock.Now())
	p["SignatureNonce"] = "nonce-used-twice"
	signRPC(http.MethodPost, p, basicSecret)
	if got := doRPC(t, ts, http.MethodPost, p, false); got.status != http.StatusOK {
		t.Fatalf("first use: %d %v", got.status, got.body)
	}
	wantRawError(t, doRPC(t, ts, http.MethodPost, p, false), http.StatusBadRequest, "SignatureNonceUsed")

	// A rejected signature does not use up a nonce.
	bad := rpcParams(basicKeyID, "GetAccountMFAInfo", clock.Now())
	bad["SignatureNonce"] = "nonce-after-failure"
	signRPC(http.MethodPost, bad, "wrong-secret")
	wantRawError(t, doRPC(t, ts, http.MethodPost, bad, false), http.StatusBadRequest, "SignatureDoesNotMatch")
	signRPC(http.MethodPost, bad, basicSecret)
	if got := doRPC(t, ts, http.MethodPost, bad, false); got.status != http.StatusOK {
		t.Errorf("nonce after a failed attempt: %d %v", got.status, got.body)
	}

	// After the 15 minute window the nonce may come again, with a current timestamp.
	clock.Advance(16 * time.Minute)
	p["Timestamp"] = clock.Now().Format(timeLayout)
	signRPC(http.MethodPost, p, basicSecret)
	if got := doRPC(t, ts, http.MethodPost, p, false); got.status != http.StatusOK {
		t.Errorf("nonce after the window: %d %v", got.status, got.body)
	}
}

func TestRPCGetAndFormBody(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})

	tests := []struct {
		name   string
		method string
		inBody bool
	}{
		{"GET query", http.MethodGet, false},
		{"POST query", http.MethodPost, false},
		{"POST form body", http.MethodPost, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := rpcParams(basicKeyID, "GetUser", time.Now())
			p["UserPrincipalName"] = "alice" + basicAlias
			signRPC(tt.method, p, basicSecret)
			got := doRPC(t, ts, tt.method, p, tt.inBody)
			if got.status != http.StatusOK {
				t.Fatalf("status %d: %v", got.status, got.body)
			}
			user, _ := got.body["User"].(map[string]any)
			if user["UserId"] != "200000000000000001" {
				t.Errorf("User = %v, want alice", got.body["User"])
			}
		})
	}

	// A signature made for GET does not pass for POST.
	p := rpcParams(basicKeyID, "GetAccountMFAInfo", time.Now())
	signRPC(http.MethodGet, p, basicSecret)
	wantRawError(t, doRPC(t, ts, http.MethodPost, p, false), http.StatusBadRequest, "SignatureDoesNotMatch")
}
