package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseTimeValid(t *testing.T) {
	tests := []struct {
		in   string
		want string
		kind TimeKind
	}{
		{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", KindTimestamp},
		{"2024-01-02T11:04:05+08:00", "2024-01-02T03:04:05Z", KindTimestamp},
		{"2024-01-01T23:04:05-04:00", "2024-01-02T03:04:05Z", KindTimestamp},
		{"2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z", KindTimestamp},
		{"2024-01-02T03:04:05.999Z", "2024-01-02T03:04:05Z", KindTimestamp},
		{"2024-01-02T03:04:05.5+08:00", "2024-01-01T19:04:05Z", KindTimestamp},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z", KindTimestamp},
		{"2000-02-29T23:59:59Z", "2000-02-29T23:59:59Z", KindTimestamp},
		{"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z", KindTimestamp},
		{"0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z", KindTimestamp},
		{"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", KindTimestamp},
		{"-", "-", KindNever},
		{"no_information", "-", KindNever},
		{"NO_INFORMATION", "-", KindNever},
		{"N/A", "N/A", KindNotApplicable},
		{"n/a", "N/A", KindNotApplicable},
		{"not_supported", "N/A", KindNotApplicable},
		{"LOGIN_DISABLED", "LOGIN_DISABLED", KindLoginDisabled},
		{"login_disabled", "LOGIN_DISABLED", KindLoginDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tt.in, err)
			}
			if got.Kind() != tt.kind {
				t.Errorf("Kind() = %v, want %v", got.Kind(), tt.kind)
			}
			if got.String() != tt.want {
				t.Errorf("String() = %q, want %q", got.String(), tt.want)
			}
		})
	}
}

func TestParseTimeInvalid(t *testing.T) {
	tests := []struct {
		in         string
		wantReason string
	}{
		{"2019-13-45T00:00:00Z", "month out of range"},
		{"2019-12-32T00:00:00Z", "day out of range"},
		{"2019-02-29T00:00:00Z", "day out of range"},
		{"1900-02-29T00:00:00Z", "day out of range"},
		{"2019-01-01T24:00:00Z", "hour out of range"},
		{"2019-01-01T00:60:00Z", "minute out of range"},
		{"2019-01-01T00:00:60Z", "second out of range"},
		{"2019-01-01 00:00:00Z", "not a valid RFC 3339 timestamp"},
		{"2019-01-01T00:00:00", "want an RFC 3339 timestamp"},
		{"2019-01-01", "want an RFC 3339 timestamp"},
		{"2019-01-01T00:00:00+8:00", "not a valid RFC 3339 timestamp"},
		{"2019-13-45T00:00:00+08:00", "not a valid RFC 3339 timestamp"},
		{"", "empty value"},
		{"never", "want an RFC 3339 timestamp"},
		{"--", "want an RFC 3339 timestamp"},
		{" N/A", "want an RFC 3339 timestamp"},
		{"TRUE", "want an RFC 3339 timestamp"},
		{"+2019-01-01T00:00:00Z", "want an RFC 3339 timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseTime(tt.in)
			if err == nil {
				t.Fatalf("ParseTime(%q) succeeded, want an error", tt.in)
			}
			if !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantReason)
			}
			if !strings.Contains(err.Error(), `"`+tt.in+`"`) {
				t.Errorf("error = %q, want it to name the value", err)
			}
		})
	}
}

func TestTimeZeroIsNotApplicable(t *testing.T) {
	var zero Time
	if zero.Kind() != KindNotApplicable || zero != TimeNotApplicable() {
		t.Errorf("zero Time kind = %v, want KindNotApplicable", zero.Kind())
	}
	if _, ok := zero.Time(); ok {
		t.Errorf("zero Time().ok = true, want false")
	}
}

func TestTimeAtTruncatesAndConvertsToUTC(t *testing.T) {
	in := time.Date(2024, 5, 6, 15, 4, 5, 999_999_999, time.FixedZone("CST", 8*3600))
	got := TimeAt(in)
	if got.String() != "2024-05-06T07:04:05Z" {
		t.Errorf("String() = %q, want 2024-05-06T07:04:05Z", got)
	}
	tm, ok := got.Time()
	if !ok || !tm.Equal(time.Date(2024, 5, 6, 7, 4, 5, 0, time.UTC)) || tm.Location() != time.UTC {
		t.Errorf("Time() = %v, %v, want 2024-05-06 07:04:05 UTC", tm, ok)
	}
	before := TimeAt(time.Date(1969, 12, 31, 23, 59, 59, 500_000_000, time.UTC))
	if before.String() != "1969-12-31T23:59:59Z" {
		t.Errorf("fraction before 1970: String() = %q, want 1969-12-31T23:59:59Z", before)
	}
}

