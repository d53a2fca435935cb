// Package e2e runs the credreport and emulator commands as separate
// processes over loopback, the way users run them, against the acceptance
// fixtures.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/emulator/launch"
	"github.com/credreport/credreport/internal/fixture"
)

var bin string // directory with the built credreport and emulator commands

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credreport-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	for _, pkg := range []string{"credreport", "emulator"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, pkg), "../cmd/"+pkg)
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func fixtureRoot(t testing.TB) string {
	t.Helper()
	dir, err := fixture.AcceptanceRoot("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// env is an emulator process and the environment a user would set for it.
type env struct {
	emu  *launch.Emulator
	vars []string
}

// serve starts the emulator on a fixture (or with any other emulator
// arguments) and returns the CLI environment pointing at it.
func serve(t *testing.T, fixturePath string, args ...string) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	emu, err := launch.Start(ctx, filepath.Join(bin, "emulator"), &syncWriter{w: &stderr}, append([]string{"-fixture", fixturePath}, args...)...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Stop(); cancel() })
	a, err := fixture.Load(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	cred := a.Credentials[0]
	return &env{emu: emu, vars: []string{
		"HOME=" + t.TempDir(),
		"PATH=" + os.Getenv("PATH"),
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + cred.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + cred.AccessKeySecret,
		"CREDREPORT_RAM_ENDPOINT=" + emu.Ready["ram_endpoint"],
		"CREDREPORT_OSS_ENDPOINT=" + emu.Ready["oss_endpoint"],
		"CREDREPORT_BUCKET=" + emu.Ready["bucket"],
	}}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

type result struct {
	stdout, stderr string
	code           int
}

// credreport runs the CLI with the environment vars (later entries win)
// and gives it at most a minute.
func credreport(t *testing.T, vars []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "credreport"), args...)
	cmd.Env = vars
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("credreport %v did not finish within a minute", args)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("credreport %v: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func with(vars []string, extra ...string) []string {
	return append(append([]string{}, vars...), extra...)
}

func TestGenerateFixtures(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(fixtureRoot(t), "*", "account.json"))
	for _, path := range paths {
		name := filepath.Base(filepath.Dir(path))
		t.Run(name, func(t *testing.T) {
			e := serve(t, path)
			for _, source := range []string{"build", "auto"} {
				out := filepath.Join(t.TempDir(), "report.csv")
				r := credreport(t, e.vars, "generate", "-source", source, "-output", out, "-quiet")
				if r.code != 0 {
					t.Fatalf("generate -source %s: exit %d: %s", source, r.code, r.stderr)
				}
				got, _ := os.ReadFile(out)
				want, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "expected-"+source+".csv"))
				if !bytes.Equal(got, want) {
					t.Errorf("generate -source %s differs from expected-%s.csv:\n%s", source, source, got)
				}
				var meta map[string]any
				if err := json.Unmarshal([]byte(r.stdout), &meta); err != nil {
					t.Errorf("metadata line %q: %v", r.stdout, err)
				}
			}
		})
	}
}

func TestNativeWithoutReportFails(t *testing.T) {
	e := serve(t, filepath.Join(fixtureRoot(t), "no-native-report", "account.json"))
	out := filepath.Join(t.TempDir(), "report.csv")
	r := credreport(t, e.vars, "generate", "-source", "native", "-output", out)
	if r.code == 0 {
		t.Fatalf("generate -source native succeeded on an account without a native report")
	}
	oneLine(t, r.stderr, "LimitExceeded.User")
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed generate left %s behind", out)
	}
}

// oneLine checks that an error was reported as one line containing want.
func oneLine(t *testing.T, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 {
		t.Errorf("want one error line, got %d:\n%s", len(lines), stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("error %q does not mention %q", stderr, want)
	}
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
		t.Errorf("error output has a stack trace:\n%s", stderr)
	}
}

