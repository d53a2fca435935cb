// Package filedriver is a driver.Driver that keeps objects in a local
// directory: for the CLI on a laptop, for tests, and, over a temporary
// directory, as an in-memory store.
//
// Each object is one file, so a write is atomic: the file is written in a
// temporary directory and then renamed into place, or hard-linked for
// IfNotExists, which fails when the name exists. This holds across
// processes that share the directory on one local file system. Signed URLs
// are not supported.
package filedriver

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/store/driver"
)

const (
	objectsDir = "objects"
	tmpDir     = "tmp"

	// magic is the first line of every object file.
	magic = "credreport-filedriver/1"

	defaultContentType = "application/octet-stream"

	maxKeyLen      = 1023 // the OSS limit, in bytes
	maxFileNameLen = 255  // the common file system limit, in bytes
	maxHeaderLen   = 64 << 10
)

// Driver stores objects under a directory. It is safe for concurrent use,
// also by several processes.
type Driver struct {
	dir     string
	objects string
	tmp     string
}

var _ driver.Driver = (*Driver)(nil)

// New returns a Driver over dir, creating dir and its subdirectories when
// they are missing.
func New(dir string) (*Driver, error) {
	if dir == "" {
		return nil, kind.Errorf(kind.InvalidArgument, "new file driver: missing directory")
	}
	d := &Driver{
		dir:     dir,
		objects: filepath.Join(dir, objectsDir),
		tmp:     filepath.Join(dir, tmpDir),
	}
	for _, p := range []string{d.objects, d.tmp} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return nil, kind.Errorf(kind.InvalidArgument, "new file driver: create directory: %w", err)
		}
	}
	return d, nil
}

