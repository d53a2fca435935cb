// Package findings summarises a credential report into the numbers a
// security review starts from: console users without MFA, old active
// AccessKeys and root AccessKeys. Every rule is evaluated per principal or
// per key, and the root row is kept apart from RAM users.
package findings

import (
	"time"

	"github.com/credreport/credreport/internal/report"
)

// DefaultKeyAge is the age at which an active AccessKey counts as old: the
// CIS Alibaba Cloud benchmark requires rotation every 90 days.
const DefaultKeyAge = 90 * 24 * time.Hour

// Summary counts what a report shows.
type Summary struct {
	Users int
	// ConsoleUsers have a login profile that is not disabled.
	ConsoleUsers int
	// ConsoleUsersWithoutMFA are console users with no MFA device bound.
	ConsoleUsersWithoutMFA []string
	// OldActiveKeys are active AccessKeys of RAM users created more than
	// KeyAge before the report was generated, as "user key N".
	OldActiveKeys []KeyRef
	// RootKeys counts the root account's AccessKeys; RootActiveKeys those
	// known to be active (a partial root row shows only that keys exist).
	RootKeys       int
	RootActiveKeys int
	RootMFA        report.Bool
}

// KeyRef names one AccessKey slot of a user.
type KeyRef struct {
	User string
	Slot int // 1-based slot number in the report
	Age  time.Duration
}

// Summarize evaluates the report as of generatedAt, the report's
// generated-at time, so that ages do not drift with the time of reading.
func Summarize(r *report.Report, generatedAt time.Time, keyAge time.Duration) Summary {
	if keyAge <= 0 {
		keyAge = DefaultKeyAge
	}
	var s Summary
	if root := r.Root(); root != nil {
		s.RootMFA = root.MFAActive
		for _, k := range root.AccessKeys {
			if k.Exist == report.BoolTrue {
				s.RootKeys++
			}
			if k.Active == report.BoolTrue {
				s.RootActiveKeys++
			}
		}
	}
	for _, u := range r.Users() {
		s.Users++
		if u.PasswordExist == report.BoolTrue && u.PasswordActive != report.BoolFalse && u.PasswordActive != report.BoolLoginDisabled {
			s.ConsoleUsers++
			if u.MFAActive != report.BoolTrue {
				s.ConsoleUsersWithoutMFA = append(s.ConsoleUsersWithoutMFA, u.User)
			}
		}
		for i, k := range u.AccessKeys {
			if k.Active != report.BoolTrue {
				continue
			}
			rotated, ok := k.LastRotated.Time()
			if !ok {
				continue
			}
			if age := generatedAt.Sub(rotated); age > keyAge {
				s.OldActiveKeys = append(s.OldActiveKeys, KeyRef{User: u.User, Slot: i + 1, Age: age})
			}
		}
	}
	return s
}
