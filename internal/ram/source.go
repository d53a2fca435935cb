package ram

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
)

// Source selects where a report comes from.
type Source string

const (
	// SourceAuto uses the native report when it can be had and builds otherwise.
	SourceAuto Source = "auto"
	// SourceNative uses Alibaba's own report only.
	SourceNative Source = "native"
	// SourceBuild builds the report from the RAM/IMS APIs.
	SourceBuild Source = "build"
)

// ParseSource validates a source name.
func ParseSource(s string) (Source, error) {
	switch src := Source(strings.ToLower(strings.TrimSpace(s))); src {
	case SourceAuto, SourceNative, SourceBuild:
		return src, nil
	}
	return "", kind.Errorf(kind.InvalidArgument, "invalid source %q: want auto, native or build", s)
}

// DefaultNativeWait bounds the wait for Alibaba to generate a native report.
const DefaultNativeWait = 5 * time.Minute

// Options tune one generation.
type Options struct {
	// AccountID is the account's ID when the caller knows it (Function
	// Compute passes it); empty means ask STS GetCallerIdentity.
	AccountID string
	// Generator names the producing program in the metadata, such as "credreport/1.0.0".
	Generator string
	// NativeWait bounds how long a native report may take to generate, within
	// the context's deadline. Default 5 minutes.
	NativeWait time.Duration
	// OnProgress, when set, is called every ProgressEvery (default 2s) during a build.
	OnProgress    func(Progress)
	ProgressEvery time.Duration
}

// Generation is a finished report: the CSV bytes and their metadata.
type Generation struct {
	CSV      []byte
	Metadata report.Metadata
}

// Generate produces a credential report from src. No partial report is
// ever returned: any error other than a vanished user fails the whole generation.
func (c *Client) Generate(ctx context.Context, src Source, opts Options) (*Generation, error) {
	start := c.cfg.Now()
	base := c.Stats()
	if opts.NativeWait <= 0 {
		opts.NativeWait = DefaultNativeWait
	}
	caller := Caller{AccountID: opts.AccountID}
	if caller.AccountID == "" {
		var err error
		if caller, err = c.CallerIdentity(ctx); err != nil {
			return nil, err
		}
	}

	var gen *Generation
	var err error
	switch src {
	case SourceNative:
		gen, err = c.generateNative(ctx, opts)
	case SourceBuild:
		gen, err = c.generateBuild(ctx, caller, start, opts, true)
	case SourceAuto:
		gen, err = c.generateNative(ctx, opts)
		if err != nil {
			reason := nativeUnavailableReason(err)
			if reason == "" {
				return nil, err
			}
			gen, err = c.generateBuild(ctx, caller, start, opts, false)
			if gen != nil {
				gen.Metadata.FallbackReason = reason
			}
		}
	default:
		return nil, kind.Errorf(kind.InvalidArgument, "invalid source %q: want auto, native or build", src)
	}
	if err != nil {
		return nil, err
	}

	sum := sha256.Sum256(gen.CSV)
	gen.Metadata.SHA256 = hex.EncodeToString(sum[:])
	gen.Metadata.AccountID = caller.AccountID
	gen.Metadata.Generator = opts.Generator
	gen.Metadata.DurationMS = c.cfg.Now().Sub(start).Milliseconds()
	gen.Metadata.APICalls = int(c.Stats().Calls - base.Calls)
	return gen, nil
}

// generateNative fetches Alibaba's report, waiting at most opts.NativeWait
// for a generation.
func (c *Client) generateNative(ctx context.Context, opts Options) (*Generation, error) {
	nctx, cancel := context.WithTimeout(ctx, opts.NativeWait)
	defer cancel()
	native, err := c.fetchNative(nctx)
	if err != nil {
		if nctx.Err() != nil && ctx.Err() == nil {
			return nil, kind.Errorf(kind.DeadlineExceeded, "%w after %s: %w", errNativeNotReady, opts.NativeWait, err)
		}
		return nil, err
	}
	parsed, err := report.Parse(bytes.NewReader(native.csv))
	if err != nil {
		return nil, kind.Errorf(kind.Internal, "the native report is not a valid credential report: %w", err)
	}
	return &Generation{
		CSV: native.csv,
		Metadata: report.Metadata{
			GeneratedAt:         native.generated,
			Source:              report.SourceNative,
			UserCount:           len(parsed.Users()),
			RootRow:             report.RootRowNative,
			PasswordLastChanged: report.PasswordLastChangedNative,
		},
	}, nil
}

// generateBuild builds the report. With withNative it fetches the native
// report at the same time, only for its <root> row.
func (c *Client) generateBuild(ctx context.Context, caller Caller, start time.Time, opts Options, withNative bool) (*Generation, error) {
	var native chan nativeOutcome
	if withNative {
		// The fetch ends with the build at the latest: its result is only
		// wanted for the root row.
		native = make(chan nativeOutcome, 1)
		nctx, cancel := context.WithTimeout(ctx, opts.NativeWait)
		defer cancel()
		go func() {
			r, err := c.fetchNative(nctx)
			native <- nativeOutcome{report: r, err: err}
		}()
	}
	res, err := c.build(ctx, caller, native, &opts)
	if err != nil {
		return nil, err
	}
	// Measuring the CSV first lets the buffer be allocated once at its
	// final size: growing it by doubling would briefly hold two copies of
	// a large report, which dominated peak memory at 50,000 users.
	var size byteCounter
	if err := report.Write(&size, res.rows); err != nil {
		return nil, kind.Errorf(kind.Internal, "write the report: %w", err)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if err := report.Write(buf, res.rows); err != nil {
		return nil, kind.Errorf(kind.Internal, "write the report: %w", err)
	}
	return &Generation{
		CSV: buf.Bytes(),
		Metadata: report.Metadata{
			GeneratedAt:         start.UTC().Truncate(time.Second),
			Source:              report.SourceBuild,
			UserCount:           len(res.rows) - 1,
			RootRow:             res.rootRow,
			PasswordLastChanged: report.PasswordLastChangedProfileUpdateDate,
			VanishedUsers:       res.vanished,
		},
	}, nil
}

// String returns the source's name.
func (s Source) String() string { return string(s) }

// byteCounter is an io.Writer that only counts what is written to it.
type byteCounter int

func (c *byteCounter) Write(p []byte) (int, error) {
	*c += byteCounter(len(p))
	return len(p), nil
}
