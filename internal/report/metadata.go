package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Source is where a report's rows came from.
type Source string

const (
	// SourceNative is Alibaba's own report (IMS GetCredentialReport), stored unchanged.
	SourceNative Source = "native"
	// SourceBuild is a report built by this project from RAM/IMS API calls.
	SourceBuild Source = "build"
)

// Values of Metadata.RootRow.
const (
	RootRowNative  = "native"  // copied from Alibaba's report
	RootRowPartial = "partial" // creation, logon and password times unknown; key states unknown
)

// Values of Metadata.PasswordLastChanged.
const (
	PasswordLastChangedNative            = "native"
	PasswordLastChangedProfileUpdateDate = "profile-update-date"
)

// TimeLayout is the timestamp layout of every time field in a report and in
// its metadata: UTC, whole seconds.
const TimeLayout = "2006-01-02T15:04:05Z"

// Metadata describes one stored report. It travels as OSS user metadata
// (x-oss-meta-<name>) and in the JSON responses of the HTTP API.
type Metadata struct {
	// GeneratedAt is when the account was read: the native report's
	// GeneratedTime, or the start of a build. Freshness counts from it.
	GeneratedAt time.Time
	Source      Source
	AccountID   string
	// UserCount is the number of RAM user rows; the root row is not counted.
	UserCount int
	// SHA256 is the lowercase hex SHA-256 of the CSV bytes.
	SHA256              string
	RootRow             string
	PasswordLastChanged string
	// VanishedUsers counts users left out because they were deleted during the build.
	VanishedUsers int
	// Generator is the project's name and version, such as "credreport/1.0.0".
	Generator  string
	DurationMS int64
	APICalls   int
	// FallbackReason is why an "auto" generation built the report instead of
	// using the native one; empty otherwise.
	FallbackReason string
}

// Metadata keys, as they appear after the x-oss-meta- prefix.
const (
	metaGeneratedAt         = "generated-at"
	metaSource              = "source"
	metaAccountID           = "account-id"
	metaUserCount           = "user-count"
	metaSHA256              = "sha256"
	metaRootRow             = "root-row"
	metaPasswordLastChanged = "password-last-changed"
	metaVanishedUsers       = "vanished-users"
	metaGenerator           = "generator"
	metaDurationMS          = "duration-ms"
	metaAPICalls            = "api-calls"
	metaFallbackReason      = "fallback-reason"
)

// Map returns the metadata as key/value pairs named as in OSS user metadata,
// without the x-oss-meta- prefix. FallbackReason is left out when empty.
func (m Metadata) Map() map[string]string {
	out := map[string]string{
		metaGeneratedAt:         m.GeneratedAt.UTC().Format(TimeLayout),
		metaSource:              string(m.Source),
		metaAccountID:           m.AccountID,
		metaUserCount:           strconv.Itoa(m.UserCount),
		metaSHA256:              m.SHA256,
		metaRootRow:             m.RootRow,
		metaPasswordLastChanged: m.PasswordLastChanged,
		metaVanishedUsers:       strconv.Itoa(m.VanishedUsers),
		metaGenerator:           m.Generator,
		metaDurationMS:          strconv.FormatInt(m.DurationMS, 10),
		metaAPICalls:            strconv.Itoa(m.APICalls),
	}
	if m.FallbackReason != "" {
		out[metaFallbackReason] = m.FallbackReason
	}
	return out
}

// ParseMetadata reads metadata written by Map. Keys are matched without
// regard to case, because HTTP canonicalises header names. Unknown keys are
// ignored; a missing or invalid required key is an error naming it.
func ParseMetadata(values map[string]string) (Metadata, error) {
	get := func(key string) string {
		for k, v := range values {
			if strings.EqualFold(k, key) {
				return v
			}
		}
		return ""
	}
	var m Metadata
	var errs []error
	at, err := time.Parse(time.RFC3339, get(metaGeneratedAt))
	if err != nil {
		errs = append(errs, fmt.Errorf("metadata %s: invalid timestamp %q", metaGeneratedAt, get(metaGeneratedAt)))
	}
	m.GeneratedAt = at.UTC()
	m.Source = Source(get(metaSource))
	if m.Source != SourceNative && m.Source != SourceBuild {
		errs = append(errs, fmt.Errorf("metadata %s: invalid value %q: want %q or %q", metaSource, m.Source, SourceNative, SourceBuild))
	}
	m.AccountID = get(metaAccountID)
	if m.AccountID == "" {
		errs = append(errs, fmt.Errorf("metadata %s: missing", metaAccountID))
	}
	m.SHA256 = strings.ToLower(get(metaSHA256))
	if len(m.SHA256) != 64 {
		errs = append(errs, fmt.Errorf("metadata %s: invalid value %q: want 64 hex digits", metaSHA256, m.SHA256))
	}
	m.RootRow = get(metaRootRow)
	m.PasswordLastChanged = get(metaPasswordLastChanged)
	m.Generator = get(metaGenerator)
	m.FallbackReason = get(metaFallbackReason)
	ints := []struct {
		key string
		dst *int
	}{{metaUserCount, &m.UserCount}, {metaVanishedUsers, &m.VanishedUsers}, {metaAPICalls, &m.APICalls}}
	for _, f := range ints {
		s := get(f.key)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("metadata %s: invalid value %q: want a whole number", f.key, s))
		}
		*f.dst = n
	}
	if s := get(metaDurationMS); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("metadata %s: invalid value %q: want a whole number", metaDurationMS, s))
		}
		m.DurationMS = n
	}
	return m, errors.Join(errs...)
}
