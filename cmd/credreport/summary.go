package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/credreport/credreport/internal/findings"
	"github.com/credreport/credreport/internal/report"
)

const summaryUsage = `Usage: credreport summary [flags] FILE

Prints the numbers a review starts from: RAM users, console users without
MFA, active AccessKeys older than -key-age, and the root account's keys
and MFA. Ages count from -at (default: now), so pass the report's
generated-at for figures that do not drift. FILE - reads standard input.

Examples:
  credreport summary report.csv
  credreport summary -key-age 2160h -at 2026-12-04T06:00:00Z report.csv
`

func runSummary(ctx context.Context, args []string, s streams) int {
	fs := newFlagSet("summary", summaryUsage, s.err)
	keyAge := fs.Duration("key-age", findings.DefaultKeyAge, "age at which an active AccessKey counts as old")
	at := fs.String("at", "", "evaluate ages at this RFC 3339 `time`; default: now")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return fail(s, "summary", &usageError{fmt.Sprintf("want exactly one FILE, got %d arguments (use - for standard input)", fs.NArg())})
	}
	when := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fail(s, "summary", &usageError{fmt.Sprintf("invalid -at %q: want an RFC 3339 time such as 2026-12-04T06:00:00Z", *at)})
		}
		when = t
	}
	data, err := readInput(fs.Arg(0), s.in)
	if err != nil {
		return fail(s, "summary", err)
	}
	if err := ctx.Err(); err != nil {
		return fail(s, "summary", err)
	}
	r, err := report.Parse(bytes.NewReader(data))
	if err != nil {
		return fail(s, "summary", fmt.Errorf("%s: %w", fs.Arg(0), err))
	}
	sum := findings.Summarize(r, when, *keyAge)
	days := int(keyAge.Hours() / 24)
	lines := [][2]string{
		{"RAM users", fmt.Sprint(sum.Users)},
		{"console users", fmt.Sprint(sum.ConsoleUsers)},
		{"console users without MFA", fmt.Sprint(len(sum.ConsoleUsersWithoutMFA))},
		{fmt.Sprintf("active keys older than %d days", days), fmt.Sprint(len(sum.OldActiveKeys))},
		{"root AccessKeys", fmt.Sprintf("%d (%d known active)", sum.RootKeys, sum.RootActiveKeys)},
		{"root MFA", sum.RootMFA.String()},
	}
	for _, l := range lines {
		fmt.Fprintf(s.out, "%-34s %s\n", l[0]+":", l[1])
	}
	for _, u := range sum.ConsoleUsersWithoutMFA {
		fmt.Fprintf(s.out, "  no MFA: %s\n", u)
	}
	for _, k := range sum.OldActiveKeys {
		fmt.Fprintf(s.out, "  old key: %s key %d, %d days\n", k.User, k.Slot, int(k.Age.Hours()/24))
	}
	return exitOK
}
