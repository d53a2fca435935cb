package ram

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// hostID is the HostId of every error body, as the real IMS endpoint sends it.
const hostID = "ims.aliyuncs.com"

// apiError is an error response: an HTTP status and an Alibaba Cloud error code.
type apiError struct {
	status  int
	code    string
	message string
	// auth marks rejections of the caller's credentials or signature, counted in Stats.AuthFailures.
	auth bool
	// header carries extra response headers, such as the rate-limit state of a throttled request.
	header http.Header
}

// errorBody is the JSON error document. Every field is a string because the
// v1 SDK reads them with unchecked string type assertions.
type errorBody struct {
	RequestId string `json:"RequestId"`
	HostId    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func authError(status int, code, format string, args ...any) *apiError {
	e := newError(status, code, format, args...)
	e.auth = true
	return e
}

func errMissingParameter(name string) *apiError {
	return newError(http.StatusBadRequest, "MissingParameter",
		"The required parameter %q is missing.", name)
}

// errMissingBusinessParameter is the Missing<Name> form that IMS uses for an
// action's own required parameters, such as MissingUserPrincipalName.
func errMissingBusinessParameter(name string) *apiError {
	return newError(http.StatusBadRequest, "Missing"+name,
		"The required parameter %q is missing.", name)
}

func errInvalidParameter(name, format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidParameter."+name, format, args...)
}

func errUserNotFound(field, value string) *apiError {
	return newError(http.StatusNotFound, "EntityNotExist.User",
		"The user with %s %q does not exist.", field, value)
}

func errThrottled() *apiError {
	return newError(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
}

// writeError sends e as the JSON error document.
func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	for name, values := range e.header {
		for _, v := range values {
			w.Header().Add(name, v)
		}
	}
	body := errorBody{
		RequestId: requestID,
		HostId:    hostID,
		Code:      e.code,
		Message:   e.message,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + e.code + "&product=Ims",
	}
	writeJSON(w, requestID, e.status, body)
}

// writeJSON sends v as a JSON document with the given status.
func writeJSON(w http.ResponseWriter, requestID string, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		// Response types are plain structs and maps of JSON values, so this
		// only happens when a fixture policy value cannot be encoded.
		status = http.StatusInternalServerError
		data, _ = json.Marshal(errorBody{
			RequestId: requestID,
			HostId:    hostID,
			Code:      "InternalError",
			Message:   "encode response: " + err.Error(),
			Recommend: "",
		})
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-acs-request-id", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