func TestGenerateErrors(t *testing.T) {
	e := serve(t, filepath.Join(fixtureRoot(t), "basic", "account.json"))
	out := filepath.Join(t.TempDir(), "report.csv")
	noCreds := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "CREDREPORT_RAM_ENDPOINT=" + e.emu.Ready["ram_endpoint"]}
	tests := []struct {
		name string
		vars []string
		args []string
		want string
	}{
		{"missing credentials", noCreds, nil, "missing credentials"},
		{"wrong secret", with(e.vars, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong"), nil, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
		{"unknown key", with(e.vars, "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tNobody"), nil, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{"unreachable endpoint", with(e.vars, "CREDREPORT_RAM_ENDPOINT=http://127.0.0.1:1"), []string{"-timeout", "3s"}, "cannot reach the RAM endpoint"},
		{"bad source", e.vars, []string{"-source", "cloud"}, `invalid source "cloud"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := credreport(t, tt.vars, append([]string{"generate", "-output", out, "-quiet"}, tt.args...)...)
			if r.code == 0 {
				t.Fatal("generate succeeded")
			}
			oneLine(t, r.stderr, tt.want)
		})
	}
}

func TestEmulatorRejectsMalformedFixture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "account.json")
	data, _ := os.ReadFile(filepath.Join(fixtureRoot(t), "basic", "account.json"))
	os.WriteFile(path, bytes.Replace(data, []byte(`"2019-11-11T12:33:18Z"`), []byte(`"2019-13-45T00:00:00Z"`), 1), 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "emulator"), "-fixture", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		t.Fatal("the emulator accepted a fixture with an invalid timestamp")
	}
	oneLine(t, stderr.String(), `users[0].created: invalid timestamp "2019-13-45T00:00:00Z"`)
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestPublishFetchURL(t *testing.T) {
	dir := filepath.Join(fixtureRoot(t), "basic")
	e := serve(t, filepath.Join(dir, "account.json"))
	if r := credreport(t, e.vars, "publish", "-quiet"); r.code != 0 || !strings.Contains(r.stdout, `"generated":true`) {
		t.Fatalf("publish: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := credreport(t, e.vars, "publish", "-quiet"); r.code != 0 || !strings.Contains(r.stdout, `"cached":true`) {
		t.Errorf("second publish: exit %d %s, want cached", r.code, r.stdout)
	}
	out := filepath.Join(t.TempDir(), "fetched.csv")
	if r := credreport(t, e.vars, "fetch", "-output", out); r.code != 0 {
		t.Fatalf("fetch: exit %d: %s", r.code, r.stderr)
	}
	fetched, _ := os.ReadFile(out)
	want, _ := os.ReadFile(filepath.Join(dir, "expected-auto.csv"))
	if !bytes.Equal(fetched, want) {
		t.Errorf("fetched report differs from expected-auto.csv")
	}
	if r := credreport(t, e.vars, "list"); r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(r.stdout, "*") {
		t.Errorf("list: exit %d:\n%s", r.code, r.stdout)
	}

	r := credreport(t, e.vars, "url", "-expiry", "2s")
	url := strings.TrimSpace(r.stdout)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("url: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if got, status := curl(t, url); status != "200" || sha(got) != sha(want) {
		t.Errorf("curl of the signed URL: status %s, bytes equal %v", status, bytes.Equal(got, want))
	}
	tampered := url[:len(url)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", url[len(url)-1])+1)%16])
	if _, status := curl(t, tampered); status != "403" {
		t.Errorf("curl of a URL with one character changed: status %s, want 403", status)
	}
	time.Sleep(3 * time.Second)
	if _, status := curl(t, url); status != "403" {
		t.Errorf("curl of an expired URL: status %s, want 403", status)
	}
}

// curl fetches url with the curl command and returns the body and status.
func curl(t *testing.T, url string) ([]byte, string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	out := filepath.Join(t.TempDir(), "body")
	cmd := exec.Command("curl", "-s", "-o", out, "-w", "%{http_code}", url)
	status, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	body, _ := os.ReadFile(out)
	return body, string(status)
}

func TestConcurrentPublish(t *testing.T) {
	// The latency makes a generation take long enough for the eight
	// processes to overlap.
	e := serve(t, filepath.Join(fixtureRoot(t), "basic", "account.json"), "-latency", "40ms")
	var wg sync.WaitGroup
	results := make([]result, 8)
	for i := range results {
		wg.Go(func() { results[i] = credreport(t, e.vars, "publish", "-quiet", "-source", "build") })
	}
	wg.Wait()
	generated, busy := 0, 0
	for i, r := range results {
		switch {
		case r.code == 0 && strings.Contains(r.stdout, `"generated":true`):
			generated++
		case r.code == 0 && strings.Contains(r.stdout, `"cached":true`):
		case r.code == 75 && strings.Contains(r.stderr, "a generation is in progress"):
			busy++
		default:
			t.Errorf("publish %d: exit %d\nstdout %s\nstderr %s", i, r.code, r.stdout, r.stderr)
		}
	}
	if generated != 1 {
		t.Errorf("%d publishes generated a report, want exactly 1", generated)
	}
	if busy == 0 {
		t.Errorf("no publish reported a generation in progress; the processes did not overlap")
	}
	if r := credreport(t, e.vars, "list"); strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("list after concurrent publishes:\n%s", r.stdout)
	}
}

func TestKilledPublishKeepsPreviousReport(t *testing.T) {
	dir := filepath.Join(fixtureRoot(t), "basic")
	e := serve(t, filepath.Join(dir, "account.json"), "-latency", "20ms")
	if r := credreport(t, e.vars, "publish", "-quiet", "-source", "build"); r.code != 0 {
		t.Fatalf("first publish: exit %d: %s", r.code, r.stderr)
	}
	for _, delay := range []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 700 * time.Millisecond} {
		cmd := exec.Command(filepath.Join(bin, "credreport"), "publish", "-quiet", "-force", "-source", "build", "-lock-ttl", "2s")
		cmd.Env = e.vars
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		out := filepath.Join(t.TempDir(), "fetched.csv")
		r := credreport(t, e.vars, "fetch", "-output", out)
		if r.code != 0 {
			t.Fatalf("fetch after a publish killed at %s: exit %d: %s", delay, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "verified") {
			t.Errorf("fetch did not verify the report: %s", r.stderr)
		}
	}
	// Whatever lock a killed process left expires after its TTL, and the
	// next publish takes it over.
	time.Sleep(2500 * time.Millisecond)
	if r := credreport(t, e.vars, "publish", "-quiet", "-force", "-source", "build"); r.code != 0 {
		t.Fatalf("publish after the lock expired: exit %d: %s", r.code, r.stderr)
	}
}

func TestEmulatorCallsEndpoint(t *testing.T) {
	e := serve(t, filepath.Join(fixtureRoot(t), "basic", "account.json"))
	credreport(t, e.vars, "generate", "-source", "build", "-output", filepath.Join(t.TempDir(), "r.csv"), "-quiet")
	resp, err := http.Get(e.emu.Ready["ram_endpoint"] + "/_emulator/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc["ram"]["ListUsers"] != 1 || doc["ram"]["GetLoginProfile"] != 7 {
		t.Errorf("calls = %v, want one ListUsers and seven GetLoginProfile", doc["ram"])
	}
	if _, ok := doc["oss"]; !ok {
		t.Errorf("calls document has no oss object: %v", doc)
	}
}

func TestEmulatorCommandLine(t *testing.T) {
	emulator := filepath.Join(bin, "emulator")
	run := func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, emulator, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	if _, stderr, err := run("-fixture", filepath.Join(fixtureRoot(t), "basic", "account.json"), "-listen", "0.0.0.0:0"); err == nil {
		t.Error("the emulator listened on a non-loopback address")
	} else {
		oneLine(t, stderr, "loopback only")
	}
	if _, stderr, err := run("-listen", "127.0.0.1:0"); err == nil {
		t.Error("the emulator started without an account")
	} else {
		oneLine(t, stderr, "missing account")
	}

	path := filepath.Join(t.TempDir(), "synthetic.json")
	if _, stderr, err := run("-synthetic", "300", "-seed", "4", "-write-fixture", path); err != nil {
		t.Fatalf("-write-fixture: %v: %s", err, stderr)
	}
	a, err := fixture.Load(path)
	if err != nil || len(a.Users) != 300 {
		t.Fatalf("written synthetic fixture: %v, %d users", err, len(a.Users))
	}

	emu, err := launch.Start(context.Background(), emulator, nil, "-synthetic", "40", "-seed", "2")
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Stop()
	for _, key := range []string{"ram_endpoint", "oss_endpoint", "access_key_id", "access_key_secret", "account_id"} {
		if emu.Ready[key] == "" {
			t.Errorf("synthetic ready line has no %s: %v", key, emu.Ready)
		}
	}
	vars := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"),
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + emu.Ready["access_key_id"],
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + emu.Ready["access_key_secret"],
		"CREDREPORT_RAM_ENDPOINT=" + emu.Ready["ram_endpoint"]}
	out := filepath.Join(t.TempDir(), "r.csv")
	r := credreport(t, vars, "generate", "-source", "auto", "-output", out, "-quiet")
	if r.code != 0 {
		t.Fatalf("generate on a synthetic account: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `"fallback-reason"`) || !strings.Contains(r.stdout, `"user-count":"40"`) {
		t.Errorf("auto on an account without a native report: metadata %s, want a fallback reason and 40 users", r.stdout)
	}
	if v := credreport(t, nil, "validate", out); v.code != 0 || !strings.HasPrefix(v.stdout, "valid: 40 users") {
		t.Errorf("validate of the generated report: exit %d %s %s", v.code, v.stdout, v.stderr)
	}
}

func TestPruneKeepsLatest(t *testing.T) {
	e := serve(t, filepath.Join(fixtureRoot(t), "no-native-report", "account.json"))
	dir := t.TempDir()
	vars := with(e.vars, "CREDREPORT_BUCKET=")
	for range 3 {
		if r := credreport(t, vars, "publish", "-quiet", "-force", "-dir", dir); r.code != 0 {
			t.Fatalf("publish -dir: exit %d: %s", r.code, r.stderr)
		}
		time.Sleep(1100 * time.Millisecond) // one report per generated-at second
	}
	if r := credreport(t, vars, "list", "-dir", dir); strings.Count(r.stdout, "\n") != 3 {
		t.Fatalf("list before prune:\n%s%s", r.stdout, r.stderr)
	}
	r := credreport(t, vars, "prune", "-dir", dir, "-keep", "1")
	if r.code != 0 || strings.Count(r.stdout, "deleted ") != 2 {
		t.Fatalf("prune -keep 1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = credreport(t, vars, "list", "-dir", dir)
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(r.stdout, "*") {
		t.Errorf("list after prune, want only the latest:\n%s", r.stdout)
	}
}
