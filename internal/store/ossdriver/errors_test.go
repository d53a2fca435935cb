package ossdriver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/credreport/credreport/internal/kind"
)

func TestMapError(t *testing.T) {
	d := &Driver{cfg: Config{Bucket: "reports-bucket", Region: "cn-hangzhou"}}
	service := func(status int, code string) error {
		return fmt.Errorf("sdk: %w", oss.ServiceError{StatusCode: status, Code: code, RequestID: "REQ"})
	}
	tests := []struct {
		name string
		err  error
		want kind.Kind
	}{
		{"HEAD 404 without code", service(404, ""), kind.NotFound},
		{"NoSuchKey", service(404, "NoSuchKey"), kind.NotFound},
		{"NoSuchBucket", service(404, "NoSuchBucket"), kind.NotFound},
		{"FileAlreadyExists", service(409, "FileAlreadyExists"), kind.Conflict},
		{"other 409", service(409, "PositionNotEqualToLength"), kind.Conflict},
		{"AccessDenied", service(403, "AccessDenied"), kind.PermissionDenied},
		{"403 without code", service(403, ""), kind.PermissionDenied},
		{"InvalidAccessKeyId", service(403, "InvalidAccessKeyId"), kind.Unauthenticated},
		{"SignatureDoesNotMatch", service(403, "SignatureDoesNotMatch"), kind.Unauthenticated},
		{"SecurityTokenExpired", service(403, "SecurityTokenExpired"), kind.Unauthenticated},
		{"InvalidSecurityToken", service(403, "InvalidSecurityToken"), kind.Unauthenticated},
		{"RequestTimeTooSkewed", service(403, "RequestTimeTooSkewed"), kind.InvalidArgument},
		{"TotalQpsLimitExceeded", service(503, "TotalQpsLimitExceeded"), kind.Throttled},
		{"503 without code", service(503, ""), kind.Throttled},
		{"ServiceUnavailable", service(503, "ServiceUnavailable"), kind.Unavailable},
		{"429", service(429, ""), kind.Throttled},
		{"500", service(500, "InternalError"), kind.Unavailable},
		{"400", service(400, "InvalidArgument"), kind.InvalidArgument},
		{"transport", &url.Error{Op: "Get", URL: "http://127.0.0.1:1/b/k", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, kind.Unavailable},
		{"cut body", io.ErrUnexpectedEOF, kind.Unavailable},
		{"CRC mismatch", oss.CRCCheckError{}, kind.Unavailable},
		{"unexpected", errors.New("oss: service returned invalid response body"), kind.Internal},
		{"classified already", kind.Errorf(kind.Conflict, "x"), kind.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.mapError("head", "acct/latest.json", tt.err)
			if got := kind.Of(err); got != tt.want {
				t.Errorf("kind = %v, want %v (error %v)", got, tt.want, err)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error %v does not wrap the SDK error", err)
			}
		})
	}

	t.Run("NoSuchBucket message", func(t *testing.T) {
		msg := d.mapError("head", "k", service(404, "NoSuchBucket")).Error()
		for _, want := range []string{`"reports-bucket"`, "cn-hangzhou", "CREDREPORT_BUCKET"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q does not contain %q", msg, want)
			}
		}
	})
}
