package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/driver"
)

func lockKeyOf(accountID string, seq int) string {
	return fmt.Sprintf("%s/locks/%020d.json", accountID, seq)
}

// wantLocked checks that err is a Conflict carrying the holder owner.
func wantLocked(t *testing.T, err error, owner string) *store.ErrLocked {
	t.Helper()
	if !kind.Is(err, kind.Conflict) {
		t.Fatalf("Lock: err = %v (kind %v), want conflict", err, kind.Of(err))
	}
	var locked *store.ErrLocked
	if !errors.As(err, &locked) {
		t.Fatalf("Lock: err = %v, want an *ErrLocked in the chain", err)
	}
	if locked.Owner != owner {
		t.Errorf("ErrLocked owner = %q, want %q", locked.Owner, owner)
	}
	return locked
}

// hookDriver runs afterPut after every successful Put, to act as another
// process between two steps of the store.
type hookDriver struct {
	driver.Driver
	afterPut func(key string)
}

func (h *hookDriver) Put(ctx context.Context, key string, r io.Reader, size int64, opts driver.PutOptions) error {
	err := h.Driver.Put(ctx, key, r, size, opts)
	if err == nil && h.afterPut != nil {
		h.afterPut(key)
	}
	return err
}

func runLockTests(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	ctx := context.Background()

	t.Run("AcquireConflictRelease", func(t *testing.T) {
		d := newDriver(t)
		s, clk := newTestStore(d)
		l, err := s.Lock(ctx, testAccount, "req-1")
		if err != nil {
			t.Fatalf("Lock: %v", err)
		}
		if l.Key() != lockKeyOf(testAccount, 1) {
			t.Errorf("first lock key = %q, want %q", l.Key(), lockKeyOf(testAccount, 1))
		}
		if !l.ExpiresAt().Equal(clk.Now().Add(store.DefaultLockTTL)) {
			t.Errorf("lock expires at %s, want now + %s", l.ExpiresAt(), store.DefaultLockTTL)
		}

		_, err = s.Lock(ctx, testAccount, "req-2")
		locked := wantLocked(t, err, "req-1")
		if !locked.ExpiresAt.Equal(l.ExpiresAt()) || !locked.StartedAt.Equal(l.StartedAt()) {
			t.Errorf("ErrLocked times = %s..%s, want %s..%s", locked.StartedAt, locked.ExpiresAt, l.StartedAt(), l.ExpiresAt())
		}

		if err := l.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if err := l.Release(ctx); err != nil {
			t.Errorf("second Release: %v, want nil", err)
		}
		l2, err := s.Lock(ctx, testAccount, "req-2")
		if err != nil {
			t.Fatalf("Lock after Release: %v", err)
		}
		if l2.Key() != lockKeyOf(testAccount, 2) {
			t.Errorf("lock after release = %q, want the next sequence %q", l2.Key(), lockKeyOf(testAccount, 2))
		}
	})

	t.Run("ExpiredLockTakenOver", func(t *testing.T) {
		s, clk := newTestStore(newDriver(t))
		old, err := s.Lock(ctx, testAccount, "slow")
		if err != nil {
			t.Fatalf("Lock: %v", err)
		}

		clk.Advance(store.DefaultLockTTL - time.Second)
		_, err = s.Lock(ctx, testAccount, "early")
		wantLocked(t, err, "slow")

		clk.Advance(time.Second)
		l, err := s.Lock(ctx, testAccount, "next")
		if err != nil {
			t.Fatalf("Lock at the expiry: %v", err)
		}

		// The old holder's late Release touches only its own object.
		if err := old.Release(ctx); err != nil {
			t.Fatalf("late Release: %v", err)
		}
		_, err = s.Lock(ctx, testAccount, "third")
		wantLocked(t, err, "next")
		if err := l.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
	})

	t.Run("LockTTLOption", func(t *testing.T) {
		clk := NewClock(t0)
		s := store.New(newDriver(t), store.Options{Now: clk.Now, LockTTL: time.Minute})
		l, err := s.Lock(ctx, testAccount, "short")
		if err != nil {
			t.Fatalf("Lock: %v", err)
		}
		if want := t0.Add(time.Minute); !l.ExpiresAt().Equal(want) {
			t.Errorf("expires at %s, want %s", l.ExpiresAt(), want)
		}
		clk.Advance(time.Minute)
		if _, err := s.Lock(ctx, testAccount, "after"); err != nil {
			t.Errorf("Lock after the one-minute TTL: %v", err)
		}
	})

	t.Run("AccountsIndependent", func(t *testing.T) {
		s, _ := newTestStore(newDriver(t))
		if _, err := s.Lock(ctx, "111", "a"); err != nil {
			t.Fatalf("Lock(111): %v", err)
		}
		if _, err := s.Lock(ctx, "1111", "b"); err != nil {
			t.Errorf("Lock(1111) while 111 is held: %v", err)
		}
	})

	t.Run("ConcurrentSingleWinner", func(t *testing.T) {
		s, _ := newTestStore(newDriver(t))
		const n = 8
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			results = make([]error, n)
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, results[i] = s.Lock(ctx, testAccount, fmt.Sprintf("worker-%d", i))
			}()
		}
		close(start)
		wg.Wait()

		winners := 0
		for i, err := range results {
			switch {
			case err == nil:
				winners++
			case !kind.Is(err, kind.Conflict):
				t.Errorf("worker %d: err = %v (kind %v), want nil or conflict", i, err, kind.Of(err))
			}
		}
		if winners != 1 {
			t.Errorf("%d workers got the lock, want exactly 1", winners)
		}
	})

	t.Run("SequencesGrowAndCleanupIsBounded", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		var last *store.Lock
		for i := range 10 {
			l, err := s.Lock(ctx, testAccount, fmt.Sprintf("run-%d", i))
			if err != nil {
				t.Fatalf("Lock %d: %v", i, err)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatalf("Release %d: %v", i, err)
			}
			last = l
		}
		if last.Key() != lockKeyOf(testAccount, 10) {
			t.Errorf("tenth lock = %q, want %q", last.Key(), lockKeyOf(testAccount, 10))
		}
		keys := listKeys(t, d, testAccount+"/locks/")
		if len(keys) > 4 {
			t.Errorf("lock objects after 10 runs = %q, want at most the newest 4", keys)
		}
		if len(keys) == 0 || keys[len(keys)-1] != last.Key() {
			t.Errorf("lock objects = %q, want the newest to be %q", keys, last.Key())
		}
	})

	t.Run("WithdrawsWhenHigherSequenceAppears", func(t *testing.T) {
		hd := &hookDriver{Driver: newDriver(t)}
		s, _ := newTestStore(hd)

		// Another process claims sequence 2 right after this one writes 1,
		// as happens when this process listed before a cleanup.
		other := `{"owner":"other","started_at":"2024-06-01T10:00:00Z","expires_at":"2024-06-01T10:15:00Z"}`
		hd.afterPut = func(key string) {
			if key == lockKeyOf(testAccount, 1) {
				hd.afterPut = nil
				put(t, hd.Driver, lockKeyOf(testAccount, 2), []byte(other), driver.PutOptions{IfNotExists: true})
			}
		}
		_, err := s.Lock(ctx, testAccount, "me")
		wantLocked(t, err, "other")

		keys := listKeys(t, hd, testAccount+"/locks/")
		if strings.Join(keys, " ") != lockKeyOf(testAccount, 2) {
			t.Errorf("lock objects = %q, want only the other process's %q", keys, lockKeyOf(testAccount, 2))
		}
	})

	t.Run("UnreadableLockExpiresAfterTTL", func(t *testing.T) {
		d := newDriver(t)
		// The fallback expiry counts from the object's ModTime, which is
		// the backend's clock, so this test starts the store clock there.
		clk := NewClock(time.Now())
		s := store.New(d, store.Options{Now: clk.Now})
		put(t, d, lockKeyOf(testAccount, 1), []byte("not json"), driver.PutOptions{})

		_, err := s.Lock(ctx, testAccount, "me")
		if !kind.Is(err, kind.Conflict) {
			t.Fatalf("Lock over an unreadable lock object: err = %v (kind %v), want conflict", err, kind.Of(err))
		}
		clk.Advance(store.DefaultLockTTL + time.Minute)
		l, err := s.Lock(ctx, testAccount, "me")
		if err != nil {
			t.Fatalf("Lock after the TTL: %v", err)
		}
		if l.Key() != lockKeyOf(testAccount, 2) {
			t.Errorf("lock key = %q, want %q", l.Key(), lockKeyOf(testAccount, 2))
		}
	})

	t.Run("ForeignObjectsIgnored", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		put(t, d, testAccount+"/locks/README", []byte("x"), driver.PutOptions{})
		l, err := s.Lock(ctx, testAccount, "me")
		if err != nil {
			t.Fatalf("Lock: %v", err)
		}
		if l.Key() != lockKeyOf(testAccount, 1) {
			t.Errorf("lock key = %q, want %q", l.Key(), lockKeyOf(testAccount, 1))
		}
	})

	t.Run("InvalidInput", func(t *testing.T) {
		s, _ := newTestStore(newDriver(t))
		if _, err := s.Lock(ctx, testAccount, ""); !kind.Is(err, kind.InvalidArgument) {
			t.Errorf("Lock with no owner: err = %v, want invalid_argument", err)
		}
		if _, err := s.Lock(ctx, "a/b", "me"); !kind.Is(err, kind.InvalidArgument) {
			t.Errorf("Lock with an account containing a slash: err = %v, want invalid_argument", err)
		}
	})
}
