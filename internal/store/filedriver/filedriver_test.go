package filedriver_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/kind"

	"github.com/credreport/credreport/internal/store/driver"
	"github.com/credreport/credreport/internal/store/filedriver"
	"github.com/credreport/credreport/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunConformance(t, func(t *testing.T) driver.Driver {
		d, err := filedriver.New(t.TempDir())
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return d
	})
}

func TestFileNames(t *testing.T) {
	d, err := filedriver.New(t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	keys := []string{".", "..", "a/../b", "a\\b", "%2F", "a%2Fb", "a/b", "report.csv", "acct/.hidden"}
	for _, k := range keys {
		if err := d.Put(ctx, k, strings.NewReader(k), int64(len(k)), driver.PutOptions{}); err != nil {
			t.Fatalf("Put(%q): %v", k, err)
		}
	}
	var got []string
	if err := d.List(ctx, "", func(o driver.ObjectInfo) error { got = append(got, o.Key); return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
}

func TestInvalidKeys(t *testing.T) {
	d, err := filedriver.New(t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	for _, k := range []string{"", "/abs", `\abs`, strings.Repeat("a", 1024), strings.Repeat("é", 100)} {
		if err := d.Put(ctx, k, strings.NewReader("x"), 1, driver.PutOptions{}); !kind.Is(err, kind.InvalidArgument) {
			t.Errorf("Put(%.20q...): err = %v (kind %v), want invalid_argument", k, err, kind.Of(err))
		}
	}
}

func TestStrayAndDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	d, err := filedriver.New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	if err := d.Put(ctx, "a/ok", strings.NewReader("ok"), 2, driver.PutOptions{}); err != nil {
		t.Fatalf("Put: %v", err)
	}

	// A file with a name the driver never makes is not an object.
	if err := os.WriteFile(filepath.Join(dir, "objects", "a%2fstray"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A damaged object file is reported, not read as data.
	if err := os.WriteFile(filepath.Join(dir, "objects", "a%2Fdamaged"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := d.Head(ctx, "a/damaged"); !kind.Is(err, kind.Internal) {
		t.Errorf("Head of a damaged file: err = %v (kind %v), want internal", err, kind.Of(err))
	}
	var keys []string
	err = d.List(ctx, "a/", func(o driver.ObjectInfo) error { keys = append(keys, o.Key); return nil })
	if !kind.Is(err, kind.Internal) {
		t.Errorf("List over a damaged file: err = %v (kind %v), want internal", err, kind.Of(err))
	}
}

func TestSignedURLNeedsOSS(t *testing.T) {
	d, err := filedriver.New(t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, _, err = d.SignedURL(context.Background(), "a", driver.SignOptions{Expiry: time.Minute})
	if !kind.Is(err, kind.InvalidArgument) || !strings.Contains(err.Error(), "need OSS") {
		t.Errorf("SignedURL: err = %v (kind %v), want invalid_argument saying signed URLs need OSS", err, kind.Of(err))
	}
}

func TestSharedDirectory(t *testing.T) {
	// Two drivers over one directory stand for two processes.
	dir := t.TempDir()
	a, err := filedriver.New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	b, err := filedriver.New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	if err := a.Put(ctx, "k", strings.NewReader("a"), 1, driver.PutOptions{IfNotExists: true}); err != nil {
		t.Fatalf("Put via a: %v", err)
	}
	if err := b.Put(ctx, "k", strings.NewReader("b"), 1, driver.PutOptions{IfNotExists: true}); !kind.Is(err, kind.Conflict) {
		t.Errorf("Put via b: err = %v (kind %v), want conflict", err, kind.Of(err))
	}
	if entries, err := os.ReadDir(filepath.Join(dir, "tmp")); err != nil || len(entries) != 0 {
		t.Errorf("temporary files left behind: %v (err %v)", entries, err)
	}
}
