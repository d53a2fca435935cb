// Package reportsvc decides when a credential report must be generated and
// makes sure only one generation per account runs at a time: it checks
// freshness against the latest stored report, takes the store's lock,
// generates, and stores the result.
package reportsvc

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/ram"
	"github.com/credreport/credreport/internal/store"
)

// Defaults for Config fields left zero.
const (
	// DefaultMaxAge matches Alibaba's own four-hour report cadence.
	DefaultMaxAge = 4 * time.Hour
	// DefaultTimerMargin makes the timer regenerate a little before the
	// report turns stale, so HTTP callers rarely wait for a generation.
	DefaultTimerMargin = 15 * time.Minute
	// DefaultMinRefreshInterval bounds how often a refresh request may
	// regenerate.
	DefaultMinRefreshInterval = 5 * time.Minute
)

// Generator produces a report; *ram.Client implements it.
type Generator interface {
	Generate(ctx context.Context, src ram.Source, opts ram.Options) (*ram.Generation, error)
}

// Config configures a Service.
type Config struct {
	Source             ram.Source
	MaxAge             time.Duration
	TimerMargin        time.Duration
	MinRefreshInterval time.Duration
	// GeneratorName goes into the metadata, such as "credreport/1.0.0".
	GeneratorName string
	// NativeWait bounds the wait for a native report generation.
	NativeWait time.Duration
	Now        func() time.Time
}

// Service serves and refreshes the reports of accounts.
type Service struct {
	store *store.Store
	cfg   Config
}

// New returns a Service over st.
func New(st *store.Store, cfg Config) *Service {
	if cfg.Source == "" {
		cfg.Source = ram.SourceAuto
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.TimerMargin <= 0 || cfg.TimerMargin >= cfg.MaxAge {
		cfg.TimerMargin = min(DefaultTimerMargin, cfg.MaxAge/4)
	}
	if cfg.MinRefreshInterval <= 0 {
		cfg.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: st, cfg: cfg}
}

// Mode selects how old a stored report may be before a call regenerates it.
type Mode int

const (
	// ModeServe regenerates when the latest report is MaxAge old or older.
	ModeServe Mode = iota
	// ModeTimer regenerates TimerMargin before the report turns stale.
	ModeTimer
	// ModeRefresh regenerates unless the latest report is younger than MinRefreshInterval.
	ModeRefresh
	// ModeForce regenerates whatever the age; the lock still applies.
	ModeForce
)

// Request is one call to Ensure.
type Request struct {
	AccountID string
	Mode      Mode
	// Owner identifies the caller in the lock, such as a request ID.
	Owner     string
	Generator Generator
	// OnProgress is passed to the build.
	OnProgress func(ram.Progress)
}

// Outcome is the result of Ensure.
type Outcome struct {
	Entry store.Entry
	// Cached is true when an existing report was young enough.
	Cached bool
	// Generated is true when this call generated and stored a report.
	Generated bool
}

// ErrGenerating reports that another caller holds or is taking the
// account's lock, so this call does not generate. It is in the chain of
// every lock conflict, also when the store could not read the holder and
// so wraps no *store.ErrLocked.
var ErrGenerating = errors.New("another caller is generating the report")

// ErrNotEnoughTime reports that the last generation took longer than the
// time left before the caller's deadline, so this call does not start one.
var ErrNotEnoughTime = errors.New("not enough time left to generate a report")

// Age returns how old the entry's data is, counted from generated-at.
func (s *Service) Age(e store.Entry) time.Duration {
	return s.cfg.Now().Sub(e.Metadata.GeneratedAt)
}

// Latest returns the latest stored report, or a kind.NotFound error.
func (s *Service) Latest(ctx context.Context, accountID string) (store.Entry, error) {
	return s.store.Latest(ctx, accountID)
}

// Ensure returns a report young enough for req.Mode, generating and storing
// one when needed. When another caller holds the account's lock it returns a
// kind.Conflict error wrapping ErrGenerating, which also wraps
// *store.ErrLocked when the store could read the holder. When the deadline
// leaves less time than the last generation took, it returns a
// kind.Unavailable error wrapping ErrNotEnoughTime.
func (s *Service) Ensure(ctx context.Context, req Request) (Outcome, error) {
	latest, err := s.store.Latest(ctx, req.AccountID)
	hasLatest := err == nil
	if err != nil && !kind.Is(err, kind.NotFound) {
		return Outcome{}, err
	}
	if hasLatest && s.youngEnough(latest, req.Mode) {
		return Outcome{Entry: latest, Cached: true}, nil
	}
	if hasLatest {
		if err := s.checkTime(ctx, latest); err != nil {
			return Outcome{}, err
		}
	}

	lock, err := s.store.Lock(ctx, req.AccountID, req.Owner)
	if kind.Is(err, kind.Conflict) {
		return Outcome{}, kind.Errorf(kind.Conflict, "%w: %w", ErrGenerating, err)
	}
	if err != nil {
		return Outcome{}, err
	}
	defer func() {
		// The lock must go on every path; a failed release only delays the
		// next generation until the lock expires.
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = lock.Release(relCtx)
	}()

	// Another caller may have finished a generation while this one waited
	// for the lock.
	if req.Mode != ModeForce {
		if again, err := s.store.Latest(ctx, req.AccountID); err == nil && s.youngEnough(again, req.Mode) &&
			(!hasLatest || again.Key != latest.Key) {
			return Outcome{Entry: again, Cached: true}, nil
		}
	}

	gen, err := req.Generator.Generate(ctx, s.cfg.Source, ram.Options{
		AccountID:  req.AccountID,
		Generator:  s.cfg.GeneratorName,
		NativeWait: s.cfg.NativeWait,
		OnProgress: req.OnProgress,
	})
	if err != nil {
		return Outcome{}, err
	}
	entry, err := s.store.Put(ctx, gen.Metadata, bytes.NewReader(gen.CSV), int64(len(gen.CSV)))
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Entry: entry, Generated: true}, nil
}

// youngEnough reports whether the entry satisfies the mode without a new generation.
func (s *Service) youngEnough(e store.Entry, mode Mode) bool {
	age := s.Age(e)
	switch mode {
	case ModeServe:
		return age < s.cfg.MaxAge
	case ModeTimer:
		return age < s.cfg.MaxAge-s.cfg.TimerMargin
	case ModeRefresh:
		return age < s.cfg.MinRefreshInterval
	}
	return false
}

// checkTime refuses to start a generation that, judging by the last one,
// cannot finish before ctx's deadline.
func (s *Service) checkTime(ctx context.Context, last store.Entry) error {
	deadline, ok := ctx.Deadline()
	if !ok || last.Metadata.DurationMS <= 0 {
		return nil
	}
	// A context deadline is on the real clock, whatever Config.Now is.
	left := time.Until(deadline)
	need := time.Duration(last.Metadata.DurationMS) * time.Millisecond
	if left < need {
		return kind.Errorf(kind.Unavailable, "%w: the last generation took %s and %s are left", ErrNotEnoughTime, need.Round(time.Millisecond), left.Round(time.Millisecond))
	}
	return nil
}

// MaxAge returns the configured maximum age of a served report.
func (s *Service) MaxAge() time.Duration { return s.cfg.MaxAge }
