package store

import (
	"context"
	"fmt"
	"time"

	"github.com/credreport/credreport/internal/kind"
)

// Retention selects the reports of an account that Prune keeps. A zero
// field sets no limit, so the zero Retention keeps everything.
type Retention struct {
	// MaxCount keeps the newest MaxCount reports.
	MaxCount int
	// MaxAge keeps reports generated less than MaxAge ago.
	MaxAge time.Duration
}

// Prune deletes the reports of accountID that fall outside keep, oldest
// first, and returns their keys. A report is kept only if it passes both
// limits, and ages count from generated-at.
//
// The report that the latest pointer names is never deleted, even when
// that keeps MaxCount+1 reports. Without a pointer, the newest report is
// protected in its place. A corrupt pointer stops Prune with a
// kind.Internal error before any deletion. On an error, the keys deleted so
// far are returned with it.
func (s *Store) Prune(ctx context.Context, accountID string, keep Retention) (deleted []string, err error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := checkAccountID(accountID); err != nil {
		return nil, fmt.Errorf("prune reports: %w", err)
	}
	if keep.MaxCount < 0 || keep.MaxAge < 0 {
		return nil, kind.Errorf(kind.InvalidArgument, "prune reports of account %q: invalid retention (count %d, age %s): limits must be positive, or zero for none",
			accountID, keep.MaxCount, keep.MaxAge)
	}
	if keep == (Retention{}) {
		return nil, nil
	}

	keys, err := s.reportKeys(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("prune reports of account %q: %w", accountID, err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	protected, err := s.protectedKey(ctx, accountID, keys[len(keys)-1])
	if err != nil {
		return nil, fmt.Errorf("prune reports of account %q: %w", accountID, err)
	}

	// Pick the reports outside the limits, oldest first.
	cutoff := s.now().Add(-keep.MaxAge)
	var doomed []string
	for i, key := range keys {
		if key == protected {
			continue
		}
		parts, err := s.parseReportKey(key)
		if err != nil {
			continue // reportKeys returns parsable keys only
		}
		tooMany := keep.MaxCount > 0 && i < len(keys)-keep.MaxCount
		tooOld := keep.MaxAge > 0 && parts.GeneratedAt.Before(cutoff)
		if tooMany || tooOld {
			doomed = append(doomed, key)
		}
	}

	for _, key := range doomed {
		if err := s.d.Delete(ctx, key); err != nil {
			return deleted, fmt.Errorf("prune reports of account %q: delete %q: %w", accountID, key, err)
		}
		deleted = append(deleted, key)
	}
	return deleted, nil
}

// protectedKey returns the key that the latest pointer names, or newest
// when there is no pointer.
func (s *Store) protectedKey(ctx context.Context, accountID, newest string) (string, error) {
	e, err := s.Latest(ctx, accountID)
	switch {
	case kind.Is(err, kind.NotFound):
		return newest, nil
	case err != nil:
		return "", err
	}
	return e.Key, nil
}
