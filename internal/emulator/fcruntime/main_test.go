package fcruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// binDir contains the test function binary; TestMain creates and removes it.
var binDir string

var (
	buildOnce   sync.Once
	buildErr    error
	buildOutput []byte
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "fcruntime-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "create directory for the test function: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	return m.Run()
}

// functionBinary builds testdata/fn once per test binary run and returns its path.
func functionBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(binDir, "fn")
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("find the go command: %w", err)
			return
		}
		cmd := exec.Command(goTool, "build", "-o", path, "./testdata/fn")
		buildOutput, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build testdata/fn: %v\n%s", buildErr, buildOutput)
	}
	return path
}

// fixedNow is the clock of tests that check event times and deadlines.
var fixedNow = time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

func fixedClock() time.Time { return fixedNow }

// testConfig returns a Config with every field that reaches the function set.
func testConfig() Config {
	return Config{
		FunctionName: "credreport-test",
		Handler:      "main",
		MemoryMB:     256,
		Timeout:      10 * time.Second,
		Region:       "cn-hangzhou",
		AccountID:    "1234567890123456",
		Credentials: Credentials{
			AccessKeyID:     "STS.test-key-id",
			AccessKeySecret: "test-key-secret",
			SecurityToken:   "test-security-token",
		},
	}
}

// function is the test function running against a Runtime on loopback.
type function struct {
	rt      *Runtime
	api     *httptest.Server
	process *Process
	output  *syncBuffer
}

// startFunction serves a Runtime for cfg on loopback and starts the test function
// against it with rt.Environ() plus extraEnv. Cleanup stops both.
func startFunction(t *testing.T, cfg Config, extraEnv ...string) *function {
	t.Helper()
	binary := functionBinary(t)

	rt := NewRuntime(cfg)
	api := httptest.NewServer(rt)
	output := &syncBuffer{}
	env := append(rt.Environ(), extraEnv...)
	process, err := StartProcess(context.Background(), binary, api.Listener.Addr().String(), env, output, output)
	if err != nil {
		api.Close()
		t.Fatalf("StartProcess: %v", err)
	}
	t.Cleanup(func() {
		if err := process.Close(); err != nil {
			t.Errorf("close function process: %v", err)
		}
		api.Close()
		if t.Failed() {
			t.Logf("function output:\n%s", output.String())
		}
	})
	return &function{rt: rt, api: api, process: process, output: output}
}

// invokeOp invokes the test function with {"op":op} plus fields.
func (f *function) invokeOp(t *testing.T, op string, fields map[string]any) (Result, error) {
	t.Helper()
	event := map[string]any{"op": op}
	for key, value := range fields {
		event[key] = value
	}
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatalf("encode event: %v", err)
	}
	return f.rt.Invoke(context.Background(), payload)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a process's stdout
// and stderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitClosed fails the test when ch stays open for 15 seconds, a guard against hangs
// and not a speed check.
func waitClosed(t *testing.T, ch <-chan struct{}, description string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not happen within 15s", description)
	}
}

// waitFor polls condition until it holds, failing the test after 15 seconds as a guard
// against hangs.
func waitFor(t *testing.T, condition func() bool, description string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 15s", description)
		}
		time.Sleep(time.Millisecond)
	}
}

func decodeJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return buf.Bytes()
}
