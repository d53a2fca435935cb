package store

import (
	"encoding/hex"
	"hash"
	"io"

	"github.com/credreport/credreport/internal/kind"
)

// hashingReader hashes and counts the bytes read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

// verifyingReader passes a stored report through and, at the end of the
// data, replaces io.EOF with an Internal error when the bytes do not match
// the report's sha256 and size metadata.
type verifyingReader struct {
	rc       io.ReadCloser
	h        hash.Hash
	n        int64
	key      string
	wantSHA  string
	wantSize int64
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	if err != io.EOF {
		return n, err
	}

	got := hex.EncodeToString(r.h.Sum(nil))
	if got != r.wantSHA || r.n != r.wantSize {
		return n, kind.Errorf(kind.Internal, "read report %q: %d bytes with sha256 %s, but the metadata declares %d bytes with sha256 %s",
			r.key, r.n, got, r.wantSize, r.wantSHA)
	}
	return n, io.EOF
}

func (r *verifyingReader) Close() error { return r.rc.Close() }
