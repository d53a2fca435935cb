package ossdriver

import (
	"context"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/store/driver"
)

// attributesFrom reads the attributes of a HEAD or GET response.
func attributesFrom(op, key string, h http.Header) (driver.Attributes, error) {
	size, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil || size < 0 {
		return driver.Attributes{}, kind.Errorf(kind.Internal, "%s %q: OSS sent an invalid Content-Length %q", op, key, h.Get("Content-Length"))
	}
	attrs := driver.Attributes{
		Size:        size,
		ContentType: h.Get("Content-Type"),
		ETag:        strings.Trim(h.Get("ETag"), `"`),
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		attrs.ModTime = t.UTC()
	}
	for name, values := range h {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, metaHeaderPrefix) && len(values) > 0 {
			if attrs.Metadata == nil {
				attrs.Metadata = make(map[string]string)
			}
			attrs.Metadata[strings.TrimPrefix(lower, metaHeaderPrefix)] = values[0]
		}
	}
	return attrs, nil
}

// objectReader is the body of a GetObject response. It ends the request
// context on Close and checks the CRC-64 at the end of the body.
type objectReader struct {
	d         *Driver
	key       string
	body      io.ReadCloser
	cancel    context.CancelFunc
	clientCRC hash.Hash64
	serverCRC uint64
}

func (o *objectReader) Read(p []byte) (int, error) {
	n, err := o.body.Read(p)
	switch {
	case err == io.EOF:
		if o.clientCRC != nil && o.serverCRC != 0 && o.clientCRC.Sum64() != o.serverCRC {
			return n, kind.Errorf(kind.Unavailable, "read %q: the data was damaged in transit (CRC-64 %d, OSS sent %d); retry", o.key, o.clientCRC.Sum64(), o.serverCRC)
		}
	case err != nil:
		return n, o.d.mapError("read", o.key, err)
	}
	return n, err
}

func (o *objectReader) Close() error {
	err := o.body.Close()
	o.cancel()
	return err
}

// sourceReader counts the bytes read from the caller's reader and keeps
// its error, to tell a short or failing reader from an OSS failure.
type sourceReader struct {
	r   io.Reader
	n   int64
	eof bool
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.err = err
	}
	return n, err
}

// check turns the error of a write into the caller's own fault when the
// reader failed or ended before size bytes.
func (s *sourceReader) check(op, key string, size int64, err error) error {
	switch {
	case err == nil, kind.Is(err, kind.Conflict):
		return err
	case s.err != nil:
		return fmt.Errorf("%s %q: read the object's bytes: %w", op, key, s.err)
	case s.eof && s.n < size:
		return kind.Errorf(kind.InvalidArgument, "%s %q: the reader ended after %d of %d bytes", op, key, s.n, size)
	}
	return err
}
