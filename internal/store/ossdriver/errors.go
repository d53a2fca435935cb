package ossdriver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/credreport/credreport/internal/kind"
)

// OSS error codes that change the kind of an error. Throttling codes come
// from the OSS documentation of HTTP status 503.
var (
	unauthenticatedCodes = map[string]bool{
		"InvalidAccessKeyId":    true,
		"SignatureDoesNotMatch": true,
		"InvalidSecurityToken":  true,
		"SecurityTokenExpired":  true,
		"AccessKeyDisabled":     true,
	}
	throttledCodes = map[string]bool{
		"TotalQpsLimitExceeded":            true,
		"MetaOperationQpsLimitExceeded":    true,
		"ActiveRequestLimitExceeded":       true,
		"DownloadTrafficRateLimitExceeded": true,
		"UploadTrafficRateLimitExceeded":   true,
		"CpuLimitExceeded":                 true,
		"RequestRateLimitExceeded":         true,
	}
)

// mapError classifies an error of the OSS SDK for the operation op on key
// (an object key, or a prefix for listings). It is the only place that
// reads OSS error codes. Context errors are not passed here; the caller
// returns them unclassified.
func (d *Driver) mapError(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if kind.Of(err) != kind.Unknown {
		return err
	}
	wrap := func(k kind.Kind, hint string) error {
		if hint == "" {
			return kind.Errorf(k, "%s %q: %w", op, key, err)
		}
		return kind.Errorf(k, "%s %q: %s: %w", op, key, hint, err)
	}

	var se oss.ServiceError
	if errors.As(err, &se) {
		return wrap(d.serviceErrorKind(se))
	}

	var crcErr oss.CRCCheckError
	if errors.As(err, &crcErr) {
		return wrap(kind.Unavailable, "the data was damaged in transit (CRC-64 mismatch); retry")
	}
	var statusErr oss.UnexpectedStatusCodeError
	if errors.As(err, &statusErr) {
		return wrap(kind.Internal, "OSS answered with an unexpected status")
	}

	var urlErr *url.Error
	var netErr net.Error
	if errors.As(err, &urlErr) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return wrap(kind.Unavailable, "OSS is unreachable")
	}
	return wrap(kind.Internal, "")
}

// serviceErrorKind returns the kind of an OSS error response, and a hint
// on what to do when the error code alone is not enough.
func (d *Driver) serviceErrorKind(se oss.ServiceError) (kind.Kind, string) {
	switch {
	case se.Code == "NoSuchBucket":
		return kind.NotFound, fmt.Sprintf("bucket %q does not exist in region %s: create it, or set CREDREPORT_BUCKET to an existing bucket", d.cfg.Bucket, d.cfg.Region)
	case se.Code == "NoSuchKey", se.Code == "NoSuchUpload":
		return kind.NotFound, ""
	case se.StatusCode == http.StatusNotFound:
		// A HEAD response has no body, so its code may be empty.
		return kind.NotFound, ""
	case se.Code == "FileAlreadyExists", se.StatusCode == http.StatusConflict:
		return kind.Conflict, ""
	case unauthenticatedCodes[se.Code], strings.HasPrefix(se.Code, "SecurityToken"):
		return kind.Unauthenticated, "check the AccessKey pair and the STS token"
	case se.Code == "RequestTimeTooSkewed":
		return kind.InvalidArgument, "this machine's clock is more than 15 minutes off: synchronise it"
	case se.StatusCode == http.StatusForbidden:
		return kind.PermissionDenied, fmt.Sprintf("grant the role access to bucket %q", d.cfg.Bucket)
	case throttledCodes[se.Code], se.StatusCode == http.StatusTooManyRequests:
		return kind.Throttled, ""
	case se.StatusCode == http.StatusServiceUnavailable && se.Code != "ServiceUnavailable":
		return kind.Throttled, ""
	case se.StatusCode >= 500:
		return kind.Unavailable, ""
	case se.StatusCode >= 400:
		return kind.InvalidArgument, ""
	}
	return kind.Internal, ""
}

// isNoSuchBucket reports whether err is an OSS NoSuchBucket error.
func isNoSuchBucket(err error) bool {
	var se oss.ServiceError
	return errors.As(err, &se) && se.Code == "NoSuchBucket"
}
