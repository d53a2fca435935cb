package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/credreport/credreport/internal/ram"
	"github.com/credreport/credreport/internal/reportsvc"
	"github.com/credreport/credreport/internal/store"
)

const publishUsage = `Usage: credreport publish [flags]

Generates the account's credential report and stores it, unless the latest
stored report is younger than -max-age (four hours by default, counted from
when its data was read). Each report is kept at its own key and never
overwritten; the latest pointer moves only after the report is complete.
Only one generation per account runs at a time, across machines: when
another one holds the account's lock, publish says so and exits 75.

Prints the stored report's key and metadata as JSON on standard output.

Examples:
  credreport publish -bucket my-reports
  credreport publish -bucket my-reports -force
  credreport publish -dir ./reports
`

func runPublish(ctx context.Context, args []string, s streams) int {
	fs := newFlagSet("publish", publishUsage, s.err)
	var cloud cloudFlags
	var st storeFlags
	cloud.register(fs)
	st.register(fs, true)
	source := fs.String("source", envOr("CREDREPORT_SOURCE", string(ram.SourceAuto)), "auto, native or build (env CREDREPORT_SOURCE)")
	maxAge := fs.Duration("max-age", reportsvc.DefaultMaxAge, "regenerate when the latest report is this old")
	force := fs.Bool("force", false, "generate even when the latest report is young enough (the lock still applies)")
	timeout := fs.Duration("timeout", 2*time.Hour, "give up after this long")
	quiet := fs.Bool("quiet", false, "print no progress")
	nativeWait := fs.Duration("native-wait", ram.DefaultNativeWait, "how long Alibaba may take to generate its report")
	lockTTL := fs.Duration("lock-ttl", store.DefaultLockTTL, "how long the generation lock holds if this process dies; keep it above the generation time")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(s, "publish", &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))})
	}
	src, err := ram.ParseSource(*source)
	if err != nil {
		return fail(s, "publish", &usageError{err.Error()})
	}
	if *maxAge <= 0 {
		return fail(s, "publish", &usageError{fmt.Sprintf("invalid -max-age %s: want a positive duration such as 4h", *maxAge)})
	}

	creds, err := cloud.credentials()
	if err != nil {
		return fail(s, "publish", err)
	}
	client, err := cloud.ramClient(creds)
	if err != nil {
		return fail(s, "publish", err)
	}
	if *lockTTL <= 0 {
		return fail(s, "publish", &usageError{fmt.Sprintf("invalid -lock-ttl %s: want a positive duration", *lockTTL)})
	}
	st.lockTTL = *lockTTL
	reports, err := st.open(func() (ram.Credentials, error) { return creds, nil })
	if err != nil {
		return fail(s, "publish", err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	accountID, err := resolveAccount(ctx, client, cloud.accountID)
	if err != nil {
		return fail(s, "publish", err)
	}

	if *nativeWait <= 0 || *timeout <= 0 {
		return fail(s, "publish", &usageError{"invalid -native-wait or -timeout: each must be a positive duration"})
	}
	svc := reportsvc.New(reports, reportsvc.Config{Source: src, MaxAge: *maxAge, GeneratorName: generatorName(), NativeWait: *nativeWait})
	mode := reportsvc.ModeServe
	if *force {
		mode = reportsvc.ModeForce
	}
	req := reportsvc.Request{AccountID: accountID, Mode: mode, Owner: owner(), Generator: client}
	if !*quiet {
		req.OnProgress = func(p ram.Progress) { printProgress(s.err, p) }
	}
	out, err := svc.Ensure(ctx, req)
	if errors.Is(err, reportsvc.ErrGenerating) {
		holder := ""
		var locked *store.ErrLocked
		if errors.As(err, &locked) {
			holder = fmt.Sprintf(" (held by %s since %s, lock expires %s)", locked.Owner,
				locked.StartedAt.UTC().Format(time.RFC3339), locked.ExpiresAt.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(s.err, "credreport publish: a generation is in progress for account %s%s; try again later\n", accountID, holder)
		return exitBusy
	}
	if err != nil {
		return fail(s, "publish", err)
	}
	doc := entryJSON(out.Entry)
	doc["cached"] = out.Cached
	doc["generated"] = out.Generated
	line, _ := json.Marshal(doc)
	fmt.Fprintln(s.out, string(line))
	return exitOK
}

// resolveAccount returns the account ID given on the command line, or looks it up with STS.
func resolveAccount(ctx context.Context, client *ram.Client, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	caller, err := client.CallerIdentity(ctx)
	if err != nil {
		return "", err
	}
	return caller.AccountID, nil
}

// owner names this process in the generation lock.
func owner() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("credreport-cli@%s/pid-%d", host, os.Getpid())
}

// entryJSON describes a stored report for JSON output.
func entryJSON(e store.Entry) map[string]any {
	doc := map[string]any{"key": e.Key, "size": e.Size}
	for k, v := range e.Metadata.Map() {
		doc[k] = v
	}
	return doc
}
