package ram

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"

	"github.com/credreport/credreport/internal/fixture"
)

func TestListAccessKeysOfUser(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	req := ims.CreateListAccessKeysRequest()
	req.Scheme = "http"
	req.UserPrincipalName = "deploy-bot" + basicAlias
	resp, err := c.ListAccessKeys(req)
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	want := []ims.AccessKey{
		{AccessKeyId: "LTAI5tDeployBot0002", Status: "Active", CreateDate: "2023-05-06T07:08:09Z", UpdateDate: "2023-05-06T07:08:09Z"},
		{AccessKeyId: "LTAI5tDeployBot0001", Status: "Inactive", CreateDate: "2021-02-03T04:05:06Z", UpdateDate: "2021-02-03T04:05:06Z"},
	}
	if !reflect.DeepEqual(resp.AccessKeys.AccessKey, want) {
		t.Errorf("AccessKeys = %+v, want %+v", resp.AccessKeys.AccessKey, want)
	}

	req.UserPrincipalName = "bob" + basicAlias
	resp, err = c.ListAccessKeys(req)
	if err != nil {
		t.Fatalf("ListAccessKeys(bob): %v", err)
	}
	if n := len(resp.AccessKeys.AccessKey); n != 0 {
		t.Errorf("bob has %d keys, want 0", n)
	}

	req.UserPrincipalName = "nobody" + basicAlias
	_, err = c.ListAccessKeys(req)
	wantServerError(t, err, http.StatusNotFound, "EntityNotExist.User")
}

// rootCallerAccount is the no-native-report fixture, whose root has a key,
// with a second credential marked as the root's own.
func rootCallerAccount(t *testing.T) *fixture.Account {
	a := loadFixture(t, "no-native-report")
	a.Credentials = append(a.Credentials, fixture.Credential{
		AccessKeyID: "LTAI5tRootCaller", AccessKeySecret: "root-caller-secret", IsRoot: true,
	})
	return a
}

func TestListAccessKeysOfCaller(t *testing.T) {
	a := rootCallerAccount(t)
	_, ts := startServer(t, a, Options{})

	tests := []struct {
		name      string
		keyID     string
		secret    string
		wantCount int
	}{
		{"root caller sees root keys", "LTAI5tRootCaller", "root-caller-secret", 1},
		{"other caller sees none", a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := imsClient(t, ts, tt.keyID, tt.secret)
			req := ims.CreateListAccessKeysRequest()
			req.Scheme = "http"
			resp, err := c.ListAccessKeys(req)
			if err != nil {
				t.Fatalf("ListAccessKeys: %v", err)
			}
			keys := resp.AccessKeys.AccessKey
			if len(keys) != tt.wantCount {
				t.Fatalf("keys = %+v, want %d", keys, tt.wantCount)
			}
			if tt.wantCount == 1 && (keys[0].AccessKeyId != "LTAI5tRootNoExp0001" || keys[0].CreateDate != "2019-01-01T00:00:00Z") {
				t.Errorf("root key = %+v, want LTAI5tRootNoExp0001 created 2019-01-01T00:00:00Z", keys[0])
			}
		})
	}
}

func TestGetAccessKeyLastUsed(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	tests := []struct {
		user, key string
		want      string
	}{
		{"alice", "LTAI5tAlice00000001", "2026-12-01T03:00:00Z"},
		{"deploy-bot", "LTAI5tDeployBot0002", "2026-12-03T22:10:00Z"},
		{"deploy-bot", "LTAI5tDeployBot0001", ""},
	}
	for _, tt := range tests {
		req := ims.CreateGetAccessKeyLastUsedRequest()
		req.Scheme = "http"
		req.UserPrincipalName = tt.user + basicAlias
		req.UserAccessKeyId = tt.key
		resp, err := c.GetAccessKeyLastUsed(req)
		if err != nil {
			t.Fatalf("GetAccessKeyLastUsed(%s): %v", tt.key, err)
		}
		if got := resp.AccessKeyLastUsed.LastUsedDate; got != tt.want {
			t.Errorf("LastUsedDate of %s = %q, want %q", tt.key, got, tt.want)
		}
	}

	errorCases := []struct {
		name, user, key string
		status          int
		code            string
	}{
		{"unknown key", "alice", "LTAI5tNoSuchKey", http.StatusNotFound, "EntityNotExist.User.AccessKey"},
		{"key of another user", "alice", "LTAI5tDeployBot0002", http.StatusNotFound, "EntityNotExist.User.AccessKey"},
		{"unknown user", "nobody", "LTAI5tAlice00000001", http.StatusNotFound, "EntityNotExist.User"},
		{"missing key", "alice", "", http.StatusBadRequest, "MissingUserAccessKeyId"},
		{"no user and not root", "", "LTAI5tAlice00000001", http.StatusNotFound, "EntityNotExist.User.AccessKey"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			req := ims.CreateGetAccessKeyLastUsedRequest()
			req.Scheme = "http"
			if tt.user != "" {
				req.UserPrincipalName = tt.user + basicAlias
			}
			req.UserAccessKeyId = tt.key
			_, err := c.GetAccessKeyLastUsed(req)
			wantServerError(t, err, tt.status, tt.code)
		})
	}
}

func TestGetAccessKeyLastUsedRootCaller(t *testing.T) {
	_, ts := startServer(t, rootCallerAccount(t), Options{})
	c := imsClient(t, ts, "LTAI5tRootCaller", "root-caller-secret")

	req := ims.CreateGetAccessKeyLastUsedRequest()
	req.Scheme = "http"
	req.UserAccessKeyId = "LTAI5tRootNoExp0001"
	resp, err := c.GetAccessKeyLastUsed(req)
	if err != nil {
		t.Fatalf("GetAccessKeyLastUsed: %v", err)
	}
	if got := resp.AccessKeyLastUsed.LastUsedDate; got != "2026-12-01T00:00:00Z" {
		t.Errorf("LastUsedDate = %q, want 2026-12-01T00:00:00Z", got)
	}
}
