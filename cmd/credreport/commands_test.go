package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runResult is the outcome of one in-process run.
type runResult struct {
	code   int
	stdout string
	stderr string
}

func runCommand(t *testing.T, stdin string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no arguments", nil, exitUsage, "", "Commands:\n"},
		{"help", []string{"help"}, exitOK, "Commands:\n", ""},
		{"-h", []string{"-h"}, exitOK, "Commands:\n", ""},
		{"help for a command", []string{"help", "validate"}, exitOK, "Usage: credreport validate FILE", ""},
		{"help for an unknown command", []string{"help", "frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", "credreport: unknown command \"frobnicate\"\n\nUsage: credreport <command>"},
		{"command -h", []string{"validate", "-h"}, exitOK, "", "Examples:\n  credreport validate report.csv"},
		{"invalid flag", []string{"validate", "-bogus", "x.csv"}, exitUsage, "", "flag provided but not defined: -bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCommand(t, "", tt.args...)
			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", got.code, tt.wantCode, got.stderr)
			}
			if !strings.Contains(got.stdout, tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", got.stdout, tt.wantStdout)
			}
			if !strings.Contains(got.stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tt.wantStderr)
			}
			if tt.wantStdout == "" && got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
		})
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	got := runCommand(t, "", "help")
	for _, c := range commands() {
		if !strings.Contains(got.stdout, "\n  "+c.name+" ") || !strings.Contains(got.stdout, c.summary+"\n") {
			t.Errorf("help output lacks %s and its summary:\n%s", c.name, got.stdout)
		}
	}
	unknown := runCommand(t, "", "frobnicate")
	if !strings.Contains(unknown.stderr, got.stdout) {
		t.Errorf("unknown command stderr = %q, want the command list", unknown.stderr)
	}
}

func TestEveryCommandHasUsage(t *testing.T) {
	for _, c := range commands() {
		got := runCommand(t, "", "help", c.name)
		if got.code != exitOK || !strings.Contains(got.stdout, "Usage: credreport "+c.name) || !strings.Contains(got.stdout, "Examples:") {
			t.Errorf("help %s: exit %d, stdout %q; want usage with examples", c.name, got.code, got.stdout)
		}
	}
}
