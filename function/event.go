package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// eventKind is the trigger an event came from.
type eventKind int

const (
	eventHTTP eventKind = iota + 1
	eventTimer
)

func (k eventKind) String() string {
	switch k {
	case eventHTTP:
		return "http"
	case eventTimer:
		return "timer"
	}
	return "unknown"
}

// errUnsupportedEvent marks a payload that is neither an HTTP-trigger nor a timer event.
var errUnsupportedEvent = errors.New("unsupported event: want an FC 3.0 HTTP-trigger event (with requestContext) or a timer event (with triggerTime)")

// classifyEvent recognises the trigger from the event's top-level keys.
func classifyEvent(payload []byte) (eventKind, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(payload, &probe); err != nil {
		return 0, fmt.Errorf("%w: the payload is not a JSON object", errUnsupportedEvent)
	}
	_, hasContext := probe["requestContext"]
	_, hasRawPath := probe["rawPath"]
	_, hasTrigger := probe["triggerTime"]
	switch {
	case hasContext || hasRawPath:
		return eventHTTP, nil
	case hasTrigger:
		return eventTimer, nil
	}
	return 0, errUnsupportedEvent
}

// timerOptions are the options a timer payload may set.
type timerOptions struct {
	Force bool `json:"force"`
}

// parseTimerPayload reads the timer trigger's configured payload: empty,
// the word "force", or JSON such as {"force": true}.
func parseTimerPayload(ev events.TimerEvent) (timerOptions, error) {
	var opts timerOptions
	if ev.Payload == nil {
		return opts, nil
	}
	p := strings.TrimSpace(*ev.Payload)
	switch {
	case p == "" || strings.EqualFold(p, "regenerate"):
		return opts, nil
	case strings.EqualFold(p, "force"):
		opts.Force = true
		return opts, nil
	}
	dec := json.NewDecoder(strings.NewReader(p))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opts); err != nil {
		return opts, fmt.Errorf("invalid timer payload %q: want empty, \"force\" or {\"force\": true}", p)
	}
	return opts, nil
}

// httpRequest turns an HTTP-trigger event into a net/http request.
func httpRequest(ctx context.Context, ev events.HTTPTriggerEvent) (*http.Request, error) {
	method := deref(ev.TriggerContext.Http.Method)
	if method == "" {
		method = http.MethodGet
	}
	path := deref(ev.TriggerContext.Http.Path)
	if path == "" {
		path = deref(ev.RawPath)
	}
	if path == "" {
		path = "/"
	}
	var body []byte
	if ev.Body != nil {
		body = []byte(*ev.Body)
		if ev.IsBase64Encoded != nil && *ev.IsBase64Encoded {
			decoded, err := base64.StdEncoding.DecodeString(*ev.Body)
			if err != nil {
				return nil, fmt.Errorf("HTTP-trigger event: invalid Base64 body: %w", err)
			}
			body = decoded
		}
	}
	u := &url.URL{Path: path}
	if ev.QueryParameters != nil {
		q := url.Values{}
		for k, v := range *ev.QueryParameters {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("HTTP-trigger event: %w", err)
	}
	if ev.Headers != nil {
		for k, v := range *ev.Headers {
			req.Header.Set(k, v)
		}
	}
	req.Host = deref(ev.TriggerContext.DomainName)
	req.RemoteAddr = deref(ev.TriggerContext.Http.SourceIp)
	return req, nil
}

// httpResponse turns a recorded response into the HTTP-trigger response. A
// body that is not valid UTF-8 travels Base64-encoded.
func httpResponse(rec *httptest.ResponseRecorder) *events.HTTPTriggerResponse {
	headers := make(map[string]string, len(rec.Header()))
	for k, v := range rec.Header() {
		headers[k] = strings.Join(v, ", ")
	}
	body := rec.Body.Bytes()
	resp := &events.HTTPTriggerResponse{StatusCode: rec.Code, Headers: headers}
	if utf8.Valid(body) {
		resp.Body = string(body)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(body)
		resp.IsBase64Encoded = true
	}
	return resp
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
