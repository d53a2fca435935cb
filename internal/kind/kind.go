// Package kind classifies errors by what a caller can do about them. Packages
// that talk to a vendor map its codes to a Kind in one place. The CLI and the
// HTTP API decide exit codes, statuses and retries from the Kind alone.
package kind

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Kind is a class of failure.
type Kind int

const (
	// Unknown is an error that no package classified.
	Unknown Kind = iota
	// NotFound: the requested object, user or report does not exist.
	NotFound
	// InvalidArgument: the input or configuration is wrong; retrying will not help.
	InvalidArgument
	// Unauthenticated: the credentials are missing, unknown or wrong.
	Unauthenticated
	// PermissionDenied: the credentials are valid but lack a permission.
	PermissionDenied
	// Throttled: the service rejected the call for rate reasons; retry later.
	Throttled
	// Unavailable: the service is down or unreachable; retry later.
	Unavailable
	// Conflict: the object exists already or someone else holds it.
	Conflict
	// DeadlineExceeded: the operation ran out of time.
	DeadlineExceeded
	// Canceled: the caller canceled the operation.
	Canceled
	// Internal: a bug or a response that breaks the protocol.
	Internal
)

var names = map[Kind]string{
	Unknown:          "unknown",
	NotFound:         "not_found",
	InvalidArgument:  "invalid_argument",
	Unauthenticated:  "unauthenticated",
	PermissionDenied: "permission_denied",
	Throttled:        "throttled",
	Unavailable:      "unavailable",
	Conflict:         "conflict",
	DeadlineExceeded: "deadline_exceeded",
	Canceled:         "canceled",
	Internal:         "internal",
}

// String returns the kind's snake_case name, which the HTTP API uses as an error code.
func (k Kind) String() string {
	if s, ok := names[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is an error with a Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns err classified as k; nil stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// Errorf formats an error classified as k. A %w verb keeps the wrapped chain.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Of returns the kind of the outermost classified error in err's chain.
// Unclassified context errors count as DeadlineExceeded or Canceled.
func Of(err error) Kind {
	if err == nil {
		return Unknown
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return Canceled
	}
	return Unknown
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && Of(err) == k }

// Retryable reports whether the same call may succeed later without any change.
func Retryable(k Kind) bool {
	return k == Throttled || k == Unavailable
}

// HTTPStatus maps a kind to the status of the HTTP API's response.
func HTTPStatus(k Kind) int {
	switch k {
	case NotFound:
		return http.StatusNotFound
	case InvalidArgument:
		return http.StatusBadRequest
	case Unauthenticated:
		return http.StatusUnauthorized
	case PermissionDenied:
		return http.StatusForbidden
	case Conflict:
		return http.StatusConflict
	case Throttled, Unavailable:
		return http.StatusServiceUnavailable
	case DeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}
