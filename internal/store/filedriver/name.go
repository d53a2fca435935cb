package filedriver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/credreport/credreport/internal/kind"
)

// fileName maps an object key to the name of its file. All objects live in
// one flat directory, so a key and a longer key that continues it after a
// slash ("a" and "a/b") can coexist as they do in OSS. Bytes other than
// ASCII letters, digits, '-', '_' and a non-leading '.' become %XX, which
// keeps names free of separators and of "." and "..".
//
// NOTE: on a case-insensitive file system (the macOS default) two keys that
// differ only in case share a file; the store's keys never do.
func fileName(key string) (string, error) {
	switch {
	case key == "":
		return "", kind.Errorf(kind.InvalidArgument, "invalid object key: empty")
	case len(key) > maxKeyLen:
		return "", kind.Errorf(kind.InvalidArgument, "invalid object key %q: %d bytes, more than %d", key, len(key), maxKeyLen)
	case strings.HasPrefix(key, "/"), strings.HasPrefix(key, `\`):
		return "", kind.Errorf(kind.InvalidArgument, "invalid object key %q: it must not start with a slash", key)
	}

	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' && i > 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	name := b.String()
	if len(name) > maxFileNameLen {
		return "", kind.Errorf(kind.InvalidArgument, "invalid object key %q: too long for this driver's file names (%d bytes once escaped, at most %d)", key, len(name), maxFileNameLen)
	}
	return name, nil
}

// keyOf reverses fileName. Names that fileName does not make, such as
// stray files, are an error.
func keyOf(name string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(name) {
			return "", fmt.Errorf("invalid object file name %q: truncated escape", name)
		}
		v, err := strconv.ParseUint(name[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("invalid object file name %q: invalid escape %q", name, name[i:i+3])
		}
		b.WriteByte(byte(v))
		i += 2
	}

	key := b.String()
	if again, err := fileName(key); err != nil || again != name {
		return "", fmt.Errorf("invalid object file name %q: not made by this driver", name)
	}
	return key, nil
}
