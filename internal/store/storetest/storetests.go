package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/driver"
)

// testAccount is the account of most Store tests.
const testAccount = "5123456789012345"

// t0 is the generated-at of the first report in the Store tests.
var t0 = time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)

func newTestStore(d driver.Driver) (*store.Store, *Clock) {
	clk := NewClock(t0.Add(time.Hour))
	return store.New(d, store.Options{Now: clk.Now}), clk
}

func putReport(t *testing.T, s *store.Store, meta report.Metadata, csv []byte) store.Entry {
	t.Helper()
	e, err := s.Put(context.Background(), meta, bytes.NewReader(csv), int64(len(csv)))
	if err != nil {
		t.Fatalf("Put report generated at %s: %v", meta.GeneratedAt, err)
	}
	return e
}

func wantKey(meta report.Metadata) string {
	return meta.AccountID + "/reports/" + meta.GeneratedAt.UTC().Format("20060102T150405Z") + "-" + string(meta.Source) + "-" + meta.SHA256[:12] + ".csv"
}

func checkEntry(t *testing.T, call string, got store.Entry, wantKey string, wantSize int, want report.Metadata) {
	t.Helper()
	if got.Key != wantKey {
		t.Errorf("%s key = %q, want %q", call, got.Key, wantKey)
	}
	if got.Size != int64(wantSize) {
		t.Errorf("%s size = %d, want %d", call, got.Size, wantSize)
	}
	if !maps.Equal(got.Metadata.Map(), want.Map()) {
		t.Errorf("%s metadata = %v, want %v", call, got.Metadata.Map(), want.Map())
	}
}

func latestKey(t *testing.T, s *store.Store, accountID string) string {
	t.Helper()
	e, err := s.Latest(context.Background(), accountID)
	if err != nil {
		t.Fatalf("Latest(%q): %v", accountID, err)
	}
	return e.Key
}

