// Package store keeps credential reports as audit evidence in object
// storage: each report immutably at its own key, a small pointer to the
// latest one, a single-flight lock per account, retention, and short-lived
// signed URLs.
//
// Store is the one concrete type; it runs over a driver.Driver (OSS in
// production, a local directory in tests and on a laptop). Every error it
// returns is classified with package kind.
package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
	"github.com/credreport/credreport/internal/store/driver"
)

// Default values of Options.
const (
	DefaultLockTTL      = 15 * time.Minute
	DefaultMaxURLExpiry = 7 * 24 * time.Hour // the maximum validity of an OSS V4 presigned URL
)

// Media types of the stored objects.
const (
	reportContentType  = "text/csv"
	jsonContentType    = "application/json"
	listHeadConcurrent = 4 // HEAD requests in flight while List reads metadata
)

// Options configure a Store. The zero value is valid.
type Options struct {
	// Prefix is prepended to every key: "" or a path ending in "/".
	Prefix string
	// Now is the clock for lock expiry, retention ages and signed URL
	// expiry. Nil means time.Now.
	Now func() time.Time
	// LockTTL is how long a lock stays live unless released; zero means
	// DefaultLockTTL.
	LockTTL time.Duration
	// MaxURLExpiry caps the expiry of signed URLs; zero means
	// DefaultMaxURLExpiry.
	MaxURLExpiry time.Duration
}

// Store keeps the reports of any number of accounts in one driver. It is
// safe for concurrent use.
type Store struct {
	d            driver.Driver
	prefix       string
	now          func() time.Time
	lockTTL      time.Duration
	maxURLExpiry time.Duration

	// err is the Options error that every method returns, because New has
	// no error result.
	err error
}

// Entry is one stored report.
type Entry struct {
	Key      string
	Size     int64
	Metadata report.Metadata
}

