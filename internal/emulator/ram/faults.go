package ram

import (
	"fmt"
	"math"
	"net/http"
	"time"
)

// admit applies the QPS limit and the injected faults to request number seq
// (1-based, in arrival order). It returns nil when the request may proceed.
// When one request number is due for both faults, the throttle wins.
func (s *Server) admit(seq int64) *apiError {
	if s.limiter != nil && !s.limiter.Allow() {
		e := errThrottled()
		e.header = rateLimitHeader(s.limiter.Burst(), s.limiter.Tokens(), float64(s.limiter.Limit()))
		return e
	}

	faults := s.account.Faults
	if n := int64(faults.ThrottleEvery); n > 0 && seq%n == 0 {
		return errThrottled()
	}
	if n := int64(faults.ServerErrorEvery); n > 0 && seq%n == 0 {
		return newError(http.StatusInternalServerError, "InternalError",
			"The server failed to process the request (fault injected on request %d).", seq)
	}
	return nil
}

// rateLimitHeader describes the exhausted token bucket in the
// x-ratelimit-user header that darabonba-openapi clients read for the retry
// delay: TimeLeft is how many milliseconds until the next token.
func rateLimitHeader(burst int, tokens, qps float64) http.Header {
	wait := time.Duration(math.Ceil((1 - tokens) / qps * float64(time.Second)))
	h := http.Header{}
	h.Set("x-ratelimit-user", fmt.Sprintf("Limit:%d,Remain:0,TimeLeft:%d", burst, max(wait.Milliseconds(), 1)))
	return h
}
