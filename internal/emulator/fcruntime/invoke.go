package fcruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrTimeout is wrapped by the error of Invoke and FireTimer when the function posts
// no result within Config.Timeout. HTTPTrigger responds 504 then.
var ErrTimeout = errors.New("function timed out")

// errResultTooLarge is wrapped by the error of Invoke when the function posts a body
// larger than maxResultBytes.
var errResultTooLarge = errors.New("function result too large")

// Result is the outcome of one invocation.
type Result struct {
	// RequestID is the x-fc-request-id of the invocation, set even when Invoke fails.
	RequestID string
	// Payload is the body the function posted to /response: the JSON of the handler's
	// return value. It is nil when Err is set.
	Payload []byte
	// Err is the error the function posted to /error, after the handler returned an
	// error or panicked. Invoke returns a nil error alongside it.
	Err *FunctionError
	// Duration runs from queueing the event to the function's result, measured with
	// Config.Now.
	Duration time.Duration
}

// FunctionError is the body of an /error post. The SDK sets Type to the Go type name
// of the returned error or panic value (for example "errorString") and sends a stack
// trace for a panic only.
type FunctionError struct {
	Message    string
	Type       string
	StackTrace json.RawMessage
}

// Error implements error.
func (e *FunctionError) Error() string {
	if e.Type == "" {
		return "function error: " + e.Message
	}
	return "function error " + e.Type + ": " + e.Message
}

// invocation is one event between queueing and its result. Fields other than id,
// payload, deadline and done are guarded by Runtime.mu.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time

	delivered bool
	outcome   outcome
	// done is closed once outcome is set.
	done chan struct{}
}

// outcome is the result that the function posted for an invocation.
type outcome struct {
	payload     []byte
	functionErr *FunctionError
	err         error
}

// Invoke queues payload as one event, delivers it to the next GET .../next, and waits
// for the function's /response or /error. A function error is returned in Result.Err
// with a nil error. The error is non-nil, and wraps ErrTimeout, when no result arrives
// within Config.Timeout, and wraps ctx.Err() when ctx ends first. After either, a late
// result from the function is accepted and discarded.
func (r *Runtime) Invoke(ctx context.Context, payload []byte) (Result, error) {
	return r.invoke(ctx, r.newRequestID(), payload)
}

// invoke is Invoke with a request ID chosen by the caller, so that an HTTP-trigger
// event can carry the same ID in requestContext.requestId.
func (r *Runtime) invoke(ctx context.Context, requestID string, payload []byte) (Result, error) {
	result := Result{RequestID: requestID}
	if err := ctx.Err(); err != nil {
		return result, fmt.Errorf("invoke %s: %w", requestID, err)
	}

	start := r.cfg.Now()
	inv := &invocation{
		id:       requestID,
		payload:  bytes.Clone(payload),
		deadline: start.Add(r.cfg.Timeout),
		done:     make(chan struct{}),
	}
	if err := r.enqueue(inv); err != nil {
		return result, err
	}

	timer := time.NewTimer(r.cfg.Timeout)
	defer timer.Stop()

	var waitErr error
	select {
	case <-inv.done:
	case <-timer.C:
		waitErr = fmt.Errorf("invoke %s: no result within the function timeout of %s: %w", requestID, r.cfg.Timeout, ErrTimeout)
	case <-ctx.Done():
		waitErr = fmt.Errorf("invoke %s: %w", requestID, ctx.Err())
	}
	if waitErr != nil && r.abandon(inv, errors.Is(waitErr, ErrTimeout)) {
		result.Duration = r.cfg.Now().Sub(start)
		return result, waitErr
	}

	// The result arrived, possibly while the timer or ctx fired.
	result.Duration = r.cfg.Now().Sub(start)
	if inv.outcome.err != nil {
		return result, fmt.Errorf("invoke %s: %w", requestID, inv.outcome.err)
	}
	if inv.outcome.functionErr != nil {
		result.Err = inv.outcome.functionErr
		return result, nil
	}
	result.Payload = inv.outcome.payload
	return result, nil
}

// enqueue adds inv to the queue and wakes the next requests waiting for work.
func (r *Runtime) enqueue(inv *invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()

	if _, exists := r.waiting[inv.id]; exists {
		return fmt.Errorf("invoke %s: request ID is already in flight", inv.id)
	}
	r.waiting[inv.id] = inv
	r.queue = append(r.queue, inv)
	r.calls[callInvocations]++

	close(r.queueGrew)
	r.queueGrew = make(chan struct{})
	return nil
}

// abandon gives up on inv after a timeout or cancellation. It returns false when the
// result arrived first, so the caller uses it. An invocation still queued leaves the
// queue, and a delivered one is remembered so that its late result is accepted.
func (r *Runtime) abandon(inv *invocation, timedOut bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()

	select {
	case <-inv.done:
		return false
	default:
	}

	delete(r.waiting, inv.id)
	if inv.delivered {
		r.rememberAbandoned(inv.id)
	} else {
		for i, queued := range r.queue {
			if queued == inv {
				r.queue = append(r.queue[:i], r.queue[i+1:]...)
				break
			}
		}
	}

	if timedOut {
		r.calls[callTimeouts]++
	} else {
		r.calls[callCanceled]++
	}
	return true
}

// rememberAbandoned records requestID, forgetting the oldest entry beyond
// maxAbandoned. The caller holds r.mu.
func (r *Runtime) rememberAbandoned(requestID string) {
	r.abandoned[requestID] = struct{}{}
	r.abandonedOrder = append(r.abandonedOrder, requestID)
	if len(r.abandonedOrder) > maxAbandoned {
		delete(r.abandoned, r.abandonedOrder[0])
		r.abandonedOrder = r.abandonedOrder[1:]
	}
}

// complete stores out as the result for requestID and wakes its Invoke. It returns
// false when requestID is neither delivered and waiting nor abandoned, so the result
// has nowhere to go. A late result for an abandoned ID is dropped, and true is
// returned for the first one only.
func (r *Runtime) complete(requestID string, out outcome) bool {
	r.mu.Lock()
	defer r.mu.Unlock()

	inv, ok := r.waiting[requestID]
	if !ok || !inv.delivered {
		if _, late := r.abandoned[requestID]; late {
			delete(r.abandoned, requestID)
			return true
		}
		return false
	}

	delete(r.waiting, requestID)
	inv.outcome = out
	if out.functionErr != nil {
		r.calls[callErrors]++
	}
	close(inv.done)
	return true
}