// New returns a Store over d. Invalid options do not panic: every method of
// the returned Store then fails with a kind.InvalidArgument error that
// describes them.
func New(d driver.Driver, opts Options) *Store {
	s := &Store{
		d:            d,
		prefix:       opts.Prefix,
		now:          opts.Now,
		lockTTL:      opts.LockTTL,
		maxURLExpiry: opts.MaxURLExpiry,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lockTTL == 0 {
		s.lockTTL = DefaultLockTTL
	}
	if s.maxURLExpiry == 0 {
		s.maxURLExpiry = DefaultMaxURLExpiry
	}

	switch {
	case d == nil:
		s.err = kind.Errorf(kind.InvalidArgument, "new store: missing driver")
	case s.lockTTL < 0:
		s.err = kind.Errorf(kind.InvalidArgument, "new store: invalid lock TTL %s: it must be positive", s.lockTTL)
	case s.maxURLExpiry < 0:
		s.err = kind.Errorf(kind.InvalidArgument, "new store: invalid maximum URL expiry %s: it must be positive", s.maxURLExpiry)
	}
	if err := checkPrefix(opts.Prefix); err != nil {
		s.err = kind.Wrap(kind.InvalidArgument, fmt.Errorf("new store: %w", err))
	}
	return s
}

// Put stores the report immutably at its own key, then updates the latest
// pointer. A crash at any point leaves the previous report as the latest.
//
// The key derives from meta, so a retry of the same report is idempotent:
// when the key exists with the same sha256 metadata, Put succeeds and only
// completes the pointer. The same key with other content is a
// kind.Conflict error. Bytes whose SHA-256 or length differ from meta and
// size are a kind.InvalidArgument error, and the object is removed again.
//
// The pointer only moves forward: it names the report with the greatest
// key, which means the latest generated-at (ties, within one second, go to
// the greater source name and then hash). A report generated earlier than
// the current latest one is stored in the history but does not become
// latest. When only the pointer update fails, Put returns the stored Entry
// together with the error.
func (s *Store) Put(ctx context.Context, meta report.Metadata, csv io.Reader, size int64) (Entry, error) {
	if s.err != nil {
		return Entry{}, s.err
	}

	// Validate before writing anything.
	values := meta.Map()
	parsed, err := report.ParseMetadata(values)
	if err != nil {
		return Entry{}, kind.Errorf(kind.InvalidArgument, "put report of account %q: invalid metadata: %w", meta.AccountID, err)
	}
	if err := checkAccountID(parsed.AccountID); err != nil {
		return Entry{}, fmt.Errorf("put report: %w", err)
	}
	if csv == nil || size < 0 {
		return Entry{}, kind.Errorf(kind.InvalidArgument, "put report of account %q: missing CSV reader or negative size %d", parsed.AccountID, size)
	}
	if _, err := hex.DecodeString(parsed.SHA256); err != nil {
		return Entry{}, kind.Errorf(kind.InvalidArgument, "put report of account %q: invalid metadata sha256 %q: want 64 hex digits", parsed.AccountID, parsed.SHA256)
	}
	key := s.reportKey(parsed)
	if _, err := s.parseReportKey(key); err != nil {
		return Entry{}, fmt.Errorf("put report of account %q: generated-at %s does not fit a report key: %w", parsed.AccountID, parsed.GeneratedAt, err)
	}
	entry := Entry{Key: key, Size: size, Metadata: parsed}
	// The pointer carries the report's metadata and a little more, so
	// checking its metadata covers both objects.
	if err := checkMetadata(pointerMetadata(entry)); err != nil {
		return Entry{}, fmt.Errorf("put report %q: %w", key, err)
	}

	// Store the report; an existing key is a retry when the content matches.
	hr := &hashingReader{r: csv, h: sha256.New()}
	opts := driver.PutOptions{ContentType: reportContentType, Metadata: values, IfNotExists: true}
	err = s.d.Put(ctx, key, hr, size, opts)
	switch {
	case kind.Is(err, kind.Conflict):
		entry, err = s.existingReport(ctx, key, parsed.SHA256)
		if err != nil {
			return Entry{}, err
		}
	case err != nil:
		return Entry{}, fmt.Errorf("put report %q: %w", key, err)
	default:
		if err := s.checkWritten(ctx, key, hr, parsed.SHA256, size); err != nil {
			return Entry{}, err
		}
	}

	// Only a completely stored report moves the pointer.
	if err := s.updatePointer(ctx, entry); err != nil {
		return entry, err
	}
	return entry, nil
}

// existingReport returns the Entry of the report at key when its sha256
// metadata is wantSHA, and a Conflict error otherwise.
func (s *Store) existingReport(ctx context.Context, key, wantSHA string) (Entry, error) {
	attrs, err := s.d.Head(ctx, key)
	if err != nil {
		return Entry{}, fmt.Errorf("put report %q: read the existing object: %w", key, err)
	}
	e, err := s.entryFromAttrs(key, key, attrs.Size, attrs.Metadata)
	if err != nil {
		return Entry{}, fmt.Errorf("put report %q: %w", key, err)
	}
	if e.Metadata.SHA256 != wantSHA {
		return Entry{}, kind.Errorf(kind.Conflict, "put report %q: the key contains a different report (sha256 %s, expected %s)", key, e.Metadata.SHA256, wantSHA)
	}
	return e, nil
}

// checkWritten compares what the driver read with the declared hash and
// size, and deletes the object on a mismatch so that no mislabelled report
// stays behind.
func (s *Store) checkWritten(ctx context.Context, key string, hr *hashingReader, wantSHA string, size int64) error {
	got := hex.EncodeToString(hr.h.Sum(nil))
	if got == wantSHA && hr.n == size {
		return nil
	}

	mismatch := kind.Errorf(kind.InvalidArgument,
		"put report %q: the CSV has %d bytes with sha256 %s, but the metadata declares %d bytes with sha256 %s; the object was removed",
		key, hr.n, got, size, wantSHA)
	if err := s.d.Delete(ctx, key); err != nil {
		return fmt.Errorf("%w; removing it failed too: %w", mismatch, err)
	}
	return mismatch
}

// updatePointer makes the latest pointer name e unless it names a report
// with a greater key already. A pointer that cannot be decoded is replaced.
//
// NOTE: the read and the write are not atomic (OSS has no conditional
// overwrite), so two concurrent Puts for one account could leave the older
// report as latest until the next Put. Callers serialise generations with
// Lock, which rules this out.
func (s *Store) updatePointer(ctx context.Context, e Entry) error {
	pointerKey := s.pointerKey(e.Metadata.AccountID)

	attrs, err := s.d.Head(ctx, pointerKey)
	switch {
	case kind.Is(err, kind.NotFound):
	case err != nil:
		return fmt.Errorf("update latest pointer %q: %w", pointerKey, err)
	default:
		cur, err := s.entryFromPointer(e.Metadata.AccountID, pointerKey, attrs.Metadata)
		if err == nil && cur.Key >= e.Key {
			return nil
		}
	}

	body, err := json.Marshal(pointerBody{Key: e.Key, Size: e.Size, Metadata: e.Metadata.Map()})
	if err != nil {
		return kind.Errorf(kind.Internal, "update latest pointer %q: encode: %w", pointerKey, err)
	}
	opts := driver.PutOptions{ContentType: jsonContentType, Metadata: pointerMetadata(e)}
	if err := s.d.Put(ctx, pointerKey, bytes.NewReader(body), int64(len(body)), opts); err != nil {
		return fmt.Errorf("update latest pointer %q: %w", pointerKey, err)
	}
	return nil
}

// Latest returns the latest report of accountID with one small driver
// request, a HEAD of the pointer, whose metadata carries the whole Entry.
// It returns a kind.NotFound error when the account has no report yet, and
// a kind.Internal error naming the pointer when its metadata is corrupt.
//
// Freshness is for the caller to judge from Metadata.GeneratedAt; the
// pointer's write time plays no part.
func (s *Store) Latest(ctx context.Context, accountID string) (Entry, error) {
	if s.err != nil {
		return Entry{}, s.err
	}
	if err := checkAccountID(accountID); err != nil {
		return Entry{}, fmt.Errorf("latest report: %w", err)
	}

	pointerKey := s.pointerKey(accountID)
	attrs, err := s.d.Head(ctx, pointerKey)
	if kind.Is(err, kind.NotFound) {
		return Entry{}, kind.Errorf(kind.NotFound, "latest report of account %q: none stored yet (no %q): %w", accountID, pointerKey, err)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("latest report of account %q: %w", accountID, err)
	}
	return s.entryFromPointer(accountID, pointerKey, attrs.Metadata)
}

// Open returns the bytes and the Entry of the report at key, which must be
// a report key made by Put. The reader fails with a kind.Internal error at
// the end of the data when the bytes do not match the stored sha256 and
// size. The caller must close it.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, Entry, error) {
	if s.err != nil {
		return nil, Entry{}, s.err
	}
	if _, err := s.parseReportKey(key); err != nil {
		return nil, Entry{}, fmt.Errorf("open report: %w", err)
	}

	rc, attrs, err := s.d.Open(ctx, key)
	if err != nil {
		return nil, Entry{}, fmt.Errorf("open report %q: %w", key, err)
	}
	e, err := s.entryFromAttrs(key, key, attrs.Size, attrs.Metadata)
	if err != nil {
		rc.Close()
		return nil, Entry{}, err
	}
	return &verifyingReader{rc: rc, h: sha256.New(), key: key, wantSHA: e.Metadata.SHA256, wantSize: e.Size}, e, nil
}

