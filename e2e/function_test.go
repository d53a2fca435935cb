package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/credreport/credreport/internal/emulator/launch"
)

// buildFunction builds the function binary as `make function` does.
func buildFunction(t *testing.T) string {
	t.Helper()
	out := filepath.Join(bin, "main")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	build := exec.Command("go", "build", "-trimpath", "-o", out, "../function")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the function: %v\n%s", err, msg)
	}
	return out
}

type reportAnswer struct {
	URL    string `json:"url"`
	Key    string `json:"key"`
	Cached bool   `json:"cached"`
}

func getJSON(t *testing.T, method, url string, into any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("%s %s: status %d, body %s: %v", method, url, resp.StatusCode, body, err)
		}
	}
	return resp.StatusCode
}

// TestFunctionUnderEmulator runs the function binary under
// `emulator -function ... -http ...` and talks to it with plain HTTP only.
func TestFunctionUnderEmulator(t *testing.T) {
	function := buildFunction(t)
	paths, _ := filepath.Glob(filepath.Join(fixtureRoot(t), "*", "account.json"))
	for _, path := range paths {
		name := filepath.Base(filepath.Dir(path))
		t.Run(name, func(t *testing.T) {
			emu, err := launch.Start(context.Background(), filepath.Join(bin, "emulator"), nil,
				"-fixture", path, "-function", function, "-http", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer emu.Stop()
			trigger := emu.Ready["http_endpoint"]
			if trigger == "" {
				t.Fatalf("ready line without http_endpoint: %v", emu.Ready)
			}

			var first reportAnswer
			if status := getJSON(t, "GET", trigger+"/report", &first); status != http.StatusOK {
				t.Fatalf("GET /report: status %d", status)
			}
			resp, err := http.Get(first.URL)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "expected-auto.csv"))
			if !bytes.Equal(got, want) {
				t.Errorf("signed URL bytes differ from expected-auto.csv")
			}

			ram0, _ := emu.Total("ram")
			oss0, _ := emu.Total("oss")
			var second reportAnswer
			getJSON(t, "GET", trigger+"/report", &second)
			if !second.Cached || second.Key != first.Key {
				t.Errorf("second GET /report: cached %v key %s, want the cached %s", second.Cached, second.Key, first.Key)
			}
			ram1, _ := emu.Total("ram")
			oss1, _ := emu.Total("oss")
			if ram1 != ram0 {
				t.Errorf("cached GET /report made %d RAM/IMS calls, want 0", ram1-ram0)
			}
			if oss1-oss0 > 2 {
				t.Errorf("cached GET /report made %d OSS requests, want at most 2", oss1-oss0)
			}

			var timer map[string]any
			if status := getJSON(t, "POST", emu.Ready["ram_endpoint"]+"/_emulator/timer", &timer); status != http.StatusOK {
				t.Fatalf("POST /_emulator/timer: status %d: %v", status, timer)
			}
			if result, _ := timer["result"].(map[string]any); result["status"] != "fresh" {
				t.Errorf("timer on a fresh report: %v, want status fresh", timer)
			}
			if ram2, _ := emu.Total("ram"); ram2 != ram1 {
				t.Errorf("timer on a fresh report made %d RAM/IMS calls, want 0", ram2-ram1)
			}
		})
	}
}
