package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureDir returns the folder of one acceptance fixture: from
// ../shared/fixtures beside the repository when it exists, else from the
// copy under testdata.
func fixtureDir(t *testing.T, name string) string {
	t.Helper()
	for _, root := range []string{"../../../shared/fixtures", "../../testdata/fixtures"} {
		dir := filepath.Join(root, name)
		if _, err := os.Stat(filepath.Join(dir, "account.json")); err == nil {
			return dir
		}
	}
	t.Fatalf("acceptance fixture %s not found", name)
	return ""
}

func readFixture(t *testing.T, name, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir(t, name), file))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const header = "user,user_creation_time,user_last_logon,password_exist,password_active,password_last_changed,password_next_rotation,mfa_active," +
	"access_key_1_exist,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used," +
	"access_key_2_exist,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used\n"

const rootRow = "<root>,2017-02-03T04:05:06Z,2026-11-30T01:02:03Z,TRUE,N/A,2025-06-01T08:00:00Z,N/A,TRUE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n"

func userRow(fields string) string { return "alice@example.onaliyun.com," + fields + "\n" }

const goodUserFields = "2019-11-11T12:33:18Z,-,FALSE,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A"

func response(generated, content, truncated string) string {
	return `{"RequestId":"R","GeneratedTime":"` + generated + `","Content":"` + content + `","IsTruncated":"` + truncated + `","NextToken":""}`
}

