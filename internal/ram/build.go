package ram

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
)

// userSlot is one user's place in the report, in ListUsers order.
type userSlot struct {
	listed   listedUser
	row      report.Row
	vanished bool
}

// buildResult is a built report before it is written.
type buildResult struct {
	rows     []report.Row // root first
	vanished int
	rootRow  string
}

// build reads every user and derives the report rows. native, when not nil,
// delivers the native report (or its error) for the root row.
func (c *Client) build(ctx context.Context, caller Caller, native <-chan nativeOutcome, opts *Options) (*buildResult, error) {
	policy, err := c.passwordPolicy(ctx)
	if err != nil {
		return nil, err
	}
	accountMFA, err := c.accountMFA(ctx)
	if err != nil {
		return nil, err
	}
	virtualMFA, err := c.virtualMFAUsers(ctx)
	if err != nil {
		return nil, err
	}

	var (
		mu    sync.Mutex
		slots []*userSlot
		done  atomic.Int64
	)
	stopProgress := opts.startProgress(c, func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return int(done.Load()), len(slots)
	})
	defer stopProgress()

	// Users are read by a fixed number of workers while ListUsers pages
	// are still arriving; the pacer bounds the calls they make.
	g, gctx := errgroup.WithContext(ctx)
	work := make(chan *userSlot, 2*c.cfg.Concurrency)
	for range c.cfg.Concurrency {
		g.Go(func() error {
			for s := range work {
				if err := c.readUser(gctx, s, policy, virtualMFA); err != nil {
					return err
				}
				done.Add(1)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(work)
		return c.listUsers(gctx, func(page []listedUser) error {
			for _, u := range page {
				s := &userSlot{listed: u}
				mu.Lock()
				slots = append(slots, s)
				mu.Unlock()
				select {
				case work <- s:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	root, rootRow, err := c.rootRow(ctx, caller, accountMFA, native)
	if err != nil {
		return nil, err
	}
	res := &buildResult{rows: make([]report.Row, 0, len(slots)+1), rootRow: rootRow}
	res.rows = append(res.rows, root)
	for i, s := range slots {
		// Dropping each slot once its row is copied lets the collector
		// reclaim the slots while the rows slice fills.
		slots[i] = nil
		if s.vanished {
			res.vanished++
			continue
		}
		res.rows = append(res.rows, s.row)
	}
	return res, nil
}

// readUser makes the per-user calls and derives the user's row. A user
// deleted meanwhile is marked vanished, which is not an error.
func (c *Client) readUser(ctx context.Context, s *userSlot, policy report.PasswordPolicy, virtualMFA map[string]bool) error {
	upn := s.listed.UPN
	u := report.User{UPN: upn, CreateDate: s.listed.Created, LastLoginDate: s.listed.LastLogin}
	err := func() error {
		var err error
		if u.Profile, err = c.loginProfile(ctx, upn); err != nil {
			return err
		}
		if u.AccessKeys, err = c.accessKeys(ctx, upn); err != nil {
			return err
		}
		for i := range u.AccessKeys {
			if u.AccessKeys[i].LastUsed, err = c.accessKeyLastUsed(ctx, upn, u.AccessKeys[i].ID); err != nil {
				return err
			}
		}
		// A bound virtual device settles MFA; otherwise only GetUserMFAInfo
		// can tell, because U2F devices are not listed.
		if virtualMFA[upn] {
			u.MFABound = true
		} else if u.MFABound, err = c.userMFA(ctx, upn); err != nil {
			return err
		}
		return nil
	}()
	if errors.Is(err, errUserVanished) {
		s.vanished = true
		return nil
	}
	if err != nil {
		return err
	}
	s.row = report.UserRow(u, policy)
	return nil
}

// nativeOutcome is the result of fetching the native report alongside a build.
type nativeOutcome struct {
	report *nativeReport
	err    error
}

// rootRow derives the <root> row: from the native report when it arrived in
// time, from the caller's own keys when the caller is the root, and
// otherwise from the root's key count alone.
func (c *Client) rootRow(ctx context.Context, caller Caller, accountMFA bool, native <-chan nativeOutcome) (report.Row, string, error) {
	if native != nil {
		var out nativeOutcome
		select {
		case out = <-native:
		case <-ctx.Done():
			return report.Row{}, "", kind.Errorf(kind.DeadlineExceeded, "wait for the native report: %w", ctx.Err())
		}
		if out.err == nil {
			parsed, err := report.Parse(bytes.NewReader(out.report.csv))
			if err != nil {
				return report.Row{}, "", kind.Errorf(kind.Internal, "parse the native report: %w", err)
			}
			if root := parsed.Root(); root != nil {
				return report.RootRowFromNative(*root, accountMFA), report.RootRowNative, nil
			}
		}
	}
	if caller.IsRoot() {
		keys, err := c.accessKeys(ctx, "")
		if err != nil {
			return report.Row{}, "", err
		}
		for i := range keys {
			if keys[i].LastUsed, err = c.accessKeyLastUsed(ctx, "", keys[i].ID); err != nil {
				return report.Row{}, "", err
			}
		}
		return report.RootRowFromKeys(accountMFA, keys), report.RootRowPartial, nil
	}
	n, err := c.rootKeyCount(ctx)
	if err != nil {
		return report.Row{}, "", err
	}
	return report.PartialRootRow(accountMFA, n), report.RootRowPartial, nil
}

// Progress is a snapshot of a running build.
type Progress struct {
	UsersDone  int
	UsersSeen  int // users listed so far
	Calls      int64
	Throttled  int64
	Elapsed    time.Duration
	Concurrent int // calls currently allowed in flight
}

// startProgress calls opts.OnProgress every opts.ProgressEvery until the
// returned stop function runs; it does nothing without OnProgress.
func (o *Options) startProgress(c *Client, counts func() (done, seen int)) (stop func()) {
	if o == nil || o.OnProgress == nil {
		return func() {}
	}
	every := o.ProgressEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	start := c.cfg.Now()
	base := c.Stats()
	ticker := time.NewTicker(every)
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-ticker.C:
				done, seen := counts()
				st := c.Stats()
				o.OnProgress(Progress{
					UsersDone: done, UsersSeen: seen,
					Calls: st.Calls - base.Calls, Throttled: st.Throttled - base.Throttled,
					Elapsed: c.cfg.Now().Sub(start), Concurrent: c.Concurrency(),
				})
			case <-quit:
				return
			}
		}
	}()
	return func() {
		ticker.Stop()
		close(quit)
		<-finished
	}
}
