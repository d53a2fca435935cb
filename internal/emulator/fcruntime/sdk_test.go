package fcruntime

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// contextInfo mirrors the result of the test function's "context" op.
type contextInfo struct {
	RequestID          string `json:"requestId"`
	HasAccessKeyID     bool   `json:"hasAccessKeyId"`
	HasAccessKeySecret bool   `json:"hasAccessKeySecret"`
	HasSecurityToken   bool   `json:"hasSecurityToken"`
	AccessKeyID        string `json:"accessKeyId"`
	Region             string `json:"region"`
	AccountID          string `json:"accountId"`
	FunctionName       string `json:"functionName"`
	FunctionHandler    string `json:"functionHandler"`
	FunctionMemory     string `json:"functionMemory"`
	FunctionTimeout    int    `json:"functionTimeout"`
	RetryCount         int    `json:"retryCount"`
	DeadlineMillis     int64  `json:"deadlineMillis"`
}

func TestSDKContextValues(t *testing.T) {
	cfg := testConfig()
	cfg.Now = fixedClock
	fn := startFunction(t, cfg)

	result, err := fn.invokeOp(t, "context", nil)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if result.Err != nil {
		t.Fatalf("function error: %v", result.Err)
	}
	var got contextInfo
	decodeJSON(t, result.Payload, &got)

	want := contextInfo{
		RequestID:          result.RequestID,
		HasAccessKeyID:     true,
		HasAccessKeySecret: true,
		HasSecurityToken:   true,
		AccessKeyID:        "STS.test-key-id",
		Region:             "cn-hangzhou",
		AccountID:          "1234567890123456",
		FunctionName:       "credreport-test",
		FunctionHandler:    "main",
		FunctionMemory:     "256",
		FunctionTimeout:    10,
		RetryCount:         0,
		DeadlineMillis:     fixedNow.Add(10 * time.Second).UnixMilli(),
	}
	if got != want {
		t.Errorf("fccontext values:\n got %+v\nwant %+v", got, want)
	}
}

func TestSDKCredentialsRotation(t *testing.T) {
	fn := startFunction(t, testConfig())

	fn.rt.SetCredentials(Credentials{AccessKeyID: "STS.rotated-key-id"})
	result, err := fn.invokeOp(t, "context", nil)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var got contextInfo
	decodeJSON(t, result.Payload, &got)

	if got.AccessKeyID != "STS.rotated-key-id" {
		t.Errorf("access key ID = %q, want STS.rotated-key-id", got.AccessKeyID)
	}
	if got.HasAccessKeySecret {
		t.Error("access key secret is set, want empty after SetCredentials without one")
	}
	if got.HasSecurityToken {
		t.Error("security token is set, want empty after SetCredentials without one")
	}
}

func TestSDKInvokeTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout = 200 * time.Millisecond
	fn := startFunction(t, cfg)

	result, err := fn.invokeOp(t, "sleep", map[string]any{"millis": 3000})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke error = %v, want ErrTimeout", err)
	}
	if result.RequestID == "" {
		t.Error("Result.RequestID is empty after a timeout")
	}

	result, err = fn.invokeOp(t, "context", nil)
	if err != nil {
		t.Fatalf("Invoke after a timeout: %v", err)
	}
	if result.Err != nil {
		t.Fatalf("Invoke after a timeout: function error %v", result.Err)
	}
	var got contextInfo
	decodeJSON(t, result.Payload, &got)
	if got.FunctionTimeout != 1 {
		t.Errorf("fccontext timeout = %d, want 1 (200ms rounded up to whole seconds)", got.FunctionTimeout)
	}
}

func TestSDKInvokeErrors(t *testing.T) {
	fn := startFunction(t, testConfig())
	tests := []struct {
		op        string
		wantType  string
		wantTrace bool
	}{
		{"error", "errorString", false},
		{"panic", "string", true},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			result, err := fn.invokeOp(t, tt.op, nil)
			if err != nil {
				t.Fatalf("Invoke error = %v, want nil with Result.Err set", err)
			}
			if result.Err == nil {
				t.Fatalf("Result.Err = nil, want the %s error (payload %s)", tt.op, result.Payload)
			}
			if result.Err.Type != tt.wantType {
				t.Errorf("Type = %q, want %q", result.Err.Type, tt.wantType)
			}
			if hasTrace := len(result.Err.StackTrace) > 0; hasTrace != tt.wantTrace {
				t.Errorf("stack trace present = %t, want %t (%s)", hasTrace, tt.wantTrace, result.Err.StackTrace)
			}
		})
	}
}

func TestSDKCalls(t *testing.T) {
	fn := startFunction(t, testConfig())
	trigger := httptest.NewServer(NewHTTPTrigger(fn.rt))
	defer trigger.Close()

	for _, path := range []string{"/echo", "/binary", "/error"} {
		resp, err := http.Get(trigger.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		readBody(t, resp)
	}
	if _, err := fn.rt.FireTimer(context.Background(), "refresh", ""); err != nil {
		t.Fatalf("FireTimer: %v", err)
	}
	if _, err := fn.invokeOp(t, "context", nil); err != nil {
		t.Fatalf("Invoke: %v", err)
	}

	calls := fn.rt.Calls()
	want := map[string]int{
		callInvocations: 5,
		callHTTP:        3,
		callTimer:       1,
		callErrors:      1,
		callTimeouts:    0,
		callCanceled:    0,
		callAPIResponse: 4,
		callAPIError:    1,
	}
	for key, n := range want {
		if calls[key] != n {
			t.Errorf("Calls()[%q] = %d, want %d (all %v)", key, calls[key], n, calls)
		}
	}
	// The SDK polls next again as soon as it takes an event, so a sixth poll may
	// already be waiting.
	if n := calls[callAPINext]; n < 5 || n > 6 {
		t.Errorf("Calls()[%q] = %d, want 5 or 6", callAPINext, n)
	}
}
