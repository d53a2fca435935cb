package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/emulator/fcruntime"
)

// BenchmarkColdStart measures a function instance's cold start: from
// starting the binary to its response to a first HTTP event (GET /healthz,
// which does no report work).
func BenchmarkColdStart(b *testing.B) {
	event := []byte(`{"version":"v1","rawPath":"/healthz","body":"","isBase64Encoded":false,"headers":{},"queryParameters":{},` +
		`"requestContext":{"accountId":"5123456789012345","domainName":"bench.cn-hangzhou.fcapp.run","domainPrefix":"bench",` +
		`"http":{"method":"GET","path":"/healthz","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"bench"},` +
		`"requestId":"bench","time":"2026-12-04T00:00:00Z","timeEpoch":"1796342400000"}}`)
	for b.Loop() {
		// Each instance gets a runtime of its own, so no poller of a
		// stopped instance can take the next event.
		b.StopTimer()
		rt := fcruntime.NewRuntime(fcruntime.Config{Timeout: 10 * time.Second, Region: "cn-hangzhou", AccountID: "5123456789012345",
			Credentials: fcruntime.Credentials{AccessKeyID: "LTAI5tBenchKey", AccessKeySecret: "bench-secret"}})
		ts := httptest.NewServer(rt)
		env := append(rt.Environ(), "CREDREPORT_BUCKET=credreport-local", "CREDREPORT_REGION=cn-hangzhou")
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		b.StartTimer()

		proc, err := fcruntime.StartProcess(ctx, functionBinary, strings.TrimPrefix(ts.URL, "http://"), env, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := rt.Invoke(ctx, event)

		b.StopTimer()
		proc.Close()
		ts.Close()
		cancel()
		if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"statusCode":200`) {
			b.Fatalf("first event: %v %+v %s", err, res.Err, res.Payload)
		}
		b.StartTimer()
	}
}
