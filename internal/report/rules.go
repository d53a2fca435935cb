package report

import (
	"cmp"
	"slices"
	"time"
)

// User is the API view of one RAM user, as IMS (API version 2019-08-15)
// returns it.
type User struct {
	UPN        string
	CreateDate time.Time
	// LastLoginDate is the last console logon; the zero time means never.
	LastLoginDate time.Time
	// Profile is the login profile; nil means GetLoginProfile returned
	// EntityNotExist.User.LoginProfile.
	Profile *LoginProfile
	// MFABound is true when an MFA device, virtual or U2F, is bound.
	MFABound bool
	// AccessKeys may be in any order; UserRow sorts them.
	AccessKeys []AccessKey
}

// LoginProfile is a user's console login profile.
type LoginProfile struct {
	// Active is true for Status Active, false for Inactive.
	Active     bool
	CreateDate time.Time
	// UpdateDate is the zero time when the API returns it empty.
	UpdateDate time.Time
}

// AccessKey is one AccessKey of a user or of the root account.
type AccessKey struct {
	ID string
	// Active is true for Status Active, false for Inactive.
	Active     bool
	CreateDate time.Time
	// LastUsed is GetAccessKeyLastUsed's LastUsedDate; the zero time means
	// never used.
	LastUsed time.Time
}

// PasswordPolicy is the part of the account password policy that the report
// uses.
type PasswordPolicy struct {
	// MaxPasswordAge is in days; 0 means passwords never expire.
	MaxPasswordAge int
}

// passwordTrackingEnd is 2016-04-05T23:59:59Z in Unix seconds. RAM does not
// track password changes made on or before it, so such a change time is N/A.
const passwordTrackingEnd = 1459900799

// UserRow derives the row of one RAM user.
//
//   - user_last_logon is LastLoginDate, or - when it is zero.
//   - Without a profile, password_exist is FALSE and the other password
//     fields are N/A.
//   - password_last_changed is the profile's UpdateDate, or its CreateDate
//     when UpdateDate is zero. It is N/A when that time is on or before
//     2016-04-05T23:59:59Z, because RAM does not track older changes.
//   - password_next_rotation is - when MaxPasswordAge is 0 or less, N/A when
//     password_last_changed is N/A, else password_last_changed plus
//     MaxPasswordAge × 24 h.
//   - mfa_active is TRUE or FALSE from MFABound, with or without a profile.
//   - Keys fill the slots in order of CreateDate, ties by ID. A key's
//     last_used is - when LastUsed is zero.
//
// All times are converted to UTC and truncated to whole seconds. A zero
// CreateDate of the user or of a key, which the API never returns, becomes N/A
// instead of the year 1.
func UserRow(u User, policy PasswordPolicy) Row {
	row := Row{
		User:             u.UPN,
		UserCreationTime: timeOrNotApplicable(u.CreateDate),
		UserLastLogon:    timeOrNever(u.LastLoginDate),
		PasswordExist:    BoolFalse,
		PasswordActive:   BoolNotApplicable,
		MFAActive:        BoolOf(u.MFABound),
		AccessKeys:       keySlots(u.AccessKeys),
	}
	if u.Profile == nil {
		return row
	}

	row.PasswordExist = BoolTrue
	row.PasswordActive = BoolOf(u.Profile.Active)
	changed := u.Profile.UpdateDate
	if changed.IsZero() {
		changed = u.Profile.CreateDate
	}
	// An empty CreateDate too is no change time at all; it stays N/A.
	if !changed.IsZero() && changed.Unix() > passwordTrackingEnd {
		row.PasswordLastChanged = TimeAt(changed)
	}

	switch {
	case policy.MaxPasswordAge <= 0:
		row.PasswordNextRotation = TimeNever()
	case row.PasswordLastChanged.Kind() == KindTimestamp:
		next := row.PasswordLastChanged.unix() + int64(policy.MaxPasswordAge)*24*3600
		row.PasswordNextRotation = timeFromUnix(next)
	}
	return row
}

// RootRowFromNative returns the root row of a built report from the root row
// of Alibaba's own report: every field is copied, except that mfa_active
// comes from GetAccountMFAInfo, which is fresher. The user field is <root>
// and unknown-column values are dropped.
func RootRowFromNative(native Row, accountMFA bool) Row {
	row := native
	row.User = RootUser
	row.MFAActive = BoolOf(accountMFA)
	row.AccessKeys = slices.Clone(native.AccessKeys)
	row.Extra = nil
	return row
}

// PartialRootRow returns the root row of a built report when Alibaba's own
// report cannot be had and the caller is not the root. The creation, logon
// and password times are N/A. Slots 1 to rootKeyCount are TRUE,N/A,N/A,N/A,
// because only the number of root keys is known, from
// GetAccountSecurityPracticeReport's RootWithAccessKey. A negative count is
// taken as 0.
func PartialRootRow(accountMFA bool, rootKeyCount int) Row {
	row := rootRowWithoutNative(accountMFA)
	row.AccessKeys = make([]KeySlot, max(rootKeyCount, 0))
	for i := range row.AccessKeys {
		row.AccessKeys[i] = KeySlot{Exist: BoolTrue, Active: BoolNotApplicable}
	}
	return row
}

// RootRowFromKeys returns the root row of a built report when Alibaba's own
// report cannot be had and the caller is the root, so that ListAccessKeys
// without a user name lists the root's own keys. The creation, logon and
// password times are N/A; the key slots follow the rules of UserRow.
func RootRowFromKeys(accountMFA bool, keys []AccessKey) Row {
	row := rootRowWithoutNative(accountMFA)
	row.AccessKeys = keySlots(keys)
	return row
}

func rootRowWithoutNative(accountMFA bool) Row {
	return Row{
		User:                 RootUser,
		UserCreationTime:     TimeNotApplicable(),
		UserLastLogon:        TimeNotApplicable(),
		PasswordLastChanged:  TimeNotApplicable(),
		PasswordNextRotation: TimeNotApplicable(),
		PasswordExist:        BoolTrue,
		PasswordActive:       BoolNotApplicable,
		MFAActive:            BoolOf(accountMFA),
	}
}

// keySlots returns one filled slot per key, ordered by CreateDate (in whole
// seconds, as written) and then by ID. The keys slice is left unchanged.
func keySlots(keys []AccessKey) []KeySlot {
	if len(keys) == 0 {
		return nil
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ka, kb := &keys[a], &keys[b]
		if c := cmp.Compare(ka.CreateDate.Unix(), kb.CreateDate.Unix()); c != 0 {
			return c
		}
		return cmp.Compare(ka.ID, kb.ID)
	})

	slots := make([]KeySlot, len(keys))
	for i, k := range order {
		key := &keys[k]
		slots[i] = KeySlot{
			Exist:       BoolTrue,
			Active:      BoolOf(key.Active),
			LastRotated: timeOrNotApplicable(key.CreateDate),
			LastUsed:    timeOrNever(key.LastUsed),
		}
	}
	return slots
}

func timeOrNever(t time.Time) Time {
	if t.IsZero() {
		return TimeNever()
	}
	return TimeAt(t)
}

func timeOrNotApplicable(t time.Time) Time {
	if t.IsZero() {
		return TimeNotApplicable()
	}
	return TimeAt(t)
}
