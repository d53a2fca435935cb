package reportsvc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/ram"
	"github.com/credreport/credreport/internal/report"
	"github.com/credreport/credreport/internal/reportsvc"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/driver"
	"github.com/credreport/credreport/internal/store/filedriver"
	"github.com/credreport/credreport/internal/store/storetest"
)

const testAccount = "5123456789012345"

// t0 is the fake clock's starting time.
var t0 = time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)

// testConfig spells out every limit, so the tests do not depend on the defaults.
func testConfig(clk *storetest.Clock) reportsvc.Config {
	return reportsvc.Config{
		Source:             ram.SourceBuild,
		MaxAge:             4 * time.Hour,
		TimerMargin:        15 * time.Minute,
		MinRefreshInterval: 5 * time.Minute,
		GeneratorName:      "credreport/test",
		NativeWait:         2 * time.Minute,
		Now:                clk.Now,
	}
}

// generateCall records the arguments of one Generate call.
type generateCall struct {
	source ram.Source
	opts   ram.Options
}

// generator is a reportsvc.Generator that builds a small report for the
// requested account at the clock's time. With release set it waits for
// release to close (or ctx to end) before returning. With err set it fails.
type generator struct {
	clk     *storetest.Clock
	source  report.Source
	err     error
	release chan struct{}
	// entered receives a value each time Generate starts, when it is not nil.
	entered chan struct{}

	mu    sync.Mutex
	calls []generateCall
}

func newGenerator(clk *storetest.Clock) *generator {
	return &generator{clk: clk, source: report.SourceBuild}
}

func (g *generator) Generate(ctx context.Context, src ram.Source, opts ram.Options) (*ram.Generation, error) {
	g.mu.Lock()
	g.calls = append(g.calls, generateCall{source: src, opts: opts})
	g.mu.Unlock()

	if g.entered != nil {
		g.entered <- struct{}{}
	}
	if g.release != nil {
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if g.err != nil {
		return nil, g.err
	}
	meta, csv := storetest.NewReport(opts.AccountID, g.clk.Now(), g.source)
	return &ram.Generation{CSV: csv, Metadata: meta}, nil
}

func (g *generator) callCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls)
}

func (g *generator) lastCall() generateCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[len(g.calls)-1]
}

// newFileStore returns a store over a file driver in a temporary directory.
func newFileStore(t *testing.T, clk *storetest.Clock) (*store.Store, *filedriver.Driver) {
	t.Helper()
	d, err := filedriver.New(t.TempDir())
	if err != nil {
		t.Fatalf("filedriver.New: %v", err)
	}
	return store.New(d, store.Options{Now: clk.Now}), d
}

// putReport stores a report of testAccount generated at at.
func putReport(t *testing.T, st *store.Store, at time.Time, source report.Source) store.Entry {
	t.Helper()
	meta, csv := storetest.NewReport(testAccount, at, source)
	e, err := st.Put(context.Background(), meta, bytes.NewReader(csv), int64(len(csv)))
	if err != nil {
		t.Fatalf("Put report generated at %s: %v", at, err)
	}
	return e
}

func listKeys(t *testing.T, st *store.Store) []string {
	t.Helper()
	entries, err := st.List(context.Background(), testAccount)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.Key
	}
	return keys
}

