package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// rowText returns the fields of row as Write writes them, without the
// trailing empty slots.
func rowText(t *testing.T, row Row) string {
	t.Helper()
	l := canonicalLayout(max(row.KeyCount()-fixedKeySlots, 0))
	var buf bytes.Buffer
	if err := writeRows(&buf, &l, []Row{row}); err != nil {
		t.Fatal(err)
	}
	_, line, _ := strings.Cut(buf.String(), "\n")
	return strings.TrimSuffix(line, "\n")
}

func date(t testing.TB, s string) time.Time {
	t.Helper()
	return mustTime(t, s)
}

func TestUserRowPassword(t *testing.T) {
	created := date(t, "2015-01-01T00:00:00Z")
	tests := []struct {
		name    string
		profile *LoginProfile
		maxAge  int
		// want is password_exist through password_next_rotation.
		want string
	}{
		{"no profile", nil, 90, "FALSE,N/A,N/A,N/A"},
		{"no profile, never expires", nil, 0, "FALSE,N/A,N/A,N/A"},
		{"active", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2025-10-01T10:00:00Z")}, 90,
			"TRUE,TRUE,2025-10-01T10:00:00Z,2025-12-30T10:00:00Z"},
		{"inactive", &LoginProfile{Active: false, CreateDate: created, UpdateDate: date(t, "2024-06-01T12:00:00Z")}, 90,
			"TRUE,FALSE,2024-06-01T12:00:00Z,2024-08-30T12:00:00Z"},
		{"empty UpdateDate uses CreateDate", &LoginProfile{Active: true, CreateDate: date(t, "2021-03-04T05:10:00Z")}, 90,
			"TRUE,TRUE,2021-03-04T05:10:00Z,2021-06-02T05:10:00Z"},
		{"empty UpdateDate and CreateDate", &LoginProfile{Active: true}, 90, "TRUE,TRUE,N/A,N/A"},
		{"on tracking start", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2016-04-05T23:59:59Z")}, 90,
			"TRUE,TRUE,N/A,N/A"},
		{"on tracking start with fraction", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2016-04-05T23:59:59.9Z")}, 90,
			"TRUE,TRUE,N/A,N/A"},
		{"one second after tracking start", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2016-04-06T00:00:00Z")}, 90,
			"TRUE,TRUE,2016-04-06T00:00:00Z,2016-07-05T00:00:00Z"},
		{"before tracking start", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2016-03-01T00:00:00Z")}, 90,
			"TRUE,TRUE,N/A,N/A"},
		{"tracking start in +08:00", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2016-04-06T07:59:59+08:00")}, 90,
			"TRUE,TRUE,N/A,N/A"},
		{"never expires", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2016-04-06T00:00:00Z")}, 0,
			"TRUE,TRUE,2016-04-06T00:00:00Z,-"},
		{"never expires, change untracked", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2016-04-05T23:59:59Z")}, 0,
			"TRUE,TRUE,N/A,-"},
		{"negative age never expires", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2020-01-01T00:00:00Z")}, -1,
			"TRUE,TRUE,2020-01-01T00:00:00Z,-"},
		{"one day", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2020-02-28T12:00:00Z")}, 1,
			"TRUE,TRUE,2020-02-28T12:00:00Z,2020-02-29T12:00:00Z"},
		{"maximum age", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2020-01-01T00:00:00Z")}, 1095,
			"TRUE,TRUE,2020-01-01T00:00:00Z,2022-12-31T00:00:00Z"},
		{"offset and fraction", &LoginProfile{Active: true, CreateDate: created, UpdateDate: date(t, "2025-10-01T18:00:00.75+08:00")}, 90,
			"TRUE,TRUE,2025-10-01T10:00:00Z,2025-12-30T10:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := User{UPN: "u@example.onaliyun.com", CreateDate: created, Profile: tt.profile}
			fields := strings.Split(rowText(t, UserRow(u, PasswordPolicy{MaxPasswordAge: tt.maxAge})), ",")
			if got := strings.Join(fields[3:7], ","); got != tt.want {
				t.Errorf("password fields = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestUserRowUserFields(t *testing.T) {
	created := date(t, "2020-01-02T03:04:05Z")
	tests := []struct {
		name string
		user User
		// wantHead is user, user_creation_time and user_last_logon as written.
		wantHead string
		wantMFA  Bool
	}{
		{"never logged on", User{UPN: "a@x.onaliyun.com", CreateDate: created},
			"a@x.onaliyun.com,2020-01-02T03:04:05Z,-", BoolFalse},
		{"logged on, offset and fraction", User{UPN: "b@x.onaliyun.com", CreateDate: date(t, "2020-01-02T11:04:05+08:00"), LastLoginDate: date(t, "2026-11-20T09:00:00.123Z")},
			"b@x.onaliyun.com,2020-01-02T03:04:05Z,2026-11-20T09:00:00Z", BoolFalse},
		{"MFA without profile", User{UPN: "c@x.onaliyun.com", CreateDate: created, MFABound: true},
			"c@x.onaliyun.com,2020-01-02T03:04:05Z,-", BoolTrue},
		{"MFA with inactive profile", User{UPN: "d@x.onaliyun.com", CreateDate: created, MFABound: true, Profile: &LoginProfile{CreateDate: created}},
			"d@x.onaliyun.com,2020-01-02T03:04:05Z,-", BoolTrue},
		{"no MFA with active profile", User{UPN: "e@x.onaliyun.com", CreateDate: created, Profile: &LoginProfile{Active: true, CreateDate: created}},
			"e@x.onaliyun.com,2020-01-02T03:04:05Z,-", BoolFalse},
		{"zero creation date", User{UPN: "f@x.onaliyun.com"}, "f@x.onaliyun.com,N/A,-", BoolFalse},
		{"UPN needing quotes", User{UPN: `odd,"name"@x.onaliyun.com`, CreateDate: created},
			`"odd,""name""@x.onaliyun.com",2020-01-02T03:04:05Z,-`, BoolFalse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := UserRow(tt.user, PasswordPolicy{MaxPasswordAge: 90})
			if row.User != tt.user.UPN {
				t.Errorf("User = %q, want %q", row.User, tt.user.UPN)
			}
			if text := rowText(t, row); !strings.HasPrefix(text, tt.wantHead+",") {
				t.Errorf("row = %s, want it to start with %s", text, tt.wantHead)
			}
			if row.MFAActive != tt.wantMFA {
				t.Errorf("mfa_active = %v, want %v", row.MFAActive, tt.wantMFA)
			}
		})
	}
}

func TestUserRowKeys(t *testing.T) {
	k := func(id, created, lastUsed string, active bool) AccessKey {
		key := AccessKey{ID: id, Active: active, CreateDate: date(t, created)}
		if lastUsed != "" {
			key.LastUsed = date(t, lastUsed)
		}
		return key
	}
	tests := []struct {
		name       string
		keys       []AccessKey
		wantSlots  string // the slot fields, empty slots included up to two
		wantBlocks int
	}{
		{"no keys", nil, "FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A", 0},
		{"one key, never used", []AccessKey{k("K1", "2024-01-01T00:00:00Z", "", true)},
			"TRUE,TRUE,2024-01-01T00:00:00Z,-,FALSE,N/A,N/A,N/A", 0},
		{"two keys out of order", []AccessKey{
			k("K2", "2023-05-06T07:08:09Z", "2026-12-03T22:10:00Z", true),
			k("K1", "2021-02-03T04:05:06Z", "", false)},
			"TRUE,FALSE,2021-02-03T04:05:06Z,-,TRUE,TRUE,2023-05-06T07:08:09Z,2026-12-03T22:10:00Z", 0},
		{"tie broken by ID", []AccessKey{
			k("LTAI-B", "2024-01-01T00:00:00Z", "", true),
			k("LTAI-A", "2024-01-01T00:00:00Z", "", false)},
			"TRUE,FALSE,2024-01-01T00:00:00Z,-,TRUE,TRUE,2024-01-01T00:00:00Z,-", 0},
		{"tie within the same second", []AccessKey{
			k("LTAI-B", "2024-01-01T00:00:00.1Z", "", true),
			k("LTAI-A", "2024-01-01T00:00:00.9Z", "", false)},
			"TRUE,FALSE,2024-01-01T00:00:00Z,-,TRUE,TRUE,2024-01-01T00:00:00Z,-", 0},
		{"tie across offsets", []AccessKey{
			k("LTAI-B", "2024-01-01T08:00:00+08:00", "", true),
			k("LTAI-A", "2024-01-01T00:00:00Z", "", false)},
			"TRUE,FALSE,2024-01-01T00:00:00Z,-,TRUE,TRUE,2024-01-01T00:00:00Z,-", 0},
		{"four keys", []AccessKey{
			k("K4", "2015-01-01T00:00:00Z", "2026-11-30T00:00:00Z", true),
			k("K2", "2014-06-01T00:00:00Z", "", true),
			k("K3", "2014-06-01T00:00:00Z", "2015-02-02T02:02:02Z", false),
			k("K1", "2014-05-06T00:00:00Z", "2014-12-12T12:12:12Z", false)},
			"TRUE,FALSE,2014-05-06T00:00:00Z,2014-12-12T12:12:12Z,TRUE,TRUE,2014-06-01T00:00:00Z,-," +
				"TRUE,FALSE,2014-06-01T00:00:00Z,2015-02-02T02:02:02Z,TRUE,TRUE,2015-01-01T00:00:00Z,2026-11-30T00:00:00Z", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := append([]AccessKey(nil), tt.keys...)
			row := UserRow(User{UPN: "u@x.onaliyun.com", CreateDate: date(t, "2014-01-01T00:00:00Z"), AccessKeys: keys}, PasswordPolicy{})
			fields := strings.Split(rowText(t, row), ",")
			if got := strings.Join(fields[8:], ","); got != tt.wantSlots {
				t.Errorf("slots = %s\nwant    %s", got, tt.wantSlots)
			}
			if row.KeyCount() != len(tt.keys) {
				t.Errorf("KeyCount() = %d, want %d", row.KeyCount(), len(tt.keys))
			}
			for i := range keys {
				if keys[i] != tt.keys[i] {
					t.Errorf("UserRow reordered the caller's keys")
					break
				}
			}

			var buf bytes.Buffer
			if err := Write(&buf, []Row{PartialRootRow(false, 0), row}); err != nil {
				t.Fatal(err)
			}
			header, _, _ := strings.Cut(buf.String(), "\n")
			if got, want := len(strings.Split(header, ",")), 16+4*tt.wantBlocks; got != want {
				t.Errorf("header has %d columns, want %d", got, want)
			}
		})
	}
}

func TestRootRows(t *testing.T) {
	native := Row{
		User:                 RootUser,
		UserCreationTime:     TimeAt(date(t, "2017-02-03T04:05:06Z")),
		UserLastLogon:        TimeAt(date(t, "2026-11-30T01:02:03Z")),
		PasswordExist:        BoolTrue,
		PasswordActive:       BoolNotApplicable,
		PasswordLastChanged:  TimeAt(date(t, "2025-06-01T08:00:00Z")),
		PasswordNextRotation: TimeNotApplicable(),
		MFAActive:            BoolFalse,
		AccessKeys:           []KeySlot{{Exist: BoolTrue, Active: BoolTrue, LastRotated: TimeAt(date(t, "2018-01-01T00:00:00Z")), LastUsed: TimeNever()}},
		Extra:                []string{"kept only in the native report"},
	}
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"from native, MFA fresher", RootRowFromNative(native, true),
			"<root>,2017-02-03T04:05:06Z,2026-11-30T01:02:03Z,TRUE,N/A,2025-06-01T08:00:00Z,N/A,TRUE,TRUE,TRUE,2018-01-01T00:00:00Z,-,FALSE,N/A,N/A,N/A"},
		{"partial, no keys", PartialRootRow(false, 0),
			"<root>,N/A,N/A,TRUE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A"},
		{"partial, one key", PartialRootRow(true, 1),
			"<root>,N/A,N/A,TRUE,N/A,N/A,N/A,TRUE,TRUE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A"},
		{"partial, three keys", PartialRootRow(true, 3),
			"<root>,N/A,N/A,TRUE,N/A,N/A,N/A,TRUE,TRUE,N/A,N/A,N/A,TRUE,N/A,N/A,N/A,TRUE,N/A,N/A,N/A"},
		{"partial, negative count", PartialRootRow(false, -2),
			"<root>,N/A,N/A,TRUE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A"},
		{"from own keys", RootRowFromKeys(true, []AccessKey{
			{ID: "R2", Active: true, CreateDate: date(t, "2019-01-01T00:00:00Z"), LastUsed: date(t, "2026-12-01T00:00:00+08:00")},
			{ID: "R1", Active: false, CreateDate: date(t, "2017-03-01T00:00:00Z")}}),
			"<root>,N/A,N/A,TRUE,N/A,N/A,N/A,TRUE,TRUE,FALSE,2017-03-01T00:00:00Z,-,TRUE,TRUE,2019-01-01T00:00:00Z,2026-11-30T16:00:00Z"},
		{"from no own keys", RootRowFromKeys(false, nil),
			"<root>,N/A,N/A,TRUE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.row.IsRoot() {
				t.Errorf("IsRoot() = false for user %q", tt.row.User)
			}
			if got := rowText(t, tt.row); got != tt.want {
				t.Errorf("row = %s\nwant  %s", got, tt.want)
			}
		})
	}

	copied := RootRowFromNative(native, true)
	if copied.Extra != nil {
		t.Errorf("RootRowFromNative kept Extra %v, want nil", copied.Extra)
	}
	copied.AccessKeys[0].Active = BoolFalse
	if native.AccessKeys[0].Active != BoolTrue {
		t.Errorf("RootRowFromNative shares its key slots with the native row")
	}
}

func TestPasswordTrackingEnd(t *testing.T) {
	want := time.Date(2016, 4, 5, 23, 59, 59, 0, time.UTC).Unix()
	if passwordTrackingEnd != want {
		t.Errorf("passwordTrackingEnd = %d, want %d (2016-04-05T23:59:59Z)", passwordTrackingEnd, want)
	}
}
