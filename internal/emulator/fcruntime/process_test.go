package fcruntime

import (
	"context"
	"errors"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestProcessEnvironment(t *testing.T) {
	t.Setenv("CREDREPORT_PARENT_ONLY", "must not reach the function")
	fn := startFunction(t, testConfig(), "CREDREPORT_EXTRA=passed", "FC_RUNTIME_API=127.0.0.1:1")

	result, err := fn.invokeOp(t, "env", nil)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var env []string
	decodeJSON(t, result.Payload, &env)

	want := []string{
		"FC_RUNTIME_API=" + fn.api.Listener.Addr().String(),
		"FC_FUNCTION_NAME=credreport-test",
		"FC_FUNCTION_HANDLER=main",
		"FC_FUNCTION_MEMORY_SIZE=256",
		"FC_REGION=cn-hangzhou",
		"FC_ACCOUNT_ID=1234567890123456",
		"ALIBABA_CLOUD_ACCESS_KEY_ID=STS.test-key-id",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=test-key-secret",
		"ALIBABA_CLOUD_SECURITY_TOKEN=test-security-token",
		"CREDREPORT_EXTRA=passed",
	}
	for _, entry := range want {
		if !slices.Contains(env, entry) {
			t.Errorf("function environment lacks %s: %v", entry, env)
		}
	}
	for _, entry := range env {
		if strings.HasPrefix(entry, "CREDREPORT_PARENT_ONLY=") {
			t.Errorf("function inherited %s from the parent environment", entry)
		}
		if entry == "FC_RUNTIME_API=127.0.0.1:1" {
			t.Errorf("env overrode FC_RUNTIME_API: %v", env)
		}
	}
}

func TestEnvironOmitsEmptyValues(t *testing.T) {
	env := NewRuntime(Config{}).Environ()
	want := []string{"FC_FUNCTION_NAME=credreport", "FC_FUNCTION_HANDLER=main", "FC_FUNCTION_MEMORY_SIZE=512"}
	if !slices.Equal(env, want) {
		t.Errorf("Environ() = %v, want %v", env, want)
	}
}

func TestProcessExitDetected(t *testing.T) {
	fn := startFunction(t, testConfig())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	go func() {
		_, _ = fn.rt.Invoke(ctx, []byte(`{"op":"exit","code":3}`))
	}()
	waitClosed(t, fn.process.Done(), "function exit")

	var exitErr *exec.ExitError
	err := fn.process.Wait()
	if !errors.As(err, &exitErr) {
		t.Fatalf("Wait = %v, want an *exec.ExitError", err)
	}
	if exitErr.ExitCode() != 3 {
		t.Errorf("exit code = %d, want 3", exitErr.ExitCode())
	}
	if err := fn.process.Close(); err != nil {
		t.Errorf("Close after exit = %v, want nil", err)
	}
}

func TestProcessClose(t *testing.T) {
	fn := startFunction(t, testConfig())
	if _, err := fn.invokeOp(t, "context", nil); err != nil {
		t.Fatalf("Invoke: %v", err)
	}

	if err := fn.process.Close(); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
	select {
	case <-fn.process.Done():
	default:
		t.Fatal("Done is open after Close returned")
	}
	assertSignaled(t, fn.process.Wait(), syscall.SIGTERM)
	if err := fn.process.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestProcessKilledWhenSIGTERMIgnored(t *testing.T) {
	fn := startFunction(t, testConfig())
	if _, err := fn.invokeOp(t, "ignore-term", nil); err != nil {
		t.Fatalf("Invoke: %v", err)
	}

	fn.process.grace = 100 * time.Millisecond
	if err := fn.process.Close(); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
	assertSignaled(t, fn.process.Wait(), syscall.SIGKILL)
}

func TestProcessStopsWhenContextEnds(t *testing.T) {
	rt := NewRuntime(testConfig())
	api := httptest.NewServer(rt)
	defer api.Close()
	ctx, cancel := context.WithCancel(context.Background())

	process, err := StartProcess(ctx, functionBinary(t), api.Listener.Addr().String(), rt.Environ(), nil, nil)
	if err != nil {
		cancel()
		t.Fatalf("StartProcess: %v", err)
	}
	defer process.Close()
	cancel()

	waitClosed(t, process.Done(), "function exit after ctx cancel")
	assertSignaled(t, process.Wait(), syscall.SIGTERM)
}

func TestStartProcessRejectsBadArguments(t *testing.T) {
	binary := functionBinary(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name       string
		ctx        context.Context
		path       string
		runtimeAPI string
		wantErr    string
	}{
		{"scheme", context.Background(), binary, "http://127.0.0.1:9000", "has a scheme"},
		{"no port", context.Background(), binary, "127.0.0.1", "is not host:port"},
		{"no host", context.Background(), binary, ":9000", "needs both host and port"},
		{"missing binary", context.Background(), filepath.Join(t.TempDir(), "absent"), "127.0.0.1:9000", "no such file"},
		{"ended context", canceled, binary, "127.0.0.1:9000", "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			process, err := StartProcess(tt.ctx, tt.path, tt.runtimeAPI, nil, nil, nil)
			if err == nil {
				process.Close()
				t.Fatalf("StartProcess succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("StartProcess error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// assertSignaled checks that err from Wait reports death by signal.
func assertSignaled(t *testing.T, err error, signal syscall.Signal) {
	t.Helper()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("Wait = %v, want an *exec.ExitError", err)
	}
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	if !ok {
		t.Fatalf("exit status has type %T, want syscall.WaitStatus", exitErr.Sys())
	}
	if !status.Signaled() || status.Signal() != signal {
		t.Errorf("exit status = %v, want death by %v", status, signal)
	}
}
