// Command emulator serves an Alibaba Cloud account fixture over the real
// RAM/IMS RPC and OSS REST protocols on loopback, and optionally runs the
// credreport function binary under an emulated Function Compute runtime with
// an HTTP trigger and a timer. Once ready it prints one JSON line on stdout
// with its endpoints, then serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/credreport/credreport/internal/emulator"
	"github.com/credreport/credreport/internal/emulator/fcruntime"
	"github.com/credreport/credreport/internal/fixture"
	"github.com/credreport/credreport/internal/synth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	fixture, writeFixture       string
	synthetic                   int
	seed                        uint64
	listen                      string
	qps                         float64
	latency                     time.Duration
	bucket, dataDir, region     string
	function, httpAddr          string
	timer, functionTimeout      time.Duration
	qpsSet, latencySet, verbose bool
}

const usage = `usage: emulator (-fixture FILE | -synthetic N [-seed S]) [flags]

Serves an account over the RAM/IMS RPC protocol and an OSS bucket on one
loopback listener. With -function it also runs that binary as a Function
Compute go1 function and exposes its HTTP trigger on -http.

Examples:
  emulator -fixture testdata/fixtures/basic/account.json -listen 127.0.0.1:0
  emulator -synthetic 50000 -seed 1 -qps 100 -latency 20ms
  emulator -synthetic 3500 -write-fixture /tmp/account.json
  emulator -fixture demo/account.json -function dist/main -http 127.0.0.1:9000 -timer 1h

Flags:
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&o.fixture, "fixture", "", "account fixture `FILE` to serve")
	fs.IntVar(&o.synthetic, "synthetic", 0, "serve a generated account of `N` users instead of a fixture")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generated account")
	fs.StringVar(&o.writeFixture, "write-fixture", "", "write the generated account to `FILE` as a fixture and exit")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback `address` to listen on; port 0 picks a free one")
	fs.Float64Var(&o.qps, "qps", 0, "RAM/IMS requests per second before throttling (0 = no limit); overrides the fixture")
	fs.DurationVar(&o.latency, "latency", 0, "delay before every RAM/IMS answer, such as 20ms; overrides the fixture")
	fs.StringVar(&o.bucket, "bucket", emulator.DefaultBucket, "OSS bucket `name` to create")
	fs.StringVar(&o.dataDir, "data", "", "keep OSS objects under `DIR` instead of in memory")
	fs.StringVar(&o.region, "region", emulator.DefaultRegion, "region the emulator reports and signs for")
	fs.StringVar(&o.function, "function", "", "function binary `PATH` to run under the emulated FC runtime")
	fs.StringVar(&o.httpAddr, "http", "", "loopback `address` of the function's HTTP trigger (needs -function)")
	fs.DurationVar(&o.timer, "timer", 0, "fire the function's timer trigger every `DURATION` (needs -function)")
	fs.DurationVar(&o.functionTimeout, "function-timeout", 120*time.Second, "function timeout: each invocation's deadline")
	fs.BoolVar(&o.verbose, "v", false, "log every emulator event")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fs.Visit(func(f *flag.Flag) {
		o.qpsSet = o.qpsSet || f.Name == "qps"
		o.latencySet = o.latencySet || f.Name == "latency"
	})
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "emulator: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := serve(ctx, o, stdout, stderr, log); err != nil {
		fmt.Fprintf(stderr, "emulator: %v\n", err)
		return 1
	}
	return 0
}

func loadAccount(o options) (*fixture.Account, error) {
	switch {
	case o.fixture != "" && o.synthetic > 0:
		return nil, errors.New("-fixture and -synthetic are exclusive: pick one")
	case o.fixture != "":
		return fixture.Load(o.fixture)
	case o.synthetic > 0:
		return synth.Account(o.synthetic, o.seed), nil
	}
	return nil, errors.New("missing account: pass -fixture FILE or -synthetic N")
}

func serve(ctx context.Context, o options, stdout, stderr io.Writer, log *slog.Logger) error {
	account, err := loadAccount(o)
	if err != nil {
		return err
	}
	if o.writeFixture != "" {
		return writeFixture(o.writeFixture, account)
	}
	if o.qps < 0 || o.latency < 0 {
		return fmt.Errorf("invalid -qps %v or -latency %v: want 0 or more", o.qps, o.latency)
	}
	if (o.httpAddr != "" || o.timer > 0) && o.function == "" {
		return errors.New("-http and -timer need -function PATH")
	}
	cfg := emulator.Config{Account: account, Buckets: []string{o.bucket}, DataDir: o.dataDir, Region: o.region}
	if o.qpsSet {
		cfg.QPS = &o.qps
	}
	if o.latencySet {
		cfg.Latency = &o.latency
	}
	if v := os.Getenv("CREDREPORT_BUCKET"); v != "" && o.function != "" && v != o.bucket {
		cfg.Buckets = append(cfg.Buckets, v)
	}
	emu, err := emulator.New(cfg)
	if err != nil {
		return err
	}

	ln, err := listenLoopback(o.listen)
	if err != nil {
		return err
	}
	endpoint := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 3)
	go func() { errc <- srv.Serve(ln) }()
	defer srv.Close()

	ready := map[string]string{
		"ram_endpoint": endpoint,
		"oss_endpoint": endpoint,
		"region":       o.region,
		"bucket":       o.bucket,
		"account_id":   account.AccountID,
	}
	if o.synthetic > 0 {
		ready["access_key_id"] = synth.AccessKeyID
		ready["access_key_secret"] = synth.AccessKeySecret
	}

	if o.function != "" {
		fn, err := startFunction(ctx, o, account, emu, ln.Addr().String(), endpoint, stderr, log)
		if err != nil {
			return err
		}
		defer fn.close()
		if fn.httpEndpoint != "" {
			ready["http_endpoint"] = fn.httpEndpoint
			go func() { errc <- fn.httpServer.Serve(fn.httpListener) }()
		}
		go func() {
			err := fn.process.Wait()
			if ctx.Err() == nil {
				errc <- fmt.Errorf("the function process exited: %v", err)
			}
		}()
	}

	line, _ := json.Marshal(ready)
	fmt.Fprintln(stdout, string(line))
	log.Info("emulator ready", "endpoint", endpoint, "account_id", account.AccountID, "users", len(account.Users))

	select {
	case <-ctx.Done():
		log.Info("emulator stopping")
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// listenLoopback listens on addr, which must be a loopback address: the
// emulator accepts the fixture's test credentials and must not be reachable
// from other machines.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("invalid listen address %q: want host:port, such as 127.0.0.1:0", addr)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("invalid listen address %q: the emulator listens on loopback only (127.0.0.1, ::1 or localhost)", addr)
	}
	return net.Listen("tcp", addr)
}

func writeFixture(path string, account *fixture.Account) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fixture-*.json")
	if err != nil {
		return fmt.Errorf("write fixture: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := fixture.Write(tmp, account); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write fixture: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// function is the running function binary with its trigger servers.
type function struct {
	process      *fcruntime.Process
	httpServer   *http.Server
	httpListener net.Listener
	httpEndpoint string
	cancelTimer  context.CancelFunc
}

func (f *function) close() {
	if f.cancelTimer != nil {
		f.cancelTimer()
	}
	if f.httpServer != nil {
		f.httpServer.Close()
	}
	f.process.Close()
}

// functionEnv returns the function's environment: the emulator's own
// CREDREPORT_* variables, with the region, endpoints and bucket defaulting
// to the emulator's.
func functionEnv(o options, endpoint string) []string {
	env := map[string]string{
		"CREDREPORT_REGION":              o.region,
		"CREDREPORT_RAM_ENDPOINT":        endpoint,
		"CREDREPORT_OSS_ENDPOINT":        endpoint,
		"CREDREPORT_OSS_PUBLIC_ENDPOINT": endpoint,
		"CREDREPORT_BUCKET":              o.bucket,
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CREDREPORT_") {
			env[k] = v
		}
	}
	out := make([]string, 0, len(env)+2)
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	if tz := os.Getenv("TZ"); tz != "" {
		out = append(out, "TZ="+tz)
	}
	return out
}

func startFunction(ctx context.Context, o options, account *fixture.Account, emu *emulator.Emulator, runtimeAddr, endpoint string, stderr io.Writer, log *slog.Logger) (*function, error) {
	if _, err := os.Stat(o.function); err != nil {
		return nil, fmt.Errorf("function binary: %w; build it with `make function`", err)
	}
	cred := account.Credentials[0]
	rt := fcruntime.NewRuntime(fcruntime.Config{
		Timeout:   o.functionTimeout,
		Region:    o.region,
		AccountID: account.AccountID,
		Credentials: fcruntime.Credentials{
			AccessKeyID: cred.AccessKeyID, AccessKeySecret: cred.AccessKeySecret, SecurityToken: cred.SecurityToken,
		},
	})
	emu.AttachRuntime(rt, "credreport-timer")
	proc, err := fcruntime.StartProcess(ctx, o.function, runtimeAddr, append(rt.Environ(), functionEnv(o, endpoint)...), stderr, stderr)
	if err != nil {
		return nil, err
	}
	fn := &function{process: proc}
	if o.httpAddr != "" {
		ln, err := listenLoopback(o.httpAddr)
		if err != nil {
			proc.Close()
			return nil, err
		}
		fn.httpListener = ln
		fn.httpEndpoint = "http://" + ln.Addr().String()
		fn.httpServer = &http.Server{Handler: fcruntime.NewHTTPTrigger(rt), ReadHeaderTimeout: 10 * time.Second}
	}
	if o.timer > 0 {
		tctx, cancel := context.WithCancel(ctx)
		fn.cancelTimer = cancel
		go func() {
			if err := rt.RunTimer(tctx, o.timer, "credreport-timer", ""); err != nil {
				log.Error("timer trigger failed", "error", err)
			}
		}()
		log.Info("timer trigger armed", "every", o.timer)
	}
	return fn, nil
}
