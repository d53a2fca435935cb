// Package report implements the RAM user credential report: its typed model,
// the rules that derive a row from RAM/IMS API data, and a writer for the
// CSV format. Its reader reads the project's reports and Alibaba Cloud's
// own, including GetCredentialReport responses, which carry the CSV in
// Base64 over one or more pages.
//
// The format: UTF-8 without a byte-order mark, LF line endings, a newline
// after the last row, encoding/csv quoting. The header has 16 fixed columns,
// then one block of four additional_access_key_N_* columns for each key
// beyond the second that some principal holds. The first data row is the
// root account (<root>); one row per RAM user follows. Fields contain TRUE,
// FALSE, N/A (not applicable), - (never) or a timestamp in UTC and whole
// seconds (2006-01-02T15:04:05Z).
package report

// RootUser is the user field of the root account's row.
const RootUser = "<root>"

// awsRootUser is the user field of the root row in AWS IAM reports.
const awsRootUser = "<root_account>"

// KeySlot is one AccessKey slot of a row. A slot without a key is
// EmptyKeySlot, written FALSE,N/A,N/A,N/A; the zero value is N/A in all four
// fields.
type KeySlot struct {
	LastRotated Time // the key's CreateDate
	LastUsed    Time // the key's last use; never when unused
	Exist       Bool
	Active      Bool
}

// EmptyKeySlot returns the slot of a key that does not exist:
// FALSE,N/A,N/A,N/A.
func EmptyKeySlot() KeySlot { return KeySlot{Exist: BoolFalse} }

// IsEmpty reports whether s is the empty slot FALSE,N/A,N/A,N/A.
func (s KeySlot) IsEmpty() bool { return s == EmptyKeySlot() }

// Row contains the credentials of one principal: the root account or a RAM
// user. Rows hold no per-field strings, so that a report of 50,000 users fits
// in memory comfortably.
type Row struct {
	// User is the UPN of a RAM user, or RootUser.
	User                 string
	UserCreationTime     Time
	UserLastLogon        Time
	PasswordLastChanged  Time
	PasswordNextRotation Time
	PasswordExist        Bool
	PasswordActive       Bool
	MFAActive            Bool
	// AccessKeys are the key slots in column order: access_key_1,
	// access_key_2, then additional_access_key_1 onward. Write takes missing
	// trailing slots as empty; a parsed row has one slot per block of its
	// header.
	AccessKeys []KeySlot
	// Extra contains the values of the report's unknown columns, in the order
	// of Report.ExtraColumns. Only Parse sets it, and Write ignores it.
	Extra []string
}

// IsRoot reports whether r is the root account's row: its user is <root>, or
// <root_account> as in AWS IAM reports.
func (r *Row) IsRoot() bool {
	return r.User == RootUser || r.User == awsRootUser
}

// KeyCount returns the number of key slots up to the last slot that is not
// empty. It is the number of AccessKeys of a built row.
func (r *Row) KeyCount() int {
	n := len(r.AccessKeys)
	for n > 0 && r.AccessKeys[n-1].IsEmpty() {
		n--
	}
	return n
}
