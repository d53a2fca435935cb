// Command fn is the function that the fcruntime tests run through the real
// fc-runtime-go-sdk. It routes on the event: an HTTP-trigger event by its path, a timer
// event by triggerName, and any other JSON by its "op" field.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

// binaryBody is the body of GET /binary, chosen to be invalid UTF-8.
var binaryBody = []byte{0x00, 0xff, 0x10, 0x80, 0xfe}

// request is an event for the op routes: {"op":"sleep","millis":500}.
type request struct {
	Op     string `json:"op"`
	Millis int    `json:"millis"`
	Code   int    `json:"code"`
	Count  int    `json:"count"`
}

// contextInfo is the result of the "context" op, read from fccontext and ctx.
type contextInfo struct {
	RequestID          string `json:"requestId"`
	HasAccessKeyID     bool   `json:"hasAccessKeyId"`
	HasAccessKeySecret bool   `json:"hasAccessKeySecret"`
	HasSecurityToken   bool   `json:"hasSecurityToken"`
	AccessKeyID        string `json:"accessKeyId"`
	Region             string `json:"region"`
	AccountID          string `json:"accountId"`
	FunctionName       string `json:"functionName"`
	FunctionHandler    string `json:"functionHandler"`
	FunctionMemory     string `json:"functionMemory"`
	FunctionTimeout    int    `json:"functionTimeout"`
	RetryCount         int    `json:"retryCount"`
	DeadlineMillis     int64  `json:"deadlineMillis"`
}

// gathering lets concurrent "gather" invocations wait for each other.
var gathering struct {
	sync.Mutex
	arrived int
	all     chan struct{}
}

func main() {
	fc.Start(handle)
}

func handle(ctx context.Context, event json.RawMessage) (any, error) {
	var probe struct {
		Version     string  `json:"version"`
		TriggerName *string `json:"triggerName"`
	}
	if err := json.Unmarshal(event, &probe); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}

	switch {
	case probe.Version == "v1":
		return handleHTTP(ctx, event)
	case probe.TriggerName != nil:
		var timer events.TimerEvent
		if err := json.Unmarshal(event, &timer); err != nil {
			return nil, fmt.Errorf("decode timer event: %w", err)
		}
		return map[string]any{"kind": "timer", "event": timer}, nil
	}

	var req request
	if err := json.Unmarshal(event, &req); err != nil {
		return nil, fmt.Errorf("decode op event: %w", err)
	}
	return runOp(ctx, req)
}

// runOp runs the operations shared by direct events and HTTP paths.
func runOp(ctx context.Context, req request) (any, error) {
	switch req.Op {
	case "error":
		return nil, errors.New("requested failure")
	case "panic":
		panic("requested panic")
	case "sleep":
		time.Sleep(time.Duration(req.Millis) * time.Millisecond)
		return "slept", nil
	case "context":
		return readContext(ctx)
	case "gather":
		return gather(ctx, req.Count)
	case "env":
		return os.Environ(), nil
	case "exit":
		os.Exit(req.Code)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		return "ignoring SIGTERM", nil
	}
	return nil, fmt.Errorf("unknown op %q", req.Op)
}

func readContext(ctx context.Context) (contextInfo, error) {
	fctx, ok := fccontext.FromContext(ctx)
	if !ok {
		return contextInfo{}, errors.New("no fccontext in ctx")
	}
	info := contextInfo{
		RequestID:          fctx.RequestID,
		HasAccessKeyID:     fctx.Credentials.AccessKeyId != "",
		HasAccessKeySecret: fctx.Credentials.AccessKeySecret != "",
		HasSecurityToken:   fctx.Credentials.SecurityToken != "",
		AccessKeyID:        fctx.Credentials.AccessKeyId,
		Region:             fctx.Region,
		AccountID:          fctx.AccountId,
		FunctionName:       fctx.Function.Name,
		FunctionHandler:    fctx.Function.Handler,
		FunctionMemory:     fctx.Function.Memory,
		FunctionTimeout:    fctx.Function.Timeout,
		RetryCount:         fctx.RetryCount,
	}
	if deadline, ok := ctx.Deadline(); ok {
		info.DeadlineMillis = deadline.UnixMilli()
	}
	return info, nil
}

// gather waits until count invocations have arrived, which only happens when they
// run at the same time.
func gather(ctx context.Context, count int) (int, error) {
	gathering.Lock()
	if gathering.all == nil {
		gathering.all = make(chan struct{})
	}
	gathering.arrived++
	arrived := gathering.arrived
	all := gathering.all
	if arrived == count {
		close(all)
	}
	gathering.Unlock()

	select {
	case <-all:
		return arrived, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("only %d of %d invocations arrived: %w", arrived, count, ctx.Err())
	}
}

// handleHTTP runs the operation that the path of an HTTP-trigger event names.
func handleHTTP(ctx context.Context, raw json.RawMessage) (any, error) {
	var event events.HTTPTriggerEvent
	if err := json.Unmarshal(raw, &event); err != nil {
		return nil, fmt.Errorf("decode HTTP trigger event: %w", err)
	}
	query := map[string]string{}
	if event.QueryParameters != nil {
		query = *event.QueryParameters
	}
	// The first path segment names the operation, so "/echo/a b" echoes too.
	op, _, _ := strings.Cut(strings.TrimPrefix(*event.TriggerContext.Http.Path, "/"), "/")

	switch op {
	case "echo":
		status := 200
		if s, ok := query["status"]; ok {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("query status %q: %w", s, err)
			}
			status = n
		}
		return events.HTTPTriggerResponse{
			StatusCode: status,
			Headers:    map[string]string{"Content-Type": "application/json", "X-Echo": "yes"},
			Body:       string(raw),
		}, nil
	case "binary":
		return events.HTTPTriggerResponse{
			StatusCode:      200,
			Headers:         map[string]string{"Content-Type": "application/octet-stream"},
			IsBase64Encoded: true,
			Body:            base64.StdEncoding.EncodeToString(binaryBody),
		}, nil
	case "not-a-response":
		return "plain string", nil
	case "no-status":
		return map[string]string{"body": "no status code"}, nil
	case "bad-base64":
		return events.HTTPTriggerResponse{StatusCode: 200, IsBase64Encoded: true, Body: "%%%"}, nil
	}

	req := request{Op: op}
	req.Millis, _ = strconv.Atoi(query["millis"])
	req.Count, _ = strconv.Atoi(query["count"])
	result, err := runOp(ctx, req)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("encode %s result: %w", op, err)
	}
	return events.HTTPTriggerResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}
