package ram

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/credreport/credreport/internal/kind"
)

// pacer bounds the calls in flight with an additive-increase,
// multiplicative-decrease window: each throttled answer halves the window
// (once per round of calls), and each success grows it by about one call per
// round, up to the configured concurrency. With a known QPS a token bucket
// spaces the calls as well.
type pacer struct {
	limiter *rate.Limiter // nil when the budget is unknown

	mu       sync.Mutex
	window   float64 // calls allowed in flight; at least 1
	max      float64
	inflight int
	epoch    uint64 // bumped on every decrease
	changed  chan struct{}
}

// ticket is a granted call slot.
type ticket struct{ epoch uint64 }

func newPacer(qps float64, concurrency int) *pacer {
	p := &pacer{window: float64(concurrency), max: float64(concurrency), changed: make(chan struct{})}
	if qps > 0 {
		// A burst of one spaces calls evenly, so the budget is never exceeded
		// in any window the service might measure.
		p.limiter = rate.NewLimiter(rate.Limit(qps), 1)
	}
	return p
}

// acquire waits for room in the window and a token from the budget.
func (p *pacer) acquire(ctx context.Context) (ticket, error) {
	for {
		p.mu.Lock()
		if float64(p.inflight) < math.Floor(p.window) || p.inflight == 0 {
			p.inflight++
			t := ticket{epoch: p.epoch}
			p.mu.Unlock()
			if p.limiter != nil {
				if err := p.limiter.Wait(ctx); err != nil {
					p.release(t, false)
					return ticket{}, kind.Wrap(kind.DeadlineExceeded, err)
				}
			}
			return t, nil
		}
		wait := p.changed
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ticket{}, ctx.Err()
		}
	}
}

// release returns a slot and adapts the window to the outcome.
func (p *pacer) release(t ticket, throttled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	switch {
	case throttled && t.epoch == p.epoch:
		// Only calls sent after the last decrease may shrink the window
		// again, so one burst of throttled answers halves it once.
		p.window = math.Max(1, p.window/2)
		p.epoch++
	case !throttled:
		p.window = math.Min(p.max, p.window+1/p.window)
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *pacer) currentLimit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(p.window)
}

// Backoff bounds for retries.
const (
	backoffBase = 100 * time.Millisecond
	backoffMax  = 5 * time.Second
	// throttleBase is larger: a throttled service needs time to refill.
	throttleBase = 250 * time.Millisecond
)

// backoff returns the wait before retry number attempt (1 = first retry):
// exponential with full jitter, at least half the step so retries do not
// return at once.
func backoff(attempt int, k kind.Kind) time.Duration {
	base := backoffBase
	if k == kind.Throttled {
		base = throttleBase
	}
	step := base << min(attempt-1, 10)
	if step > backoffMax || step <= 0 {
		step = backoffMax
	}
	half := step / 2
	return half + rand.N(half+1)
}
