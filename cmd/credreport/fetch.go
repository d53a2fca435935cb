package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/ram"
	"github.com/credreport/credreport/internal/store"
)

const fetchUsage = `Usage: credreport fetch -output FILE [flags]

Downloads the latest stored report of the account and checks its SHA-256
against the metadata stored with it; a mismatch fails and writes nothing.

Examples:
  credreport fetch -bucket my-reports -output report.csv
  credreport fetch -dir ./reports -account-id 5123456789012345 -output -
`

const listUsage = `Usage: credreport list [flags]

Lists the account's stored reports, oldest first, one line each:
generated-at, source, users, SHA-256 prefix and key. The latest is marked
with *. With -json, prints one JSON object per report instead.

Examples:
  credreport list -bucket my-reports
  credreport list -dir ./reports -account-id 5123456789012345 -json
`

const urlUsage = `Usage: credreport url [flags]

Prints a fresh signed URL for the latest report, alone on standard output;
when it expires goes to standard error. Anyone holding the URL can download
the report until then, so keep the expiry short and do not paste it into logs.

Examples:
  credreport url -bucket my-reports
  curl -o report.csv "$(credreport url -bucket my-reports -expiry 5m)"
`

// storeCommand is the common setup of the commands that read stored reports.
type storeCommand struct {
	cloud cloudFlags
	store storeFlags
}

func (c *storeCommand) register(fsName, usage string, s streams) *flag.FlagSet {
	fs := newFlagSet(fsName, usage, s.err)
	c.store.register(fs, false)
	fs.StringVar(&c.cloud.ramEndpoint, "ram-endpoint", envOr("CREDREPORT_RAM_ENDPOINT", ""), "RAM/IMS endpoint `URL` override, used to look up the account ID (env CREDREPORT_RAM_ENDPOINT)")
	fs.StringVar(&c.cloud.profile, "profile", envOr("ALIBABA_CLOUD_PROFILE", ""), "aliyun CLI profile `name` when ALIBABA_CLOUD_ACCESS_KEY_ID is unset")
	fs.StringVar(&c.cloud.accountID, "account-id", "", "account `ID`; default: asked from STS GetCallerIdentity")
	return fs
}

// open returns the store and the account ID. Credentials are needed for
// OSS, and for the account ID unless -account-id gives it.
func (c *storeCommand) open(ctx context.Context) (*store.Store, string, error) {
	c.cloud.concurrency = 1
	c.cloud.callTimeout = ram.DefaultCallTimeout
	var creds ram.Credentials
	var credErr error
	loaded := false
	getCreds := func() (ram.Credentials, error) {
		if !loaded {
			creds, credErr = c.cloud.credentials()
			loaded = true
		}
		return creds, credErr
	}
	st, err := c.store.open(getCreds)
	if err != nil {
		return nil, "", err
	}
	if c.cloud.accountID != "" {
		return st, c.cloud.accountID, nil
	}
	cr, err := getCreds()
	if err != nil {
		return nil, "", kind.Errorf(kind.InvalidArgument, "missing -account-id, and no credentials to look it up: %w", err)
	}
	client, err := c.cloud.ramClient(cr)
	if err != nil {
		return nil, "", err
	}
	id, err := resolveAccount(ctx, client, "")
	return st, id, err
}

func runFetch(ctx context.Context, args []string, s streams) int {
	var c storeCommand
	fs := c.register("fetch", fetchUsage, s)
	output := fs.String("output", "", "report `FILE`, or - for standard output (required)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(s, "fetch", &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))})
	}
	if *output == "" {
		return fail(s, "fetch", &usageError{"missing -output: name a FILE, or - for standard output"})
	}
	st, accountID, err := c.open(ctx)
	if err != nil {
		return fail(s, "fetch", err)
	}
	latest, err := st.Latest(ctx, accountID)
	if err != nil {
		return fail(s, "fetch", err)
	}
	body, entry, err := st.Open(ctx, latest.Key)
	if err != nil {
		return fail(s, "fetch", err)
	}
	defer body.Close()
	// Open checks the SHA-256 when the body has been read to the end, so
	// the bytes are held until then and written only when they are intact.
	data, err := io.ReadAll(body)
	if err != nil {
		return fail(s, "fetch", fmt.Errorf("download %s: %w", latest.Key, err))
	}
	if *output == "-" {
		if _, err := s.out.Write(data); err != nil {
			return fail(s, "fetch", err)
		}
	} else if err := writeFileAtomic(*output, data); err != nil {
		return fail(s, "fetch", err)
	}
	m := entry.Metadata
	fmt.Fprintf(s.err, "fetched %s: %d users, %s report generated at %s, sha256 %s verified\n",
		entry.Key, m.UserCount, m.Source, m.GeneratedAt.UTC().Format(time.RFC3339), m.SHA256)
	return exitOK
}

func runList(ctx context.Context, args []string, s streams) int {
	var c storeCommand
	fs := c.register("list", listUsage, s)
	asJSON := fs.Bool("json", false, "print one JSON object per report")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(s, "list", &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))})
	}
	st, accountID, err := c.open(ctx)
	if err != nil {
		return fail(s, "list", err)
	}
	entries, err := st.List(ctx, accountID)
	if err != nil {
		return fail(s, "list", err)
	}
	latestKey := ""
	if latest, err := st.Latest(ctx, accountID); err == nil {
		latestKey = latest.Key
	} else if !kind.Is(err, kind.NotFound) {
		return fail(s, "list", err)
	}
	for _, e := range entries {
		if *asJSON {
			doc := entryJSON(e)
			doc["latest"] = e.Key == latestKey
			line, _ := json.Marshal(doc)
			fmt.Fprintln(s.out, string(line))
			continue
		}
		mark := " "
		if e.Key == latestKey {
			mark = "*"
		}
		m := e.Metadata
		fmt.Fprintf(s.out, "%s %s  %-6s  %6d users  %.12s  %s\n", mark, m.GeneratedAt.UTC().Format(time.RFC3339), m.Source, m.UserCount, m.SHA256, e.Key)
	}
	if len(entries) == 0 {
		fmt.Fprintf(s.err, "no reports stored for account %s\n", accountID)
	}
	return exitOK
}

func runURL(ctx context.Context, args []string, s streams) int {
	var c storeCommand
	fs := c.register("url", urlUsage, s)
	expiry := fs.Duration("expiry", store.DefaultURLExpiry, "how long the URL works, at most 7 days")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(s, "url", &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))})
	}
	if *expiry <= 0 || *expiry > store.DefaultMaxURLExpiry {
		return fail(s, "url", &usageError{fmt.Sprintf("invalid -expiry %s: want more than 0 and at most 168h (7 days)", *expiry)})
	}
	st, accountID, err := c.open(ctx)
	if err != nil {
		return fail(s, "url", err)
	}
	latest, err := st.Latest(ctx, accountID)
	if err != nil {
		return fail(s, "url", err)
	}
	url, expires, err := st.SignedURL(ctx, latest, *expiry, time.Time{})
	if err != nil {
		return fail(s, "url", err)
	}
	fmt.Fprintln(s.out, url)
	fmt.Fprintf(s.err, "expires at %s (report %s)\n", expires.UTC().Format(time.RFC3339), latest.Key)
	return exitOK
}