// List returns the reports of accountID, oldest first, reading the
// metadata of each with one HEAD request. Objects under the reports prefix
// whose names Put does not make are left out. A report whose metadata is
// corrupt makes List fail with a kind.Internal error naming it.
func (s *Store) List(ctx context.Context, accountID string) ([]Entry, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := checkAccountID(accountID); err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}

	keys, err := s.reportKeys(ctx, accountID)
	if err != nil {
		return nil, err
	}

	// Read the metadata of every report, a few at a time. A report deleted
	// since the listing leaves a gap that is dropped below.
	entries := make([]Entry, len(keys))
	found := make([]bool, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listHeadConcurrent)
	for i, key := range keys {
		g.Go(func() error {
			attrs, err := s.d.Head(gctx, key)
			if kind.Is(err, kind.NotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("list reports of account %q: read %q: %w", accountID, key, err)
			}
			e, err := s.entryFromAttrs(key, key, attrs.Size, attrs.Metadata)
			if err != nil {
				return err
			}
			entries[i], found[i] = e, true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	out := make([]Entry, 0, len(entries))
	for i, e := range entries {
		if found[i] {
			out = append(out, e)
		}
	}
	return out, nil
}

// reportKeys lists the report keys of accountID in key order, which is
// generated-at order.
func (s *Store) reportKeys(ctx context.Context, accountID string) ([]string, error) {
	var keys []string
	prefix := s.reportsPrefix(accountID)
	err := s.d.List(ctx, prefix, func(o driver.ObjectInfo) error {
		if _, err := s.parseReportKey(o.Key); err == nil {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list reports under %q: %w", prefix, err)
	}
	return keys, nil
}
