package kind

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestOf(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Unknown},
		{"plain", base, Unknown},
		{"wrapped kind", fmt.Errorf("list users: %w", Wrap(Throttled, base)), Throttled},
		{"outermost wins", Wrap(Unavailable, Wrap(NotFound, base)), Unavailable},
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), DeadlineExceeded},
		{"canceled", context.Canceled, Canceled},
		{"errorf keeps chain", Errorf(Conflict, "put %s: %w", "k", base), Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Errorf("Of = %v, want %v", got, tt.want)
			}
		})
	}
	if !errors.Is(Errorf(Conflict, "put: %w", base), base) {
		t.Errorf("Errorf lost the wrapped error")
	}
	if Wrap(NotFound, nil) != nil {
		t.Errorf("Wrap(nil) != nil")
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := map[Kind]int{
		NotFound: http.StatusNotFound, InvalidArgument: http.StatusBadRequest,
		Unauthenticated: http.StatusUnauthorized, PermissionDenied: http.StatusForbidden,
		Throttled: http.StatusServiceUnavailable, Unavailable: http.StatusServiceUnavailable,
		Conflict: http.StatusConflict, DeadlineExceeded: http.StatusGatewayTimeout,
		Internal: http.StatusInternalServerError, Unknown: http.StatusInternalServerError,
	}
	for k, want := range tests {
		if got := HTTPStatus(k); got != want {
			t.Errorf("HTTPStatus(%v) = %d, want %d", k, got, want)
		}
	}
	if Throttled.String() != "throttled" || Kind(99).String() != "kind(99)" {
		t.Errorf("String: %q %q", Throttled.String(), Kind(99).String())
	}
}
