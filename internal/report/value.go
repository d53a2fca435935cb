package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Words of the report vocabulary besides timestamps, TRUE and FALSE.
const (
	wordNever         = "-"
	wordNotApplicable = "N/A"
	wordLoginDisabled = "LOGIN_DISABLED"
	// AWS IAM reports use these words for "never" and "not applicable".
	wordNoInformation = "no_information"
	wordNotSupported  = "not_supported"
)

// TimeKind is the kind of value a time field contains.
type TimeKind uint8

// Kinds of time field values. KindNotApplicable is the zero value.
const (
	KindNotApplicable TimeKind = iota // N/A: no such credential, or not tracked
	KindNever                         // -: never happened, or not since tracking began
	KindLoginDisabled                 // LOGIN_DISABLED, seen in Alibaba's own reports
	KindTimestamp                     // a UTC time in whole seconds
)

// Time is the value of one time field: a timestamp in whole seconds, or one of
// the words N/A, - and LOGIN_DISABLED. The zero value is N/A. Times are
// comparable with ==.
type Time struct {
	// v is 0, 1 or 2 for N/A, never and login disabled. A timestamp is stored
	// as Unix seconds plus timeBias, which keeps every year from -32000 to
	// 9999 above those three codes and the struct at 8 bytes.
	v int64
}

const (
	timeBias = int64(1) << 40

	// minUnix and maxUnix bound the timestamps a report can contain:
	// 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the RFC 3339 year range.
	minUnix = -62167219200
	maxUnix = 253402300799
)

// TimeAt returns the timestamp t, converted to UTC and truncated to whole
// seconds. A time outside the years 0000 to 9999 is kept, but Write rejects it.
func TimeAt(t time.Time) Time {
	return timeFromUnix(t.Unix())
}

func timeFromUnix(sec int64) Time {
	switch {
	case sec > math.MaxInt64-timeBias:
		return Time{v: math.MaxInt64}
	case sec+timeBias <= int64(KindTimestamp):
		// Far before year 0: keep it a timestamp, out of range like the input.
		return Time{v: int64(KindTimestamp)}
	}
	return Time{v: sec + timeBias}
}

// TimeNotApplicable returns the N/A value, which is also the zero Time.
func TimeNotApplicable() Time { return Time{} }

// TimeNever returns the "-" value: never happened, or not since tracking began.
func TimeNever() Time { return Time{v: int64(KindNever)} }

// TimeLoginDisabled returns the LOGIN_DISABLED value.
func TimeLoginDisabled() Time { return Time{v: int64(KindLoginDisabled)} }

// Kind returns the kind of t.
func (t Time) Kind() TimeKind {
	if t.v >= int64(KindTimestamp) {
		return KindTimestamp
	}
	return TimeKind(t.v)
}

// Time returns the timestamp in UTC and true, or the zero time.Time and
// false when t is one of the words.
func (t Time) Time() (time.Time, bool) {
	if t.Kind() != KindTimestamp {
		return time.Time{}, false
	}
	return time.Unix(t.unix(), 0).UTC(), true
}

func (t Time) unix() int64 { return t.v - timeBias }

// inRange reports whether t can be written: a word, or a timestamp in the
// years 0000 to 9999.
func (t Time) inRange() bool {
	if t.Kind() != KindTimestamp {
		return true
	}
	sec := t.unix()
	return sec >= minUnix && sec <= maxUnix
}

// String returns the report text of t: the timestamp as 2006-01-02T15:04:05Z,
// or N/A, - or LOGIN_DISABLED.
func (t Time) String() string {
	if !t.inRange() {
		return time.Unix(t.unix(), 0).UTC().Format(time.RFC3339)
	}
	return string(t.appendText(make([]byte, 0, len(TimeLayout))))
}

// AppendText appends the report text of t to b. It fails for a timestamp
// outside the years 0000 to 9999.
func (t Time) AppendText(b []byte) ([]byte, error) {
	if !t.inRange() {
		return b, fmt.Errorf("timestamp %s is outside the years 0000 to 9999", t)
	}
	return t.appendText(b), nil
}

// MarshalText returns the report text of t.
func (t Time) MarshalText() ([]byte, error) {
	return t.AppendText(nil)
}

