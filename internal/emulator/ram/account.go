package ram

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/credreport/credreport/internal/fixture"
)

// passwordPolicyFields converts the fixture policy to the API document:
// MaxPasswordAge plus every other field with its snake_case name in PascalCase
// (max_login_attemps becomes MaxLoginAttemps).
func passwordPolicyFields(p fixture.PasswordPolicy) (map[string]any, error) {
	fields := map[string]any{"MaxPasswordAge": p.MaxPasswordAge}
	source := map[string]string{"MaxPasswordAge": "max_password_age"}
	for name, value := range p.Other {
		apiName := pascalCase(name)
		if apiName == "" {
			return nil, fmt.Errorf("password_policy: field %q has no usable name", name)
		}
		if other, dup := source[apiName]; dup {
			return nil, fmt.Errorf("password_policy: fields %q and %q are both served as %s: keep one", other, name, apiName)
		}
		source[apiName] = name
		fields[apiName] = value
	}
	return fields, nil
}

// pascalCase turns snake_case into PascalCase. A name without underscores
// only gets its first letter in upper case.
func pascalCase(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "_") {
		if part == "" {
			continue
		}
		r, size := utf8.DecodeRuneInString(part)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(part[size:])
	}
	return b.String()
}

// getPasswordPolicy serves GetPasswordPolicy.
func (s *Server) getPasswordPolicy(c *call) (any, *apiError) {
	type response struct {
		RequestId      string         `json:"RequestId"`
		PasswordPolicy map[string]any `json:"PasswordPolicy"`
	}
	return response{RequestId: c.requestID, PasswordPolicy: s.policy}, nil
}

// getAccountMFAInfo serves GetAccountMFAInfo: whether the root has MFA.
func (s *Server) getAccountMFAInfo(c *call) (any, *apiError) {
	type response struct {
		RequestId   string `json:"RequestId"`
		IsMFAEnable bool   `json:"IsMFAEnable"`
	}
	return response{RequestId: c.requestID, IsMFAEnable: s.account.Root.MFA}, nil
}

// staleKeyAge is the age after which GetAccountSecurityPracticeReport counts an
// AccessKey as old (by creation) or unused (by last use, or never used).
//
// NOTE: IMS documents neither these thresholds nor its Score formula nor its
// SubUserPwdLevel rule. The 90 days, the Score weights and the password level
// rule here are this emulator's own, while the counts of users and keys are exact.
const staleKeyAge = 90 * 24 * time.Hour

// practiceIndex holds what GetAccountSecurityPracticeReport needs, sorted so
// that the counts for any clock time take O(log n).
type practiceIndex struct {
	subUsers       int
	subUsersMFA    int
	userLastUse    []int64 // per user with keys: the earliest last use of any key, math.MinInt64 for a never-used key
	userOldestKey  []int64 // per user with keys: the earliest creation of any key
	rootKeys       []fixture.AccessKey
	rootMFA        bool
	passwordLevel  string
	passwordWeight int // Score points lost for the password level
}

func newPracticeIndex(a *fixture.Account) practiceIndex {
	p := practiceIndex{subUsers: len(a.Users), rootKeys: a.Root.AccessKeys, rootMFA: a.Root.MFA}
	for i := range a.Users {
		u := &a.Users[i]
		if u.MFA != nil {
			p.subUsersMFA++
		}
		if len(u.AccessKeys) == 0 {
			continue
		}
		lastUse, oldest := int64(math.MaxInt64), int64(math.MaxInt64)
		for _, k := range u.AccessKeys {
			use := int64(math.MinInt64)
			if k.LastUsed != nil {
				use = k.LastUsed.Unix()
			}
			lastUse = min(lastUse, use)
			oldest = min(oldest, k.Created.Unix())
		}
		p.userLastUse = append(p.userLastUse, lastUse)
		p.userOldestKey = append(p.userOldestKey, oldest)
	}
	sort.Slice(p.userLastUse, func(i, j int) bool { return p.userLastUse[i] < p.userLastUse[j] })
	sort.Slice(p.userOldestKey, func(i, j int) bool { return p.userOldestKey[i] < p.userOldestKey[j] })
	p.passwordLevel, p.passwordWeight = passwordLevel(a.PasswordPolicy)
	return p
}

