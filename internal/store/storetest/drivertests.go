package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/store/driver"
)

func runDriverTests(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	ctx := context.Background()

	t.Run("PutHeadOpen", func(t *testing.T) {
		d := newDriver(t)
		data := []byte("user,arn\nalice,acs:ram::1:user/alice\n")
		opts := driver.PutOptions{ContentType: "text/csv", Metadata: map[string]string{"sha256": "abc", "generated-at": "2024-05-06T07:08:09Z"}}
		put(t, d, "acct/reports/a.csv", data, opts)

		attrs, err := d.Head(ctx, "acct/reports/a.csv")
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		if attrs.Size != int64(len(data)) {
			t.Errorf("Head size = %d, want %d", attrs.Size, len(data))
		}
		if attrs.ContentType != "text/csv" {
			t.Errorf("Head content type = %q, want text/csv", attrs.ContentType)
		}
		if attrs.ETag == "" {
			t.Error("Head ETag is empty")
		}
		if attrs.ModTime.IsZero() {
			t.Error("Head ModTime is zero")
		}
		if got, want := attrs.Metadata, opts.Metadata; !mapsEqual(got, want) {
			t.Errorf("Head metadata = %v, want %v", got, want)
		}

		got, oattrs := readObject(t, d, "acct/reports/a.csv")
		if !bytes.Equal(got, data) {
			t.Errorf("Open bytes = %q, want %q", got, data)
		}
		if oattrs.Size != attrs.Size || oattrs.ETag != attrs.ETag || oattrs.ContentType != attrs.ContentType {
			t.Errorf("Open attributes = %+v, want those of Head %+v", oattrs, attrs)
		}
		if !mapsEqual(oattrs.Metadata, opts.Metadata) {
			t.Errorf("Open metadata = %v, want %v", oattrs.Metadata, opts.Metadata)
		}
	})

	t.Run("DefaultContentType", func(t *testing.T) {
		d := newDriver(t)
		put(t, d, "k.csv", []byte("x"), driver.PutOptions{})
		attrs, err := d.Head(ctx, "k.csv")
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		if attrs.ContentType != "application/octet-stream" {
			t.Errorf("content type = %q, want application/octet-stream", attrs.ContentType)
		}
	})

	t.Run("MetadataRoundTrip", func(t *testing.T) {
		tests := []struct {
			name string
			in   map[string]string
			want map[string]string
		}{
			{"none", nil, nil},
			{"lower-case", map[string]string{"a": "1", "report-key": "p/acct/reports/x.csv"}, map[string]string{"a": "1", "report-key": "p/acct/reports/x.csv"}},
			{"names lower-cased", map[string]string{"Generated-At": "2024-01-02T03:04:05Z", "SHA256": "AB"}, map[string]string{"generated-at": "2024-01-02T03:04:05Z", "sha256": "AB"}},
			{"punctuation in value", map[string]string{"fallback-reason": `native report unavailable: "x" = 3,500; (a/b)`}, map[string]string{"fallback-reason": `native report unavailable: "x" = 3,500; (a/b)`}},
			{"inner spaces", map[string]string{"generator": "credreport 1.0  beta"}, map[string]string{"generator": "credreport 1.0  beta"}},
		}
		d := newDriver(t)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := "meta/" + strings.ReplaceAll(tt.name, " ", "-")
				put(t, d, key, []byte("body"), driver.PutOptions{Metadata: tt.in})
				attrs, err := d.Head(ctx, key)
				if err != nil {
					t.Fatalf("Head: %v", err)
				}
				if !mapsEqual(attrs.Metadata, tt.want) {
					t.Errorf("metadata = %v, want %v", attrs.Metadata, tt.want)
				}
			})
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		d := newDriver(t)
		put(t, d, "latest.json", []byte("one"), driver.PutOptions{Metadata: map[string]string{"v": "1"}})
		first, err := d.Head(ctx, "latest.json")
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		put(t, d, "latest.json", []byte("second"), driver.PutOptions{Metadata: map[string]string{"v": "2"}})

		got, attrs := readObject(t, d, "latest.json")
		if string(got) != "second" {
			t.Errorf("bytes after overwrite = %q, want %q", got, "second")
		}
		if attrs.Metadata["v"] != "2" {
			t.Errorf("metadata after overwrite = %v, want v=2", attrs.Metadata)
		}
		if attrs.ETag == first.ETag {
			t.Errorf("ETag after overwrite = %q, the same as before", attrs.ETag)
		}
	})

	t.Run("IfNotExists", func(t *testing.T) {
		d := newDriver(t)
		opts := driver.PutOptions{IfNotExists: true, Metadata: map[string]string{"v": "1"}}
		put(t, d, "r.csv", []byte("first"), opts)

		opts.Metadata = map[string]string{"v": "2"}
		err := d.Put(ctx, "r.csv", strings.NewReader("other"), 5, opts)
		if !kind.Is(err, kind.Conflict) {
			t.Fatalf("second Put with IfNotExists: err = %v (kind %v), want kind conflict", err, kind.Of(err))
		}
		got, attrs := readObject(t, d, "r.csv")
		if string(got) != "first" || attrs.Metadata["v"] != "1" {
			t.Errorf("object after refused Put = %q %v, want the first one", got, attrs.Metadata)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		d := newDriver(t)
		if _, err := d.Head(ctx, "nope/x.csv"); !kind.Is(err, kind.NotFound) {
			t.Errorf("Head of missing key: err = %v (kind %v), want not_found", err, kind.Of(err))
		}
		if _, _, err := d.Open(ctx, "nope/x.csv"); !kind.Is(err, kind.NotFound) {
			t.Errorf("Open of missing key: err = %v (kind %v), want not_found", err, kind.Of(err))
		}
		if err := d.Delete(ctx, "nope/x.csv"); err != nil {
			t.Errorf("Delete of missing key: %v, want nil", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		d := newDriver(t)
		put(t, d, "a/b.csv", []byte("x"), driver.PutOptions{})
		if err := d.Delete(ctx, "a/b.csv"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := d.Head(ctx, "a/b.csv"); !kind.Is(err, kind.NotFound) {
			t.Errorf("Head after Delete: err = %v, want not_found", err)
		}
		if keys := listKeys(t, d, "a/"); len(keys) != 0 {
			t.Errorf("List after Delete = %q, want none", keys)
		}
	})

	t.Run("ListOrderAndPrefix", func(t *testing.T) {
		d := newDriver(t)
		keys := []string{"p/b", "p/a/x", "p/ab", "p/a", "p/A", "p/a-", "q/a", "p-x", "p", "acct1/r", "acct10/r", "p/a b+c=d.csv"}
		for _, k := range keys {
			put(t, d, k, []byte(k), driver.PutOptions{})
		}

		tests := []struct {
			prefix string
			want   []string
		}{
			{"p/", []string{"p/A", "p/a", "p/a b+c=d.csv", "p/a-", "p/a/x", "p/ab", "p/b"}},
			{"p/a", []string{"p/a", "p/a b+c=d.csv", "p/a-", "p/a/x", "p/ab"}},
			{"acct1/", []string{"acct1/r"}},
			{"acct10/", []string{"acct10/r"}},
			{"z/", nil},
		}
		for _, tt := range tests {
			if got := listKeys(t, d, tt.prefix); !slices.Equal(got, tt.want) {
				t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
			}
		}
		if got := listKeys(t, d, ""); len(got) != len(keys) || !slices.IsSorted(got) {
			t.Errorf("List(\"\") = %q, want all %d keys in order", got, len(keys))
		}
	})

	t.Run("ListInfo", func(t *testing.T) {
		d := newDriver(t)
		put(t, d, "s/one", []byte("1"), driver.PutOptions{})
		put(t, d, "s/three", []byte("333"), driver.PutOptions{})
		var infos []driver.ObjectInfo
		err := d.List(ctx, "s/", func(o driver.ObjectInfo) error {
			infos = append(infos, o)
			return nil
		})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(infos) != 2 {
			t.Fatalf("List returned %d objects, want 2", len(infos))
		}
		if infos[0].Key != "s/one" || infos[0].Size != 1 || infos[1].Key != "s/three" || infos[1].Size != 3 {
			t.Errorf("List = %+v, want s/one (1 byte) then s/three (3 bytes)", infos)
		}
		if infos[0].ModTime.IsZero() {
			t.Error("List ModTime is zero")
		}
	})

	t.Run("ListPaging", func(t *testing.T) {
		// Seven keys need several pages at a small page size.
		d := newDriver(t)
		var want []string
		for i := range 7 {
			k := "page/" + string(rune('a'+i)) + ".csv"
			want = append(want, k)
			put(t, d, k, []byte{byte(i)}, driver.PutOptions{})
		}
		put(t, d, "pagf/outside", []byte("x"), driver.PutOptions{})
		if got := listKeys(t, d, "page/"); !slices.Equal(got, want) {
			t.Errorf("List = %q, want %q", got, want)
		}
	})

	t.Run("ListStopsAtCallbackError", func(t *testing.T) {
		d := newDriver(t)
		for _, k := range []string{"e/1", "e/2", "e/3", "e/4", "e/5"} {
			put(t, d, k, []byte("x"), driver.PutOptions{})
		}
		stop := errors.New("stop here")
		calls := 0
		err := d.List(ctx, "e/", func(driver.ObjectInfo) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) {
			t.Errorf("List error = %v, want the callback's error", err)
		}
		if calls != 1 {
			t.Errorf("callback calls = %d, want 1", calls)
		}
	})

	t.Run("ShortReader", func(t *testing.T) {
		for _, ifNotExists := range []bool{false, true} {
			d := newDriver(t)
			err := d.Put(ctx, "short.csv", strings.NewReader("12345"), 10, driver.PutOptions{IfNotExists: ifNotExists})
			if !kind.Is(err, kind.InvalidArgument) {
				t.Errorf("Put of 5 bytes declared as 10 (IfNotExists %v): err = %v (kind %v), want invalid_argument", ifNotExists, err, kind.Of(err))
			}
			if _, err := d.Head(ctx, "short.csv"); !kind.Is(err, kind.NotFound) {
				t.Errorf("Head after short Put (IfNotExists %v): err = %v, want not_found", ifNotExists, err)
			}
		}
	})

	t.Run("ReaderError", func(t *testing.T) {
		d := newDriver(t)
		boom := errors.New("disk gone")
		r := io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom))
		err := d.Put(ctx, "broken.csv", r, 10, driver.PutOptions{})
		if err == nil {
			t.Fatal("Put from a failing reader succeeded")
		}
		if _, err := d.Head(ctx, "broken.csv"); !kind.Is(err, kind.NotFound) {
			t.Errorf("Head after failed Put: err = %v, want not_found", err)
		}
	})

	t.Run("EmptyObject", func(t *testing.T) {
		d := newDriver(t)
		put(t, d, "empty", nil, driver.PutOptions{})
		got, attrs := readObject(t, d, "empty")
		if len(got) != 0 || attrs.Size != 0 {
			t.Errorf("empty object = %d bytes, size %d, want 0", len(got), attrs.Size)
		}
	})

	t.Run("LargeObject", func(t *testing.T) {
		d := newDriver(t)
		data := randomBytes(LargeObjectSize, 1)
		opts := driver.PutOptions{ContentType: "text/csv", Metadata: map[string]string{"sha256": "x"}, IfNotExists: true}
		put(t, d, "big/report.csv", data, opts)

		got, attrs := readObject(t, d, "big/report.csv")
		if attrs.Size != int64(len(data)) {
			t.Errorf("size = %d, want %d", attrs.Size, len(data))
		}
		if sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("bytes read back (%d) differ from the bytes written (%d)", len(got), len(data))
		}
		if attrs.ContentType != "text/csv" || attrs.Metadata["sha256"] != "x" {
			t.Errorf("attributes = %q %v, want text/csv and sha256=x", attrs.ContentType, attrs.Metadata)
		}

		err := d.Put(ctx, "big/report.csv", bytes.NewReader(data), int64(len(data)), opts)
		if !kind.Is(err, kind.Conflict) {
			t.Errorf("second large Put with IfNotExists: err = %v (kind %v), want conflict", err, kind.Of(err))
		}
	})

	t.Run("LargeObjectShortReader", func(t *testing.T) {
		d := newDriver(t)
		data := randomBytes(LargeObjectSize, 2)
		err := d.Put(ctx, "big/short.csv", bytes.NewReader(data[:len(data)-1000]), int64(len(data)), driver.PutOptions{})
		if !kind.Is(err, kind.InvalidArgument) {
			t.Errorf("large Put with a short reader: err = %v (kind %v), want invalid_argument", err, kind.Of(err))
		}
		if _, err := d.Head(ctx, "big/short.csv"); !kind.Is(err, kind.NotFound) {
			t.Errorf("Head after short large Put: err = %v, want not_found", err)
		}
	})

	t.Run("SpecialKeys", func(t *testing.T) {
		d := newDriver(t)
		keys := []string{"dir/with space/a+b=c.csv", "dir/ünïcode-报告.csv", "dir/.hidden", "dir/%41percent", "dir/a/"}
		for _, k := range keys {
			put(t, d, k, []byte(k), driver.PutOptions{})
		}
		for _, k := range keys {
			got, _ := readObject(t, d, k)
			if string(got) != k {
				t.Errorf("Open(%q) = %q, want the key's own bytes", k, got)
			}
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		if got := listKeys(t, d, "dir/"); !slices.Equal(got, want) {
			t.Errorf("List = %q, want %q", got, want)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		d := newDriver(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := d.Put(cctx, "c.csv", strings.NewReader("x"), 1, driver.PutOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Put with a canceled context: err = %v, want context.Canceled in the chain", err)
		}
		if _, err := d.Head(ctx, "c.csv"); !kind.Is(err, kind.NotFound) {
			t.Errorf("Head after canceled Put: err = %v, want not_found", err)
		}
	})

	t.Run("SignedURL", func(t *testing.T) {
		d := newDriver(t)
		data := []byte("a,b\n1,2\n")
		put(t, d, "acct/reports/s.csv", data, driver.PutOptions{ContentType: "text/csv"})

		before := time.Now()
		disposition := `attachment; filename="report.csv"`
		url, expiresAt, err := d.SignedURL(ctx, "acct/reports/s.csv", driver.SignOptions{Expiry: 10 * time.Minute, ContentDisposition: disposition})
		if kind.Is(err, kind.InvalidArgument) {
			if url != "" {
				t.Error("SignedURL returned a URL together with an error")
			}
			return // the driver has no signed URLs, as the contract allows
		}
		if err != nil {
			t.Fatalf("SignedURL: %v", err)
		}
		if d := expiresAt.Sub(before); d < 10*time.Minute-2*time.Second || d > 10*time.Minute+2*time.Second {
			t.Errorf("expires at %s, %s after the call, want about 10m", expiresAt, d)
		}

		resp := fetchLoopback(t, url)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET signed URL: status %d, want 200", resp.StatusCode)
		}
		if !bytes.Equal(body, data) {
			t.Errorf("GET signed URL body = %q, want %q", body, data)
		}
		if got := resp.Header.Get("Content-Disposition"); got != disposition {
			t.Errorf("Content-Disposition = %q, want %q", got, disposition)
		}
	})
}

// fetchLoopback GETs a signed URL with plain net/http. It refuses any host
// other than a loopback address, so a misconfigured driver cannot make the
// suite reach a real service.
func fetchLoopback(t *testing.T, rawURL string) *http.Response {
	t.Helper()
	u, err := neturl.Parse(rawURL)
	if err != nil {
		t.Fatal("signed URL does not parse")
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("signed URL host %q is not a loopback address; the suite fetches only from loopback", host)
	}
	resp, err := http.Get(rawURL)
	if err != nil {
		// The URL is a credential until it expires: report the cause only.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		t.Fatalf("GET signed URL: %v", err)
	}
	return resp
}

// mapsEqual compares metadata maps, treating nil and empty alike.
func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
