package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
)

// Object metadata names that the latest pointer carries besides the
// report's own metadata.
const (
	metaReportKey  = "report-key"
	metaReportSize = "report-size"
)

// maxMetadataBytes is the OSS limit on the total size of the user metadata
// of one object (names and values): 8 KB.
const maxMetadataBytes = 8 << 10

// checkMetadata rejects metadata that an HTTP backend could not store
// unchanged: names other than lower-case letters, digits and hyphens, values
// outside printable ASCII or with surrounding spaces (HTTP trims them), and
// more than maxMetadataBytes in total.
func checkMetadata(values map[string]string) error {
	total := 0
	for name, value := range values {
		total += len(name) + len(value)
		if name == "" {
			return kind.Errorf(kind.InvalidArgument, "invalid metadata: empty name")
		}
		for _, c := range name {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return kind.Errorf(kind.InvalidArgument, "invalid metadata name %q: use lower-case letters, digits and hyphens", name)
			}
		}
		for _, c := range value {
			if c < 0x20 || c > 0x7e {
				return kind.Errorf(kind.InvalidArgument, "invalid metadata %s value %q: use printable ASCII characters only", name, value)
			}
		}
		if strings.TrimSpace(value) != value {
			return kind.Errorf(kind.InvalidArgument, "invalid metadata %s value %q: remove the leading or trailing spaces", name, value)
		}
	}
	if total > maxMetadataBytes {
		return kind.Errorf(kind.InvalidArgument, "invalid metadata: %d bytes in total, more than the %d bytes OSS stores", total, maxMetadataBytes)
	}
	return nil
}

// entryFromAttrs builds the Entry of the report at key from the metadata
// read back from the backend, and checks that the metadata belongs to that
// key: same account, generated-at, source and hash prefix. A mismatch or an
// unreadable value is an Internal error naming objectKey, the object read.
func (s *Store) entryFromAttrs(objectKey, key string, size int64, values map[string]string) (Entry, error) {
	corrupt := func(err error) error {
		return kind.Errorf(kind.Internal, "object %q has corrupt report metadata: %w", objectKey, err)
	}

	parts, err := s.parseReportKey(key)
	if err != nil {
		return Entry{}, corrupt(err)
	}
	meta, err := report.ParseMetadata(values)
	if err != nil {
		return Entry{}, corrupt(err)
	}

	switch {
	case meta.AccountID != parts.AccountID:
		return Entry{}, corrupt(fmt.Errorf("account-id %q does not match the key's account %q", meta.AccountID, parts.AccountID))
	case !meta.GeneratedAt.Equal(parts.GeneratedAt):
		return Entry{}, corrupt(fmt.Errorf("generated-at %s does not match the key's time %s",
			meta.GeneratedAt.Format(report.TimeLayout), parts.GeneratedAt.Format(report.TimeLayout)))
	case string(meta.Source) != parts.Source:
		return Entry{}, corrupt(fmt.Errorf("source %q does not match the key's source %q", meta.Source, parts.Source))
	case meta.SHA256[:shortHashLen] != parts.ShortHash:
		return Entry{}, corrupt(fmt.Errorf("sha256 %s does not start with the key's hash %s", meta.SHA256, parts.ShortHash))
	}
	return Entry{Key: key, Size: size, Metadata: meta}, nil
}

// pointerMetadata returns the object metadata of the latest pointer to e:
// the report's metadata plus its key and size, so that one HEAD request
// yields the whole Entry.
func pointerMetadata(e Entry) map[string]string {
	values := e.Metadata.Map()
	values[metaReportKey] = e.Key
	values[metaReportSize] = strconv.FormatInt(e.Size, 10)
	return values
}

// pointerBody is the JSON body of the latest pointer. Latest reads only the
// object metadata; the body is there for people and tools that GET the
// object.
type pointerBody struct {
	Key      string            `json:"key"`
	Size     int64             `json:"size"`
	Metadata map[string]string `json:"metadata"`
}

// entryFromPointer decodes the metadata of the latest pointer of accountID.
func (s *Store) entryFromPointer(accountID, pointerKey string, values map[string]string) (Entry, error) {
	get := func(name string) string {
		for k, v := range values {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return ""
	}

	key := get(metaReportKey)
	if key == "" {
		return Entry{}, kind.Errorf(kind.Internal, "latest pointer %q is corrupt: metadata %s is missing", pointerKey, metaReportKey)
	}
	size, err := strconv.ParseInt(get(metaReportSize), 10, 64)
	if err != nil || size < 0 {
		return Entry{}, kind.Errorf(kind.Internal, "latest pointer %q is corrupt: metadata %s has invalid value %q", pointerKey, metaReportSize, get(metaReportSize))
	}

	e, err := s.entryFromAttrs(pointerKey, key, size, values)
	if err != nil {
		return Entry{}, err
	}
	if e.Metadata.AccountID != accountID {
		return Entry{}, kind.Errorf(kind.Internal, "latest pointer %q is corrupt: it names report %q of account %q", pointerKey, key, e.Metadata.AccountID)
	}
	return e, nil
}
