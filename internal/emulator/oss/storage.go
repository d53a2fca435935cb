package oss

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// crcTable is the CRC-64/ECMA table that OSS and both Go SDKs use for the
// x-oss-hash-crc64ecma header.
var crcTable = crc64.MakeTable(crc64.ECMA)

// maxPrealloc caps the buffer reserved up front from a request's
// Content-Length, so a wrong length cannot make the server reserve a huge
// buffer before any byte arrives.
const maxPrealloc = 64 << 20

// objectMeta describes a stored object. With a data directory it is also
// the JSON document stored next to the object's data file.
type objectMeta struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`                 // quoted, as sent in the ETag header
	ContentMD5   string    `json:"contentMD5,omitempty"` // base64; empty for multipart objects
	CRC64        uint64    `json:"crc64"`
	ContentType  string    `json:"contentType"`
	LastModified time.Time `json:"lastModified"`
	ObjectType   string    `json:"objectType"` // Normal or Multipart
	StorageClass string    `json:"storageClass"`
	// Encryption is the x-oss-server-side-encryption value (AES256, KMS or
	// SM4), and EncryptionKeyID the KMS key ID.
	Encryption      string `json:"encryption,omitempty"`
	EncryptionKeyID string `json:"encryptionKeyId,omitempty"`
	// UserMeta maps lower-case x-oss-meta-* header names to their values.
	UserMeta map[string]string `json:"userMeta,omitempty"`
	// Headers contains the standard headers stored with the object, such as
	// Cache-Control and Content-Disposition, by canonical name.
	Headers map[string]string `json:"headers,omitempty"`
	// DataFile is the name of the data file in the bucket directory.
	DataFile string `json:"dataFile,omitempty"`
}

// object is an immutable stored object: an overwrite replaces the whole
// value, so readers may use it without holding the store lock.
type object struct {
	meta objectMeta
	data []byte // the contents when the store keeps objects in memory
}

type bucket struct {
	name    string
	created time.Time
	objects map[string]*object
	uploads map[string]*upload
}

// store contains the buckets, objects and multipart uploads. With dir set, each
// object is a data file plus a JSON metadata file under dir/<bucket>/, both
// written to a temporary name and renamed into place.
type store struct {
	dir string
	now func() time.Time

	mu      sync.RWMutex
	buckets map[string]*bucket
}

// blob is request body data that has been received but not yet committed
// as an object: in memory, or in its final data file when the store has a
// directory.
type blob struct {
	data []byte
	path string
	size int64
	md5  [md5.Size]byte
	crc  uint64
}

func openStore(dir string, now func() time.Time) (*store, error) {
	s := &store{dir: dir, now: now, buckets: make(map[string]*bucket)}
	if dir == "" {
		return s, nil
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read data directory %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() || !validBucketName(e.Name()) {
			continue
		}
		if err := s.loadBucket(e.Name()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// loadBucket reads the metadata files of one bucket directory and removes
// the temporary and unreferenced data files that an interrupted write left.
func (s *store) loadBucket(name string) error {
	bdir := filepath.Join(s.dir, name)
	info, err := os.Stat(bdir)
	if err != nil {
		return fmt.Errorf("load bucket %s: %w", name, err)
	}
	b := &bucket{name: name, created: info.ModTime().UTC(),
		objects: make(map[string]*object), uploads: make(map[string]*upload)}

	entries, err := os.ReadDir(bdir)
	if err != nil {
		return fmt.Errorf("load bucket %s: %w", name, err)
	}
	referenced := make(map[string]bool)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(bdir, e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("load object metadata %s: %w", path, err)
		}
		var meta objectMeta
		if err := json.Unmarshal(raw, &meta); err != nil {
			return fmt.Errorf("load object metadata %s: %w", path, err)
		}
		if meta.DataFile != filepath.Base(meta.DataFile) || !strings.HasSuffix(meta.DataFile, ".data") {
			return fmt.Errorf("load object metadata %s: data file %q is not a .data file name in the bucket directory", path, meta.DataFile)
		}
		if _, err := os.Stat(filepath.Join(bdir, meta.DataFile)); err != nil {
			return fmt.Errorf("load object %q of bucket %s: data file of %s: %w", meta.Key, name, path, err)
		}
		referenced[meta.DataFile] = true
		b.objects[meta.Key] = &object{meta: meta}
	}

	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".tmp") || (strings.HasSuffix(n, ".data") && !referenced[n]) {
			if err := os.Remove(filepath.Join(bdir, n)); err != nil {
				return fmt.Errorf("load bucket %s: remove leftover %s: %w", name, n, err)
			}
		}
	}

	s.buckets[name] = b
	return nil
}

func (s *store) createBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if _, ok := s.buckets[name]; ok {
		return nil
	}
	if s.dir != "" {
		if err := os.MkdirAll(filepath.Join(s.dir, name), 0o755); err != nil {
			return err
		}
	}
	s.buckets[name] = &bucket{name: name, created: s.now().UTC(),
		objects: make(map[string]*object), uploads: make(map[string]*upload)}
	return nil
}

func (s *store) hasBucket(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.buckets[name]
	return ok
}

// bucketList returns the buckets sorted by name.
func (s *store) bucketList() []*bucket {
	s.mu.RLock()
	out := make([]*bucket, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, b)
	}
	s.mu.RUnlock()

	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// stat returns the metadata of an object, or NoSuchKey.
func (s *store) stat(bucketName, key string) (objectMeta, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()

	o, err := s.lookup(bucketName, key)
	if err != nil {
		return objectMeta{}, err
	}
	return o.meta, nil
}

// open returns the metadata and the contents of an object. The data file
// is opened under the lock so that a concurrent overwrite cannot remove it
// first; the caller closes the reader.
func (s *store) open(bucketName, key string) (objectMeta, io.ReadSeekCloser, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()

	o, err := s.lookup(bucketName, key)
	if err != nil {
		return objectMeta{}, nil, err
	}
	if s.dir == "" {
		return o.meta, nopCloser{bytes.NewReader(o.data)}, nil
	}
	f, err := os.Open(filepath.Join(s.dir, bucketName, o.meta.DataFile))
	if err != nil {
		return objectMeta{}, nil, fmt.Errorf("open object %q: %w", key, err)
	}
	return o.meta, f, nil
}

func (s *store) lookup(bucketName, key string) (*object, error) {
	b, ok := s.buckets[bucketName]
	if !ok {
		return nil, errNoSuchBucket(bucketName)
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, errNoSuchKey(key)
	}
	return o, nil
}

// exists reports whether the key is stored in the bucket.
func (s *store) exists(bucketName, key string) bool {
	_, err := s.stat(bucketName, key)
	return err == nil
}

// list returns the metadata of the objects whose keys start with prefix,
// sorted by key.
func (s *store) list(bucketName, prefix string) ([]objectMeta, error) {
	s.mu.RLock()
	b, ok := s.buckets[bucketName]
	if !ok {
		s.mu.RUnlock()
		return nil, errNoSuchBucket(bucketName)
	}
	out := make([]objectMeta, 0, len(b.objects))
	for k, o := range b.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, o.meta)
		}
	}
	s.mu.RUnlock()

	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// receive reads r into a blob, computing its MD5 and CRC-64. With a data
// directory the bytes go straight to a new data file of the bucket.
func (s *store) receive(bucketName string, r io.Reader, sizeHint int64) (*blob, error) {
	if s.dir == "" {
		return receiveInMemory(r, sizeHint)
	}

	path := filepath.Join(s.dir, bucketName, randomHex(16)+".data")
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create data file: %w", err)
	}

	md5Hash, crcHash := md5.New(), crc64.New(crcTable)
	n, err := io.Copy(io.MultiWriter(f, md5Hash, crcHash), r)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("write data file %s: %w", path, err)
	}

	b := &blob{path: path, size: n, crc: crcHash.Sum64()}
	md5Hash.Sum(b.md5[:0])
	return b, nil
}

func receiveInMemory(r io.Reader, sizeHint int64) (*blob, error) {
	var buf bytes.Buffer
	if sizeHint > 0 && sizeHint <= maxPrealloc {
		buf.Grow(int(sizeHint))
	}

	md5Hash, crcHash := md5.New(), crc64.New(crcTable)
	n, err := io.Copy(io.MultiWriter(&buf, md5Hash, crcHash), r)
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}

	b := &blob{data: buf.Bytes(), size: n, crc: crcHash.Sum64()}
	md5Hash.Sum(b.md5[:0])
	return b, nil
}

// discard removes the data file of a blob that was not committed.
func (s *store) discard(b *blob) {
	if b != nil && b.path != "" {
		_ = os.Remove(b.path)
	}
}

// commit stores b as the object meta.Key, replacing any previous version.
// With forbidOverwrite it fails with FileAlreadyExists when the key exists.
// A non-empty uploadID names the multipart upload that the object
// completes; the upload must still exist and is removed in the same step.
// On error the caller still owns b.
func (s *store) commit(bucketName string, meta objectMeta, b *blob, forbidOverwrite bool, uploadID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	bk, ok := s.buckets[bucketName]
	if !ok {
		return errNoSuchBucket(bucketName)
	}
	if uploadID != "" {
		if u, ok := bk.uploads[uploadID]; !ok || u.key != meta.Key {
			return errNoSuchUpload(uploadID)
		}
	}
	old := bk.objects[meta.Key]
	if forbidOverwrite && old != nil {
		return errFileAlreadyExists(meta.Key)
	}

	if s.dir != "" {
		meta.DataFile = filepath.Base(b.path)
		if err := s.writeMeta(bucketName, meta); err != nil {
			return err
		}
	}
	bk.objects[meta.Key] = &object{meta: meta, data: b.data}
	if uploadID != "" {
		delete(bk.uploads, uploadID)
	}

	if old != nil && old.meta.DataFile != "" && old.meta.DataFile != meta.DataFile {
		_ = os.Remove(filepath.Join(s.dir, bucketName, old.meta.DataFile))
	}
	return nil
}

// remove deletes an object. Deleting a missing key succeeds, as in OSS.
func (s *store) remove(bucketName, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	bk, ok := s.buckets[bucketName]
	if !ok {
		return errNoSuchBucket(bucketName)
	}
	old, ok := bk.objects[key]
	if !ok {
		return nil
	}
	if s.dir != "" {
		if err := os.Remove(s.metaPath(bucketName, key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete object %q: %w", key, err)
		}
		_ = os.Remove(filepath.Join(s.dir, bucketName, old.meta.DataFile))
	}
	delete(bk.objects, key)
	return nil
}

// metaPath names the metadata file of a key by the SHA-256 of the key, so
// any key maps to a safe, fixed-length file name.
func (s *store) metaPath(bucketName, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.dir, bucketName, hex.EncodeToString(sum[:])+".json")
}

// writeMeta replaces the metadata file of meta.Key atomically. The caller
// holds s.mu, which also serialises writers of the same temporary name.
func (s *store) writeMeta(bucketName string, meta objectMeta) error {
	raw, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("encode metadata of %q: %w", meta.Key, err)
	}
	path := s.metaPath(bucketName, meta.Key)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return fmt.Errorf("write metadata of %q: %w", meta.Key, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write metadata of %q: %w", meta.Key, err)
	}
	return nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24
	return hex.EncodeToString(b)
}
