// Command bench measures credreport against the emulator: builds of
// synthetic accounts at a fixed RAM/IMS quota (with the quota known to the
// client and unknown to it), and the cost of a cached GET /report through
// the function. It starts the emulator and the CLI as separate processes,
// the way users run them, and prints a Markdown table per scenario.
//
//	go run ./tools/bench -users 3500,50000 -qps 100 -latency 20ms
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/credreport/credreport/internal/emulator/launch"
	"github.com/credreport/credreport/internal/fixture"
	"github.com/credreport/credreport/internal/synth"
)

func main() {
	users := flag.String("users", "3500,50000", "comma-separated synthetic account sizes")
	qps := flag.Float64("qps", 100, "emulator RAM/IMS quota in requests per second")
	latency := flag.Duration("latency", 20*time.Millisecond, "emulator latency per answer")
	modes := flag.String("modes", "known,unknown", "known: the client is told the quota; unknown: it is not")
	concurrency := flag.Int("concurrency", 8, "client concurrency")
	parallel := flag.Bool("parallel", true, "run the build scenarios at the same time (each has its own emulator and quota)")
	cached := flag.Int("cached", 50, "cached GET /report requests to time (0 skips)")
	bin := flag.String("bin", "bin", "directory with the credreport, emulator and function binaries (built if missing)")
	flag.Parse()

	if err := build(*bin); err != nil {
		fatal(err)
	}
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Printf("emulator: qps=%g latency=%s; client concurrency=%d\n\n", *qps, *latency, *concurrency)

	var scenarios []scenario
	for _, u := range strings.Split(*users, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(u))
		if err != nil || n <= 0 {
			fatal(fmt.Errorf("invalid -users entry %q", u))
		}
		for _, m := range strings.Split(*modes, ",") {
			scenarios = append(scenarios, scenario{users: n, known: strings.TrimSpace(m) == "known", qps: *qps, latency: *latency, concurrency: *concurrency})
		}
	}
	results := make([]result, len(scenarios))
	var wg sync.WaitGroup
	for i := range scenarios {
		run := func() {
			r, err := scenarios[i].run(*bin)
			if err != nil {
				fmt.Fprintf(os.Stderr, "scenario %s: %v\n", scenarios[i], err)
			}
			results[i] = r
		}
		if *parallel {
			wg.Go(run)
		} else {
			run()
		}
	}
	wg.Wait()
	printBuilds(scenarios, results)

	if *cached > 0 {
		if err := measureCached(*bin, *cached); err != nil {
			fatal(err)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func build(bin string) error {
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	for _, target := range []struct{ out, pkg string }{
		{"credreport", "./cmd/credreport"}, {"emulator", "./cmd/emulator"}, {"main", "./function"},
	} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bin, target.out), target.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", target.pkg, err, out)
		}
	}
	return nil
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			_, v, _ := strings.Cut(line, ":")
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

type scenario struct {
	users       int
	known       bool
	qps         float64
	latency     time.Duration
	concurrency int
}

func (s scenario) String() string {
	mode := "unknown quota"
	if s.known {
		mode = "known quota"
	}
	return fmt.Sprintf("%d users, %s", s.users, mode)
}

type result struct {
	wall      time.Duration
	calls     int
	floor     int
	throttled int
	peakRSS   int64 // bytes
	ok        bool
}

func startEmulator(bin string, args ...string) (*launch.Emulator, error) {
	return launch.Start(context.Background(), filepath.Join(bin, "emulator"), nil, args...)
}

