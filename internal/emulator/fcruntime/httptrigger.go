package fcruntime

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// maxHTTPBodyBytes is the request body limit of a synchronous FC 3.0 invocation
// through an HTTP trigger (32 MB).
const maxHTTPBodyBytes = 32 << 20

// droppedResponseHeaders are response headers that the HTTP server sets itself, so a
// value from the function would contradict the body it actually writes.
var droppedResponseHeaders = []string{"Connection", "Content-Length", "Keep-Alive", "Transfer-Encoding"}

// HTTPTrigger is an http.Handler that works as an FC 3.0 HTTP trigger of a built-in
// runtime: it turns each request into an events.HTTPTriggerEvent, invokes the function
// through a Runtime, and writes the events.HTTPTriggerResponse the function returns.
//
// Status codes of its own: 413 for a body over 32 MB, 502 with
// {"errorMessage":...,"errorType":...} for a function error, 502 for a result that is
// not a valid HTTPTriggerResponse, and 504 when the function times out. Once the
// function is invoked, the response carries the request ID in X-Fc-Request-Id.
type HTTPTrigger struct {
	rt *Runtime
}

// NewHTTPTrigger returns an HTTP trigger that invokes rt. It does not listen.
func NewHTTPTrigger(rt *Runtime) *HTTPTrigger {
	return &HTTPTrigger{rt: rt}
}

// ServeHTTP invokes the function with the request as an HTTP-trigger event and writes
// the function's response.
func (t *HTTPTrigger) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxHTTPBodyBytes+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Message: fmt.Sprintf("read request body: %v", err)})
		return
	}
	if len(body) > maxHTTPBodyBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{
			Message: fmt.Sprintf("request body is larger than %d bytes, the limit of an HTTP trigger", maxHTTPBodyBytes),
		})
		return
	}

	requestID := t.rt.newRequestID()
	event := newHTTPTriggerEvent(req, body, requestID, t.rt.cfg.AccountID, t.rt.cfg.Now())
	payload, err := json.Marshal(event)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Message: fmt.Sprintf("encode HTTP trigger event: %v", err)})
		return
	}

	t.rt.count(callHTTP)
	result, err := t.rt.invoke(req.Context(), requestID, payload)
	w.Header().Set("X-Fc-Request-Id", requestID)
	switch {
	case errors.Is(err, ErrTimeout):
		writeJSON(w, http.StatusGatewayTimeout, errorBody{Message: err.Error()})
		return
	case req.Context().Err() != nil:
		// The client went away, so no response is written.
		return
	case err != nil:
		writeJSON(w, http.StatusBadGateway, errorBody{Message: err.Error()})
		return
	case result.Err != nil:
		writeJSON(w, http.StatusBadGateway, errorBody{Message: result.Err.Message, Type: result.Err.Type})
		return
	}

	writeTriggerResponse(w, result.Payload)
}

// newHTTPTriggerEvent builds the event that FC 3.0 passes to a built-in runtime for an
// HTTP request. Header keys are canonicalised and repeated header and query values are
// joined with commas, as FC documents.
func newHTTPTriggerEvent(req *http.Request, body []byte, requestID, accountID string, now time.Time) events.HTTPTriggerEvent {
	bodyText, isBase64 := encodeRequestBody(req.Header.Get("Content-Type"), body)
	headers := joinHeaders(req.Header)
	query := joinValues(req.URL.Query())
	domainName, domainPrefix := domainOf(req.Host)

	event := events.HTTPTriggerEvent{
		Version:         new("v1"),
		RawPath:         new(req.URL.EscapedPath()),
		Body:            new(bodyText),
		IsBase64Encoded: new(isBase64),
		Headers:         &headers,
		QueryParameters: &query,
	}
	rc := &event.TriggerContext
	rc.AccountId = new(accountID)
	rc.DomainName = new(domainName)
	rc.DomainPrefix = new(domainPrefix)
	rc.Http.Method = new(req.Method)
	rc.Http.Path = new(req.URL.Path)
	rc.Http.Protocol = new(req.Proto)
	rc.Http.SourceIp = new(sourceIP(req.RemoteAddr))
	rc.Http.UserAgent = new(req.UserAgent())
	rc.RequestId = new(requestID)
	rc.Time = new(now.UTC().Format(time.RFC3339))
	rc.TimeEpoch = new(strconv.FormatInt(now.UnixMilli(), 10))
	return event
}

