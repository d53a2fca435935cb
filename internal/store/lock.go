package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/store/driver"
)

const (
	// lockKeepBelow is how many lock objects below the holder's own
	// survive cleanup. Keeping a few means a process that listed the locks
	// a moment ago still finds its newest+1 taken instead of re-creating a
	// deleted sequence number.
	lockKeepBelow = 3

	// lockCleanupMax bounds the deletions one acquisition makes; a backlog
	// shrinks over several acquisitions.
	lockCleanupMax = 16

	// maxLockBody bounds what is read from a lock object.
	maxLockBody = 64 << 10
)

// ErrLocked describes the live lock that prevented Store.Lock. It is
// wrapped in a kind.Conflict error; use errors.As to read it.
type ErrLocked struct {
	// Owner is the owner string the holder passed to Lock.
	Owner     string
	StartedAt time.Time
	ExpiresAt time.Time
}

func (e *ErrLocked) Error() string {
	return fmt.Sprintf("locked by %q since %s until %s", e.Owner,
		e.StartedAt.UTC().Format(time.RFC3339), e.ExpiresAt.UTC().Format(time.RFC3339))
}

// lockBody is the JSON content of a lock object.
type lockBody struct {
	Owner     string    `json:"owner"`
	StartedAt time.Time `json:"started_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Lock is a held single-flight lock of one account. Its methods are safe
// for concurrent use.
type Lock struct {
	s         *Store
	key       string
	owner     string
	startedAt time.Time
	expiresAt time.Time

	mu       sync.Mutex
	released bool
}

// Key returns the key of the lock object.
func (l *Lock) Key() string { return l.key }

// Owner returns the owner string passed to Store.Lock.
func (l *Lock) Owner() string { return l.owner }

// StartedAt returns when the lock was taken, by the store's clock.
func (l *Lock) StartedAt() time.Time { return l.startedAt }

// ExpiresAt returns when the lock stops being live unless released
// earlier. There is no renewal: work under the lock must end before then.
func (l *Lock) ExpiresAt() time.Time { return l.expiresAt }

// Lock takes the single-flight lock of accountID for owner, a free-form
// string naming the holder (such as a request ID), for Options.LockTTL. It
// returns a kind.Conflict error wrapping an *ErrLocked when another holder
// has a live lock, or when a concurrent caller wins the race.
//
// Lock objects are <account>/locks/<sequence>.json, with sequence numbers
// that only grow. Acquiring lists them, and when the newest has expired (or
// was released) creates newest+1 with IfNotExists, then lists again and
// withdraws if a higher sequence has appeared. Two live holders cannot
// coexist: each sequence number is created by exactly one caller
// (IfNotExists), a caller only creates newest+1 after reading newest as
// expired, and among callers that created numbers concurrently only the one
// with the highest number passes the second listing. Cleanup deletes only
// numbers well below the holder's own, and the second listing also catches
// a caller whose first listing predates that cleanup.
//
// The argument assumes that a listing shows every completed write and
// delete, and that the clocks of competing processes agree to well within
// LockTTL. A lock also ends at ExpiresAt even if its holder is still
// working.
//
// NOTE: the listing assumption holds for the file driver and the emulator;
// it was not checked against OSS documentation for ListObjectsV2.
func (s *Store) Lock(ctx context.Context, accountID, owner string) (*Lock, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := checkAccountID(accountID); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if owner == "" {
		return nil, kind.Errorf(kind.InvalidArgument, "lock account %q: missing owner", accountID)
	}

	// Find the newest lock object; a live one means someone holds the lock.
	seqs, err := s.lockSeqs(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var next uint64 = 1
	if len(seqs) > 0 {
		newest := seqs[len(seqs)-1]
		current, err := s.readLock(ctx, s.lockKey(accountID, newest))
		if kind.Is(err, kind.NotFound) {
			return nil, kind.Errorf(kind.Conflict, "lock account %q: lock %q vanished while reading it: another process is acquiring the lock", accountID, s.lockKey(accountID, newest))
		}
		if err != nil {
			return nil, fmt.Errorf("lock account %q: %w", accountID, err)
		}
		if current.ExpiresAt.After(s.now()) {
			return nil, kind.Errorf(kind.Conflict, "lock account %q: %w", accountID, current)
		}
		next = newest + 1
	}

	// Claim the next sequence number.
	now := s.now()
	l := &Lock{
		s:         s,
		key:       s.lockKey(accountID, next),
		owner:     owner,
		startedAt: now,
		expiresAt: now.Add(s.lockTTL),
	}
	err = s.writeLock(ctx, l.key, l.body(l.expiresAt), true)
	if kind.Is(err, kind.Conflict) {
		return nil, s.lostRace(ctx, accountID, l.key)
	}
	if err != nil {
		return nil, fmt.Errorf("lock account %q: %w", accountID, err)
	}

	// Withdraw if a higher number appeared: that caller's view is newer.
	seqs, err = s.lockSeqs(ctx, accountID)
	if err != nil {
		_ = s.d.Delete(context.WithoutCancel(ctx), l.key) // best effort: the error below is what the caller must see
		return nil, err
	}
	if len(seqs) == 0 {
		return nil, kind.Errorf(kind.Conflict, "lock account %q: lock %q vanished right after it was written: another process is cleaning up locks", accountID, l.key)
	}
	if newest := seqs[len(seqs)-1]; newest > next {
		_ = s.d.Delete(context.WithoutCancel(ctx), l.key) // best effort: Lock reads only the newest lock object, so a leftover lower one blocks no acquisition
		return nil, s.lostRace(ctx, accountID, s.lockKey(accountID, newest))
	}

	s.cleanLocks(ctx, accountID, seqs, next)
	return l, nil
}

// Release ends the lock by overwriting its own lock object with an expiry
// of now. It never deletes or touches another key, so sequence numbers
// never restart. Calling Release again after it succeeded does nothing.
func (l *Lock) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}

	expiresAt := l.s.now()
	if expiresAt.After(l.expiresAt) {
		expiresAt = l.expiresAt
	}
	if err := l.s.writeLock(ctx, l.key, l.body(expiresAt), false); err != nil {
		return fmt.Errorf("release lock %q: %w", l.key, err)
	}
	l.released = true
	return nil
}

func (l *Lock) body(expiresAt time.Time) lockBody {
	return lockBody{Owner: l.owner, StartedAt: l.startedAt.UTC(), ExpiresAt: expiresAt.UTC()}
}

// lostRace returns the Conflict error for a caller that lost to the lock at
// winnerKey, with the winner's details when they can be read.
func (s *Store) lostRace(ctx context.Context, accountID, winnerKey string) error {
	winner, err := s.readLock(ctx, winnerKey)
	if err != nil {
		return kind.Errorf(kind.Conflict, "lock account %q: another process took lock %q at the same time", accountID, winnerKey)
	}
	return kind.Errorf(kind.Conflict, "lock account %q: another process took the lock at the same time: %w", accountID, winner)
}

// lockSeqs lists the sequence numbers of the lock objects of accountID in
// ascending order. Other objects under the locks prefix are ignored.
func (s *Store) lockSeqs(ctx context.Context, accountID string) ([]uint64, error) {
	prefix := s.locksPrefix(accountID)
	var seqs []uint64
	err := s.d.List(ctx, prefix, func(o driver.ObjectInfo) error {
		if seq, ok := parseLockSeq(prefix, o.Key); ok {
			seqs = append(seqs, seq)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list locks under %q: %w", prefix, err)
	}
	return seqs, nil
}

// readLock reads the lock object at key. A body that cannot be decoded
// counts as a lock of an unknown owner that expires LockTTL after the
// object's ModTime, so a damaged object delays acquisition by one TTL.
func (s *Store) readLock(ctx context.Context, key string) (*ErrLocked, error) {
	rc, attrs, err := s.d.Open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read lock %q: %w", key, err)
	}
	defer rc.Close()

	data, err := io.ReadAll(io.LimitReader(rc, maxLockBody))
	if err != nil {
		return nil, fmt.Errorf("read lock %q: %w", key, err)
	}
	var body lockBody
	if err := json.Unmarshal(data, &body); err != nil || body.ExpiresAt.IsZero() {
		return &ErrLocked{
			Owner:     "unknown (unreadable lock object " + key + ")",
			StartedAt: attrs.ModTime,
			ExpiresAt: attrs.ModTime.Add(s.lockTTL),
		}, nil
	}
	return &ErrLocked{Owner: body.Owner, StartedAt: body.StartedAt, ExpiresAt: body.ExpiresAt}, nil
}

// writeLock stores body at key; ifNotExists claims a new sequence number.
func (s *Store) writeLock(ctx context.Context, key string, body lockBody, ifNotExists bool) error {
	data, err := json.Marshal(body)
	if err != nil {
		return kind.Errorf(kind.Internal, "write lock %q: encode: %w", key, err)
	}
	opts := driver.PutOptions{ContentType: jsonContentType, IfNotExists: ifNotExists}
	if err := s.d.Put(ctx, key, bytes.NewReader(data), int64(len(data)), opts); err != nil {
		return fmt.Errorf("write lock %q: %w", key, err)
	}
	return nil
}

// cleanLocks deletes up to lockCleanupMax of the oldest lock objects whose
// numbers are more than lockKeepBelow below mine. Errors are dropped: the
// lock is held already, and the next acquisition retries the cleanup.
func (s *Store) cleanLocks(ctx context.Context, accountID string, seqs []uint64, mine uint64) {
	deleted := 0
	for _, seq := range seqs {
		if seq+lockKeepBelow >= mine || deleted == lockCleanupMax {
			return
		}
		if err := s.d.Delete(ctx, s.lockKey(accountID, seq)); err != nil {
			return
		}
		deleted++
	}
}
