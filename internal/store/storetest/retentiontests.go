package storetest

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
	"github.com/credreport/credreport/internal/store"
	"github.com/credreport/credreport/internal/store/driver"
)

// putHistory stores five daily reports, generated 4, 3, 2, 1 and 0 days
// before t0, and returns their keys oldest first. The pointer write of the
// reports at the indexes in pointerFails fails, so an earlier report stays
// latest.
func putHistory(t *testing.T, d driver.Driver, pointerFails ...int) []string {
	t.Helper()
	fd := &faultDriver{Driver: d}
	via := store.New(fd, store.Options{})
	var keys []string
	for i := range 5 {
		meta, csv := NewReport(testAccount, t0.Add(time.Duration(i-4)*24*time.Hour), report.SourceNative)
		fd.failPut = nil
		if slices.Contains(pointerFails, i) {
			fd.failPut = func(key string) error {
				if strings.HasSuffix(key, "/latest.json") {
					return kind.Errorf(kind.Unavailable, "injected failure writing %q", key)
				}
				return nil
			}
		}
		e, err := via.Put(context.Background(), meta, bytes.NewReader(csv), int64(len(csv)))
		if err != nil && !slices.Contains(pointerFails, i) {
			t.Fatalf("Put report %d: %v", i, err)
		}
		keys = append(keys, e.Key)
	}
	return keys
}

func pick(keys []string, idx ...int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, keys[i])
	}
	return out
}

func runRetentionTests(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	ctx := context.Background()

	tests := []struct {
		name         string
		keep         store.Retention
		pointerFails []int // reports whose pointer write fails
		wantDeleted  []int
	}{
		{"zero keeps all", store.Retention{}, nil, nil},
		{"count", store.Retention{MaxCount: 2}, nil, []int{0, 1, 2}},
		{"count above history", store.Retention{MaxCount: 10}, nil, nil},
		{"age", store.Retention{MaxAge: 50 * time.Hour}, nil, []int{0, 1}},
		{"count and age", store.Retention{MaxCount: 4, MaxAge: 50 * time.Hour}, nil, []int{0, 1}},
		{"count of one", store.Retention{MaxCount: 1}, nil, []int{0, 1, 2, 3}},
		{"latest older than newest", store.Retention{MaxCount: 1}, []int{4}, []int{0, 1, 2}},
		{"latest kept despite age", store.Retention{MaxAge: time.Hour}, []int{4}, []int{0, 1, 2}},
		{"no pointer protects newest", store.Retention{MaxAge: time.Minute}, []int{0, 1, 2, 3, 4}, []int{0, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t)
			s, _ := newTestStore(d)
			keys := putHistory(t, d, tt.pointerFails...)

			deleted, err := s.Prune(ctx, testAccount, tt.keep)
			if err != nil {
				t.Fatalf("Prune: %v", err)
			}
			want := pick(keys, tt.wantDeleted...)
			if !slices.Equal(deleted, want) {
				t.Errorf("Prune deleted %q, want %q", deleted, want)
			}

			var wantLeft []string
			for _, k := range keys {
				if !slices.Contains(want, k) {
					wantLeft = append(wantLeft, k)
				}
			}
			if left := listKeys(t, d, testAccount+"/reports/"); !slices.Equal(left, wantLeft) {
				t.Errorf("reports left = %q, want %q", left, wantLeft)
			}
		})
	}

	t.Run("LatestStillWorks", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		keys := putHistory(t, d)
		if _, err := s.Prune(ctx, testAccount, store.Retention{MaxCount: 1}); err != nil {
			t.Fatalf("Prune: %v", err)
		}
		if got := latestKey(t, s, testAccount); got != keys[4] {
			t.Errorf("Latest after Prune = %q, want %q", got, keys[4])
		}
	})

	t.Run("ForeignObjectsKept", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		putHistory(t, d)
		put(t, d, testAccount+"/reports/README.txt", []byte("notes"), driver.PutOptions{})
		if _, err := s.Prune(ctx, testAccount, store.Retention{MaxCount: 1}); err != nil {
			t.Fatalf("Prune: %v", err)
		}
		if _, err := d.Head(ctx, testAccount+"/reports/README.txt"); err != nil {
			t.Errorf("foreign object after Prune: %v, want it kept", err)
		}
	})

	t.Run("CorruptPointerStops", func(t *testing.T) {
		d := newDriver(t)
		s, _ := newTestStore(d)
		putHistory(t, d)
		put(t, d, testAccount+"/latest.json", []byte("{}"), driver.PutOptions{Metadata: map[string]string{"report-key": "x"}})

		deleted, err := s.Prune(ctx, testAccount, store.Retention{MaxCount: 1})
		if !kind.Is(err, kind.Internal) {
			t.Errorf("Prune with a corrupt pointer: err = %v (kind %v), want internal", err, kind.Of(err))
		}
		if len(deleted) != 0 {
			t.Errorf("Prune deleted %q, want nothing", deleted)
		}
		if left := listKeys(t, d, testAccount+"/reports/"); len(left) != 5 {
			t.Errorf("reports left = %d, want all 5", len(left))
		}
	})

	t.Run("NegativeLimits", func(t *testing.T) {
		s, _ := newTestStore(newDriver(t))
		for _, keep := range []store.Retention{{MaxCount: -1}, {MaxAge: -time.Hour}} {
			if _, err := s.Prune(ctx, testAccount, keep); !kind.Is(err, kind.InvalidArgument) {
				t.Errorf("Prune(%+v): err = %v, want invalid_argument", keep, err)
			}
		}
	})
}