// encodeRequestBody returns body as text, or as base64 with true for binary content.
//
// NOTE: FC documents only that a binary body is base64-encoded. This emulator treats a
// body as text when it is valid UTF-8 and its Content-Type is absent or textual; FC's
// exact rule is not documented.
func encodeRequestBody(contentType string, body []byte) (string, bool) {
	if utf8.Valid(body) && isTextContentType(contentType) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

func isTextContentType(contentType string) bool {
	if contentType == "" {
		return true
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mediaType, "text/") ||
		strings.HasSuffix(mediaType, "+json") || strings.HasSuffix(mediaType, "+xml") {
		return true
	}
	switch mediaType {
	case "application/json", "application/xml", "application/javascript",
		"application/x-www-form-urlencoded", "application/yaml", "application/x-yaml":
		return true
	}
	return false
}

// joinHeaders canonicalises header keys and joins the values of each key with commas.
// The Host header is not part of the map because net/http moves it to Request.Host.
func joinHeaders(header http.Header) map[string]string {
	// Keys that net/http left non-canonical can collide after canonicalisation, so
	// they are visited in sorted order to make the joined value deterministic.
	keys := make([]string, 0, len(header))
	for key := range header {
		keys = append(keys, key)
	}
	slices.Sort(keys)

	joined := make(map[string][]string, len(header))
	for _, key := range keys {
		canonical := http.CanonicalHeaderKey(key)
		joined[canonical] = append(joined[canonical], header[key]...)
	}
	return joinValues(joined)
}

func joinValues(values map[string][]string) map[string]string {
	joined := make(map[string]string, len(values))
	for key, list := range values {
		joined[key] = strings.Join(list, ",")
	}
	return joined
}

// domainOf returns the host without its port, and its first DNS label as the domain
// prefix. FC's domain is "<trigger-id>.<region>.fcapp.run" with the trigger ID as the
// prefix. An IP literal has no prefix.
func domainOf(host string) (string, string) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if net.ParseIP(host) != nil {
		return host, ""
	}
	prefix, _, _ := strings.Cut(host, ".")
	return host, prefix
}

func sourceIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// triggerResponse is events.HTTPTriggerResponse with a pointer status code, so that a
// missing statusCode is detected.
type triggerResponse struct {
	StatusCode      *int              `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

// writeTriggerResponse maps the function's HTTPTriggerResponse JSON to the HTTP
// response, or writes 502 when the payload is not one.
//
// NOTE: what FC does with a result that lacks statusCode or is not a JSON object was
// not verified. The emulator responds 502, so the function must always return the full
// events.HTTPTriggerResponse.
func writeTriggerResponse(w http.ResponseWriter, payload []byte) {
	var resp triggerResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		writeBadResponse(w, fmt.Sprintf("decode function result as HTTPTriggerResponse: %v", err))
		return
	}
	if resp.StatusCode == nil {
		writeBadResponse(w, "function result has no statusCode; return events.HTTPTriggerResponse")
		return
	}
	status := *resp.StatusCode
	if status < 200 || status > 599 {
		writeBadResponse(w, fmt.Sprintf("function result has statusCode %d; use a status from 200 to 599", status))
		return
	}

	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			writeBadResponse(w, fmt.Sprintf("decode base64 body of function result: %v", err))
			return
		}
		body = decoded
	}

	h := w.Header()
	for key, value := range resp.Headers {
		h.Set(key, value)
	}
	for _, key := range droppedResponseHeaders {
		h.Del(key)
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		// HTTP forbids a body with these statuses, so a body from the function is dropped.
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeBadResponse(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusBadGateway, errorBody{Message: message, Type: "InvalidResponse"})
}
