package oss

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// apiError is an OSS error response: an HTTP status, an error code such as
// NoSuchKey, a message and optional extra elements of the XML body.
type apiError struct {
	status  int
	code    string
	message string
	// ec is the OSS error detail code (EC) shown in the body and in the
	// x-oss-ec header.
	// NOTE: only the EC values found in the OSS documentation are set;
	// the other errors leave EC empty.
	ec     string
	fields []xmlField
}

// xmlField is one extra element of an error body, such as <Key>.
type xmlField struct{ name, value string }

func (e *apiError) Error() string {
	return fmt.Sprintf("oss %s (%d): %s", e.code, e.status, e.message)
}

func (e *apiError) with(name, value string) *apiError {
	e.fields = append(e.fields, xmlField{name, value})
	return e
}

func errNoSuchBucket(bucket string) *apiError {
	return (&apiError{status: http.StatusNotFound, code: "NoSuchBucket",
		message: "The specified bucket does not exist."}).with("BucketName", bucket)
}

func errNoSuchKey(key string) *apiError {
	return (&apiError{status: http.StatusNotFound, code: "NoSuchKey",
		message: "The specified key does not exist.", ec: "0026-00000001"}).with("Key", key)
}

func errNoSuchUpload(uploadID string) *apiError {
	return (&apiError{status: http.StatusNotFound, code: "NoSuchUpload",
		message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."}).with("UploadId", uploadID)
}

func errFileAlreadyExists(key string) *apiError {
	return (&apiError{status: http.StatusConflict, code: "FileAlreadyExists",
		message: "The object you specified already exists and can not be overwritten."}).with("Key", key)
}

func errInvalidArgument(message, name, value string) *apiError {
	return (&apiError{status: http.StatusBadRequest, code: "InvalidArgument", message: message}).
		with("ArgumentName", name).with("ArgumentValue", value)
}

func errInvalidBucketName(bucket string) *apiError {
	return (&apiError{status: http.StatusBadRequest, code: "InvalidBucketName",
		message: "The specified bucket is not valid."}).with("BucketName", bucket)
}

func errInvalidObjectName(message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidObjectName", message: message}
}

func errInvalidDigest(message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidDigest", message: message}
}

func errMalformedXML(detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "MalformedXML",
		message: "The XML you provided was not well-formed or did not validate against our published schema: " + detail}
}

func errInvalidPart(message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidPart", message: message}
}

func errInvalidPartOrder() *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidPartOrder",
		message: "The list of parts was not in ascending order. Parts must be ordered by part number."}
}

func errEntityTooSmall(partNumber int) *apiError {
	return (&apiError{status: http.StatusBadRequest, code: "EntityTooSmall",
		message: "Your proposed upload is smaller than the minimum allowed size: every part except the last must be at least 100 KB."}).
		with("PartNumber", fmt.Sprint(partNumber))
}

func errInvalidRange(size int64) *apiError {
	return (&apiError{status: http.StatusRequestedRangeNotSatisfiable, code: "InvalidRange",
		message: "The requested range cannot be satisfied."}).with("ObjectSize", fmt.Sprint(size))
}

func errMethodNotAllowed(method string) *apiError {
	return (&apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed",
		message: "The specified method is not allowed against this resource."}).with("Method", method)
}

func errNotImplemented(message string) *apiError {
	return &apiError{status: http.StatusNotImplemented, code: "NotImplemented", message: message}
}

func errAccessDenied(message, ec string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "AccessDenied", message: message, ec: ec}
}

func errInvalidAccessKeyID(accessKeyID, ec string) *apiError {
	return (&apiError{status: http.StatusForbidden, code: "InvalidAccessKeyId",
		message: "The OSS Access Key Id you provided does not exist in our records.", ec: ec}).
		with("OSSAccessKeyId", accessKeyID)
}

func errInvalidSecurityToken() *apiError {
	return &apiError{status: http.StatusForbidden, code: "InvalidSecurityToken",
		message: "The security token you provided is invalid."}
}

func errRequestTimeTooSkewed(requestTime, serverTime time.Time) *apiError {
	return (&apiError{status: http.StatusForbidden, code: "RequestTimeTooSkewed",
		message: "The difference between the request time and the current time is too large.", ec: "0002-00000504"}).
		with("RequestTime", requestTime.UTC().Format(listTimeFormat)).
		with("ServerTime", serverTime.UTC().Format(listTimeFormat))
}

func errSignatureDoesNotMatch(accessKeyID, provided, stringToSign, ec string) *apiError {
	return (&apiError{status: http.StatusForbidden, code: "SignatureDoesNotMatch",
		message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.", ec: ec}).
		with("OSSAccessKeyId", accessKeyID).
		with("SignatureProvided", provided).
		with("StringToSign", stringToSign)
}

// errPreconditionFailed is returned for failed If-Match and If-Unmodified-Since.
func errPreconditionFailed(condition string) *apiError {
	return (&apiError{status: http.StatusPreconditionFailed, code: "PreconditionFailed",
		message: "At least one of the preconditions you specified did not hold."}).with("Condition", condition)
}

// errNotModified is the 304 response to a matching If-None-Match or an
// unmet If-Modified-Since. It has no body.
var errNotModified = &apiError{status: http.StatusNotModified, code: "NotModified"}

func errInternal(err error) *apiError {
	return &apiError{status: http.StatusInternalServerError, code: "InternalError",
		message: "We encountered an internal error. Please try again. Cause: " + err.Error()}
}

// errorXML renders e as the body of an OSS error response.
func errorXML(e *apiError, requestID, hostID string) string {
	var b strings.Builder
	b.WriteString(xmlHeader)
	b.WriteString("<Error>\n")
	writeElement(&b, "Code", e.code)
	writeElement(&b, "Message", e.message)
	writeElement(&b, "RequestId", requestID)
	writeElement(&b, "HostId", hostID)
	for _, f := range e.fields {
		writeElement(&b, f.name, f.value)
	}
	writeElement(&b, "EC", e.ec)
	b.WriteString("</Error>\n")
	return b.String()
}

func writeElement(b *strings.Builder, name, value string) {
	b.WriteString("  <" + name + ">")
	b.WriteString(escapeXML(value))
	b.WriteString("</" + name + ">\n")
}

// writeError sends err as an OSS error response. A HEAD response has no body,
// so the XML goes base64-encoded in the x-oss-err header, where both SDKs
// look for it.
func writeError(req *request, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = errInternal(err)
	}

	h := req.w.Header()
	if e == errNotModified {
		req.w.WriteHeader(e.status)
		return
	}

	body := errorXML(e, req.id, req.r.Host)
	h.Set("Content-Type", "application/xml")
	if e.ec != "" {
		h.Set("X-Oss-Ec", e.ec)
	}
	if req.r.Method == http.MethodHead {
		h.Set("X-Oss-Err", base64.StdEncoding.EncodeToString([]byte(body)))
		req.w.WriteHeader(e.status)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	req.w.WriteHeader(e.status)
	_, _ = req.w.Write([]byte(body))
}