// checkUnlocked fails the test when the account's lock cannot be taken.
func checkUnlocked(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	l, err := st.Lock(ctx, testAccount, "probe")
	if err != nil {
		t.Fatalf("Lock after Ensure: %v, want the lock released", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("Release probe lock: %v", err)
	}
}

func TestEnsureFreshness(t *testing.T) {
	tests := []struct {
		name string
		mode reportsvc.Mode
		// age is the age of the stored report, and a negative age stores none.
		age           time.Duration
		wantGenerated bool
	}{
		{"serve without report", reportsvc.ModeServe, -1, true},
		{"serve fresh", reportsvc.ModeServe, time.Hour, false},
		{"serve just under max age", reportsvc.ModeServe, 4*time.Hour - time.Second, false},
		{"serve at max age", reportsvc.ModeServe, 4 * time.Hour, true},
		{"serve past max age", reportsvc.ModeServe, 30 * time.Hour, true},
		{"timer without report", reportsvc.ModeTimer, -1, true},
		{"timer before margin", reportsvc.ModeTimer, 3*time.Hour + 44*time.Minute + 59*time.Second, false},
		{"timer at margin", reportsvc.ModeTimer, 3*time.Hour + 45*time.Minute, true},
		{"refresh under interval", reportsvc.ModeRefresh, 4*time.Minute + 59*time.Second, false},
		{"refresh at interval", reportsvc.ModeRefresh, 5 * time.Minute, true},
		{"refresh without report", reportsvc.ModeRefresh, -1, true},
		{"force fresh", reportsvc.ModeForce, time.Second, true},
		{"force without report", reportsvc.ModeForce, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clk := storetest.NewClock(t0)
			st, _ := newFileStore(t, clk)
			var old store.Entry
			if tt.age >= 0 {
				old = putReport(t, st, t0.Add(-tt.age), report.SourceNative)
			}
			gen := newGenerator(clk)
			svc := reportsvc.New(st, testConfig(clk))

			out, err := svc.Ensure(ctx, reportsvc.Request{AccountID: testAccount, Mode: tt.mode, Owner: "req-1", Generator: gen})
			if err != nil {
				t.Fatalf("Ensure: %v", err)
			}

			if out.Generated != tt.wantGenerated {
				t.Errorf("Generated = %v, want %v", out.Generated, tt.wantGenerated)
			}
			if out.Cached == tt.wantGenerated {
				t.Errorf("Cached = %v, want %v", out.Cached, !tt.wantGenerated)
			}
			wantCalls := 0
			if tt.wantGenerated {
				wantCalls = 1
			}
			if got := gen.callCount(); got != wantCalls {
				t.Errorf("generator calls = %d, want %d", got, wantCalls)
			}

			latest, err := st.Latest(ctx, testAccount)
			if err != nil {
				t.Fatalf("Latest after Ensure: %v", err)
			}
			if out.Entry.Key != latest.Key {
				t.Errorf("Ensure returned %q, but the latest report is %q", out.Entry.Key, latest.Key)
			}
			if tt.wantGenerated {
				if !out.Entry.Metadata.GeneratedAt.Equal(t0) {
					t.Errorf("generated report has generated-at %s, want the clock's %s", out.Entry.Metadata.GeneratedAt, t0)
				}
			} else if out.Entry.Key != old.Key {
				t.Errorf("cached entry = %q, want the stored %q", out.Entry.Key, old.Key)
			}
			checkUnlocked(t, st)
		})
	}
}

func TestEnsurePassesRequestToGenerator(t *testing.T) {
	clk := storetest.NewClock(t0)
	st, _ := newFileStore(t, clk)
	gen := newGenerator(clk)
	svc := reportsvc.New(st, testConfig(clk))
	progress := func(ram.Progress) {}

	_, err := svc.Ensure(context.Background(), reportsvc.Request{
		AccountID: testAccount, Mode: reportsvc.ModeServe, Owner: "req-1", Generator: gen, OnProgress: progress,
	})
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}

	call := gen.lastCall()
	if call.source != ram.SourceBuild {
		t.Errorf("source = %q, want %q", call.source, ram.SourceBuild)
	}
	if call.opts.AccountID != testAccount {
		t.Errorf("AccountID = %q, want %q", call.opts.AccountID, testAccount)
	}
	if call.opts.Generator != "credreport/test" {
		t.Errorf("Generator = %q, want %q", call.opts.Generator, "credreport/test")
	}
	if call.opts.NativeWait != 2*time.Minute {
		t.Errorf("NativeWait = %s, want 2m0s", call.opts.NativeWait)
	}
	if call.opts.OnProgress == nil {
		t.Error("OnProgress was not passed to the generator")
	}
}

