package fcruntime

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// maxTimerPayloadBytes is FC's limit on the payload of a timer trigger, the same
// 128 KB as any asynchronous invocation.
const maxTimerPayloadBytes = 128 << 10

// FireTimer sends one timer event, {"triggerTime":...,"triggerName":...,"payload":...}
// with triggerTime as RFC 3339 in UTC from Config.Now, and waits for the result as
// Invoke does. It rejects an empty trigger name and a payload over 128 KB.
func (r *Runtime) FireTimer(ctx context.Context, triggerName, payload string) (Result, error) {
	if err := checkTimer(triggerName, payload); err != nil {
		return Result{}, err
	}

	event := events.TimerEvent{
		TriggerTime: new(r.cfg.Now().UTC().Format(time.RFC3339)),
		TriggerName: new(triggerName),
		Payload:     new(payload),
	}
	body, err := json.Marshal(event)
	if err != nil {
		return Result{}, fmt.Errorf("fire timer %s: encode event: %w", triggerName, err)
	}

	r.count(callTimer)
	result, err := r.Invoke(ctx, body)
	if err != nil {
		return result, fmt.Errorf("fire timer %s: %w", triggerName, err)
	}
	return result, nil
}

// RunTimer fires a timer event every interval until ctx ends, then waits for the
// events still in flight and returns nil. Like FC's asynchronous timer invocations, a
// slow invocation does not delay the next tick. Failed invocations are not returned:
// they show in Calls as "errors", "timeouts" and "canceled". RunTimer returns an error
// at once, without firing, for a non-positive interval, an empty trigger name or a
// payload over 128 KB.
func (r *Runtime) RunTimer(ctx context.Context, every time.Duration, triggerName, payload string) error {
	if every <= 0 {
		return fmt.Errorf("run timer %s: interval %s is not positive; pass a duration such as 1m", triggerName, every)
	}
	if err := checkTimer(triggerName, payload); err != nil {
		return err
	}

	ticker := time.NewTicker(every)
	defer ticker.Stop()

	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			inFlight.Go(func() {
				// Calls already counts the failure.
				_, _ = r.FireTimer(ctx, triggerName, payload)
			})
		}
	}
}

func checkTimer(triggerName, payload string) error {
	if triggerName == "" {
		return fmt.Errorf("fire timer: trigger name is empty; pass the name of the timer trigger")
	}
	if len(payload) > maxTimerPayloadBytes {
		return fmt.Errorf("fire timer %s: payload is %d bytes, over the %d-byte limit of a timer trigger",
			triggerName, len(payload), maxTimerPayloadBytes)
	}
	return nil
}
