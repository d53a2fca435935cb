package synth

import (
	"bytes"
	"fmt"
	"time"

	"github.com/credreport/credreport/internal/fixture"
	"github.com/credreport/credreport/internal/report"
)

// Demo returns the demo account that `make run` serves, and the native
// report Alibaba would produce for it. Its 50 users cover every case of the
// report rules: console users with and without MFA (virtual and U2F),
// inactive and missing login profiles, passwords last changed before
// password tracking began, profiles updated after the password changed,
// 0 to 4 AccessKeys (so additional key columns appear), unused and inactive
// keys, frozen users, users who never logged on, and SSO users who log on
// without a password. The root has MFA and three keys.
func Demo() (*fixture.Account, []byte, error) {
	a := &fixture.Account{
		AccountID:    "5100000000000001",
		AccountAlias: "demo-corp",
		Credentials: []fixture.Credential{{
			AccessKeyID: "LTAI5tDemoLocalKey01", AccessKeySecret: "demo-local-secret-01",
		}},
		PasswordPolicy: fixture.PasswordPolicy{MaxPasswordAge: 90, Other: map[string]interface{}{
			"minimum_password_length": 14, "password_reuse_prevention": 5, "max_login_attemps": 5,
		}},
		Root: fixture.Root{
			Created:             ptr(time.Date(2016, 3, 1, 8, 0, 0, 0, time.UTC)),
			LastLogin:           ptr(epoch.AddDate(0, 0, -2)),
			PasswordLastChanged: ptr(time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)),
			MFA:                 true,
			AccessKeys: []fixture.AccessKey{
				demoKey("LTAI5tDemoRoot000001", "Active", time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC), ptr(epoch.AddDate(0, 0, -10))),
				demoKey("LTAI5tDemoRoot000002", "Inactive", time.Date(2018, 5, 1, 0, 0, 0, 0, time.UTC), nil),
				demoKey("LTAI5tDemoRoot000003", "Active", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC), ptr(epoch.AddDate(-1, 0, 0))),
			},
		},
		NativeReport: &fixture.NativeReport{CSV: "native.csv"},
	}
	for i := range 50 {
		a.Users = append(a.Users, demoUser(a.AccountID, i))
	}
	if err := a.Validate(); err != nil {
		return nil, nil, fmt.Errorf("demo account: %w", err)
	}
	native, err := nativeCSV(a)
	return a, native, err
}

func demoKey(id, status string, created time.Time, lastUsed *time.Time) fixture.AccessKey {
	return fixture.AccessKey{ID: id, Status: status, Created: created, Updated: created, LastUsed: lastUsed}
}

