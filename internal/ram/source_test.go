package ram

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ramemu "github.com/credreport/credreport/internal/emulator/ram"
	"github.com/credreport/credreport/internal/fixture"
	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
)

// fixtureRoot returns the acceptance fixtures folder: ../shared/fixtures
// beside the repository when it exists, else the copy under testdata.
func fixtureRoot(t testing.TB) string {
	t.Helper()
	dir, err := fixture.AcceptanceRoot("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func fixtureNames(t testing.TB) []string {
	matches, err := filepath.Glob(filepath.Join(fixtureRoot(t), "*", "account.json"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = filepath.Base(filepath.Dir(m))
	}
	return names
}

// loadAccount reads an acceptance fixture.
func loadAccount(t testing.TB, name string) *fixture.Account {
	t.Helper()
	a, err := fixture.Load(filepath.Join(fixtureRoot(t), name, "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// emulated starts the RAM emulator on the fixture and returns a Client for it.
func emulated(t testing.TB, name string, cfg Config) (*Client, *ramemu.Server, *fixture.Account) {
	t.Helper()
	a := loadAccount(t, name)
	c, srv := emulatedAccount(t, a, func(c *Config) {
		c.CallTimeout, c.Concurrency, c.QPS, c.MaxAttempts = cfg.CallTimeout, cfg.Concurrency, cfg.QPS, cfg.MaxAttempts
	})
	return c, srv, a
}

// emulatedWith is emulated with a change to the client configuration.
func emulatedWith(t testing.TB, name string, mutate func(*Config)) (*Client, *ramemu.Server, *fixture.Account) {
	t.Helper()
	a := loadAccount(t, name)
	c, srv := emulatedAccount(t, a, mutate)
	return c, srv, a
}

// emulatedAccount serves a on a loopback emulator and returns a Client
// signed with its first credential; mutate may change the client's Config.
func emulatedAccount(t testing.TB, a *fixture.Account, mutate func(*Config)) (*Client, *ramemu.Server) {
	t.Helper()
	srv, err := ramemu.New(a, ramemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	cred := a.Credentials[0]
	cfg := Config{
		Credentials: Credentials{AccessKeyID: cred.AccessKeyID, AccessKeySecret: cred.AccessKeySecret, SecurityToken: cred.SecurityToken},
		Endpoint:    ts.URL,
	}
	mutate(&cfg)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestGenerateAcceptance(t *testing.T) {
	for _, name := range fixtureNames(t) {
		for _, src := range []Source{SourceBuild, SourceAuto} {
			t.Run(name+"/"+string(src), func(t *testing.T) {
				t.Parallel()
				c, _, a := emulated(t, name, Config{})
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				gen, err := c.Generate(ctx, src, Options{Generator: "credreport/test"})
				if err != nil {
					t.Fatalf("Generate(%s): %v", src, err)
				}
				want, err := os.ReadFile(filepath.Join(fixtureRoot(t), name, "expected-"+string(src)+".csv"))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(gen.CSV, want) {
					t.Errorf("CSV differs from expected-%s.csv\ngot:\n%s\nwant:\n%s", src, gen.CSV, want)
				}
				m := gen.Metadata
				if m.AccountID != a.AccountID {
					t.Errorf("AccountID = %q, want %q", m.AccountID, a.AccountID)
				}
				rows := bytes.Count(want, []byte("\n")) - 2
				if m.UserCount != rows {
					t.Errorf("UserCount = %d, want %d", m.UserCount, rows)
				}
				if m.SHA256 == "" || m.Generator != "credreport/test" || m.APICalls == 0 {
					t.Errorf("metadata incomplete: %+v", m)
				}
				if _, err := report.ParseMetadata(m.Map()); err != nil {
					t.Errorf("metadata does not round-trip: %v", err)
				}
				checkSourceMetadata(t, name, src, a, m)
			})
		}
	}
}

func checkSourceMetadata(t *testing.T, name string, src Source, a *fixture.Account, m report.Metadata) {
	t.Helper()
	hasNative := a.NativeReport != nil
	switch {
	case src == SourceAuto && hasNative:
		if m.Source != report.SourceNative || m.FallbackReason != "" {
			t.Errorf("auto on %s: source %q, fallback %q; want native without fallback", name, m.Source, m.FallbackReason)
		}
	case src == SourceAuto:
		if m.Source != report.SourceBuild || m.FallbackReason == "" {
			t.Errorf("auto on %s: source %q, fallback %q; want build with a fallback reason", name, m.Source, m.FallbackReason)
		}
		if m.RootRow != report.RootRowPartial {
			t.Errorf("auto on %s: root-row %q, want partial", name, m.RootRow)
		}
	case src == SourceBuild:
		wantRoot := report.RootRowPartial
		if hasNative {
			wantRoot = report.RootRowNative
		}
		if m.Source != report.SourceBuild || m.RootRow != wantRoot || m.PasswordLastChanged != report.PasswordLastChangedProfileUpdateDate {
			t.Errorf("build on %s: source %q, root-row %q, password-last-changed %q", name, m.Source, m.RootRow, m.PasswordLastChanged)
		}
		if want := len(a.Faults.VanishUsers); m.VanishedUsers != want {
			t.Errorf("build on %s: vanished-users %d, want %d", name, m.VanishedUsers, want)
		}
	}
}

func TestNativeUnavailable(t *testing.T) {
	c, _, _ := emulated(t, "no-native-report", Config{})
	_, err := c.Generate(context.Background(), SourceNative, Options{})
	if err == nil {
		t.Fatal("Generate(native) on an account without a native report succeeded")
	}
	if code := ErrorCode(err); code != codeReportUserLimit {
		t.Errorf("error code = %q, want %q (error: %v)", code, codeReportUserLimit, err)
	}
	if !strings.Contains(err.Error(), "GetCredentialReport") {
		t.Errorf("error does not name the call: %v", err)
	}
}

func TestNativeGeneratedTime(t *testing.T) {
	c, _, _ := emulated(t, "basic", Config{})
	start := time.Now().UTC().Truncate(time.Second)
	gen, err := c.Generate(context.Background(), SourceNative, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's report is older than four hours, so a new one is
	// generated; its generated-at is the generation start.
	if gen.Metadata.GeneratedAt.Before(start.Add(-time.Second)) || gen.Metadata.GeneratedAt.After(time.Now()) {
		t.Errorf("GeneratedAt = %v, want about %v", gen.Metadata.GeneratedAt, start)
	}
}

func TestNativeWaitBounded(t *testing.T) {
	c, _, _ := emulated(t, "basic", Config{})
	_, err := c.Generate(context.Background(), SourceNative, Options{NativeWait: 50 * time.Millisecond})
	if !kind.Is(err, kind.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if !strings.Contains(err.Error(), "not generated in time") {
		t.Errorf("error = %v", err)
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*Config)
		wantKind kind.Kind
		wantText string
	}{
		{"wrong secret", func(c *Config) { c.Credentials.AccessKeySecret = "wrong" }, kind.Unauthenticated, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
		{"unknown key", func(c *Config) { c.Credentials.AccessKeyID = "LTAI5tUnknown" }, kind.Unauthenticated, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{"unreachable", func(c *Config) { c.Endpoint = "http://127.0.0.1:1"; c.MaxAttempts = 2 }, kind.Unavailable, "cannot reach"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := emulatedWith(t, "basic", tt.mutate)
			_, err := c.Generate(context.Background(), SourceBuild, Options{})
			if err == nil {
				t.Fatal("Generate succeeded")
			}
			if k := kind.Of(err); k != tt.wantKind {
				t.Errorf("kind = %v, want %v (error: %v)", k, tt.wantKind, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			for _, leak := range []string{"Signature=", "string to sign", c.cfg.Credentials.AccessKeySecret} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q contains %q", err, leak)
				}
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no credentials", Config{}, "missing credentials"},
		{"bad endpoint", Config{Credentials: Credentials{AccessKeyID: "a", AccessKeySecret: "b"}, Endpoint: "ftp://x"}, "scheme must be http or https"},
		{"endpoint with path", Config{Credentials: Credentials{AccessKeyID: "a", AccessKeySecret: "b"}, Endpoint: "http://x/y"}, "invalid RAM endpoint"},
		{"negative qps", Config{Credentials: Credentials{AccessKeyID: "a", AccessKeySecret: "b"}, QPS: -1}, "invalid QPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
