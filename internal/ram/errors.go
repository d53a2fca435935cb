package ram

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/credreport/credreport/internal/kind"
)

// Service error codes this package acts on. They appear nowhere else.
const (
	codeUserNotFound        = "EntityNotExist.User"
	codeNoLoginProfile      = "EntityNotExist.User.LoginProfile"
	codeNoMFADevice         = "EntityNotExist.User.MFADevice"
	codeAccessKeyNotFound   = "EntityNotExist.User.AccessKey"
	codeReportNotFound      = "EntityNotExist.CredentialReport"
	codeReportExpired       = "Expired.CredentialReport"
	codeReportUserLimit     = "LimitExceeded.User"
	codeNoPermission        = "NoPermission"
	codeSignatureMismatch   = "SignatureDoesNotMatch"
	codeTimestampExpired    = "InvalidTimeStamp.Expired"
	codeAccessKeyIDNotFound = "InvalidAccessKeyId.NotFound"
)

// classify maps an SDK or transport error to a Kind.
func classify(err error) kind.Kind {
	if err == nil {
		return kind.Unknown
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return kind.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return kind.Canceled
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return classifyCode(se.HttpStatus(), se.ErrorCode())
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		switch ce.ErrorCode() {
		case sdkerrors.TimeoutErrorCode:
			return kind.Unavailable
		case sdkerrors.JsonUnmarshalErrorCode:
			return kind.Internal
		}
		if origin := ce.OriginError(); origin != nil && isTransport(origin) {
			return kind.Unavailable
		}
		return kind.Internal
	}
	if isTransport(err) {
		return kind.Unavailable
	}
	return kind.Unknown
}

// classifyCode maps a service error response to a Kind. Codes come first because
// some codes share a status with unrelated meanings (an unknown AccessKey
// gets 404, like a missing user).
func classifyCode(status int, code string) kind.Kind {
	switch {
	case strings.HasPrefix(code, "Throttling") || status == http.StatusTooManyRequests:
		return kind.Throttled
	case strings.HasPrefix(code, "InvalidAccessKeyId"), strings.HasPrefix(code, "InvalidSecurityToken"),
		code == codeSignatureMismatch, code == "IncompleteSignature", strings.HasPrefix(code, "InvalidTimeStamp"),
		code == "SignatureNonceUsed", status == http.StatusUnauthorized:
		return kind.Unauthenticated
	case code == codeNoPermission, strings.HasPrefix(code, "Forbidden"), status == http.StatusForbidden:
		return kind.PermissionDenied
	case strings.HasPrefix(code, "EntityNotExist"), code == codeReportExpired:
		return kind.NotFound
	case strings.HasPrefix(code, "LimitExceeded"), status == http.StatusConflict:
		return kind.Conflict
	case status >= 500:
		return kind.Unavailable
	case status == http.StatusNotFound:
		return kind.NotFound
	case status >= 400:
		return kind.InvalidArgument
	}
	return kind.Internal
}

func isTransport(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	return errors.As(err, &netErr) || errors.As(err, &opErr)
}

// describe turns a failed call into an error that states what failed, on
// which value, and what to do, classified by k.
func describe(call rpc, err error, k kind.Kind) error {
	what := call.action
	if call.subject != "" {
		what += " " + call.subject
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		apiErr := &APIError{
			Action:     call.action,
			HTTPStatus: se.HttpStatus(),
			Code:       se.ErrorCode(),
			Message:    firstLine(se.Message()),
			RequestID:  se.RequestId(),
		}
		switch k {
		case kind.PermissionDenied:
			return kind.Errorf(k, "%s: permission denied: the credentials lack ram:%s; grant it in the RAM policy of the user or role: %w",
				what, call.action, apiErr)
		case kind.Unauthenticated:
			return kind.Errorf(k, "%s: invalid credentials (%s): %w", what, credentialHint(apiErr.Code), apiErr)
		}
		return kind.Errorf(k, "%s: %w", what, apiErr)
	}
	if k == kind.Unavailable && isTransport(err) {
		return kind.Errorf(k, "%s: cannot reach the RAM endpoint (check CREDREPORT_RAM_ENDPOINT and the network): %w", what, redactURL(err))
	}
	return kind.Errorf(k, "%s: %w", what, redactURL(err))
}

func credentialHint(code string) string {
	switch {
	case code == codeAccessKeyIDNotFound:
		return "check ALIBABA_CLOUD_ACCESS_KEY_ID"
	case code == codeSignatureMismatch:
		return "check ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	case strings.HasPrefix(code, "InvalidSecurityToken"):
		return "check ALIBABA_CLOUD_SECURITY_TOKEN, or obtain fresh STS credentials"
	case code == codeTimestampExpired:
		return "the local clock is more than 15 minutes off; correct it"
	}
	return "check the AccessKey pair and security token"
}

// firstLine keeps the first line of a service message, without the string
// to sign that signature errors carry, which is noise in a report of failure.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(strings.ToLower(s), "server string to sign is"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// redactURL drops the query of a request URL inside a transport error: it
// holds the AccessKey ID, the signature, the security token and every
// parameter of the call.
func redactURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	short := ue.URL
	if u, perr := url.Parse(ue.URL); perr == nil {
		short = u.Scheme + "://" + u.Host + u.Path
	}
	return fmt.Errorf("%s %s: %w", ue.Op, short, ue.Err)
}

// isCode reports whether err carries the service error code.
func isCode(err error, code string) bool { return ErrorCode(err) == code }

// errUserVanished marks a user deleted while the report was being built.
var errUserVanished = errors.New("user no longer exists")

func vanished(upn string) error {
	return fmt.Errorf("user %s: %w", upn, errUserVanished)
}
