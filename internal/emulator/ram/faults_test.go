package ram

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
)

func TestFaultsByRequestNumber(t *testing.T) {
	a := loadFixture(t, "faults") // throttle_every 5, server_error_every 13, leo vanished
	s, ts := startServer(t, a, Options{})
	c := imsClient(t, ts, a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret)

	throttled, failed := 0, 0
	for n := 1; n <= 65; n++ {
		req := ims.CreateGetAccountMFAInfoRequest()
		req.Scheme = "http"
		_, err := c.GetAccountMFAInfo(req)
		switch {
		case n%5 == 0: // 65 is due for both faults, and the throttle wins
			wantServerError(t, err, http.StatusBadRequest, "Throttling.User")
			throttled++
		case n%13 == 0:
			wantServerError(t, err, http.StatusInternalServerError, "InternalError")
			failed++
		case err != nil:
			t.Fatalf("request %d: %v", n, err)
		}
	}

	got := s.Stats()
	want := Stats{Requests: 65, Throttled: throttled, ServerErrors: failed}
	if got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	if n := s.Calls()["GetAccountMFAInfo"]; n != 65 {
		t.Errorf("Calls[GetAccountMFAInfo] = %d, want 65 (errors included)", n)
	}
}

func TestThrottlingMessage(t *testing.T) {
	a := loadFixture(t, "faults")
	a.Faults.ThrottleEvery = 1
	a.Faults.ServerErrorEvery = 0
	_, ts := startServer(t, a, Options{})
	c := imsClient(t, ts, a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret)

	req := ims.CreateListUsersRequest()
	req.Scheme = "http"
	_, err := c.ListUsers(req)
	se := wantServerError(t, err, http.StatusBadRequest, "Throttling.User")
	if se.Message() != "Request was denied due to user flow control." {
		t.Errorf("Message = %q", se.Message())
	}
}

func TestVanishedUser(t *testing.T) {
	a := loadFixture(t, "faults")
	a.Faults.ThrottleEvery, a.Faults.ServerErrorEvery = 0, 0
	_, ts := startServer(t, a, Options{})
	c := imsClient(t, ts, a.Credentials[0].AccessKeyID, a.Credentials[0].AccessKeySecret)
	leo := "leo@flaky.onaliyun.com"

	// ListUsers still lists the vanished user.
	req := ims.CreateListUsersRequest()
	req.Scheme = "http"
	resp, err := c.ListUsers(req)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	listed := false
	for _, u := range resp.Users.User {
		listed = listed || u.UserPrincipalName == leo
	}
	if !listed {
		t.Errorf("ListUsers does not list the vanished user %s", leo)
	}

	// Every per-user call returns EntityNotExist.User.
	calls := map[string]func() error{
		"GetUser": func() error {
			r := ims.CreateGetUserRequest()
			r.UserPrincipalName = leo
			_, err := c.GetUser(r)
			return err
		},
		"GetUser by ID": func() error {
			r := ims.CreateGetUserRequest()
			r.UserId = "200000000000000303"
			_, err := c.GetUser(r)
			return err
		},
		"GetLoginProfile": func() error {
			r := ims.CreateGetLoginProfileRequest()
			r.UserPrincipalName = leo
			_, err := c.GetLoginProfile(r)
			return err
		},
		"ListAccessKeys": func() error {
			r := ims.CreateListAccessKeysRequest()
			r.UserPrincipalName = leo
			_, err := c.ListAccessKeys(r)
			return err
		},
		"GetAccessKeyLastUsed": func() error {
			r := ims.CreateGetAccessKeyLastUsedRequest()
			r.UserPrincipalName = leo
			r.UserAccessKeyId = "LTAI5tAnyKey"
			_, err := c.GetAccessKeyLastUsed(r)
			return err
		},
		"GetUserMFAInfo": func() error {
			r := ims.CreateGetUserMFAInfoRequest()
			r.UserPrincipalName = leo
			_, err := c.GetUserMFAInfo(r)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantServerError(t, call(), http.StatusNotFound, "EntityNotExist.User")
		})
	}
}

func TestQPSLimit(t *testing.T) {
	// A bucket of one token refilled every 1,000 s: after the burst, every
	// request in a quick series is throttled however slow the machine is.
	qps := 0.001
	s, ts := startServer(t, loadFixture(t, "basic"), Options{QPS: &qps})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	const burst, extra = 1, 3
	for n := 1; n <= burst+extra; n++ {
		req := ims.CreateGetAccountMFAInfoRequest()
		req.Scheme = "http"
		_, err := c.GetAccountMFAInfo(req)
		if n <= burst {
			if err != nil {
				t.Fatalf("request %d within the burst: %v", n, err)
			}
			continue
		}
		se := wantServerError(t, err, http.StatusBadRequest, "Throttling.User")
		if h := se.RespHeaders["X-Ratelimit-User"]; len(h) != 1 || !strings.Contains(h[0], "TimeLeft:") {
			t.Errorf("x-ratelimit-user = %v, want a TimeLeft", h)
		}
	}
	if got := s.Stats().Throttled; got != extra {
		t.Errorf("Stats.Throttled = %d, want %d", got, extra)
	}
}

func TestQPSFromFixtureAndOverride(t *testing.T) {
	a := loadFixture(t, "basic")
	a.Limits.QPS = 0.001

	// The fixture's limit applies.
	_, ts := startServer(t, a, Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)
	for n := 1; n <= 2; n++ {
		_, err := c.GetAccountMFAInfo(ims.CreateGetAccountMFAInfoRequest())
		if n == 2 {
			wantServerError(t, err, http.StatusBadRequest, "Throttling.User")
		}
	}

	// QPS 0 in the options lifts it.
	none := 0.0
	_, ts = startServer(t, a, Options{QPS: &none})
	c = imsClient(t, ts, basicKeyID, basicSecret)
	for n := 1; n <= 5; n++ {
		if _, err := c.GetAccountMFAInfo(ims.CreateGetAccountMFAInfoRequest()); err != nil {
			t.Fatalf("request %d without a limit: %v", n, err)
		}
	}
}

func TestLatencyStopsWithContext(t *testing.T) {
	hour := time.Hour
	s, err := New(loadFixture(t, "basic"), Options{Latency: &hour})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/?Action=ListUsers", nil).WithContext(ctx)
	w := httptest.NewRecorder()

	// With the context already ended, ServeHTTP returns at once instead of sleeping an hour.
	s.ServeHTTP(w, r)
	if w.Body.Len() != 0 {
		t.Errorf("a request whose caller left got a response: %s", w.Body)
	}
	if got := s.Calls()["ListUsers"]; got != 1 {
		t.Errorf("Calls[ListUsers] = %d, want 1", got)
	}
}

func TestLatencyDelaysAnswer(t *testing.T) {
	delay := time.Millisecond
	_, ts := startServer(t, loadFixture(t, "basic"), Options{Latency: &delay})
	c := imsClient(t, ts, basicKeyID, basicSecret)
	if _, err := c.GetAccountMFAInfo(ims.CreateGetAccountMFAInfoRequest()); err != nil {
		t.Errorf("GetAccountMFAInfo with latency: %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	a := loadFixture(t, "basic")
	negative := -1.0
	negativeLatency := -time.Second
	tests := map[string]Options{
		"negative QPS":     {QPS: &negative},
		"negative latency": {Latency: &negativeLatency},
	}
	for name, opts := range tests {
		if _, err := New(a, opts); err == nil {
			t.Errorf("%s: New returned no error", name)
		}
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Errorf("New(nil): got no error")
	}
}