// passwordLevel rates the policy low, mid or high: high needs a minimum length
// of 12 and three required character classes, mid a minimum length of 8.
func passwordLevel(p fixture.PasswordPolicy) (string, int) {
	length := 8 // RAM's default minimum length
	if n, ok := policyNumber(p.Other["minimum_password_length"]); ok {
		length = int(n)
	}
	classes := 0
	for _, name := range []string{"require_lowercase_characters", "require_uppercase_characters", "require_numbers", "require_symbols"} {
		if on, _ := p.Other[name].(bool); on {
			classes++
		}
	}
	switch {
	case length >= 12 && classes >= 3:
		return "high", 0
	case length >= 8:
		return "mid", 5
	default:
		return "low", 10
	}
}

func policyNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

// countBefore counts the values of a sorted slice below limit.
func countBefore(sorted []int64, limit int64) int {
	return sort.Search(len(sorted), func(i int) bool { return sorted[i] >= limit })
}

// practiceUserInfo is AccountSecurityPracticeUserInfo of GetAccountSecurityPracticeReport.
type practiceUserInfo struct {
	BindMfa                    bool   `json:"BindMfa"`
	RootWithAccessKey          int    `json:"RootWithAccessKey"`
	UnusedAkNum                int    `json:"UnusedAkNum"`
	OldAkNum                   int    `json:"OldAkNum"`
	SubUser                    int    `json:"SubUser"`
	SubUserBindMfa             int    `json:"SubUserBindMfa"`
	SubUserPwdLevel            string `json:"SubUserPwdLevel"`
	SubUserWithOldAccessKey    int    `json:"SubUserWithOldAccessKey"`
	SubUserWithUnusedAccessKey int    `json:"SubUserWithUnusedAccessKey"`
}

// getAccountSecurityPracticeReport serves GetAccountSecurityPracticeReport,
// computed from the fixture at the emulator clock.
func (s *Server) getAccountSecurityPracticeReport(c *call) (any, *apiError) {
	type practiceInfo struct {
		Score                           int              `json:"Score"`
		AccountSecurityPracticeUserInfo practiceUserInfo `json:"AccountSecurityPracticeUserInfo"`
	}
	type response struct {
		RequestId                   string       `json:"RequestId"`
		AccountSecurityPracticeInfo practiceInfo `json:"AccountSecurityPracticeInfo"`
	}

	p := &s.directory.practice
	cutoff := c.now.Add(-staleKeyAge).Unix()
	info := practiceUserInfo{
		BindMfa:                    p.rootMFA,
		RootWithAccessKey:          len(p.rootKeys),
		SubUser:                    p.subUsers,
		SubUserBindMfa:             p.subUsersMFA,
		SubUserPwdLevel:            p.passwordLevel,
		SubUserWithOldAccessKey:    countBefore(p.userOldestKey, cutoff),
		SubUserWithUnusedAccessKey: countBefore(p.userLastUse, cutoff),
	}
	// UnusedAkNum and OldAkNum count the root's own keys, and the SubUser* fields cover RAM users.
	for _, k := range p.rootKeys {
		if k.LastUsed == nil || k.LastUsed.Unix() < cutoff {
			info.UnusedAkNum++
		}
		if k.Created.Unix() < cutoff {
			info.OldAkNum++
		}
	}
	return response{RequestId: c.requestID, AccountSecurityPracticeInfo: practiceInfo{
		Score:                           practiceScore(info, p.passwordWeight),
		AccountSecurityPracticeUserInfo: info,
	}}, nil
}

// practiceScore starts from 100 and takes points off for each weak practice.
func practiceScore(info practiceUserInfo, passwordWeight int) int {
	score := 100.0
	if !info.BindMfa {
		score -= 20
	}
	if info.RootWithAccessKey > 0 {
		score -= 20
	}
	if n := float64(info.SubUser); n > 0 {
		score -= 20 * float64(info.SubUser-info.SubUserBindMfa) / n
		score -= 10 * float64(info.SubUserWithUnusedAccessKey) / n
		score -= 10 * float64(info.SubUserWithOldAccessKey) / n
	}
	score -= float64(passwordWeight)
	return max(0, int(math.Round(score)))
}
