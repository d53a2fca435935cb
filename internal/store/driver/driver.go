// Package driver defines the small interface that an object storage backend
// implements for the report store. Every rule about keys and metadata lives
// in package store. A driver only moves bytes and attributes, and
// classifies its errors with package kind.
//
// Every driver must pass the conformance suite in package storetest.
package driver

import (
	"context"
	"io"
	"time"
)

// Driver is an object storage backend. Keys are slash-separated paths
// without a leading slash. Implementations are safe for concurrent use.
//
// Errors are classified with package kind: NotFound for a missing key,
// Conflict for a write refused by PutOptions.IfNotExists, InvalidArgument
// for bad input, and the vendor's other failures mapped to the closest kind.
// Context errors pass through unclassified.
type Driver interface {
	// Put stores exactly size bytes read from r at key, with the given
	// options. The object appears whole or not at all. A reader that ends
	// before size bytes is an InvalidArgument error and stores nothing.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) error

	// Head returns the attributes of the object at key.
	Head(ctx context.Context, key string) (Attributes, error)

	// Open returns a reader of the object's bytes and its attributes. The
	// caller must close the reader.
	Open(ctx context.Context, key string) (io.ReadCloser, Attributes, error)

	// List calls fn for every object whose key starts with prefix, in
	// lexicographic byte order of the keys. It fetches pages as needed and
	// stops at the first error that fn returns, returning that error.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error

	// Delete removes the object at key. Deleting a missing key succeeds.
	Delete(ctx context.Context, key string) error

	// SignedURL returns a URL that lets anyone holding it GET the object
	// until the returned time, without credentials. Drivers without a
	// signing scheme return an InvalidArgument error.
	SignedURL(ctx context.Context, key string, opts SignOptions) (url string, expiresAt time.Time, err error)
}

// PutOptions are the attributes of an object written by Driver.Put.
type PutOptions struct {
	// ContentType is the media type; empty means application/octet-stream.
	ContentType string
	// Metadata is user metadata. Names are lower-case letters, digits and
	// hyphens; values are printable ASCII. Drivers return names lower-cased,
	// because HTTP backends do not keep their case.
	Metadata map[string]string
	// IfNotExists makes Put fail with a kind.Conflict error, and store
	// nothing, when an object exists at the key already.
	IfNotExists bool
}

// Attributes describe a stored object.
type Attributes struct {
	Size        int64
	ContentType string
	// Metadata is the user metadata with lower-case names; nil when empty.
	Metadata map[string]string
	// ModTime is when the backend stored the object, by the backend's clock.
	ModTime time.Time
	// ETag is an opaque version tag that changes when the object changes.
	ETag string
}

// ObjectInfo is one entry of a listing.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// SignOptions configure Driver.SignedURL.
type SignOptions struct {
	// Expiry is how long the URL stays valid, in whole seconds; the driver
	// rejects values it cannot encode.
	Expiry time.Duration
	// ContentDisposition is the Content-Disposition header the backend sends
	// with the object; empty keeps the stored one.
	ContentDisposition string
}
