package ram

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/credreport/credreport/internal/fixture"
)

func TestGetCallerIdentity(t *testing.T) {
	a := loadFixture(t, "basic")
	a.Credentials = append(a.Credentials,
		fixture.Credential{AccessKeyID: "LTAI5tRootKey", AccessKeySecret: "root-secret", IsRoot: true},
		fixture.Credential{AccessKeyID: "STS.RoleKey", AccessKeySecret: "role-secret", SecurityToken: "role-token"})
	_, ts := startServer(t, a, Options{})
	tests := []struct {
		name, id, secret, token, wantType string
	}{
		{"ram user", a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret, "", "RAMUser"},
		{"root", "LTAI5tRootKey", "root-secret", "", "Account"},
		{"assumed role", "STS.RoleKey", "role-secret", "role-token", "AssumedRoleUser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := stsClient(t, ts, tt.id, tt.secret, tt.token)
			req := sts.CreateGetCallerIdentityRequest()
			req.Scheme = "http"
			resp := sts.CreateGetCallerIdentityResponse()
			if err := client.DoAction(req, resp); err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if resp.AccountId != a.AccountID {
				t.Errorf("AccountId = %q, want %q", resp.AccountId, a.AccountID)
			}
			if resp.IdentityType != tt.wantType {
				t.Errorf("IdentityType = %q, want %q", resp.IdentityType, tt.wantType)
			}
		})
	}
}