// demoUser builds user i; i selects its case, so every case appears several times.
func demoUser(accountID string, i int) fixture.User {
	names := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"}
	name := fmt.Sprintf("%s-%02d", names[i%len(names)], i)
	created := time.Date(2015+i%10, time.Month(1+i%12), 1+i%27, 9, i%60, 0, 0, time.UTC)
	u := fixture.User{
		Name: name, UserID: fmt.Sprintf("2000000000000%05d", i), DisplayName: name,
		Created: created, Updated: created, Status: fixture.StatusActive,
		AccessKeys: []fixture.AccessKey{},
	}
	changed := created.AddDate(0, 2, 0)
	profile := &fixture.LoginProfile{Status: "Active", Created: created, Updated: changed, PasswordLastChanged: ptr(changed)}
	switch i % 10 {
	case 0: // console user with virtual MFA, logs on often
		u.LoginProfile = profile
		u.MFA = &fixture.MFADevice{SerialNumber: fmt.Sprintf("acs:ram::%s:mfa/%s", accountID, name), Type: fixture.MFATypeVirtual, Activated: ptr(created)}
		u.LastLogin = ptr(epoch.AddDate(0, 0, -1))
	case 1: // console user without MFA
		u.LoginProfile = profile
		u.LastLogin = ptr(epoch.AddDate(0, -1, 0))
	case 2: // console user with a U2F key, profile edited after the password change
		profile.Updated = changed.AddDate(0, 1, 0)
		u.LoginProfile = profile
		u.MFA = &fixture.MFADevice{SerialNumber: fmt.Sprintf("acs:ram::%s:u2f/%s", accountID, name), Type: fixture.MFATypeU2F, Activated: ptr(created)}
		u.LastLogin = ptr(epoch.AddDate(0, 0, -5))
	case 3: // disabled console login
		profile.Status = "Inactive"
		u.LoginProfile = profile
		u.LastLogin = ptr(created.AddDate(1, 0, 0))
	case 4: // password last changed before tracking began (2016-04-05)
		old := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
		u.Created = old.AddDate(0, -1, 0)
		u.Updated = u.Created
		u.LoginProfile = &fixture.LoginProfile{Status: "Active", Created: u.Created, Updated: old, PasswordLastChanged: ptr(old)}
	case 5: // program user: no profile, two keys, one unused
		u.AccessKeys = append(u.AccessKeys,
			demoKey(fmt.Sprintf("LTAI5tDemo%05dA", i), "Active", created.AddDate(0, 1, 0), ptr(epoch.AddDate(0, 0, -3))),
			demoKey(fmt.Sprintf("LTAI5tDemo%05dB", i), "Active", created.AddDate(0, 2, 0), nil))
	case 6: // legacy program user with four keys
		for k := range 4 {
			status := "Active"
			if k%2 == 1 {
				status = "Inactive"
			}
			u.AccessKeys = append(u.AccessKeys, demoKey(fmt.Sprintf("LTAI5tDemo%05d%d", i, k), status, created.AddDate(0, k, 0), ptr(created.AddDate(0, k+1, 0))))
		}
	case 7: // SSO user: logs on without a password, has virtual MFA
		u.MFA = &fixture.MFADevice{SerialNumber: fmt.Sprintf("acs:ram::%s:mfa/%s", accountID, name), Type: fixture.MFATypeVirtual, Activated: ptr(created)}
		u.LastLogin = ptr(epoch.AddDate(0, 0, -7))
	case 8: // frozen user with a console password and an old active key
		u.Status = fixture.StatusFreeze
		u.LoginProfile = profile
		u.LastLogin = ptr(created.AddDate(0, 6, 0))
		u.AccessKeys = append(u.AccessKeys, demoKey(fmt.Sprintf("LTAI5tDemo%05dF", i), "Active", created.AddDate(0, 1, 0), ptr(created.AddDate(1, 0, 0))))
	case 9: // never used anything
	}
	return u
}

// nativeCSV renders the account as Alibaba's report would show it: with the
// true password change times, which the API does not expose.
func nativeCSV(a *fixture.Account) ([]byte, error) {
	policy := report.PasswordPolicy{MaxPasswordAge: a.PasswordPolicy.MaxPasswordAge}
	rows := []report.Row{nativeRoot(a)}
	for i := range a.Users {
		u := &a.Users[i]
		ru := report.User{UPN: a.UserPrincipalName(u), CreateDate: u.Created, MFABound: u.MFA != nil}
		if u.LastLogin != nil {
			ru.LastLoginDate = *u.LastLogin
		}
		if p := u.LoginProfile; p != nil {
			changed := p.Updated
			if p.PasswordLastChanged != nil {
				changed = *p.PasswordLastChanged
			}
			ru.Profile = &report.LoginProfile{Active: p.Status == "Active", CreateDate: p.Created, UpdateDate: changed}
		}
		ru.AccessKeys = reportKeys(u.AccessKeys)
		rows = append(rows, report.UserRow(ru, policy))
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func nativeRoot(a *fixture.Account) report.Row {
	row := report.RootRowFromKeys(a.Root.MFA, reportKeys(a.Root.AccessKeys))
	if a.Root.Created != nil {
		row.UserCreationTime = report.TimeAt(*a.Root.Created)
	}
	if a.Root.LastLogin != nil {
		row.UserLastLogon = report.TimeAt(*a.Root.LastLogin)
	}
	if a.Root.PasswordLastChanged != nil {
		row.PasswordLastChanged = report.TimeAt(*a.Root.PasswordLastChanged)
	}
	return row
}

func reportKeys(keys []fixture.AccessKey) []report.AccessKey {
	out := make([]report.AccessKey, 0, len(keys))
	for _, k := range keys {
		rk := report.AccessKey{ID: k.ID, Active: k.Status == "Active", CreateDate: k.Created}
		if k.LastUsed != nil {
			rk.LastUsed = *k.LastUsed
		}
		out = append(out, rk)
	}
	return out
}
