// Command main is the credreport function for Alibaba Cloud Function
// Compute 3.0 (runtime go1, handler main). One handler serves both
// triggers: the timer keeps the account's credential report fresh in OSS,
// and the HTTP trigger responds with a short-lived signed URL to it (or the
// report itself), generating a new one when the stored report is stale.
package main

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	tuneMemory(os.Getenv)
	cfg, cfgErr := loadConfig(os.Getenv)
	log := newLogger(os.Stdout, cfg.LogLevel)
	if cfgErr != nil {
		// Every request gets 500 until the configuration is fixed; the
		// log names each bad variable.
		log.Error("invalid configuration", "error", cfgErr.Error())
	} else {
		log.Info("function started", "version", version, "bucket", cfg.Bucket, "source", string(cfg.Source),
			"max_age", cfg.MaxAge.String(), "url_expiry", cfg.URLExpiry.String(), "auth_token", cfg.AuthToken != "")
	}
	h := newHandler(cfg, cfgErr, log, time.Now)
	fc.Start(h.handle)
}

// newLogger returns the JSON logger Function Compute collects from stdout.
func newLogger(w *os.File, level string) *slog.Logger {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// tuneMemory keeps the heap inside the instance's memory. It sets a soft
// limit at 80% of FC_FUNCTION_MEMORY_SIZE (in MB) unless GOMEMLIMIT is set.
// It also collects garbage more often unless GOGC is set, because a build
// waits on the RAM/IMS quota rather than on the CPU.
func tuneMemory(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	if mb, err := strconv.Atoi(getenv("FC_FUNCTION_MEMORY_SIZE")); err == nil && mb > 0 {
		debug.SetMemoryLimit(int64(mb) << 20 * 8 / 10)
	}
}
