package ram

import (
	"net/http"
	"sync"
	"time"

	"github.com/credreport/credreport/internal/fixture"
)

// nonceWindow is how far a request timestamp may be from the server clock, and
// how long a signature nonce stays used.
const nonceWindow = 15 * time.Minute

// checkTimestamp parses a request timestamp (the Timestamp parameter or the
// x-acs-date header) and rejects one more than nonceWindow off the clock.
func (s *Server) checkTimestamp(name, value string, now time.Time) *apiError {
	at, err := time.Parse(timeLayout, value)
	if err != nil {
		return authError(http.StatusBadRequest, "InvalidTimeStamp.Format",
			"The %s %q is not in the format YYYY-MM-DDThh:mm:ssZ (UTC).", name, value)
	}
	if s.skipTimestampCheck {
		return nil
	}
	if skew := now.Sub(at); skew > nonceWindow || skew < -nonceWindow {
		return authError(http.StatusBadRequest, "InvalidTimeStamp.Expired",
			"The %s %s is more than %v away from the server time %s: sync the client clock.",
			name, value, nonceWindow, now.UTC().Format(timeLayout))
	}
	return nil
}

// lookupCredential finds the fixture credential of an AccessKey ID.
func (s *Server) lookupCredential(accessKeyID string) (*fixture.Credential, *apiError) {
	c, ok := s.credentials[accessKeyID]
	if !ok {
		return nil, authError(http.StatusNotFound, "InvalidAccessKeyId.NotFound",
			"Specified access key %q is not found.", accessKeyID)
	}
	return c, nil
}

// checkSecurityToken requires the security token of an STS credential and
// rejects a token that does not belong to the AccessKey.
func checkSecurityToken(c *fixture.Credential, token string) *apiError {
	switch {
	case c.SecurityToken == "" && token == "":
		return nil
	case c.SecurityToken != "" && token == "":
		// NOTE: the code MissingSecurityToken comes from an Alibaba SDK troubleshooting
		// list, not from an IMS error table, so treat the exact code as unconfirmed.
		return authError(http.StatusBadRequest, "MissingSecurityToken",
			"The AccessKey %q is temporary: send its security token with the request.", c.AccessKeyID)
	case token != c.SecurityToken:
		return authError(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey",
			"The security token does not belong to the AccessKey %q.", c.AccessKeyID)
	}
	return nil
}

// useNonce records a signature nonce of the caller, or rejects it when it was
// used within nonceWindow.
func (s *Server) useNonce(accessKeyID, nonce string, now time.Time) *apiError {
	if !s.nonces.use(accessKeyID+"\x00"+nonce, now) {
		return authError(http.StatusBadRequest, "SignatureNonceUsed",
			"The signature nonce %q was already used in the last %v: send a new nonce with every request.", nonce, nonceWindow)
	}
	return nil
}

// nonceStore remembers nonces for a window of the server clock. Entries expire
// in arrival order, so the work per request is amortized O(1).
type nonceStore struct {
	window time.Duration

	mu    sync.Mutex
	seen  map[string]time.Time
	queue []nonceEntry
	head  int // index of the oldest live entry in queue
}

type nonceEntry struct {
	key string
	at  time.Time
}

func newNonceStore(window time.Duration) *nonceStore {
	return &nonceStore{window: window, seen: make(map[string]time.Time)}
}

// use reports whether key is fresh at now, and records it if so.
func (n *nonceStore) use(key string, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()

	// Forget the entries that have left the window.
	for n.head < len(n.queue) && now.Sub(n.queue[n.head].at) >= n.window {
		old := n.queue[n.head]
		if at, ok := n.seen[old.key]; ok && at.Equal(old.at) {
			delete(n.seen, old.key)
		}
		n.queue[n.head] = nonceEntry{}
		n.head++
	}
	if n.head > 1024 && n.head*2 > len(n.queue) {
		n.queue = append(n.queue[:0], n.queue[n.head:]...)
		n.head = 0
	}

	if at, ok := n.seen[key]; ok && now.Sub(at) < n.window {
		return false
	}
	n.seen[key] = now
	n.queue = append(n.queue, nonceEntry{key: key, at: now})
	return true
}
