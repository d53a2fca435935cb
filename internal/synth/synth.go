// Package synth generates realistic synthetic accounts of any size in the
// fixture format, for benchmarks and load tests of the build source.
package synth

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/credreport/credreport/internal/fixture"
)

// Credentials of every synthetic account.
const (
	AccessKeyID     = "LTAI5tSyntheticLocalKey"
	AccessKeySecret = "synthetic-local-secret"
)

// epoch is the fixed "now" of synthetic data, so the same seed always
// yields the same account.
var epoch = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Account returns an account of n users generated from seed. The mix: about
// 60% of users have a console login profile (a tenth of those inactive), a
// third of console users have a virtual MFA device and 2% of all users a U2F
// device, users hold 0 to 2 AccessKeys (a quarter of keys never used, a
// fifth inactive), and 3% of users are frozen. The account has no native
// report, as Alibaba produces none above 3,500 users.
func Account(n int, seed uint64) *fixture.Account {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	a := &fixture.Account{
		AccountID:    "5999999999999999",
		AccountAlias: "synthetic",
		Credentials: []fixture.Credential{{
			AccessKeyID: AccessKeyID, AccessKeySecret: AccessKeySecret,
		}},
		PasswordPolicy: fixture.PasswordPolicy{MaxPasswordAge: 90},
		Root: fixture.Root{
			Created:             ptr(epoch.AddDate(-8, 0, 0)),
			LastLogin:           ptr(epoch.AddDate(0, 0, -3)),
			PasswordLastChanged: ptr(epoch.AddDate(-1, 0, 0)),
			MFA:                 true,
		},
		Users: make([]fixture.User, n),
	}
	for i := range a.Users {
		a.Users[i] = user(rng, i, a.AccountID)
	}
	return a
}

func user(rng *rand.Rand, i int, accountID string) fixture.User {
	name := fmt.Sprintf("user%06d", i)
	created := randomTime(rng, epoch.AddDate(-7, 0, 0), epoch.AddDate(0, 0, -1))
	u := fixture.User{
		Name:        name,
		UserID:      fmt.Sprintf("%018d", 300000000000000000+i),
		DisplayName: fmt.Sprintf("User %06d", i),
		Created:     created,
		Updated:     created,
		Status:      fixture.StatusActive,
		AccessKeys:  []fixture.AccessKey{},
	}
	if rng.IntN(100) < 3 {
		u.Status = fixture.StatusFreeze
	}
	console := rng.IntN(100) < 60
	if console {
		updated := randomTime(rng, created, epoch)
		status := "Active"
		if rng.IntN(10) == 0 {
			status = "Inactive"
		}
		u.LoginProfile = &fixture.LoginProfile{
			Status: status, Created: created, Updated: updated,
			PasswordLastChanged: ptr(updated),
		}
		if rng.IntN(10) < 8 {
			u.LastLogin = ptr(randomTime(rng, created, epoch))
		}
	}
	switch r := rng.IntN(100); {
	case r < 2:
		u.MFA = &fixture.MFADevice{SerialNumber: fmt.Sprintf("acs:ram::%s:u2f/%s", accountID, name), Type: fixture.MFATypeU2F, Activated: ptr(created)}
	case console && r < 35:
		u.MFA = &fixture.MFADevice{SerialNumber: fmt.Sprintf("acs:ram::%s:mfa/%s", accountID, name), Type: fixture.MFATypeVirtual, Activated: ptr(created)}
	}
	for k := range rng.IntN(3) {
		keyCreated := randomTime(rng, created, epoch)
		key := fixture.AccessKey{
			ID:      fmt.Sprintf("LTAI5tSYN%06d%d", i, k),
			Status:  "Active",
			Created: keyCreated,
			Updated: keyCreated,
		}
		if rng.IntN(5) == 0 {
			key.Status = "Inactive"
		}
		if rng.IntN(4) != 0 {
			key.LastUsed = ptr(randomTime(rng, keyCreated, epoch))
		}
		u.AccessKeys = append(u.AccessKeys, key)
	}
	return u
}

// randomTime returns a whole-second time in [from, to).
func randomTime(rng *rand.Rand, from, to time.Time) time.Time {
	span := int64(to.Sub(from) / time.Second)
	if span <= 0 {
		return from
	}
	return from.Add(time.Duration(rng.Int64N(span)) * time.Second)
}

func ptr[T any](v T) *T { return &v }