func TestTimeOutOfRange(t *testing.T) {
	tests := []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Unix(math.MaxInt64/2, 0),
		time.Unix(math.MinInt64/2, 0),
	}
	for _, in := range tests {
		got := TimeAt(in)
		if got.Kind() != KindTimestamp {
			t.Errorf("TimeAt(%v).Kind() = %v, want KindTimestamp", in, got.Kind())
		}
		if _, err := got.MarshalText(); err == nil {
			t.Errorf("TimeAt(%v).MarshalText() succeeded, want an error", in)
		}
		if got.String() == "" {
			t.Errorf("TimeAt(%v).String() is empty", in)
		}
	}
}

func TestCivilDaysMatchTimePackage(t *testing.T) {
	// Every 7th day from year 0 to 9999, and the days around 1970.
	start := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := start; d.Year() < 10000; d = d.AddDate(0, 0, 7) {
		checkCivilDay(t, d)
	}
	for d := time.Date(1969, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 1971; d = d.AddDate(0, 0, 1) {
		checkCivilDay(t, d)
	}
}

func checkCivilDay(t *testing.T, d time.Time) {
	t.Helper()
	days := floorDiv(d.Unix(), 86400)
	if got := daysFromCivil(int64(d.Year()), int64(d.Month()), int64(d.Day())); got != days {
		t.Fatalf("daysFromCivil(%v) = %d, want %d", d, got, days)
	}
	y, m, day := civilFromDays(days)
	if y != int64(d.Year()) || m != int64(d.Month()) || day != int64(d.Day()) {
		t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %v", days, y, m, day, d)
	}
}

func TestTimeStringMatchesTimeFormat(t *testing.T) {
	for _, sec := range []int64{minUnix, -1, 0, 1, 951782400, 1459900799, 1700000000, maxUnix} {
		want := time.Unix(sec, 0).UTC().Format(TimeLayout)
		if got := timeFromUnix(sec).String(); got != want {
			t.Errorf("timeFromUnix(%d).String() = %q, want %q", sec, got, want)
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in   string
		want Bool
	}{
		{"TRUE", BoolTrue},
		{"true", BoolTrue},
		{"True", BoolTrue},
		{"FALSE", BoolFalse},
		{"false", BoolFalse},
		{"N/A", BoolNotApplicable},
		{"n/a", BoolNotApplicable},
		{"LOGIN_DISABLED", BoolLoginDisabled},
		{"not_supported", BoolNotApplicable},
	}
	for _, tt := range tests {
		got, err := ParseBool(tt.in)
		if err != nil {
			t.Errorf("ParseBool(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseBool(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{"YES", "no", "1", "0", "", "T", " TRUE", "no_information", "-"} {
		if _, err := ParseBool(in); err == nil {
			t.Errorf("ParseBool(%q) succeeded, want an error", in)
		}
	}
}

func TestBoolZeroAndInvalid(t *testing.T) {
	var zero Bool
	if zero != BoolNotApplicable {
		t.Errorf("zero Bool = %v, want N/A", zero)
	}
	if BoolOf(true) != BoolTrue || BoolOf(false) != BoolFalse {
		t.Errorf("BoolOf(true), BoolOf(false) = %v, %v", BoolOf(true), BoolOf(false))
	}
	bad := Bool(9)
	if bad.String() != "Bool(9)" {
		t.Errorf("Bool(9).String() = %q", bad.String())
	}
	if _, err := bad.MarshalText(); err == nil {
		t.Errorf("Bool(9).MarshalText() succeeded, want an error")
	}
}

func TestValuesJSONRoundTrip(t *testing.T) {
	type pair struct {
		T Time
		B Bool
	}
	in := []pair{
		{TimeAt(mustTime(t, "2024-01-02T03:04:05Z")), BoolTrue},
		{TimeNever(), BoolFalse},
		{TimeNotApplicable(), BoolNotApplicable},
		{TimeLoginDisabled(), BoolLoginDisabled},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `[{"T":"2024-01-02T03:04:05Z","B":"TRUE"},{"T":"-","B":"FALSE"},{"T":"N/A","B":"N/A"},{"T":"LOGIN_DISABLED","B":"LOGIN_DISABLED"}]`
	if string(data) != want {
		t.Errorf("json = %s, want %s", data, want)
	}
	var out []pair
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("pair %d = %+v, want %+v", i, out[i], in[i])
		}
	}
	if err := json.Unmarshal([]byte(`[{"T":"yesterday"}]`), &out); err == nil {
		t.Errorf("Unmarshal of an invalid time succeeded, want an error")
	}
}

func TestRowIsCompact(t *testing.T) {
	// A time field is 8 bytes and a key slot 24, so that 50,000 rows fit in
	// a few megabytes.
	if size := sizeOf[Time](); size != 8 {
		t.Errorf("size of Time = %d bytes, want 8", size)
	}
	if size := sizeOf[KeySlot](); size > 24 {
		t.Errorf("size of KeySlot = %d bytes, want at most 24", size)
	}
	if size := sizeOf[Row](); size > 112 {
		t.Errorf("size of Row = %d bytes, want at most 112", size)
	}
}

func sizeOf[T any]() uintptr {
	var v T
	return unsafe.Sizeof(v)
}