// UnmarshalText parses text as ParseTime does.
func (t *Time) UnmarshalText(text []byte) error {
	v, err := ParseTime(string(text))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// appendText appends the report text of a t that is in range.
func (t Time) appendText(b []byte) []byte {
	switch t.Kind() {
	case KindNotApplicable:
		return append(b, wordNotApplicable...)
	case KindNever:
		return append(b, wordNever...)
	case KindLoginDisabled:
		return append(b, wordLoginDisabled...)
	}
	sec := t.unix()
	days := floorDiv(sec, 86400)
	clock := sec - days*86400
	year, month, day := civilFromDays(days)
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, month, 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, clock/3600, 2)
	b = append(b, ':')
	b = appendDigits(b, clock/60%60, 2)
	b = append(b, ':')
	b = appendDigits(b, clock%60, 2)
	return append(b, 'Z')
}

// ParseTime parses the text of a time field. A timestamp may be any RFC 3339
// timestamp, with an offset and a fraction, and is converted to UTC and
// truncated to whole seconds. The words are "-" and "no_information" for
// never, "N/A" and "not_supported" for not applicable, and "LOGIN_DISABLED",
// matched without regard to case. The error names the value and what is
// expected.
func ParseTime(s string) (Time, error) {
	t, reason := parseTime(s)
	if reason != "" {
		return Time{}, fmt.Errorf("invalid time value %q: %s", s, reason)
	}
	return t, nil
}

const timeWant = "want an RFC 3339 timestamp such as 2024-01-02T03:04:05Z, or -, N/A or LOGIN_DISABLED"

// parseTime parses a time field and returns a reason instead of an error, so
// that the reader needs no allocation for valid values.
func parseTime(s string) (Time, string) {
	if len(s) == len(TimeLayout) && s[len(s)-1] == 'Z' {
		// The form every report uses; parsed by hand because it is most of
		// a report's bytes.
		return parseUTCTimestamp(s)
	}
	switch {
	case s == wordNever || strings.EqualFold(s, wordNoInformation):
		return TimeNever(), ""
	case strings.EqualFold(s, wordNotApplicable) || strings.EqualFold(s, wordNotSupported):
		return TimeNotApplicable(), ""
	case strings.EqualFold(s, wordLoginDisabled):
		return TimeLoginDisabled(), ""
	case s == "":
		return Time{}, "empty value; " + timeWant
	}
	if len(s) < len(TimeLayout) || !isDigits(s[:4]) || s[4] != '-' {
		return Time{}, timeWant
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return Time{}, "not a valid RFC 3339 timestamp; " + timeWant
	}
	v := TimeAt(t)
	if !v.inRange() {
		// An offset can move year 0000 or 9999 out of the range a report can contain.
		return Time{}, "outside the years 0000 to 9999 in UTC"
	}
	return v, ""
}

// parseUTCTimestamp parses s of the form 2006-01-02T15:04:05Z.
func parseUTCTimestamp(s string) (Time, string) {
	const bad = "not a valid RFC 3339 timestamp; " + timeWant
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return Time{}, bad
	}
	if !isDigits(s[0:4]) || !isDigits(s[5:7]) || !isDigits(s[8:10]) ||
		!isDigits(s[11:13]) || !isDigits(s[14:16]) || !isDigits(s[17:19]) {
		return Time{}, bad
	}
	year := atoi(s[0:4])
	month := atoi(s[5:7])
	day := atoi(s[8:10])
	hour := atoi(s[11:13])
	minute := atoi(s[14:16])
	second := atoi(s[17:19])
	switch {
	case month < 1 || month > 12:
		return Time{}, "month out of range; " + timeWant
	case day < 1 || day > daysIn(year, month):
		return Time{}, "day out of range; " + timeWant
	case hour > 23:
		return Time{}, "hour out of range; " + timeWant
	case minute > 59:
		return Time{}, "minute out of range; " + timeWant
	case second > 59:
		return Time{}, "second out of range; " + timeWant
	}
	sec := daysFromCivil(year, month, day)*86400 + hour*3600 + minute*60 + second
	return timeFromUnix(sec), ""
}

// Bool is the value of one boolean field: TRUE, FALSE, N/A or LOGIN_DISABLED.
// The zero value is N/A, as for Time.
type Bool uint8

