package synth

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/credreport/credreport/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the demo account files under demo/")

// TestDemoFilesUpToDate keeps demo/account.json and demo/native.csv equal to
// what Demo generates; run with -update after changing Demo.
func TestDemoFilesUpToDate(t *testing.T) {
	a, native, err := Demo()
	if err != nil {
		t.Fatal(err)
	}
	var account bytes.Buffer
	if err := fixture.Write(&account, a); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "demo")
	files := map[string][]byte{"account.json": account.Bytes(), "native.csv": native}
	for name, want := range files {
		path := filepath.Join(dir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/synth -run Demo -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date: run go test ./internal/synth -run Demo -update", path)
		}
	}
	loaded, err := fixture.Load(filepath.Join(dir, "account.json"))
	if err != nil {
		t.Fatalf("demo fixture does not load: %v", err)
	}
	if len(loaded.Users) != 50 {
		t.Errorf("demo users = %d, want 50", len(loaded.Users))
	}
}
