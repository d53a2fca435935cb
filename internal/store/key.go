package store

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
)

// Layout of the keys under the store prefix:
//
//	<account-id>/reports/<generated-at>-<source>-<sha256[:12]>.csv  one report, never overwritten
//	<account-id>/latest.json                                         pointer to the latest report
//	<account-id>/locks/<20-digit sequence>.json                      single-flight lock objects
const (
	reportsDir  = "reports/"
	locksDir    = "locks/"
	pointerName = "latest.json"

	// keyTimeLayout is the generated-at time inside a report key: UTC, whole
	// seconds, no colons, so keys sort in time order.
	keyTimeLayout = "20060102T150405Z"

	// shortHashLen is how many hex digits of the SHA-256 a report key carries.
	shortHashLen = 12

	maxAccountIDLen = 64
)

var (
	accountIDPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	reportNamePattern = regexp.MustCompile(`^([0-9]{8}T[0-9]{6}Z)-([a-z]+)-([0-9a-f]{12})\.csv$`)
	lockNamePattern   = regexp.MustCompile(`^([0-9]{20})\.json$`)
)

// checkPrefix validates Options.Prefix.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	switch {
	case !strings.HasSuffix(prefix, "/"):
		return fmt.Errorf("invalid store prefix %q: it must be empty or end in \"/\", such as \"credreport/\"", prefix)
	case strings.HasPrefix(prefix, "/"), strings.HasPrefix(prefix, `\`):
		return fmt.Errorf("invalid store prefix %q: it must not start with a slash", prefix)
	case strings.Contains(prefix, "//"):
		return fmt.Errorf("invalid store prefix %q: it must not contain an empty path segment", prefix)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(prefix, "/"), "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("invalid store prefix %q: it must not contain a %q segment", prefix, seg)
		}
	}
	return nil
}

// checkAccountID validates an account ID used as a key segment.
func checkAccountID(accountID string) error {
	if accountID == "" {
		return kind.Errorf(kind.InvalidArgument, "missing account ID")
	}
	if len(accountID) > maxAccountIDLen || !accountIDPattern.MatchString(accountID) {
		return kind.Errorf(kind.InvalidArgument, "invalid account ID %q: use up to %d letters, digits, hyphens or underscores", accountID, maxAccountIDLen)
	}
	return nil
}

func (s *Store) accountDir(accountID string) string {
	return s.prefix + accountID + "/"
}

func (s *Store) reportsPrefix(accountID string) string {
	return s.accountDir(accountID) + reportsDir
}

func (s *Store) pointerKey(accountID string) string {
	return s.accountDir(accountID) + pointerName
}

func (s *Store) locksPrefix(accountID string) string {
	return s.accountDir(accountID) + locksDir
}

// reportKey returns the key of the report that meta describes. Two reports
// differ in key unless they have the same generated-at, source and content
// hash prefix, so a rerun never overwrites an earlier report.
func (s *Store) reportKey(meta report.Metadata) string {
	name := fmt.Sprintf("%s-%s-%s.csv",
		meta.GeneratedAt.UTC().Format(keyTimeLayout), meta.Source, meta.SHA256[:shortHashLen])
	return s.reportsPrefix(meta.AccountID) + name
}

// reportKeyParts are the fields encoded in a report key.
type reportKeyParts struct {
	AccountID   string
	GeneratedAt time.Time
	Source      string
	ShortHash   string
}

// parseReportKey splits a report key made by reportKey. It returns an
// InvalidArgument error for any other key, including keys of other
// prefixes, pointer and lock objects.
func (s *Store) parseReportKey(key string) (reportKeyParts, error) {
	invalid := func(reason string) error {
		return kind.Errorf(kind.InvalidArgument, "invalid report key %q: %s", key, reason)
	}

	rest, ok := strings.CutPrefix(key, s.prefix)
	if !ok {
		return reportKeyParts{}, invalid(fmt.Sprintf("it is outside the store prefix %q", s.prefix))
	}
	accountID, name, ok := strings.Cut(rest, "/"+reportsDir)
	if !ok || checkAccountID(accountID) != nil {
		return reportKeyParts{}, invalid("want <account-id>/reports/<name>.csv under the store prefix")
	}
	m := reportNamePattern.FindStringSubmatch(name)
	if m == nil {
		return reportKeyParts{}, invalid("want a name such as 20240102T150405Z-native-0123456789ab.csv")
	}
	at, err := time.Parse(keyTimeLayout, m[1])
	if err != nil {
		return reportKeyParts{}, invalid(fmt.Sprintf("invalid time %q", m[1]))
	}
	return reportKeyParts{AccountID: accountID, GeneratedAt: at, Source: m[2], ShortHash: m[3]}, nil
}

// lockKey returns the key of the lock object with sequence number seq.
func (s *Store) lockKey(accountID string, seq uint64) string {
	return s.locksPrefix(accountID) + fmt.Sprintf("%020d.json", seq)
}

// parseLockSeq returns the sequence number of a lock key, and false for a
// key that is not a lock object.
func parseLockSeq(prefix, key string) (uint64, bool) {
	m := lockNamePattern.FindStringSubmatch(strings.TrimPrefix(key, prefix))
	if m == nil || !strings.HasPrefix(key, prefix) {
		return 0, false
	}
	seq, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return seq, true
}