// Values of a boolean field.
const (
	BoolNotApplicable Bool = iota // N/A
	BoolFalse                     // FALSE
	BoolTrue                      // TRUE
	BoolLoginDisabled             // LOGIN_DISABLED, seen in Alibaba's own reports
)

// BoolOf returns BoolTrue for true and BoolFalse for false.
func BoolOf(b bool) Bool {
	if b {
		return BoolTrue
	}
	return BoolFalse
}

var boolWords = [...]string{
	BoolNotApplicable: wordNotApplicable,
	BoolFalse:         "FALSE",
	BoolTrue:          "TRUE",
	BoolLoginDisabled: wordLoginDisabled,
}

// String returns the report text of b, or Bool(n) for a value that is not
// one of the four constants.
func (b Bool) String() string {
	if int(b) < len(boolWords) {
		return boolWords[b]
	}
	return "Bool(" + strconv.Itoa(int(b)) + ")"
}

// valid reports whether b is one of the four values.
func (b Bool) valid() bool { return int(b) < len(boolWords) }

// AppendText appends the report text of b to buf. It fails for a value that
// is not one of the four constants.
func (b Bool) AppendText(buf []byte) ([]byte, error) {
	if !b.valid() {
		return buf, fmt.Errorf("invalid boolean field value %s", b)
	}
	return append(buf, boolWords[b]...), nil
}

// MarshalText returns the report text of b.
func (b Bool) MarshalText() ([]byte, error) {
	return b.AppendText(nil)
}

// UnmarshalText parses text as ParseBool does.
func (b *Bool) UnmarshalText(text []byte) error {
	v, err := ParseBool(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// ParseBool parses the text of a boolean field: TRUE, FALSE, N/A or
// LOGIN_DISABLED, matched without regard to case. The AWS word
// "not_supported" is read as N/A, as in time fields.
func ParseBool(s string) (Bool, error) {
	b, reason := parseBool(s)
	if reason != "" {
		return 0, fmt.Errorf("invalid boolean value %q: %s", s, reason)
	}
	return b, nil
}

const boolWant = "want TRUE, FALSE, N/A or LOGIN_DISABLED"

func parseBool(s string) (Bool, string) {
	switch {
	case s == "TRUE" || strings.EqualFold(s, "true"):
		return BoolTrue, ""
	case s == "FALSE" || strings.EqualFold(s, "false"):
		return BoolFalse, ""
	case strings.EqualFold(s, wordNotApplicable) || strings.EqualFold(s, wordNotSupported):
		return BoolNotApplicable, ""
	case strings.EqualFold(s, wordLoginDisabled):
		return BoolLoginDisabled, ""
	case s == "":
		return 0, "empty value; " + boolWant
	}
	return 0, boolWant
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi converts a string of ASCII digits that isDigits accepted.
func atoi(s string) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

// appendDigits appends n in decimal, zero-padded to width digits.
func appendDigits(b []byte, n int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for n >= 10 || width > 1 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	tmp[i] = byte('0' + n)
	return append(b, tmp[i:]...)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func daysIn(year, month int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given date
// of the proleptic Gregorian calendar, using Howard Hinnant's algorithm for
// 400-year eras.
func daysFromCivil(year, month, day int64) int64 {
	if month <= 2 {
		year--
	}
	era := floorDiv(year, 400)
	yearOfEra := year - era*400
	shifted := month + 9
	if month > 2 {
		shifted = month - 3
	}
	dayOfYear := (153*shifted+2)/5 + day - 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return era*146097 + dayOfEra - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(days int64) (year, month, day int64) {
	days += 719468
	era := floorDiv(days, 146097)
	dayOfEra := days - era*146097
	yearOfEra := (dayOfEra - dayOfEra/1460 + dayOfEra/36524 - dayOfEra/146096) / 365
	year = yearOfEra + era*400
	dayOfYear := dayOfEra - (365*yearOfEra + yearOfEra/4 - yearOfEra/100)
	shifted := (5*dayOfYear + 2) / 153
	day = dayOfYear - (153*shifted+2)/5 + 1
	month = shifted + 3
	if shifted >= 10 {
		month = shifted - 9
	}
	if month <= 2 {
		year++
	}
	return year, month, day
}
