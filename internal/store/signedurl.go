package store

import (
	"context"
	"fmt"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/store/driver"
)

const (
	// DefaultURLExpiry is the expiry of a signed URL when the caller asks
	// for none.
	DefaultURLExpiry = 15 * time.Minute

	// credentialsMargin is kept between a URL's expiry and the expiry of
	// the credentials that signed it, for clock differences between this
	// process and OSS.
	credentialsMargin = time.Minute

	// minURLExpiry is the shortest URL worth handing out.
	minURLExpiry = time.Minute
)

// SignedURL returns a URL that downloads the report e without credentials,
// as an attachment named credential-report-<account>-<generated-at>.csv,
// and the exact time it stops working.
//
// The expiry is DefaultURLExpiry when expiry is zero, and at most
// Options.MaxURLExpiry. A URL stops working when the credentials that
// signed it expire. So when credentialsExpireAt is not zero, the URL
// expires one minute before it, and if that leaves less than a minute,
// SignedURL returns a kind.Unauthenticated error. Drivers without signed
// URLs return a kind.InvalidArgument error.
//
// The URL grants access to the report: neither this package nor its
// drivers put it in an error message, and callers must not log it.
func (s *Store) SignedURL(ctx context.Context, e Entry, expiry time.Duration, credentialsExpireAt time.Time) (url string, expiresAt time.Time, err error) {
	if s.err != nil {
		return "", time.Time{}, s.err
	}
	parts, err := s.parseReportKey(e.Key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign URL: %w", err)
	}

	// Settle the expiry: default, cap, then the credentials' lifetime.
	switch {
	case expiry < 0:
		return "", time.Time{}, kind.Errorf(kind.InvalidArgument, "sign URL for report %q: invalid expiry %s: it must be positive, or zero for the default %s", e.Key, expiry, DefaultURLExpiry)
	case expiry == 0:
		expiry = DefaultURLExpiry
	}
	expiry = min(expiry, s.maxURLExpiry)
	if !credentialsExpireAt.IsZero() {
		left := credentialsExpireAt.Sub(s.now()) - credentialsMargin
		if left < minURLExpiry {
			return "", time.Time{}, kind.Errorf(kind.Unauthenticated,
				"sign URL for report %q: the credentials expire too soon (at %s) to sign a URL valid for at least %s: refresh the credentials and retry",
				e.Key, credentialsExpireAt.UTC().Format(time.RFC3339), minURLExpiry)
		}
		expiry = min(expiry, left)
	}
	expiry = expiry.Truncate(time.Second)

	opts := driver.SignOptions{
		Expiry:             expiry,
		ContentDisposition: fmt.Sprintf("attachment; filename=%q", fileName(parts.AccountID, parts.GeneratedAt)),
	}
	url, expiresAt, err = s.d.SignedURL(ctx, e.Key, opts)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign URL for report %q: %w", e.Key, err)
	}
	return url, expiresAt, nil
}

// FileName returns the file name a download of the report should get:
// credential-report-<account>-<generated-at>.csv.
func (e Entry) FileName() string {
	return fileName(e.Metadata.AccountID, e.Metadata.GeneratedAt)
}

func fileName(accountID string, generatedAt time.Time) string {
	return fmt.Sprintf("credential-report-%s-%s.csv", accountID, generatedAt.UTC().Format(keyTimeLayout))
}