// TestEnsureCountsFromGeneratedAt stores a native report that Alibaba
// generated three hours before it was written: freshness must count from
// generated-at, so it is served for one more hour only.
func TestEnsureCountsFromGeneratedAt(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock(t0)
	st, _ := newFileStore(t, clk)
	native := putReport(t, st, t0.Add(-3*time.Hour), report.SourceNative)
	gen := newGenerator(clk)
	svc := reportsvc.New(st, testConfig(clk))
	req := reportsvc.Request{AccountID: testAccount, Mode: reportsvc.ModeServe, Owner: "req-1", Generator: gen}

	steps := []struct {
		advance       time.Duration
		wantCached    bool
		wantAge       time.Duration
		wantGenerated bool
	}{
		{0, true, 3 * time.Hour, false},
		{59*time.Minute + 59*time.Second, true, 4*time.Hour - time.Second, false},
		{time.Second, false, 0, true},
	}
	for i, step := range steps {
		clk.Advance(step.advance)
		out, err := svc.Ensure(ctx, req)
		if err != nil {
			t.Fatalf("step %d: Ensure: %v", i, err)
		}
		if out.Cached != step.wantCached || out.Generated != step.wantGenerated {
			t.Errorf("step %d (clock %s): Cached %v, Generated %v; want %v, %v",
				i, clk.Now().Format(time.RFC3339), out.Cached, out.Generated, step.wantCached, step.wantGenerated)
		}
		if got := svc.Age(out.Entry); got != step.wantAge {
			t.Errorf("step %d: Age = %s, want %s", i, got, step.wantAge)
		}
		if step.wantCached && out.Entry.Key != native.Key {
			t.Errorf("step %d: entry %q, want the native report %q", i, out.Entry.Key, native.Key)
		}
	}
	if got := gen.callCount(); got != 1 {
		t.Errorf("generator calls = %d, want 1", got)
	}
}

func TestEnsureLockHeld(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock(t0)
	st, _ := newFileStore(t, clk)
	putReport(t, st, t0.Add(-5*time.Hour), report.SourceNative)
	held, err := st.Lock(ctx, testAccount, "timer-invocation")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	gen := newGenerator(clk)
	svc := reportsvc.New(st, testConfig(clk))

	for _, mode := range []reportsvc.Mode{reportsvc.ModeServe, reportsvc.ModeForce} {
		_, err = svc.Ensure(ctx, reportsvc.Request{AccountID: testAccount, Mode: mode, Owner: "req-1", Generator: gen})
		if !kind.Is(err, kind.Conflict) {
			t.Fatalf("Ensure (mode %d) while locked: err = %v (kind %v), want conflict", mode, err, kind.Of(err))
		}
		if !errors.Is(err, reportsvc.ErrGenerating) {
			t.Errorf("Ensure (mode %d) while locked: err = %v, want ErrGenerating in the chain", mode, err)
		}
		var locked *store.ErrLocked
		if !errors.As(err, &locked) {
			t.Fatalf("Ensure (mode %d) while locked: err = %v, want a *store.ErrLocked in the chain", mode, err)
		}
		if locked.Owner != "timer-invocation" {
			t.Errorf("ErrLocked.Owner = %q, want %q", locked.Owner, "timer-invocation")
		}
	}
	if got := gen.callCount(); got != 0 {
		t.Errorf("generator calls = %d, want 0", got)
	}

	// Once the holder releases, the same request generates.
	if err := held.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	out, err := svc.Ensure(ctx, reportsvc.Request{AccountID: testAccount, Mode: reportsvc.ModeServe, Owner: "req-1", Generator: gen})
	if err != nil {
		t.Fatalf("Ensure after release: %v", err)
	}
	if !out.Generated {
		t.Errorf("Ensure after release: Generated = false, want true")
	}
}

// hiddenLockDriver fails every read of a lock object with NotFound, as
// when another process deletes it between listing and reading.
type hiddenLockDriver struct {
	driver.Driver
}

func (d hiddenLockDriver) Open(ctx context.Context, key string) (io.ReadCloser, driver.Attributes, error) {
	if strings.Contains(key, "/locks/") {
		return nil, driver.Attributes{}, kind.Errorf(kind.NotFound, "open %q: no such object", key)
	}
	return d.Driver.Open(ctx, key)
}

