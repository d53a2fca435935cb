// Command demo is what `make run` does: it starts the emulator on the demo
// account with the function binary behind an HTTP trigger, asks GET /report
// twice (a generation, then the cached report), downloads the signed URL
// with plain HTTP, and prints the first rows and a short summary.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/emulator/launch"
	"github.com/credreport/credreport/internal/findings"
	"github.com/credreport/credreport/internal/report"
)

func main() {
	emulatorBin := flag.String("emulator", "bin/emulator", "emulator binary")
	function := flag.String("function", "dist/main", "function binary (make function)")
	account := flag.String("fixture", "demo/account.json", "account fixture to serve")
	rows := flag.Int("rows", 6, "report rows to print")
	flag.Parse()
	if err := run(*emulatorBin, *function, *account, *rows); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// answer is the part of GET /report's JSON the demo prints.
type answer struct {
	URL         string `json:"url"`
	ExpiresAt   string `json:"expires_at"`
	GeneratedAt string `json:"generated_at"`
	AgeSeconds  int64  `json:"age_seconds"`
	Source      string `json:"source"`
	UserCount   int    `json:"user_count"`
	SHA256      string `json:"sha256"`
	Key         string `json:"key"`
	Cached      bool   `json:"cached"`
	RootRow     string `json:"root_row"`
}

func run(emulatorBin, function, account string, rows int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fmt.Printf("starting the emulator on %s with the function %s\n", account, function)
	emu, err := launch.Start(ctx, emulatorBin, os.Stderr, "-fixture", account, "-function", function, "-http", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer emu.Stop()
	trigger := emu.Ready["http_endpoint"]
	fmt.Printf("HTTP trigger at %s, RAM/IMS and OSS at %s\n\n", trigger, emu.Ready["ram_endpoint"])

	var first answer
	for i, label := range []string{"first", "second"} {
		start := time.Now()
		a, err := getReport(ctx, trigger)
		if err != nil {
			return fmt.Errorf("%s GET /report: %w", label, err)
		}
		if i == 0 {
			first = a
		}
		fmt.Printf("GET /report (%s): %s in %s: cached=%v source=%s users=%d generated_at=%s root_row=%s\n",
			label, "200 OK", time.Since(start).Round(time.Millisecond), a.Cached, a.Source, a.UserCount, a.GeneratedAt, a.RootRow)
		fmt.Printf("  key %s\n  signed URL to %s, expires %s\n", a.Key, urlWithoutQuery(a.URL), a.ExpiresAt)
	}
	calls, err := emu.Calls()
	if err != nil {
		return err
	}
	fmt.Printf("emulator calls so far: RAM/IMS %d, OSS %v\n\n", sum(calls["ram"]), calls["oss"])

	csv, err := download(ctx, first.URL)
	if err != nil {
		return err
	}
	fmt.Printf("downloaded %d bytes with plain HTTP; first rows:\n", len(csv))
	lines := strings.SplitAfter(string(csv), "\n")
	for i := 0; i < len(lines) && i < rows+1; i++ {
		fmt.Print("  ", shorten(lines[i], 160))
	}
	parsed, err := report.Parse(bytes.NewReader(csv))
	if err != nil {
		return fmt.Errorf("the downloaded report does not parse: %w", err)
	}
	generated, _ := time.Parse(time.RFC3339, first.GeneratedAt)
	s := findings.Summarize(parsed, generated, findings.DefaultKeyAge)
	fmt.Printf("\nsummary: %d users, %d console users without MFA, %d active keys older than 90 days, %d root keys (root MFA %s)\n",
		s.Users, len(s.ConsoleUsersWithoutMFA), len(s.OldActiveKeys), s.RootKeys, s.RootMFA)
	return nil
}

func getReport(ctx context.Context, trigger string) (answer, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, trigger+"/report", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return answer{}, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return answer{}, fmt.Errorf("decode %s: %w", body, err)
	}
	return a, nil
}

func download(ctx context.Context, signed string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, signed, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download the report: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download the report: status %d", resp.StatusCode)
	}
	return body, nil
}

// urlWithoutQuery keeps a signed URL's location and drops its signature,
// which grants access and is not printed.
func urlWithoutQuery(signed string) string {
	u, err := url.Parse(signed)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

func shorten(line string, n int) string {
	if len(line) <= n {
		return line
	}
	return line[:n] + "...\n"
}

func sum(m map[string]int) int {
	total := 0
	for _, n := range m {
		total += n
	}
	return total
}
