// Package storetest is the conformance suite that every driver.Driver
// passes: the driver contract itself, and the behaviour of store.Store on
// top of the driver (latest pointer, idempotent writes, crash safety,
// locks, retention, signed URLs).
//
// A driver's tests call RunConformance with a constructor that returns a
// fresh, empty driver for each subtest.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/report"
	"github.com/credreport/credreport/internal/store/driver"
)

// LargeObjectSize is the size of the object in the large-object tests:
// 2.5 MiB and a few bytes, so a driver with a multipart part size of 1 MiB
// or less uploads it in several parts, the last one short.
const LargeObjectSize = 5<<19 + 123

// RunConformance runs the whole suite. newDriver must return a new driver
// over empty storage each time it is called.
func RunConformance(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	t.Run("Driver", func(t *testing.T) { runDriverTests(t, newDriver) })
	t.Run("Store", func(t *testing.T) { runStoreTests(t, newDriver) })
	t.Run("Lock", func(t *testing.T) { runLockTests(t, newDriver) })
	t.Run("Retention", func(t *testing.T) { runRetentionTests(t, newDriver) })
}

// Clock is a manual clock for Store options.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// NewReport returns a small CSV and metadata that describes it, generated at
// at from source.
func NewReport(accountID string, at time.Time, source report.Source) (report.Metadata, []byte) {
	csv := fmt.Sprintf("user,arn,user_creation_time\n<root>,acs:ram::%s:root,%s\nalice,acs:ram::%s:user/alice,%s\n",
		accountID, at.UTC().Format(report.TimeLayout), accountID, at.UTC().Format(report.TimeLayout))
	return MetadataFor(accountID, at, source, []byte(csv)), []byte(csv)
}

// MetadataFor returns valid metadata for csv.
func MetadataFor(accountID string, at time.Time, source report.Source, csv []byte) report.Metadata {
	sum := sha256.Sum256(csv)
	meta := report.Metadata{
		GeneratedAt:         at.UTC().Truncate(time.Second),
		Source:              source,
		AccountID:           accountID,
		UserCount:           1,
		SHA256:              hex.EncodeToString(sum[:]),
		RootRow:             report.RootRowNative,
		PasswordLastChanged: report.PasswordLastChangedNative,
		Generator:           "credreport/test",
		DurationMS:          1234,
		APICalls:            3,
	}
	if source == report.SourceBuild {
		meta.RootRow = report.RootRowPartial
		meta.PasswordLastChanged = report.PasswordLastChangedProfileUpdateDate
	}
	return meta
}

// randomBytes returns n bytes that are the same for the same seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t *testing.T, d driver.Driver, key string, data []byte, opts driver.PutOptions) {
	t.Helper()
	if err := d.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), opts); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func readObject(t *testing.T, d driver.Driver, key string) ([]byte, driver.Attributes) {
	t.Helper()
	rc, attrs, err := d.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data, attrs
}

func listKeys(t *testing.T, d driver.Driver, prefix string) []string {
	t.Helper()
	var keys []string
	err := d.List(context.Background(), prefix, func(o driver.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

// faultDriver wraps a driver and fails Put for the keys that failPut
// returns an error for; nil failPut injects nothing.
type faultDriver struct {
	driver.Driver
	failPut func(key string) error
}

func (f *faultDriver) Put(ctx context.Context, key string, r io.Reader, size int64, opts driver.PutOptions) error {
	if f.failPut != nil {
		if err := f.failPut(key); err != nil {
			return err
		}
	}
	return f.Driver.Put(ctx, key, r, size, opts)
}

// countingDriver counts the calls made through it, by method name.
type countingDriver struct {
	driver.Driver
	mu    sync.Mutex
	calls map[string]int
}

func newCountingDriver(d driver.Driver) *countingDriver {
	return &countingDriver{Driver: d, calls: make(map[string]int)}
}

func (c *countingDriver) count(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[method]++
}

func (c *countingDriver) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = make(map[string]int)
	return out
}

func (c *countingDriver) Put(ctx context.Context, key string, r io.Reader, size int64, opts driver.PutOptions) error {
	c.count("Put")
	return c.Driver.Put(ctx, key, r, size, opts)
}

func (c *countingDriver) Head(ctx context.Context, key string) (driver.Attributes, error) {
	c.count("Head")
	return c.Driver.Head(ctx, key)
}

func (c *countingDriver) Open(ctx context.Context, key string) (io.ReadCloser, driver.Attributes, error) {
	c.count("Open")
	return c.Driver.Open(ctx, key)
}

func (c *countingDriver) List(ctx context.Context, prefix string, fn func(driver.ObjectInfo) error) error {
	c.count("List")
	return c.Driver.List(ctx, prefix, fn)
}

func (c *countingDriver) Delete(ctx context.Context, key string) error {
	c.count("Delete")
	return c.Driver.Delete(ctx, key)
}

func (c *countingDriver) SignedURL(ctx context.Context, key string, opts driver.SignOptions) (string, time.Time, error) {
	c.count("SignedURL")
	return c.Driver.SignedURL(ctx, key, opts)
}