// header is the JSON line after magic, before the object's bytes.
type header struct {
	ContentType string            `json:"content_type"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Size        int64             `json:"size"`
	// ETag is random per write, which is enough for a tag that changes
	// whenever the object does.
	ETag string `json:"etag"`
}

// Put implements driver.Driver.
func (d *Driver) Put(ctx context.Context, key string, r io.Reader, size int64, opts driver.PutOptions) error {
	name, err := fileName(key)
	if err != nil {
		return err
	}
	if size < 0 {
		return kind.Errorf(kind.InvalidArgument, "put %q: invalid size %d", key, size)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	h := header{ContentType: opts.ContentType, Size: size, ETag: newETag()}
	if h.ContentType == "" {
		h.ContentType = defaultContentType
	}
	if len(opts.Metadata) > 0 {
		h.Metadata = make(map[string]string, len(opts.Metadata))
		for k, v := range opts.Metadata {
			h.Metadata[strings.ToLower(k)] = v
		}
	}

	tmp, err := d.writeTemp(ctx, key, h, r)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // a no-op after a successful rename

	final := filepath.Join(d.objects, name)
	if opts.IfNotExists {
		err = os.Link(tmp, final)
		if errors.Is(err, fs.ErrExist) {
			return kind.Errorf(kind.Conflict, "put %q: the object exists already", key)
		}
	} else {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		return kind.Errorf(kind.Unavailable, "put %q: %w", key, err)
	}
	return syncDir(d.objects)
}

// writeTemp writes the object file to the temporary directory and returns
// its path.
func (d *Driver) writeTemp(ctx context.Context, key string, h header, r io.Reader) (path string, err error) {
	f, err := os.CreateTemp(d.tmp, "put-*")
	if err != nil {
		return "", kind.Errorf(kind.Unavailable, "put %q: create temporary file: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	line, err := json.Marshal(h)
	if err != nil {
		return "", kind.Errorf(kind.InvalidArgument, "put %q: encode attributes: %w", key, err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(magic + "\n")
	w.Write(line)
	w.WriteByte('\n')

	src := &sourceReader{ctx: ctx, r: r}
	n, err := io.Copy(w, io.LimitReader(src, h.Size))
	switch {
	case ctx.Err() != nil:
		return "", ctx.Err()
	case src.err != nil:
		return "", fmt.Errorf("put %q: read the object's bytes: %w", key, src.err)
	case err != nil:
		return "", kind.Errorf(kind.Unavailable, "put %q: write: %w", key, err)
	case n < h.Size:
		return "", kind.Errorf(kind.InvalidArgument, "put %q: the reader ended after %d of %d bytes", key, n, h.Size)
	}

	if err := w.Flush(); err != nil {
		return "", kind.Errorf(kind.Unavailable, "put %q: write: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return "", kind.Errorf(kind.Unavailable, "put %q: sync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return "", kind.Errorf(kind.Unavailable, "put %q: close: %w", key, err)
	}
	return f.Name(), nil
}

// Head implements driver.Driver.
func (d *Driver) Head(ctx context.Context, key string) (driver.Attributes, error) {
	rc, attrs, err := d.Open(ctx, key)
	if err != nil {
		return driver.Attributes{}, err
	}
	rc.Close()
	return attrs, nil
}

// Open implements driver.Driver.
func (d *Driver) Open(ctx context.Context, key string) (io.ReadCloser, driver.Attributes, error) {
	name, err := fileName(key)
	if err != nil {
		return nil, driver.Attributes{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, driver.Attributes{}, err
	}

	f, err := os.Open(filepath.Join(d.objects, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, driver.Attributes{}, kind.Errorf(kind.NotFound, "open %q: no such object", key)
	}
	if err != nil {
		return nil, driver.Attributes{}, kind.Errorf(kind.Unavailable, "open %q: %w", key, err)
	}
	br, attrs, err := readHeader(f, key)
	if err != nil {
		f.Close()
		return nil, driver.Attributes{}, err
	}
	return &objectReader{r: io.LimitReader(br, attrs.Size), f: f}, attrs, nil
}

// readHeader reads the magic line and the header of an object file, and
// returns a reader positioned at the object's first byte.
func readHeader(f *os.File, key string) (*bufio.Reader, driver.Attributes, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, driver.Attributes{}, kind.Errorf(kind.Unavailable, "open %q: %w", key, err)
	}

	br := bufio.NewReader(io.LimitReader(f, maxHeaderLen+int64(len(magic))+2))
	corrupt := func(reason string) error {
		return kind.Errorf(kind.Internal, "open %q: file %s is not an object file of this driver: %s", key, f.Name(), reason)
	}
	first, err := br.ReadString('\n')
	if err != nil || first != magic+"\n" {
		return nil, driver.Attributes{}, corrupt("missing the first line " + magic)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, driver.Attributes{}, corrupt("unterminated attributes line")
	}
	var h header
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, driver.Attributes{}, corrupt(err.Error())
	}
	offset := int64(len(first) + len(line))
	if offset+h.Size != info.Size() {
		return nil, driver.Attributes{}, corrupt(fmt.Sprintf("the attributes declare %d bytes, the file holds %d", h.Size, info.Size()-offset))
	}

	// Read the body from the file itself, starting after the header.
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, driver.Attributes{}, kind.Errorf(kind.Unavailable, "open %q: %w", key, err)
	}
	attrs := driver.Attributes{
		Size:        h.Size,
		ContentType: h.ContentType,
		Metadata:    h.Metadata,
		ModTime:     info.ModTime().UTC(),
		ETag:        h.ETag,
	}
	return bufio.NewReader(f), attrs, nil
}

// List implements driver.Driver.
func (d *Driver) List(ctx context.Context, prefix string, fn func(driver.ObjectInfo) error) error {
	entries, err := os.ReadDir(d.objects)
	if err != nil {
		return kind.Errorf(kind.Unavailable, "list %q: %w", prefix, err)
	}

	var keys []string
	for _, e := range entries {
		key, err := keyOf(e.Name())
		if err == nil && strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)

	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		attrs, err := d.Head(ctx, key)
		if kind.Is(err, kind.NotFound) {
			continue // deleted since the directory was read
		}
		if err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		if err := fn(driver.ObjectInfo{Key: key, Size: attrs.Size, ModTime: attrs.ModTime}); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements driver.Driver.
func (d *Driver) Delete(ctx context.Context, key string) error {
	name, err := fileName(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = os.Remove(filepath.Join(d.objects, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return kind.Errorf(kind.Unavailable, "delete %q: %w", key, err)
	}
	return nil
}

// SignedURL implements driver.Driver. A local directory has no URL that
// others could use, so it always returns an InvalidArgument error.
func (d *Driver) SignedURL(ctx context.Context, key string, opts driver.SignOptions) (string, time.Time, error) {
	return "", time.Time{}, kind.Errorf(kind.InvalidArgument,
		"sign URL for %q: signed URLs need OSS; the file driver keeps objects in the local directory %s: configure an OSS bucket to hand out download links", key, d.dir)
}

// objectReader reads an object's bytes and closes its file.
type objectReader struct {
	r io.Reader
	f *os.File
}

func (o *objectReader) Read(p []byte) (int, error) { return o.r.Read(p) }
func (o *objectReader) Close() error               { return o.f.Close() }

// sourceReader stops a copy when its context ends, and keeps the error of
// the source, apart from io.EOF, so that it is not mistaken for a write
// error.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func newETag() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error since Go 1.24
	return hex.EncodeToString(b[:])
}

// syncDir flushes a directory entry change to disk, so a stored object
// survives a crash right after Put returns.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return kind.Errorf(kind.Unavailable, "sync directory %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return kind.Errorf(kind.Unavailable, "sync directory %s: %w", dir, err)
	}
	return nil
}
