package fcruntime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

func TestFireTimerEventBytes(t *testing.T) {
	cfg := testConfig()
	cfg.Now = fixedClock
	rt, fn := newFakeFunction(t, cfg)

	done := make(chan struct{})
	var result Result
	var err error
	go func() {
		defer close(done)
		result, err = rt.FireTimer(context.Background(), "report-refresh", "regenerate")
	}()
	requestID, _, event := fn.next(t)

	want := `{"triggerTime":"2030-01-02T03:04:05Z","triggerName":"report-refresh","payload":"regenerate"}`
	if string(event) != want {
		t.Errorf("timer event = %s, want %s", event, want)
	}
	fn.post(t, requestID, "response", []byte(`null`))
	waitClosed(t, done, "FireTimer return")
	if err != nil {
		t.Fatalf("FireTimer: %v", err)
	}
	if result.RequestID != requestID {
		t.Errorf("Result.RequestID = %q, want %q", result.RequestID, requestID)
	}
}

func TestFireTimerThroughSDK(t *testing.T) {
	cfg := testConfig()
	cfg.Now = fixedClock
	fn := startFunction(t, cfg)

	result, err := fn.rt.FireTimer(context.Background(), "report-refresh", "regenerate")
	if err != nil {
		t.Fatalf("FireTimer: %v", err)
	}
	if result.Err != nil {
		t.Fatalf("function error: %v", result.Err)
	}
	var got struct {
		Kind  string            `json:"kind"`
		Event events.TimerEvent `json:"event"`
	}
	decodeJSON(t, result.Payload, &got)

	if got.Kind != "timer" {
		t.Errorf("function routed the event as %q, want timer", got.Kind)
	}
	fields := []struct {
		name string
		got  *string
		want string
	}{
		{"triggerTime", got.Event.TriggerTime, "2030-01-02T03:04:05Z"},
		{"triggerName", got.Event.TriggerName, "report-refresh"},
		{"payload", got.Event.Payload, "regenerate"},
	}
	for _, f := range fields {
		if deref(f.got) != f.want {
			t.Errorf("%s = %q, want %q", f.name, deref(f.got), f.want)
		}
	}
}

func TestFireTimerRejectsBadArguments(t *testing.T) {
	rt := NewRuntime(testConfig())
	tests := []struct {
		name        string
		triggerName string
		payload     string
		wantErr     string
	}{
		{"empty trigger name", "", "x", "trigger name is empty"},
		{"payload over 128 KB", "refresh", strings.Repeat("a", maxTimerPayloadBytes+1), "over the 131072-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rt.FireTimer(context.Background(), tt.triggerName, tt.payload)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("FireTimer error = %v, want one containing %q", err, tt.wantErr)
			}
			err = rt.RunTimer(context.Background(), time.Minute, tt.triggerName, tt.payload)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("RunTimer error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if err := rt.RunTimer(context.Background(), 0, "refresh", ""); err == nil {
		t.Error("RunTimer with a zero interval returned nil, want an error")
	}
	if got := rt.Calls()[callInvocations]; got != 0 {
		t.Errorf("invocations = %d, want 0 after rejected timers", got)
	}
}

func TestRunTimerFiresUntilCanceled(t *testing.T) {
	fn := startFunction(t, testConfig())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	done := make(chan error, 1)
	go func() {
		done <- fn.rt.RunTimer(ctx, 10*time.Millisecond, "report-refresh", "")
	}()
	waitFor(t, func() bool { return fn.rt.Calls()[callAPIResponse] >= 3 }, "three answered timer events")
	cancel()

	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunTimer = %v, want nil after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("RunTimer did not return within 15s of cancel")
	}
	calls := fn.rt.Calls()
	if calls[callTimer] < 3 {
		t.Errorf("timer = %d, want at least 3", calls[callTimer])
	}
	if calls[callTimer] != calls[callInvocations] {
		t.Errorf("timer = %d, invocations = %d; want equal", calls[callTimer], calls[callInvocations])
	}
	if calls[callErrors] != 0 || calls[callTimeouts] != 0 {
		t.Errorf("errors = %d, timeouts = %d; want 0 and 0", calls[callErrors], calls[callTimeouts])
	}
}