func runStoreTests(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	ctx := context.Background()

	t.Run("PutLatestOpenList", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		key := wantKey(meta)

		e := putReport(t, s, meta, csv)
		checkEntry(t, "Put", e, key, len(csv), meta)

		latest, err := s.Latest(ctx, testAccount)
		if err != nil {
			t.Fatalf("Latest: %v", err)
		}
		checkEntry(t, "Latest", latest, key, len(csv), meta)
		if !latest.Metadata.GeneratedAt.Equal(t0) {
			t.Errorf("Latest generated-at = %s, want %s", latest.Metadata.GeneratedAt, t0)
		}

		rc, opened, err := s.Open(ctx, key)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read report: %v", err)
		}
		if !bytes.Equal(got, csv) {
			t.Errorf("Open bytes = %q, want %q", got, csv)
		}
		checkEntry(t, "Open", opened, key, len(csv), meta)

		list, err := s.List(ctx, testAccount)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(list) != 1 {
			t.Fatalf("List returned %d entries, want 1", len(list))
		}
		checkEntry(t, "List", list[0], key, len(csv), meta)

		attrs, err := d.Head(ctx, key)
		if err != nil {
			t.Fatalf("Head report: %v", err)
		}
		if attrs.ContentType != "text/csv" {
			t.Errorf("report content type = %q, want text/csv", attrs.ContentType)
		}
		if attrs.Metadata["sha256"] != meta.SHA256 || attrs.Metadata["generated-at"] != "2024-06-01T09:00:00Z" {
			t.Errorf("report object metadata = %v, want the report's metadata", attrs.Metadata)
		}
		pattrs, err := d.Head(ctx, testAccount+"/latest.json")
		if err != nil {
			t.Fatalf("Head pointer: %v", err)
		}
		if pattrs.Metadata["report-key"] != key || pattrs.Metadata["report-size"] != strconv.Itoa(len(csv)) {
			t.Errorf("pointer metadata = %v, want report-key %q and report-size %d", pattrs.Metadata, key, len(csv))
		}
	})

	t.Run("LatestIsOneHead", func(t *testing.T) {
		cd := newCountingDriver(newDriver(t))
		s, _ := newTestStore(cd)
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		putReport(t, s, meta, csv)

		cd.reset()
		if _, err := s.Latest(ctx, testAccount); err != nil {
			t.Fatalf("Latest: %v", err)
		}
		if calls := cd.reset(); !maps.Equal(calls, map[string]int{"Head": 1}) {
			t.Errorf("Latest made driver calls %v, want exactly one Head", calls)
		}
	})

	t.Run("LatestNotFound", func(t *testing.T) {
		s, _ := newTestStore(newDriver(t))
		_, err := s.Latest(ctx, testAccount)
		if !kind.Is(err, kind.NotFound) {
			t.Fatalf("Latest with no report: err = %v (kind %v), want not_found", err, kind.Of(err))
		}
		if !strings.Contains(err.Error(), testAccount) {
			t.Errorf("error %q does not name the account", err)
		}
	})

	t.Run("PutIdempotent", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		meta, csv := NewReport(testAccount, t0, report.SourceBuild)
		first := putReport(t, s, meta, csv)

		// A retry of the same report, even with other cost figures, keeps
		// the stored object and its metadata.
		retry := meta
		retry.DurationMS = 99999
		second := putReport(t, s, retry, csv)
		checkEntry(t, "retried Put", second, first.Key, len(csv), meta)

		list, err := s.List(ctx, testAccount)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(list) != 1 {
			t.Errorf("List after a retried Put has %d entries, want 1", len(list))
		}
	})

	t.Run("SameKeyOtherContent", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		meta, csv := NewReport(testAccount, t0, report.SourceNative)

		// An object at the same key whose full hash differs: a collision of
		// the 12-digit key hash, or tampering.
		other := meta
		other.SHA256 = meta.SHA256[:12] + strings.Repeat("0", 52)
		put(t, d, wantKey(meta), []byte("something else"), driver.PutOptions{Metadata: other.Map()})

		_, err := s.Put(ctx, meta, bytes.NewReader(csv), int64(len(csv)))
		if !kind.Is(err, kind.Conflict) {
			t.Fatalf("Put over a different report: err = %v (kind %v), want conflict", err, kind.Of(err))
		}
		if _, err := s.Latest(ctx, testAccount); !kind.Is(err, kind.NotFound) {
			t.Errorf("Latest after a conflicting Put: err = %v, want not_found", err)
		}
	})

	t.Run("PointerMovesForwardOnly", func(t *testing.T) {
		s, _ := newTestStore(newDriver(t))
		metaA, csvA := NewReport(testAccount, t0, report.SourceNative)
		metaB, csvB := NewReport(testAccount, t0.Add(time.Hour), report.SourceNative)
		metaOld, csvOld := NewReport(testAccount, t0.Add(-time.Hour), report.SourceBuild)

		putReport(t, s, metaA, csvA)
		putReport(t, s, metaB, csvB)
		if got := latestKey(t, s, testAccount); got != wantKey(metaB) {
			t.Errorf("Latest after a newer report = %q, want %q", got, wantKey(metaB))
		}

		// A report generated earlier but written later joins the history only.
		putReport(t, s, metaOld, csvOld)
		if got := latestKey(t, s, testAccount); got != wantKey(metaB) {
			t.Errorf("Latest after an older report = %q, want still %q", got, wantKey(metaB))
		}

		list, err := s.List(ctx, testAccount)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		var keys []string
		for _, e := range list {
			keys = append(keys, e.Key)
		}
		want := []string{wantKey(metaOld), wantKey(metaA), wantKey(metaB)}
		if strings.Join(keys, " ") != strings.Join(want, " ") {
			t.Errorf("List = %q, want oldest first %q", keys, want)
		}
	})

	t.Run("ContentMismatch", func(t *testing.T) {
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		tests := []struct {
			name string
			body []byte
			size int64
		}{
			{"other bytes", bytes.ToUpper(csv), int64(len(csv))},
			{"size too large", csv, int64(len(csv) + 5)},
			{"size too small", csv, int64(len(csv) - 1)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := newDriver(t)
				s, _ := newTestStore(d)
				_, err := s.Put(ctx, meta, bytes.NewReader(tt.body), tt.size)
				if !kind.Is(err, kind.InvalidArgument) {
					t.Fatalf("Put: err = %v (kind %v), want invalid_argument", err, kind.Of(err))
				}
				if keys := listKeys(t, d, ""); len(keys) != 0 {
					t.Errorf("objects after a rejected Put = %q, want none", keys)
				}
			})
		}
	})

	t.Run("InvalidMetadata", func(t *testing.T) {
		valid, csv := NewReport(testAccount, t0, report.SourceNative)
		tests := []struct {
			name   string
			modify func(m *report.Metadata)
		}{
			{"missing account", func(m *report.Metadata) { m.AccountID = "" }},
			{"account with slash", func(m *report.Metadata) { m.AccountID = "../other" }},
			{"invalid source", func(m *report.Metadata) { m.Source = "cache" }},
			{"short sha256", func(m *report.Metadata) { m.SHA256 = "abc" }},
			{"sha256 not hex", func(m *report.Metadata) { m.SHA256 = strings.Repeat("z", 64) }},
			{"generated-at after year 9999", func(m *report.Metadata) { m.GeneratedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
			{"non-ASCII value", func(m *report.Metadata) { m.FallbackReason = "原因" }},
			{"trailing space", func(m *report.Metadata) { m.FallbackReason = "reason " }},
			{"line break", func(m *report.Metadata) { m.Generator = "a\nb" }},
			{"metadata too large", func(m *report.Metadata) { m.FallbackReason = strings.Repeat("x", 9000) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := newDriver(t)
				s, _ := newTestStore(d)
				meta := valid
				tt.modify(&meta)
				_, err := s.Put(ctx, meta, bytes.NewReader(csv), int64(len(csv)))
				if !kind.Is(err, kind.InvalidArgument) {
					t.Fatalf("Put: err = %v (kind %v), want invalid_argument", err, kind.Of(err))
				}
				if keys := listKeys(t, d, ""); len(keys) != 0 {
					t.Errorf("objects after a rejected Put = %q, want none", keys)
				}
			})
		}
		t.Run("negative size", func(t *testing.T) {
			s, _ := newTestStore(newDriver(t))
			if _, err := s.Put(ctx, valid, bytes.NewReader(csv), -1); !kind.Is(err, kind.InvalidArgument) {
				t.Errorf("Put with size -1: err = %v, want invalid_argument", err)
			}
		})
	})

	t.Run("CrashBeforePointer", func(t *testing.T) {
		fd := &faultDriver{Driver: newDriver(t)}
		s, _ := newTestStore(fd)
		meta1, csv1 := NewReport(testAccount, t0, report.SourceNative)
		meta2, csv2 := NewReport(testAccount, t0.Add(time.Hour), report.SourceNative)
		putReport(t, s, meta1, csv1)

		// The report is stored, then the pointer write fails.
		fd.failPut = func(key string) error {
			if strings.HasSuffix(key, "/latest.json") {
				return kind.Errorf(kind.Unavailable, "injected failure writing %q", key)
			}
			return nil
		}
		e, err := s.Put(ctx, meta2, bytes.NewReader(csv2), int64(len(csv2)))
		if !kind.Is(err, kind.Unavailable) {
			t.Fatalf("Put with a failing pointer write: err = %v (kind %v), want unavailable", err, kind.Of(err))
		}
		if e.Key != wantKey(meta2) {
			t.Errorf("Put returned entry %q with the error, want the stored report %q", e.Key, wantKey(meta2))
		}
		if got := latestKey(t, s, testAccount); got != wantKey(meta1) {
			t.Errorf("Latest after the failed pointer write = %q, want the previous %q", got, wantKey(meta1))
		}

		// Retrying the same Put completes the pointer.
		fd.failPut = nil
		putReport(t, s, meta2, csv2)
		if got := latestKey(t, s, testAccount); got != wantKey(meta2) {
			t.Errorf("Latest after the retry = %q, want %q", got, wantKey(meta2))
		}
	})

	t.Run("CrashDuringReport", func(t *testing.T) {
		fd := &faultDriver{Driver: newDriver(t)}
		s, _ := newTestStore(fd)
		meta1, csv1 := NewReport(testAccount, t0, report.SourceNative)
		meta2, csv2 := NewReport(testAccount, t0.Add(time.Hour), report.SourceNative)
		putReport(t, s, meta1, csv1)

		fd.failPut = func(key string) error {
			if strings.Contains(key, "/reports/") {
				return kind.Errorf(kind.Unavailable, "injected failure writing %q", key)
			}
			return nil
		}
		if _, err := s.Put(ctx, meta2, bytes.NewReader(csv2), int64(len(csv2))); err == nil {
			t.Fatal("Put with a failing report write succeeded")
		}
		if got := latestKey(t, s, testAccount); got != wantKey(meta1) {
			t.Errorf("Latest = %q, want the previous %q", got, wantKey(meta1))
		}
		if keys := listKeys(t, fd, testAccount+"/reports/"); len(keys) != 1 {
			t.Errorf("reports = %q, want only the first", keys)
		}
	})

	t.Run("CorruptPointer", func(t *testing.T) {
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		valid := func() map[string]string {
			m := meta.Map()
			m["report-key"] = wantKey(meta)
			m["report-size"] = strconv.Itoa(len(csv))
			return m
		}
		tests := []struct {
			name   string
			modify func(m map[string]string)
		}{
			{"missing report-key", func(m map[string]string) { delete(m, "report-key") }},
			{"invalid report-size", func(m map[string]string) { m["report-size"] = "many" }},
			{"report-key of another account", func(m map[string]string) {
				m["report-key"] = strings.Replace(m["report-key"], testAccount, "999", 1)
			}},
			{"report-key not a report", func(m map[string]string) { m["report-key"] = testAccount + "/latest.json" }},
			{"sha256 not matching the key", func(m map[string]string) { m["sha256"] = strings.Repeat("f", 64) }},
			{"invalid generated-at", func(m map[string]string) { m["generated-at"] = "yesterday" }},
			{"missing metadata", func(m map[string]string) { clear(m) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := newDriver(t)
				s, _ := newTestStore(d)
				pointer := testAccount + "/latest.json"
				m := valid()
				tt.modify(m)
				put(t, d, pointer, []byte("{}"), driver.PutOptions{Metadata: m})

				_, err := s.Latest(ctx, testAccount)
				if !kind.Is(err, kind.Internal) {
					t.Fatalf("Latest: err = %v (kind %v), want internal", err, kind.Of(err))
				}
				if !strings.Contains(err.Error(), pointer) {
					t.Errorf("error %q does not name the pointer %q", err, pointer)
				}

				// The next Put replaces the corrupt pointer.
				putReport(t, s, meta, csv)
				if got := latestKey(t, s, testAccount); got != wantKey(meta) {
					t.Errorf("Latest after Put = %q, want %q", got, wantKey(meta))
				}
			})
		}
	})

	t.Run("OpenRejectsOtherKeys", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		putReport(t, s, meta, csv)

		for _, key := range []string{testAccount + "/latest.json", "other/file.csv", testAccount + "/reports/notes.txt", "/" + wantKey(meta)} {
			if _, _, err := s.Open(ctx, key); !kind.Is(err, kind.InvalidArgument) {
				t.Errorf("Open(%q): err = %v (kind %v), want invalid_argument", key, err, kind.Of(err))
			}
		}
		missing, _ := NewReport(testAccount, t0.Add(time.Minute), report.SourceNative)
		if _, _, err := s.Open(ctx, wantKey(missing)); !kind.Is(err, kind.NotFound) {
			t.Errorf("Open of a missing report: err = %v (kind %v), want not_found", err, kind.Of(err))
		}
	})

	t.Run("OpenDetectsChangedBytes", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		e := putReport(t, s, meta, csv)

		// Replace the bytes behind the store's back, keeping the metadata.
		put(t, d, e.Key, bytes.ToUpper(csv), driver.PutOptions{ContentType: "text/csv", Metadata: meta.Map()})
		rc, _, err := s.Open(ctx, e.Key)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer rc.Close()
		if _, err := io.ReadAll(rc); !kind.Is(err, kind.Internal) {
			t.Errorf("reading changed bytes: err = %v (kind %v), want internal", err, kind.Of(err))
		}
	})

	t.Run("ListSkipsForeignObjects", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		putReport(t, s, meta, csv)
		put(t, d, testAccount+"/reports/README.txt", []byte("notes"), driver.PutOptions{})

		list, err := s.List(ctx, testAccount)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(list) != 1 || list[0].Key != wantKey(meta) {
			t.Errorf("List = %+v, want only the report", list)
		}
	})

	t.Run("ListCorruptReport", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		put(t, d, wantKey(meta), csv, driver.PutOptions{Metadata: map[string]string{"source": "native"}})

		_, err := s.List(ctx, testAccount)
		if !kind.Is(err, kind.Internal) {
			t.Fatalf("List: err = %v (kind %v), want internal", err, kind.Of(err))
		}
		if !strings.Contains(err.Error(), wantKey(meta)) {
			t.Errorf("error %q does not name the report", err)
		}
	})

	t.Run("PrefixIsolation", func(t *testing.T) {
		d := newDriver(t)
		clk := NewClock(t0)
		tenant := store.New(d, store.Options{Prefix: "tenant-a/", Now: clk.Now})
		root := store.New(d, store.Options{Now: clk.Now})
		meta, csv := NewReport(testAccount, t0, report.SourceNative)

		e := putReport(t, tenant, meta, csv)
		if want := "tenant-a/" + wantKey(meta); e.Key != want {
			t.Errorf("key with prefix = %q, want %q", e.Key, want)
		}
		if _, err := root.Latest(ctx, testAccount); !kind.Is(err, kind.NotFound) {
			t.Errorf("Latest without the prefix: err = %v, want not_found", err)
		}
		if _, _, err := root.Open(ctx, e.Key); !kind.Is(err, kind.InvalidArgument) {
			t.Errorf("Open of a prefixed key by the store without prefix: err = %v, want invalid_argument", err)
		}
		if got := latestKey(t, tenant, testAccount); got != e.Key {
			t.Errorf("Latest with the prefix = %q, want %q", got, e.Key)
		}
	})

	t.Run("AccountIsolation", func(t *testing.T) {
		s, _ := newTestStore(newDriver(t))
		metaA, csvA := NewReport("1000", t0, report.SourceNative)
		metaB, csvB := NewReport("10001", t0.Add(time.Hour), report.SourceNative)
		putReport(t, s, metaA, csvA)
		putReport(t, s, metaB, csvB)

		if got := latestKey(t, s, "1000"); got != wantKey(metaA) {
			t.Errorf("Latest(1000) = %q, want %q", got, wantKey(metaA))
		}
		list, err := s.List(ctx, "1000")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(list) != 1 {
			t.Errorf("List(1000) has %d entries, want 1", len(list))
		}
	})

	t.Run("InvalidOptions", func(t *testing.T) {
		tests := []struct {
			name string
			opts store.Options
		}{
			{"prefix without slash", store.Options{Prefix: "reports"}},
			{"absolute prefix", store.Options{Prefix: "/reports/"}},
			{"empty segment", store.Options{Prefix: "a//b/"}},
			{"dot segment", store.Options{Prefix: "a/../"}},
			{"negative lock TTL", store.Options{LockTTL: -time.Second}},
			{"negative URL expiry", store.Options{MaxURLExpiry: -time.Second}},
		}
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := newDriver(t)
				s := store.New(d, tt.opts)
				calls := map[string]error{}
				_, calls["Put"] = s.Put(ctx, meta, bytes.NewReader(csv), int64(len(csv)))
				_, calls["Latest"] = s.Latest(ctx, testAccount)
				_, calls["List"] = s.List(ctx, testAccount)
				_, _, calls["Open"] = s.Open(ctx, wantKey(meta))
				_, _, calls["SignedURL"] = s.SignedURL(ctx, store.Entry{Key: wantKey(meta)}, 0, time.Time{})
				_, calls["Lock"] = s.Lock(ctx, testAccount, "me")
				_, calls["Prune"] = s.Prune(ctx, testAccount, store.Retention{MaxCount: 1})
				for name, err := range calls {
					if !kind.Is(err, kind.InvalidArgument) {
						t.Errorf("%s: err = %v (kind %v), want invalid_argument", name, err, kind.Of(err))
					}
				}
				if keys := listKeys(t, d, ""); len(keys) != 0 {
					t.Errorf("objects written = %q, want none", keys)
				}
			})
		}
	})

	t.Run("SignedURLChecks", func(t *testing.T) {
		s, clk := newTestStore(newDriver(t))
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		e := putReport(t, s, meta, csv)

		_, _, err := s.SignedURL(ctx, e, time.Hour, clk.Now().Add(90*time.Second))
		if !kind.Is(err, kind.Unauthenticated) {
			t.Errorf("SignedURL with credentials expiring in 90s: err = %v (kind %v), want unauthenticated", err, kind.Of(err))
		}
		_, _, err = s.SignedURL(ctx, e, -time.Minute, time.Time{})
		if !kind.Is(err, kind.InvalidArgument) {
			t.Errorf("SignedURL with negative expiry: err = %v (kind %v), want invalid_argument", err, kind.Of(err))
		}
		_, _, err = s.SignedURL(ctx, store.Entry{Key: testAccount + "/latest.json"}, 0, time.Time{})
		if !kind.Is(err, kind.InvalidArgument) {
			t.Errorf("SignedURL of the pointer: err = %v (kind %v), want invalid_argument", err, kind.Of(err))
		}
	})

	t.Run("SignedURL", func(t *testing.T) {
		// Signing uses the real clock, as the backend does.
		s := store.New(newDriver(t), store.Options{})
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		e := putReport(t, s, meta, csv)

		if _, _, err := s.SignedURL(ctx, e, 0, time.Time{}); kind.Is(err, kind.InvalidArgument) {
			if !strings.Contains(err.Error(), "OSS") {
				t.Errorf("error %q does not say that signed URLs need OSS", err)
			}
			return
		}

		tests := []struct {
			name       string
			expiry     time.Duration
			credsLeft  time.Duration // 0: credentials without a known expiry
			wantExpiry time.Duration
		}{
			{"default", 0, 0, 15 * time.Minute},
			{"requested", 2 * time.Hour, 0, 2 * time.Hour},
			{"capped at seven days", 30 * 24 * time.Hour, 0, 7 * 24 * time.Hour},
			{"cut to the credentials", 4 * time.Hour, 20 * time.Minute, 19 * time.Minute},
			{"credentials last longer", 10 * time.Minute, 24 * time.Hour, 10 * time.Minute},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				now := time.Now()
				var credsExpireAt time.Time
				if tt.credsLeft > 0 {
					credsExpireAt = now.Add(tt.credsLeft)
				}
				url, expiresAt, err := s.SignedURL(ctx, e, tt.expiry, credsExpireAt)
				if err != nil {
					t.Fatalf("SignedURL: %v", err)
				}
				if got := expiresAt.Sub(now); got < tt.wantExpiry-2*time.Second || got > tt.wantExpiry+time.Second {
					t.Errorf("expires %s after the call, want %s", got, tt.wantExpiry)
				}
				if !credsExpireAt.IsZero() && expiresAt.After(credsExpireAt) {
					t.Errorf("URL expires at %s, after the credentials (%s)", expiresAt, credsExpireAt)
				}

				resp := fetchLoopback(t, url)
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET signed URL: status %d, want 200", resp.StatusCode)
				}
				if !bytes.Equal(body, csv) {
					t.Errorf("GET signed URL body = %q, want the report", body)
				}
				wantCD := `attachment; filename="credential-report-` + testAccount + `-20240601T090000Z.csv"`
				if got := resp.Header.Get("Content-Disposition"); got != wantCD {
					t.Errorf("Content-Disposition = %q, want %q", got, wantCD)
				}
			})
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s, _ := newTestStore(newDriver(t))
		meta, csv := NewReport(testAccount, t0, report.SourceNative)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Put(cctx, meta, bytes.NewReader(csv), int64(len(csv)))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Put with a canceled context: err = %v, want context.Canceled in the chain", err)
		}
		if k := kind.Of(err); k != kind.Canceled {
			t.Errorf("Put with a canceled context: kind %v, want canceled", k)
		}
	})
}