func TestValidateCommand(t *testing.T) {
	native := readFixture(t, "basic", "native.csv")
	extraKeys := readFixture(t, "extra-keys", "native.csv")
	lines := strings.SplitAfter(native, "\n")
	firstPage, secondPage := strings.Join(lines[:4], ""), strings.Join(lines[4:], "")

	tests := []struct {
		name     string
		file     string // the file's content; "" with stdin uses -
		stdin    string
		wantCode int
		// wantStdout lists lines of standard output; FILE stands for the
		// file name.
		wantStdout []string
		wantStderr string
	}{
		{name: "valid fixture", file: native, wantCode: exitOK, wantStdout: []string{"valid: 7 users, 0 additional key blocks"}},
		{name: "valid fixture with extra keys", file: extraKeys, wantCode: exitOK, wantStdout: []string{"valid: 2 users, 2 additional key blocks"}},
		{name: "standard input", stdin: native, wantCode: exitOK, wantStdout: []string{"valid: 7 users, 0 additional key blocks"}},
		{name: "accepted words", file: header +
			"<root>,N/A,no_information,TRUE,not_supported,2025-06-01T08:00:00+00:00,N/A,true,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n" +
			userRow("2019-11-11T12:33:18+08:00,LOGIN_DISABLED,LOGIN_DISABLED,LOGIN_DISABLED,LOGIN_DISABLED,LOGIN_DISABLED,LOGIN_DISABLED,false,N/A,N/A,N/A,FALSE,N/A,N/A,N/A"),
			wantCode: exitOK, wantStdout: []string{"valid: 1 users, 0 additional key blocks"}},
		{name: "invalid month", file: header + rootRow + userRow(strings.Replace(goodUserFields, "2019-11-11T12:33:18Z", "2019-13-45T00:00:00Z", 1)),
			wantCode: exitFail, wantStdout: []string{`FILE:3: column user_creation_time: invalid value "2019-13-45T00:00:00Z": month out of range; want an RFC 3339 timestamp such as 2024-01-02T03:04:05Z, or -, N/A or LOGIN_DISABLED`}},
		{name: "boolean YES", file: header + rootRow + userRow(strings.Replace(goodUserFields, ",-,FALSE,", ",-,YES,", 1)),
			wantCode: exitFail, wantStdout: []string{`FILE:3: column password_exist: invalid value "YES": want TRUE, FALSE, N/A or LOGIN_DISABLED`}},
		{name: "missing mfa_active", file: strings.Replace(header, ",mfa_active", "", 1) + strings.Replace(rootRow, "N/A,TRUE,FALSE", "N/A,FALSE", 1),
			wantCode: exitFail, wantStdout: []string{"FILE:1: column mfa_active: missing from the header"}},
		{name: "all problems listed", file: header + "alice@example.onaliyun.com,x,-,YES,N/A,N/A,N/A,FALSE,FALSE,N/A,N/A,N/A,FALSE,N/A,N/A,N/A\n" + rootRow,
			wantCode: exitFail, wantStdout: []string{
				`FILE:2: column user_creation_time: invalid value "x": want an RFC 3339 timestamp such as 2024-01-02T03:04:05Z, or -, N/A or LOGIN_DISABLED`,
				`FILE:2: column password_exist: invalid value "YES": want TRUE, FALSE, N/A or LOGIN_DISABLED`,
				`FILE:2: column user: invalid value "alice@example.onaliyun.com": the first data row must be the root row <root>`,
				`FILE:3: column user: invalid value "<root>": a root row must be the first data row, and there must be only one`,
			}},
		{name: "empty file", file: "\n", wantCode: exitFail, wantStdout: []string{"FILE:1: empty input: want a header line starting with user,user_creation_time"}},
		{name: "JSON response", file: response("2026-12-04T06:00:00Z", b64(native), "false"),
			wantCode: exitOK, wantStdout: []string{"valid: 7 users, 0 additional key blocks"}},
		{name: "JSON pages", file: "[\n" + response("2026-12-04T06:00:00Z", b64(firstPage), "true") + ",\n" + response("2026-12-04T06:00:00Z", b64(secondPage), "false") + "\n]\n",
			wantCode: exitOK, wantStdout: []string{"valid: 7 users, 0 additional key blocks"}},
		{name: "JSON with non-Base64 Content", file: response("2026-12-04T06:00:00Z", "user,user_creation_time", "false"),
			wantCode: exitFail, wantStdout: []string{"FILE: join report pages: page 1 of 1: Content is not valid standard Base64: illegal base64 data at input byte 4"}},
		{name: "JSON pages with different GeneratedTime", file: "[" + response("2026-12-04T06:00:00Z", b64(firstPage), "true") + "," + response("2026-12-04T10:00:00Z", b64(secondPage), "false") + "]",
			wantCode: exitFail, wantStdout: []string{`FILE: join report pages: page 2 of 2 has GeneratedTime "2026-12-04T10:00:00Z", page 1 has "2026-12-04T06:00:00Z": the report was regenerated while it was read; read all pages again`}},
		{name: "JSON with an invalid CSV", file: response("2026-12-04T06:00:00Z", b64(header+rootRow+userRow(strings.Replace(goodUserFields, ",-,FALSE,", ",-,YES,", 1))), "false"),
			wantCode: exitFail, wantStdout: []string{`FILE:3: column password_exist: invalid value "YES": want TRUE, FALSE, N/A or LOGIN_DISABLED`}},
		{name: "JSON error response", file: `{"Code":"Expired.CredentialReport","Message":"The credential report has been expired."}`,
			wantCode: exitFail, wantStdout: []string{`FILE: read GetCredentialReport response: error response: Code "Expired.CredentialReport", Message "The credential report has been expired."`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := "-"
			if tt.file != "" {
				file = writeTemp(t, "report", tt.file)
			}
			got := runCommand(t, tt.stdin, "validate", file)
			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout %s\nstderr %s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			display := file
			if file == "-" {
				display = "<stdin>"
			}
			want := strings.ReplaceAll(strings.Join(tt.wantStdout, "\n")+"\n", "FILE", display)
			if got.stdout != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got.stdout, want)
			}
			if got.stderr != "" {
				t.Errorf("stderr = %q, want nothing", got.stderr)
			}
		})
	}
}

func TestValidateCommandErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.csv")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no file", []string{"validate"}, exitUsage, "want exactly one FILE, got 0 arguments"},
		{"two files", []string{"validate", "a.csv", "b.csv"}, exitUsage, "want exactly one FILE, got 2 arguments"},
		{"missing file", []string{"validate", missing}, exitFail, "credreport validate: read report: open " + missing + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCommand(t, "", tt.args...)
			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", got.code, tt.wantCode)
			}
			if !strings.Contains(got.stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tt.wantStderr)
			}
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
		})
	}
}

func TestValidateCommandCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr strings.Builder
	code := run(ctx, []string{"validate", "-"}, strings.NewReader(header+rootRow), &stdout, &stderr)
	if code != exitFail || !strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("exit code = %d, stderr %q; want 1 and the cancellation", code, stderr.String())
	}
}
