package ram

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/credreport/credreport/internal/kind"
)

func TestClassifyCode(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   kind.Kind
	}{
		{400, "Throttling.User", kind.Throttled},
		{400, "Throttling.Api", kind.Throttled},
		{429, "", kind.Throttled},
		{500, "InternalError", kind.Unavailable},
		{503, "ServiceUnavailable", kind.Unavailable},
		{404, "InvalidAccessKeyId.NotFound", kind.Unauthenticated},
		{400, "SignatureDoesNotMatch", kind.Unauthenticated},
		{400, "InvalidSecurityToken.Expired", kind.Unauthenticated},
		{403, "NoPermission", kind.PermissionDenied},
		{404, "EntityNotExist.User", kind.NotFound},
		{410, "Expired.CredentialReport", kind.NotFound},
		{409, "LimitExceeded.User", kind.Conflict},
		{400, "InvalidParameter.MaxItems", kind.InvalidArgument},
	}
	for _, tt := range tests {
		if got := classifyCode(tt.status, tt.code); got != tt.want {
			t.Errorf("classifyCode(%d, %q) = %v, want %v", tt.status, tt.code, got, tt.want)
		}
	}
}

func TestClassifyTransport(t *testing.T) {
	opErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	if got := classify(opErr); got != kind.Unavailable {
		t.Errorf("classify(dial error) = %v, want unavailable", got)
	}
	timeout := sdkerrors.NewClientError(sdkerrors.TimeoutErrorCode, "timed out", nil)
	if got := classify(timeout); got != kind.Unavailable {
		t.Errorf("classify(SDK timeout) = %v, want unavailable", got)
	}
	if got := classify(context.DeadlineExceeded); got != kind.DeadlineExceeded {
		t.Errorf("classify(deadline) = %v", got)
	}
}

func TestBackoffBounds(t *testing.T) {
	for attempt := 1; attempt <= 20; attempt++ {
		for _, k := range []kind.Kind{kind.Throttled, kind.Unavailable} {
			d := backoff(attempt, k)
			if d <= 0 || d > backoffMax {
				t.Fatalf("backoff(%d, %v) = %v, want (0, %v]", attempt, k, d, backoffMax)
			}
		}
	}
	if d := backoff(1, kind.Throttled); d < throttleBase/2 {
		t.Errorf("first throttle backoff %v is under half of %v", d, throttleBase)
	}
}

func TestPacerWindow(t *testing.T) {
	p := newPacer(0, 8, time.Now)
	ctx := context.Background()
	tickets := make([]ticket, 8)
	for i := range tickets {
		var err error
		if tickets[i], err = p.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The window is full: a ninth call must wait.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.acquire(short); err == nil {
		t.Fatal("acquire beyond the window succeeded")
	}
	// A burst of throttled responses from one round halves the window once.
	for _, tk := range tickets {
		p.release(tk, true)
	}
	if got := p.currentLimit(); got != 4 {
		t.Errorf("window after one throttled round = %d, want 4", got)
	}
	// Successes grow it back, up to the configured concurrency.
	for range 200 {
		tk, err := p.acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.release(tk, false)
	}
	if got := p.currentLimit(); got != 8 {
		t.Errorf("window after many successes = %d, want 8", got)
	}
}

func TestRequiredActionsMatchCalls(t *testing.T) {
	called := map[string]bool{}
	for _, name := range []string{"basic", "no-native-report"} {
		c, srv, _ := emulated(t, name, Config{})
		for _, src := range []Source{SourceBuild, SourceNative} {
			_, _ = c.Generate(context.Background(), src, Options{})
		}
		for action := range srv.Calls() {
			called[action] = true
		}
	}
	for action := range called {
		if action == "GetCallerIdentity" {
			continue
		}
		if !slices.Contains(RequiredActions, "ram:"+action) {
			t.Errorf("the client called %s, which RequiredActions lacks", action)
		}
	}
	for _, perm := range RequiredActions {
		if !called[perm[len("ram:"):]] {
			t.Errorf("RequiredActions lists %s, which no generation called", perm)
		}
	}
}

func TestRootCallerListsOwnKeys(t *testing.T) {
	a := loadAccount(t, "no-native-report")
	a.Credentials[0].IsRoot = true
	c, _ := emulatedAccount(t, a, func(*Config) {})
	gen, err := c.Generate(context.Background(), SourceBuild, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The root key's creation time appears only when the root's own keys were listed.
	if want := "2019-01-01T00:00:00Z"; !containsLine(gen.CSV, "<root>,N/A,N/A,TRUE,N/A,N/A,N/A,FALSE,TRUE,TRUE,"+want) {
		t.Errorf("root row does not show the root's own key:\n%s", gen.CSV)
	}
}

func containsLine(csv []byte, prefix string) bool {
	for _, line := range strings.Split(string(csv), "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

func TestNativeUnavailableReason(t *testing.T) {
	apiErr := func(status int, code string) error {
		return kind.Wrap(classifyCode(status, code), &APIError{Action: "GetCredentialReport", HTTPStatus: status, Code: code})
	}
	tests := []struct {
		name string
		err  error
		want string // "" = no fallback
	}{
		{"too many users", apiErr(409, "LimitExceeded.User"), "more RAM users"},
		{"no permission", apiErr(403, "NoPermission"), "permission denied"},
		{"not generated in time", kind.Wrap(kind.DeadlineExceeded, errNativeNotReady), "not generated within"},
		{"undocumented code", apiErr(400, "ReportNotReady.Something"), "ReportNotReady.Something"},
		{"bad credentials", apiErr(400, "SignatureDoesNotMatch"), ""},
		{"canceled", kind.Wrap(kind.Canceled, context.Canceled), ""},
		{"deadline", kind.Wrap(kind.DeadlineExceeded, context.DeadlineExceeded), ""},
	}
	for _, tt := range tests {
		got := nativeUnavailableReason(tt.err)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: reason %q, want one containing %q", tt.name, got, tt.want)
		}
	}
}

func TestCallTimeoutRedactedAndRetried(t *testing.T) {
	// A server that accepts requests and never responds to them.
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer stall.Close()
	c, err := New(Config{
		Credentials: Credentials{AccessKeyID: "STS.TestKey", AccessKeySecret: "test-secret", SecurityToken: "TOPSECRET-STS-TOKEN"},
		Endpoint:    stall.URL, CallTimeout: 50 * time.Millisecond, MaxAttempts: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CallerIdentity(context.Background())
	if err == nil {
		t.Fatal("CallerIdentity against a stalled server succeeded")
	}
	if k := kind.Of(err); k != kind.Unavailable {
		t.Errorf("kind = %v, want unavailable (error: %v)", k, err)
	}
	for _, leak := range []string{"TOPSECRET-STS-TOKEN", "Signature=", "AccessKeyId="} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err, leak)
		}
	}
	if got := c.Stats().Calls; got != 2 {
		t.Errorf("calls = %d, want 2 (the timed-out call is retried)", got)
	}
}