func TestEnsureLockHolderUnreadable(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock(t0)
	st, base := newFileStore(t, clk)
	old, err := st.Lock(ctx, testAccount, "old-invocation")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if err := old.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	gen := newGenerator(clk)
	svc := reportsvc.New(store.New(hiddenLockDriver{base}, store.Options{Now: clk.Now}), testConfig(clk))

	_, err = svc.Ensure(ctx, reportsvc.Request{AccountID: testAccount, Mode: reportsvc.ModeServe, Owner: "req-1", Generator: gen})
	if !kind.Is(err, kind.Conflict) {
		t.Fatalf("Ensure: err = %v (kind %v), want conflict", err, kind.Of(err))
	}
	if !errors.Is(err, reportsvc.ErrGenerating) {
		t.Errorf("Ensure: err = %v, want ErrGenerating in the chain", err)
	}
	if got := gen.callCount(); got != 0 {
		t.Errorf("generator calls = %d, want 0", got)
	}
}

func TestEnsureReleasesLock(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"after success", nil, false},
		{"after generator error", kind.Errorf(kind.PermissionDenied, "ims:GetCredentialReport denied"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clk := storetest.NewClock(t0)
			st, _ := newFileStore(t, clk)
			gen := newGenerator(clk)
			gen.err = tt.err
			svc := reportsvc.New(st, testConfig(clk))
			req := reportsvc.Request{AccountID: testAccount, Mode: reportsvc.ModeForce, Owner: "req-1", Generator: gen}

			if _, err := svc.Ensure(ctx, req); (err != nil) != tt.wantErr {
				t.Fatalf("first Ensure: err = %v, want error %v", err, tt.wantErr)
			}
			checkUnlocked(t, st)

			// A second generation takes the lock again.
			clk.Advance(time.Second)
			if _, err := svc.Ensure(ctx, req); (err != nil) != tt.wantErr {
				t.Fatalf("second Ensure: err = %v, want error %v", err, tt.wantErr)
			}
			if got := gen.callCount(); got != 2 {
				t.Errorf("generator calls = %d, want 2", got)
			}
		})
	}
}

// lockHookDriver runs onLock once, before the first lock object is
// created, as another process would that stores a report just then.
type lockHookDriver struct {
	driver.Driver
	once   sync.Once
	onLock func(ctx context.Context)
}

func (d *lockHookDriver) Put(ctx context.Context, key string, r io.Reader, size int64, opts driver.PutOptions) error {
	if strings.Contains(key, "/locks/") && opts.IfNotExists {
		d.once.Do(func() { d.onLock(ctx) })
	}
	return d.Driver.Put(ctx, key, r, size, opts)
}

func TestEnsureReturnsReportStoredWhileLocking(t *testing.T) {
	tests := []struct {
		name string
		// age is the age of the report stored before Ensure, and a negative age stores none.
		age           time.Duration
		mode          reportsvc.Mode
		wantGenerated bool
	}{
		{"stale report", 5 * time.Hour, reportsvc.ModeServe, false},
		{"no report", -1, reportsvc.ModeServe, false},
		{"timer", 5 * time.Hour, reportsvc.ModeTimer, false},
		{"refresh", 5 * time.Hour, reportsvc.ModeRefresh, false},
		{"force generates anyway", 5 * time.Hour, reportsvc.ModeForce, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clk := storetest.NewClock(t0)
			base, err := filedriver.New(t.TempDir())
			if err != nil {
				t.Fatalf("filedriver.New: %v", err)
			}
			other := store.New(base, store.Options{Now: clk.Now})
			if tt.age >= 0 {
				putReport(t, other, t0.Add(-tt.age), report.SourceNative)
			}

			// The other process's report is ten seconds old when the lock is taken.
			var theirs store.Entry
			hook := &lockHookDriver{Driver: base, onLock: func(context.Context) {
				theirs = putReport(t, other, t0.Add(-10*time.Second), report.SourceBuild)
			}}
			st := store.New(hook, store.Options{Now: clk.Now})
			gen := newGenerator(clk)
			svc := reportsvc.New(st, testConfig(clk))

			out, err := svc.Ensure(ctx, reportsvc.Request{AccountID: testAccount, Mode: tt.mode, Owner: "req-1", Generator: gen})
			if err != nil {
				t.Fatalf("Ensure: %v", err)
			}
			if theirs.Key == "" {
				t.Fatal("the lock hook did not run")
			}

			if out.Generated != tt.wantGenerated {
				t.Errorf("Generated = %v, want %v", out.Generated, tt.wantGenerated)
			}
			if tt.wantGenerated {
				if got := gen.callCount(); got != 1 {
					t.Errorf("generator calls = %d, want 1", got)
				}
				return
			}
			if !out.Cached {
				t.Error("Cached = false, want true")
			}
			if out.Entry.Key != theirs.Key {
				t.Errorf("entry = %q, want the report stored during locking %q", out.Entry.Key, theirs.Key)
			}
			if got := gen.callCount(); got != 0 {
				t.Errorf("generator calls = %d, want 0", got)
			}
			checkUnlocked(t, st)
		})
	}
}

