package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/ram"
)

const generateUsage = `Usage: credreport generate [flags]

Reads the account through the RAM/IMS APIs and writes its credential report.

  -source auto    Alibaba's own report when it can be had (at most 3,500
                  users, one new report per four hours), else a built one
  -source native  Alibaba's own report only
  -source build   built from the RAM/IMS APIs: any size, fresh

Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET
and ALIBABA_CLOUD_SECURITY_TOKEN, or else from the aliyun CLI's profile.
Progress goes to standard error; the report's metadata is printed as JSON at
the end, on standard output (standard error when the report itself goes to
standard output). The output file is written only when the whole report is
ready, so a failed run never leaves a partial report behind.

Examples:
  credreport generate -output report.csv
  credreport generate -source build -qps 20 -output - > report.csv
  CREDREPORT_RAM_ENDPOINT=http://127.0.0.1:8080 credreport generate -output report.csv
`

func runGenerate(ctx context.Context, args []string, s streams) int {
	fs := newFlagSet("generate", generateUsage, s.err)
	var cloud cloudFlags
	cloud.register(fs)
	source := fs.String("source", envOr("CREDREPORT_SOURCE", string(ram.SourceAuto)), "where the report comes from: auto, native or build (env CREDREPORT_SOURCE)")
	output := fs.String("output", "", "report `FILE`, or - for standard output (required)")
	timeout := fs.Duration("timeout", 2*time.Hour, "give up after this long")
	nativeWait := fs.Duration("native-wait", ram.DefaultNativeWait, "how long Alibaba may take to generate its report")
	quiet := fs.Bool("quiet", false, "print no progress")
	progressEvery := fs.Duration("progress", 5*time.Second, "interval between progress lines")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(s, "generate", &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))})
	}
	if *output == "" {
		return fail(s, "generate", &usageError{"missing -output: name a FILE, or - for standard output"})
	}
	src, err := ram.ParseSource(*source)
	if err != nil {
		return fail(s, "generate", &usageError{err.Error()})
	}
	if *timeout <= 0 || *nativeWait <= 0 || *progressEvery <= 0 {
		return fail(s, "generate", &usageError{"invalid -timeout, -native-wait or -progress: each must be a positive duration such as 30m"})
	}

	creds, err := cloud.credentials()
	if err != nil {
		return fail(s, "generate", err)
	}
	client, err := cloud.ramClient(creds)
	if err != nil {
		return fail(s, "generate", err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	opts := ram.Options{AccountID: cloud.accountID, Generator: generatorName(), NativeWait: *nativeWait}
	if !*quiet {
		opts.ProgressEvery = *progressEvery
		opts.OnProgress = func(p ram.Progress) { printProgress(s.err, p) }
	}
	gen, err := client.Generate(ctx, src, opts)
	if err != nil {
		if src == ram.SourceNative && ram.ErrorCode(err) == "LimitExceeded.User" {
			err = fmt.Errorf("%w; Alibaba's own report is not available for this account: use -source auto or -source build", err)
		}
		return fail(s, "generate", err)
	}

	metaOut := s.out
	if *output == "-" {
		if _, err := s.out.Write(gen.CSV); err != nil {
			return fail(s, "generate", fmt.Errorf("write the report: %w", err))
		}
		metaOut = s.err
	} else if err := writeFileAtomic(*output, gen.CSV); err != nil {
		return fail(s, "generate", err)
	}
	stats := client.Stats()
	doc := map[string]any{}
	for k, v := range gen.Metadata.Map() {
		doc[k] = v
	}
	doc["throttled-calls"] = stats.Throttled
	doc["retried-calls"] = stats.Retries
	line, _ := json.Marshal(doc)
	fmt.Fprintln(metaOut, string(line))
	return exitOK
}

// printProgress writes one progress line of a running build.
func printProgress(w io.Writer, p ram.Progress) {
	rate := 0.0
	if p.Elapsed > 0 {
		rate = float64(p.Calls) / p.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "progress: %d users done of %d listed so far, %d calls (%.1f/s), %d throttled, up to %d calls in flight, %s elapsed\n",
		p.UsersDone, p.UsersSeen, p.Calls, rate, p.Throttled, p.Concurrent, p.Elapsed.Round(time.Second))
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so readers never see a partial report.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return kind.Errorf(kind.InvalidArgument, "write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
