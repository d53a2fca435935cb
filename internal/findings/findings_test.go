package findings

import (
	"strings"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/report"
)

const sample = `user,user_creation_time,user_last_logon,password_exist,password_active,password_last_changed,password_next_rotation,mfa_active,access_key_1_exist,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used,access_key_2_exist,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used,additional_access_key_1_exist,additional_access_key_1_active,additional_access_key_1_last_rotated,additional_access_key_1_last_used
<root>,N/A,N/A,TRUE,N/A,N/A,N/A,FALSE,TRUE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A,TRUE,TRUE,2020-01-01T00:00:00Z,-
alice@x.onaliyun.com,2020-01-01T00:00:00Z,-,TRUE,TRUE,N/A,N/A,FALSE,TRUE,TRUE,2026-11-01T00:00:00Z,-,TRUE,TRUE,2026-01-01T00:00:00Z,-,FALSE,N/A,N/A,N/A
bob@x.onaliyun.com,2020-01-01T00:00:00Z,-,TRUE,FALSE,N/A,N/A,FALSE,TRUE,FALSE,2020-01-01T00:00:00Z,-,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A
carol@x.onaliyun.com,2020-01-01T00:00:00Z,-,TRUE,TRUE,N/A,N/A,TRUE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A,TRUE,TRUE,2025-01-01T00:00:00Z,-
dave@x.onaliyun.com,2020-01-01T00:00:00Z,-,FALSE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A
`

func TestSummarize(t *testing.T) {
	r, err := report.Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	s := Summarize(r, at, 0)
	if s.Users != 4 {
		t.Errorf("Users = %d, want 4", s.Users)
	}
	if s.ConsoleUsers != 2 {
		t.Errorf("ConsoleUsers = %d, want 2 (bob's profile is inactive)", s.ConsoleUsers)
	}
	if got := strings.Join(s.ConsoleUsersWithoutMFA, ","); got != "alice@x.onaliyun.com" {
		t.Errorf("ConsoleUsersWithoutMFA = %q", got)
	}
	var old []string
	for _, k := range s.OldActiveKeys {
		old = append(old, k.User+"#"+string(rune('0'+k.Slot)))
	}
	if got := strings.Join(old, ","); got != "alice@x.onaliyun.com#2,carol@x.onaliyun.com#3" {
		t.Errorf("OldActiveKeys = %q", got)
	}
	if s.RootKeys != 2 || s.RootActiveKeys != 1 {
		t.Errorf("root keys = %d (active %d), want 2 (1)", s.RootKeys, s.RootActiveKeys)
	}
	if s.RootMFA != report.BoolFalse {
		t.Errorf("RootMFA = %v", s.RootMFA)
	}
}