func TestEnsureNotEnoughTime(t *testing.T) {
	tests := []struct {
		name string
		// timeout is the context's timeout, and zero sets no deadline.
		timeout    time.Duration
		durationMS int64
		wantErr    bool
	}{
		{"deadline shorter than last run", 500 * time.Millisecond, 60_000, true},
		{"deadline longer than last run", time.Hour, 60_000, false},
		{"no deadline", 0, 60_000, false},
		{"last run without duration", 500 * time.Millisecond, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := storetest.NewClock(t0)
			st, _ := newFileStore(t, clk)
			meta, csv := storetest.NewReport(testAccount, t0.Add(-5*time.Hour), report.SourceBuild)
			meta.DurationMS = tt.durationMS
			if _, err := st.Put(context.Background(), meta, bytes.NewReader(csv), int64(len(csv))); err != nil {
				t.Fatalf("Put: %v", err)
			}
			gen := newGenerator(clk)
			svc := reportsvc.New(st, testConfig(clk))

			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			out, err := svc.Ensure(ctx, reportsvc.Request{AccountID: testAccount, Mode: reportsvc.ModeServe, Owner: "req-1", Generator: gen})

			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Ensure: %v", err)
				}
				if !out.Generated {
					t.Error("Generated = false, want true")
				}
				return
			}
			if !errors.Is(err, reportsvc.ErrNotEnoughTime) {
				t.Fatalf("Ensure: err = %v, want ErrNotEnoughTime in the chain", err)
			}
			if k := kind.Of(err); k != kind.Unavailable {
				t.Errorf("Ensure: kind %v, want unavailable", k)
			}
			if got := gen.callCount(); got != 0 {
				t.Errorf("generator calls = %d, want 0", got)
			}
			checkUnlocked(t, st)
		})
	}
}

