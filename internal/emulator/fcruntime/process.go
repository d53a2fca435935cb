package fcruntime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long Close waits after SIGTERM before it kills the process.
const stopGrace = 3 * time.Second

// Environ returns the FC_* variables that FC 3.0 sets for a function instance:
// FC_FUNCTION_NAME, FC_FUNCTION_HANDLER, FC_FUNCTION_MEMORY_SIZE, and FC_REGION and
// FC_ACCOUNT_ID when configured. It adds the role credentials as
// ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
// ALIBABA_CLOUD_SECURITY_TOKEN when set, as FC 3.0 does. Pass the result to
// StartProcess; later SetCredentials calls reach invocations but not this environment.
func (r *Runtime) Environ() []string {
	r.mu.Lock()
	credentials := r.credentials
	r.mu.Unlock()

	env := []string{
		"FC_FUNCTION_NAME=" + r.cfg.FunctionName,
		"FC_FUNCTION_HANDLER=" + r.cfg.Handler,
		"FC_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(r.cfg.MemoryMB),
	}
	env = appendIfNotEmpty(env, "FC_REGION", r.cfg.Region)
	env = appendIfNotEmpty(env, "FC_ACCOUNT_ID", r.cfg.AccountID)
	env = appendIfNotEmpty(env, "ALIBABA_CLOUD_ACCESS_KEY_ID", credentials.AccessKeyID)
	env = appendIfNotEmpty(env, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", credentials.AccessKeySecret)
	env = appendIfNotEmpty(env, "ALIBABA_CLOUD_SECURITY_TOKEN", credentials.SecurityToken)
	return env
}

func appendIfNotEmpty(env []string, key, value string) []string {
	if value == "" {
		return env
	}
	return append(env, key+"="+value)
}

// Process is a running function binary.
type Process struct {
	path  string
	cmd   *exec.Cmd
	grace time.Duration

	// done is closed when the process has exited and its output is copied; waitErr is
	// set before.
	done    chan struct{}
	waitErr error

	stopOnce sync.Once
	stopErr  error
}

// StartProcess starts the function binary at path with FC_RUNTIME_API=runtimeAPI and
// the variables in env, and copies its stdout and stderr to the given writers (nil
// discards). runtimeAPI is the host:port of the listener serving the Runtime, without
// a scheme, because the SDK prepends "http://".
//
// The child does not inherit this process's environment: it gets only env and
// FC_RUNTIME_API, so no developer credentials leak into the function by accident. Pass
// Runtime.Environ() for the FC_* variables, and os.Environ() too if the function needs
// the parent's environment. FC_RUNTIME_API overrides any value in env.
//
// The process is stopped with SIGTERM, then killed after 3 seconds, when Close is called
// or ctx ends. Done and Wait report an exit, including one before Close.
func StartProcess(ctx context.Context, path string, runtimeAPI string, env []string, stdout, stderr io.Writer) (*Process, error) {
	if err := checkRuntimeAPI(runtimeAPI); err != nil {
		return nil, fmt.Errorf("start function %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start function %s: %w", path, err)
	}

	cmd := exec.Command(path)
	// os/exec keeps the last value of a duplicated key, so FC_RUNTIME_API goes last.
	cmd.Env = append(slices.Clip(env), "FC_RUNTIME_API="+runtimeAPI)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	// A child of the function that keeps the output pipes open must not block Wait.
	cmd.WaitDelay = stopGrace
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start function %s: %w", path, err)
	}

	p := &Process{path: path, cmd: cmd, grace: stopGrace, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = p.stop()
		case <-p.done:
		}
	}()
	return p, nil
}

// checkRuntimeAPI rejects an address that the SDK cannot use after "http://".
func checkRuntimeAPI(runtimeAPI string) error {
	if strings.Contains(runtimeAPI, "://") {
		return fmt.Errorf("runtime API address %q has a scheme; pass host:port only", runtimeAPI)
	}
	host, port, err := net.SplitHostPort(runtimeAPI)
	if err != nil {
		return fmt.Errorf("runtime API address %q is not host:port: %w", runtimeAPI, err)
	}
	if host == "" || port == "" {
		return fmt.Errorf("runtime API address %q needs both host and port, such as 127.0.0.1:9000", runtimeAPI)
	}
	return nil
}

// Done returns a channel that is closed when the process has exited, whether it was
// stopped by Close or ctx or ended on its own.
func (p *Process) Done() <-chan struct{} {
	return p.done
}

// Wait blocks until the process exits. It returns nil for exit status 0, and otherwise
// an error wrapping *exec.ExitError, which includes an exit caused by the SIGTERM that
// Close sends.
func (p *Process) Wait() error {
	<-p.done
	if p.waitErr != nil {
		return fmt.Errorf("function %s: %w", p.path, p.waitErr)
	}
	return nil
}

// Close stops the process with SIGTERM and, if it is still running 3 seconds later,
// kills it. It returns once the process has exited. Close returns an error only when
// signalling fails; use Wait for the exit status. Calling Close again returns the same
// result.
func (p *Process) Close() error {
	return p.stop()
}

func (p *Process) stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}

		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.stopErr = fmt.Errorf("stop function %s: send SIGTERM: %w", p.path, err)
		}

		timer := time.NewTimer(p.grace)
		defer timer.Stop()
		select {
		case <-p.done:
			return
		case <-timer.C:
		}

		if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.stopErr = errors.Join(p.stopErr, fmt.Errorf("stop function %s: kill: %w", p.path, err))
		}
		<-p.done
	})
	return p.stopErr
}
