package ram

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"

	"github.com/credreport/credreport/internal/fixture"
)

func TestGetPasswordPolicy(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	req := ims.CreateGetPasswordPolicyRequest()
	req.Scheme = "http"
	resp, err := c.GetPasswordPolicy(req)
	if err != nil {
		t.Fatalf("GetPasswordPolicy: %v", err)
	}
	want := ims.PasswordPolicy{MaxPasswordAge: 90, MinimumPasswordLength: 12, PasswordReusePrevention: 5, MaxLoginAttemps: 5}
	if !reflect.DeepEqual(resp.PasswordPolicy, want) {
		t.Errorf("PasswordPolicy = %+v, want %+v", resp.PasswordPolicy, want)
	}
}

func TestPasswordPolicyFields(t *testing.T) {
	p, err := fixture.Parse([]byte(`{"account_id":"1","account_alias":"a",
		"credentials":[{"access_key_id":"k","access_key_secret":"s"}],
		"password_policy":{"max_password_age":0,"require_symbols":true,"hard_expire":false,"minimum_password_length":8},
		"root":{"mfa":false,"access_keys":[]},"users":[],"faults":{},"limits":{}}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	fields, err := passwordPolicyFields(p.PasswordPolicy)
	if err != nil {
		t.Fatalf("passwordPolicyFields: %v", err)
	}
	got, err := json.Marshal(fields)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	want := `{"HardExpire":false,"MaxPasswordAge":0,"MinimumPasswordLength":8,"RequireSymbols":true}`
	if string(got) != want {
		t.Errorf("policy = %s, want %s", got, want)
	}

	// Two fields that convert to one API name are rejected.
	clash := fixture.PasswordPolicy{Other: map[string]any{"max_password_age_": 1}}
	if _, err := passwordPolicyFields(clash); err == nil || !strings.Contains(err.Error(), "MaxPasswordAge") {
		t.Errorf("passwordPolicyFields(clash) error = %v, want one naming MaxPasswordAge", err)
	}
}

func TestPascalCase(t *testing.T) {
	tests := map[string]string{
		"max_login_attemps":               "MaxLoginAttemps",
		"require_lowercase_characters":    "RequireLowercaseCharacters",
		"MinimumPasswordLength":           "MinimumPasswordLength",
		"password_not_contain_user_name":  "PasswordNotContainUserName",
		"_leading__double_":               "LeadingDouble",
		"minimum_password_different_char": "MinimumPasswordDifferentChar",
	}
	for in, want := range tests {
		if got := pascalCase(in); got != want {
			t.Errorf("pascalCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGetAccountMFAInfo(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		want    bool
	}{{"basic", true}, {"no-native-report", false}} {
		a := loadFixture(t, tt.fixture)
		_, ts := startServer(t, a, Options{})
		c := imsClient(t, ts, a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret)
		req := ims.CreateGetAccountMFAInfoRequest()
		req.Scheme = "http"
		resp, err := c.GetAccountMFAInfo(req)
		if err != nil {
			t.Fatalf("%s: GetAccountMFAInfo: %v", tt.fixture, err)
		}
		if resp.IsMFAEnable != tt.want {
			t.Errorf("%s: IsMFAEnable = %v, want %v", tt.fixture, resp.IsMFAEnable, tt.want)
		}
	}
}

func TestGetAccountSecurityPracticeReport(t *testing.T) {
	// At this time alice's key was used 3 days ago, deploy-bot has a never-used
	// key, and erin's key was last used more than 90 days ago. All three users'
	// keys are older than 90 days.
	clock := newFakeClock(time.Date(2026, 12, 4, 7, 0, 0, 0, time.UTC))
	_, ts := startServer(t, loadFixture(t, "basic"), Options{Now: clock.Now, SkipTimestampCheck: true})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	req := ims.CreateGetAccountSecurityPracticeReportRequest()
	req.Scheme = "http"
	resp, err := c.GetAccountSecurityPracticeReport(req)
	if err != nil {
		t.Fatalf("GetAccountSecurityPracticeReport: %v", err)
	}
	want := ims.AccountSecurityPracticeUserInfo{
		BindMfa:                    true,
		RootWithAccessKey:          0,
		UnusedAkNum:                0,
		OldAkNum:                   0,
		SubUser:                    7,
		SubUserBindMfa:             3,
		SubUserPwdLevel:            "mid",
		SubUserWithOldAccessKey:    3,
		SubUserWithUnusedAccessKey: 2,
	}
	info := resp.AccountSecurityPracticeInfo
	if !reflect.DeepEqual(info.AccountSecurityPracticeUserInfo, want) {
		t.Errorf("user info = %+v, want %+v", info.AccountSecurityPracticeUserInfo, want)
	}
	// 100 - 20*4/7 (users without MFA) - 10*2/7 (unused keys) - 10*3/7 (old keys) - 5 (mid passwords) = 76.4
	if info.Score != 76 {
		t.Errorf("Score = %d, want 76", info.Score)
	}
}

func TestSecurityPracticeRootKeys(t *testing.T) {
	// The root key of no-native-report was created 2019-01-01 and used 2026-12-01.
	clock := newFakeClock(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))
	a := loadFixture(t, "no-native-report")
	_, ts := startServer(t, a, Options{Now: clock.Now, SkipTimestampCheck: true})
	c := imsClient(t, ts, a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret)

	req := ims.CreateGetAccountSecurityPracticeReportRequest()
	req.Scheme = "http"
	resp, err := c.GetAccountSecurityPracticeReport(req)
	if err != nil {
		t.Fatalf("GetAccountSecurityPracticeReport: %v", err)
	}
	info := resp.AccountSecurityPracticeInfo.AccountSecurityPracticeUserInfo
	if info.RootWithAccessKey != 1 || info.OldAkNum != 1 || info.UnusedAkNum != 1 || info.BindMfa {
		t.Errorf("root fields = RootWithAccessKey %d OldAkNum %d UnusedAkNum %d BindMfa %v, want 1 1 1 false",
			info.RootWithAccessKey, info.OldAkNum, info.UnusedAkNum, info.BindMfa)
	}

	// Three months earlier the key was used within 90 days.
	clock.Advance(-180 * 24 * time.Hour)
	resp, err = c.GetAccountSecurityPracticeReport(ims.CreateGetAccountSecurityPracticeReportRequest())
	if err != nil {
		t.Fatalf("GetAccountSecurityPracticeReport: %v", err)
	}
	if n := resp.AccountSecurityPracticeInfo.AccountSecurityPracticeUserInfo.UnusedAkNum; n != 0 {
		t.Errorf("UnusedAkNum on 2026-12-03 = %d, want 0", n)
	}
}

func TestCountBefore(t *testing.T) {
	sorted := []int64{-5, 1, 1, 3, 9}
	for limit, want := range map[int64]int{-10: 0, 1: 1, 2: 3, 9: 4, 10: 5} {
		if got := countBefore(sorted, limit); got != want {
			t.Errorf("countBefore(%d) = %d, want %d", limit, got, want)
		}
	}
}