func TestEnsureConcurrentCalls(t *testing.T) {
	const callers = 8
	tests := []struct {
		name string
		// block holds the generation until every other caller has returned.
		block bool
	}{
		{"generation returns at once", false},
		{"generation blocks", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clk := storetest.NewClock(t0)
			st, _ := newFileStore(t, clk)
			stale := putReport(t, st, t0.Add(-5*time.Hour), report.SourceNative)
			gen := newGenerator(clk)
			gen.entered = make(chan struct{}, callers)
			if tt.block {
				gen.release = make(chan struct{})
			}
			svc := reportsvc.New(st, testConfig(clk))

			type result struct {
				out reportsvc.Outcome
				err error
			}
			results := make(chan result, callers)
			start := make(chan struct{})
			for i := range callers {
				go func() {
					<-start
					req := reportsvc.Request{AccountID: testAccount, Mode: reportsvc.ModeServe, Owner: "req-" + string(rune('a'+i)), Generator: gen}
					out, err := svc.Ensure(ctx, req)
					results <- result{out, err}
				}()
			}
			close(start)

			var got []result
			if tt.block {
				// Every caller but the generating one returns while it waits.
				<-gen.entered
				for len(got) < callers-1 {
					select {
					case r := <-results:
						got = append(got, r)
					case <-gen.entered:
						t.Error("a second caller started a generation")
					}
				}
				close(gen.release)
			}
			for len(got) < callers {
				got = append(got, <-results)
			}

			if n := gen.callCount(); n != 1 {
				t.Errorf("generator calls = %d, want 1", n)
			}
			var generated []store.Entry
			var cached []store.Entry
			for _, r := range got {
				switch {
				case r.err != nil:
					if !kind.Is(r.err, kind.Conflict) || !errors.Is(r.err, reportsvc.ErrGenerating) {
						t.Errorf("Ensure: err = %v (kind %v), want a conflict wrapping ErrGenerating", r.err, kind.Of(r.err))
					}
				case r.out.Generated:
					generated = append(generated, r.out.Entry)
				case r.out.Cached:
					cached = append(cached, r.out.Entry)
				default:
					t.Errorf("Ensure returned %+v, neither cached nor generated", r.out)
				}
			}
			if len(generated) != 1 {
				t.Fatalf("%d callers generated, want 1", len(generated))
			}
			for _, e := range cached {
				if e.Key != generated[0].Key {
					t.Errorf("cached entry %q, want the new report %q", e.Key, generated[0].Key)
				}
			}
			if keys := listKeys(t, st); len(keys) != 2 || keys[0] != stale.Key || keys[1] != generated[0].Key {
				t.Errorf("stored reports = %q, want the stale one and one new", keys)
			}
			checkUnlocked(t, st)
		})
	}
}

func TestEnsureGeneratorError(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantKind kind.Kind
	}{
		{"throttled", kind.Errorf(kind.Throttled, "ims:GenerateCredentialReport: Throttling.User"), kind.Throttled},
		{"permission denied", kind.Errorf(kind.PermissionDenied, "ram:ListUsers: NoPermission"), kind.PermissionDenied},
		{"deadline", context.DeadlineExceeded, kind.DeadlineExceeded},
		{"unclassified", errors.New("parse page 3: unexpected end of JSON"), kind.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := storetest.NewClock(t0)
			st, _ := newFileStore(t, clk)
			stale := putReport(t, st, t0.Add(-5*time.Hour), report.SourceNative)
			before := listKeys(t, st)
			gen := newGenerator(clk)
			gen.err = tt.err
			svc := reportsvc.New(st, testConfig(clk))

			out, err := svc.Ensure(context.Background(), reportsvc.Request{AccountID: testAccount, Mode: reportsvc.ModeServe, Owner: "req-1", Generator: gen})
			if !errors.Is(err, tt.err) {
				t.Fatalf("Ensure: err = %v, want the generator's error %v", err, tt.err)
			}
			if k := kind.Of(err); k != tt.wantKind {
				t.Errorf("Ensure: kind %v, want %v", k, tt.wantKind)
			}
			if out.Generated || out.Cached || out.Entry.Key != "" {
				t.Errorf("Outcome = %+v, want zero on error", out)
			}

			after := listKeys(t, st)
			if len(after) != len(before) || after[0] != before[0] {
				t.Errorf("stored reports after the error = %q, want %q", after, before)
			}
			latest, err := st.Latest(context.Background(), testAccount)
			if err != nil {
				t.Fatalf("Latest: %v", err)
			}
			if latest.Key != stale.Key {
				t.Errorf("latest = %q, want the previous %q", latest.Key, stale.Key)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	clk := storetest.NewClock(t0)
	st, _ := newFileStore(t, clk)
	tests := []struct {
		name       string
		cfg        reportsvc.Config
		wantMaxAge time.Duration
	}{
		{"zero", reportsvc.Config{Now: clk.Now}, reportsvc.DefaultMaxAge},
		{"negative", reportsvc.Config{MaxAge: -time.Hour, Now: clk.Now}, reportsvc.DefaultMaxAge},
		{"set", reportsvc.Config{MaxAge: time.Hour, Now: clk.Now}, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reportsvc.New(st, tt.cfg).MaxAge(); got != tt.wantMaxAge {
				t.Errorf("MaxAge = %s, want %s", got, tt.wantMaxAge)
			}
		})
	}
}
