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

// pacer spaces and bounds the calls of one client. It adapts two limits to
// throttled responses, each cut once per round of calls and grown back after:
//
//   - the request rate, a token bucket: a throttled response sets it just under
//     the rate the service accepted over the last second, and every quiet
//     second raises it by a few percent, up to the configured QPS (no upper
//     bound when the quota is unknown);
//   - the calls in flight, a window: a throttled response halves it, and each
//     success grows it by about one call per round, up to the configured
//     concurrency.
type pacer struct {
	limiter *rate.Limiter
	maxRate float64 // configured QPS; +Inf when unknown
	now     func() time.Time

	mu        sync.Mutex
	window    float64 // calls allowed in flight; at least 1
	maxWindow float64
	inflight  int
	epoch     uint64 // bumped on every decrease
	changed   chan struct{}
	accepted  acceptedCounter
	lastRaise time.Time
	lastCut   time.Time
}

// Rate adaptation constants.
const (
	// rateCutFactor sets the new rate after a throttled response, relative to
	// the rate the service accepted over the last second.
	rateCutFactor = 0.9
	// rateRaiseStep is how much a second without throttling raises the rate.
	rateRaiseStep = 0.02
	// minRate keeps a throttled client moving.
	minRate = 1.0
	// minRateSample is the fewest accepted calls a rate estimate rests on.
	minRateSample = 20
)

// ticket is a granted call slot.
type ticket struct{ epoch uint64 }

func newPacer(qps float64, concurrency int, now func() time.Time) *pacer {
	p := &pacer{
		window: float64(concurrency), maxWindow: float64(concurrency),
		changed: make(chan struct{}), now: now, maxRate: math.Inf(1),
	}
	// A burst of one spaces calls evenly, so a known budget is never
	// exceeded in any window the service might measure.
	p.limiter = rate.NewLimiter(rate.Inf, 1)
	if qps > 0 {
		p.maxRate = qps
		p.limiter.SetLimit(rate.Limit(qps))
	}
	p.lastRaise = now()
	return p
}

// acquire waits for room in the window and a token from the rate limit.
func (p *pacer) acquire(ctx context.Context) (ticket, error) {
	for {
		p.mu.Lock()
		if float64(p.inflight) < math.Floor(p.window) || p.inflight == 0 {
			p.inflight++
			t := ticket{epoch: p.epoch}
			p.mu.Unlock()
			if err := p.limiter.Wait(ctx); err != nil {
				p.release(t, false)
				return ticket{}, kind.Wrap(kind.DeadlineExceeded, err)
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

// release returns a slot and adapts both limits to the outcome.
func (p *pacer) release(t ticket, throttled bool) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	switch {
	case throttled && t.epoch == p.epoch:
		// Only calls sent after the last decrease may cut again, so one
		// burst of throttled responses cuts once.
		p.window = math.Max(1, p.window/2)
		p.epoch++
		p.lastCut, p.lastRaise = now, now
		// A rate measured on a handful of calls shows nothing about the
		// quota; the window alone slows such a client down.
		if accepted, n := p.accepted.perSecond(now); n >= minRateSample {
			p.limiter.SetLimit(rate.Limit(math.Max(minRate, math.Min(p.maxRate, accepted*rateCutFactor))))
		}
	case !throttled:
		p.window = math.Min(p.maxWindow, p.window+1/p.window)
		p.accepted.add(now)
		if limit := float64(p.limiter.Limit()); !math.IsInf(limit, 1) && now.Sub(p.lastRaise) >= time.Second {
			p.lastRaise = now
			raised := limit * (1 + rateRaiseStep)
			if raised >= p.maxRate {
				raised = p.maxRate
			}
			p.limiter.SetLimit(rate.Limit(raised))
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *pacer) currentLimit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(p.window)
}

// currentRate returns the request rate limit; +Inf when unlimited.
func (p *pacer) currentRate() float64 { return float64(p.limiter.Limit()) }

// acceptedCounter counts accepted calls over the last second in ten slices
// of 100 ms.
type acceptedCounter struct {
	slices [10]int
	stamps [10]int64 // the 100 ms period each slice counts
	first  time.Time // the first accepted call
}

func (c *acceptedCounter) add(now time.Time) {
	if c.first.IsZero() {
		c.first = now
	}
	period := now.UnixMilli() / 100
	i := period % 10
	if c.stamps[i] != period {
		c.stamps[i], c.slices[i] = period, 0
	}
	c.slices[i]++
}

// perSecond returns the rate of calls accepted over the last second (over
// the time since the first one, when that is shorter) and how many calls
// the rate rests on.
func (c *acceptedCounter) perSecond(now time.Time) (float64, int) {
	period := now.UnixMilli() / 100
	total := 0
	for i := range c.slices {
		if period-c.stamps[i] < 10 {
			total += c.slices[i]
		}
	}
	span := min(time.Second, max(100*time.Millisecond, now.Sub(c.first)))
	return float64(total) / span.Seconds(), total
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
