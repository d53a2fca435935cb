// Package emulator combines the RAM/IMS, OSS and Function Compute runtime
// emulators behind one http.Handler, so one loopback listener serves every
// protocol the product speaks, plus a small control API under /_emulator/.
package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/credreport/credreport/internal/emulator/fcruntime"
	"github.com/credreport/credreport/internal/emulator/oss"
	"github.com/credreport/credreport/internal/emulator/ram"
	"github.com/credreport/credreport/internal/fixture"
)

// DefaultBucket is the bucket the emulator creates when none is named.
const DefaultBucket = "credreport-local"

// DefaultRegion is the region the emulator reports and signs for.
const DefaultRegion = "cn-hangzhou"

// Config configures an Emulator.
type Config struct {
	Account *fixture.Account
	// QPS and Latency override the fixture's limits when not nil.
	QPS     *float64
	Latency *time.Duration
	// Buckets are created at start; empty means DefaultBucket.
	Buckets []string
	// DataDir keeps OSS objects on disk; empty keeps them in memory.
	DataDir string
	Region  string
	Now     func() time.Time
}

// Emulator routes requests to the emulated services.
type Emulator struct {
	RAM *ram.Server
	OSS *oss.Server

	mu      sync.Mutex
	runtime *fcruntime.Runtime
	timer   string // timer trigger name used by POST /_emulator/timer
}

// New builds the emulators. It does not listen.
func New(cfg Config) (*Emulator, error) {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if len(cfg.Buckets) == 0 {
		cfg.Buckets = []string{DefaultBucket}
	}
	ramServer, err := ram.New(cfg.Account, ram.Options{Now: cfg.Now, QPS: cfg.QPS, Latency: cfg.Latency})
	if err != nil {
		return nil, err
	}
	creds := make([]oss.Credential, 0, len(cfg.Account.Credentials))
	for _, c := range cfg.Account.Credentials {
		creds = append(creds, oss.Credential{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken})
	}
	ossServer, err := oss.New(oss.Options{Credentials: creds, Buckets: cfg.Buckets, DataDir: cfg.DataDir, Region: cfg.Region, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	return &Emulator{RAM: ramServer, OSS: ossServer}, nil
}

// AttachRuntime mounts a function runtime: its runtime API under
// /2020-11-11/ and timer firing at POST /_emulator/timer.
func (e *Emulator) AttachRuntime(rt *fcruntime.Runtime, timerName string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runtime = rt
	e.timer = timerName
}

func (e *Emulator) currentRuntime() (*fcruntime.Runtime, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runtime, e.timer
}

// ServeHTTP routes a request: the control API, the runtime API, RPC calls
// (path "/" with an Action) to RAM/IMS, and everything else to OSS.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_emulator/calls":
		e.serveCalls(w, r)
	case r.URL.Path == "/_emulator/timer":
		e.serveTimer(w, r)
	case strings.HasPrefix(r.URL.Path, "/_emulator/"):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown emulator control path " + r.URL.Path})
	case strings.HasPrefix(r.URL.Path, "/2020-11-11/runtime/"):
		rt, _ := e.currentRuntime()
		if rt == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no function runtime is attached"})
			return
		}
		rt.ServeHTTP(w, r)
	case isRPC(r):
		e.RAM.ServeHTTP(w, r)
	default:
		e.OSS.ServeHTTP(w, r)
	}
}

// isRPC recognises an Alibaba Cloud RPC call: path "/" with an Action in the
// query, an ACS3 x-acs-action header, or a form-encoded body.
func isRPC(r *http.Request) bool {
	if r.URL.Path != "/" {
		return false
	}
	if r.URL.Query().Has("Action") || r.Header.Get("x-acs-action") != "" {
		return true
	}
	return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// Calls returns the requests served so far, by service.
func (e *Emulator) Calls() map[string]map[string]int {
	out := map[string]map[string]int{"ram": e.RAM.Calls(), "oss": e.OSS.Calls()}
	if rt, _ := e.currentRuntime(); rt != nil {
		out["fc"] = rt.Calls()
	}
	return out
}

func (e *Emulator) serveCalls(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
		return
	}
	writeJSON(w, http.StatusOK, e.Calls())
}

func (e *Emulator) serveTimer(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return
	}
	rt, name := e.currentRuntime()
	if rt == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no function runtime is attached; start the emulator with -function"})
		return
	}
	payload := r.URL.Query().Get("payload")
	res, err := rt.FireTimer(r.Context(), name, payload)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	body := map[string]any{"request_id": res.RequestID, "duration_ms": res.Duration.Milliseconds()}
	status := http.StatusOK
	if res.Err != nil {
		// The invocation ran, but the function failed: a gateway error,
		// as FC returns for a failed synchronous invocation.
		status = http.StatusBadGateway
		body["error"] = res.Err.Message
		body["error_type"] = res.Err.Type
	} else {
		body["result"] = json.RawMessage(nonEmptyJSON(res.Payload))
	}
	writeJSON(w, status, body)
}

func nonEmptyJSON(b []byte) []byte {
	if len(b) == 0 || !json.Valid(b) {
		return []byte("null")
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