func (s scenario) run(bin string) (result, error) {
	emu, err := startEmulator(bin, "-synthetic", strconv.Itoa(s.users), "-seed", "1",
		"-qps", strconv.FormatFloat(s.qps, 'f', -1, 64), "-latency", s.latency.String())
	if err != nil {
		return result{}, err
	}
	defer emu.Stop()
	args := []string{"generate", "-source", "build", "-output", os.DevNull, "-quiet",
		"-account-id", emu.Ready["account_id"], "-concurrency", strconv.Itoa(s.concurrency)}
	if s.known {
		args = append(args, "-qps", strconv.FormatFloat(s.qps, 'f', -1, 64))
	}
	cmd := exec.Command(filepath.Join(bin, "credreport"), args...)
	cmd.Env = append(os.Environ(),
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+emu.Ready["access_key_id"],
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+emu.Ready["access_key_secret"],
		"CREDREPORT_RAM_ENDPOINT="+emu.Ready["ram_endpoint"])
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("credreport generate: %v\n%s", err, stderr.String())
	}
	var meta map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &meta); err != nil {
		return result{}, fmt.Errorf("metadata line %q: %w", stdout.String(), err)
	}
	calls, err := emu.Total("ram")
	if err != nil {
		return result{}, err
	}
	r := result{wall: wall, calls: calls, floor: floor(synth.Account(s.users, 1)), ok: true}
	if v, ok := meta["throttled-calls"].(float64); ok {
		r.throttled = int(v)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakRSS = ru.Maxrss * 1024 // Linux reports kilobytes
	}
	return r, nil
}

// floor is the fewest RAM/IMS calls a build of the account can make under
// the report rules: the paged lists, one login profile and one key list per
// user, one last-use lookup per key, one MFA lookup per user without a bound
// virtual device, the three account-level calls, and one native report
// request for the root row.
func floor(a *fixture.Account) int {
	n := len(a.Users)
	keys, vmfa := 0, 0
	for _, u := range a.Users {
		keys += len(u.AccessKeys)
		if u.MFA != nil && u.MFA.Type == fixture.MFATypeVirtual {
			vmfa++
		}
	}
	pages := func(items, size int) int { return max(1, int(math.Ceil(float64(items)/float64(size)))) }
	return pages(n, 1000) + pages(vmfa, 100) + 2*n + keys + (n - vmfa) + 3 + 1
}

func printBuilds(scenarios []scenario, results []result) {
	fmt.Println("| scenario | wall time | API calls | calls/user | floor/user | over floor | accepted rate | of limit | throttled | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for i, s := range scenarios {
		r := results[i]
		if !r.ok {
			fmt.Printf("| %s | failed | | | | | | | | |\n", s)
			continue
		}
		// The rate counts the calls the service accepted: throttled responses
		// are not progress.
		rate := float64(r.calls-r.throttled) / r.wall.Seconds()
		fmt.Printf("| %s | %s | %d | %.3f | %.3f | %+.1f%% | %.1f/s | %.1f%% | %d (%.2f%%) | %.1f MiB |\n",
			s, r.wall.Round(100*time.Millisecond), r.calls,
			float64(r.calls)/float64(s.users), float64(r.floor)/float64(s.users),
			100*(float64(r.calls)/float64(r.floor)-1), rate, 100*rate/s.qps,
			r.throttled, 100*float64(r.throttled)/float64(r.calls), float64(r.peakRSS)/(1<<20))
	}
	fmt.Println()
}

// measureCached times GET /report through the function once a report is stored.
func measureCached(bin string, n int) error {
	demo := filepath.Join("demo", "account.json")
	emu, err := startEmulator(bin, "-fixture", demo, "-function", filepath.Join(bin, "main"), "-http", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer emu.Stop()
	base := emu.Ready["http_endpoint"]
	get := func() (time.Duration, int, error) {
		start := time.Now()
		resp, err := http.Get(base + "/report")
		if err != nil {
			return 0, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), resp.StatusCode, nil
	}
	if _, status, err := get(); err != nil || status != http.StatusOK {
		return fmt.Errorf("first GET /report: status %d, %v", status, err)
	}
	oss0, _ := emu.Total("oss")
	ram0, _ := emu.Total("ram")
	var latencies []time.Duration
	for range n {
		d, status, err := get()
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("cached GET /report: status %d, %v", status, err)
		}
		latencies = append(latencies, d)
	}
	oss1, _ := emu.Total("oss")
	ram1, _ := emu.Total("ram")
	slices.Sort(latencies)
	fmt.Println("| cached GET /report | requests | OSS requests per hit | RAM/IMS requests | median latency | p90 latency |")
	fmt.Println("|---|---|---|---|---|---|")
	fmt.Printf("| demo account, 50 users | %d | %.2f | %d | %s | %s |\n\n", n, float64(oss1-oss0)/float64(n), ram1-ram0,
		latencies[len(latencies)/2].Round(10*time.Microsecond), latencies[len(latencies)*9/10].Round(10*time.Microsecond))
	return nil
}
