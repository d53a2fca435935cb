// Package launch starts the emulator command as a child process and reads
// its ready line, for tools and tests that drive the product the way a user
// does: as separate processes talking over loopback.
package launch

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"syscall"
	"time"
)

// Emulator is a running emulator process.
type Emulator struct {
	cmd *exec.Cmd
	// Ready is the JSON line the emulator printed once it was serving:
	// ram_endpoint, oss_endpoint, region, bucket, account_id and, when
	// present, http_endpoint, access_key_id and access_key_secret.
	Ready map[string]string
	done  chan struct{}
	err   error
}

// Start runs the emulator binary with args (a -listen flag of 127.0.0.1:0
// comes first, so args may override it) and waits for its ready line.
// The emulator's standard error goes to stderr.
func Start(ctx context.Context, binary string, stderr io.Writer, args ...string) (*Emulator, error) {
	cmd := exec.CommandContext(ctx, binary, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if stderr == nil {
		stderr = io.Discard
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	e := &Emulator{cmd: cmd, done: make(chan struct{})}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err == nil {
		err = json.Unmarshal([]byte(line), &e.Ready)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the emulator did not print its ready line (%q): %w", line, err)
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		e.err = cmd.Wait()
		close(e.done)
	}()
	return e, nil
}

// Stop ends the emulator with SIGTERM and waits for it.
func (e *Emulator) Stop() {
	if e.cmd.Process != nil {
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
	}
}

// Calls returns the emulator's request counts: service ("ram", "oss",
// "fc") to action or HTTP method to count.
func (e *Emulator) Calls() (map[string]map[string]int, error) {
	resp, err := http.Get(e.Ready["ram_endpoint"] + "/_emulator/calls")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var doc map[string]map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode /_emulator/calls: %w", err)
	}
	return doc, nil
}

// Total returns the number of requests one service served.
func (e *Emulator) Total(service string) (int, error) {
	doc, err := e.Calls()
	if err != nil {
		return 0, err
	}
	total := 0
	for _, n := range doc[service] {
		total += n
	}
	return total, nil
}
