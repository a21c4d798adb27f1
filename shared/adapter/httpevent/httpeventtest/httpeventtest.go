// Package httpeventtest is what the HTTP adapters' tests share: a signed request as an official
// SDK sends it, checks of the contract's answers, and the one log line each request writes.
package httpeventtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"imusers/shared/adapter/httpevent"
	"imusers/shared/wire/signature"
)

// Signed is a request an official SDK would send at the given time: signed headers in the case
// API Gateway hands them over, and a form body.
func Signed(appKey, appSecret string, at time.Time, body string) httpevent.Event {
	ts := fmt.Sprint(at.UnixMilli())
	return httpevent.Event{
		RawPath: "/user/getToken.json",
		Headers: map[string]string{
			"app-key":      appKey,
			"nonce":        "14314",
			"timestamp":    ts,
			"signature":    signature.Sign(appSecret, "14314", ts),
			"content-type": "application/x-www-form-urlencoded",
		},
		Body: body,
	}
}

// Reply is a decoded answer body; Code stays a json.Number so that a quoted code fails.
type Reply struct {
	Code    json.Number
	Message *string // errorMessage, when there is one
	Fields  map[string]json.RawMessage
}

// Decode checks that resp is a JSON object with a numeric code, sent as JSON, and decodes it.
func Decode(t testing.TB, resp httpevent.Response) Reply {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(resp.Body), &raw); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", resp.Body, err)
	}
	code, ok := raw["code"]
	if !ok || len(code) == 0 || code[0] < '0' || code[0] > '9' {
		t.Fatalf("body %q has no numeric code", resp.Body)
	}
	r := Reply{Code: json.Number(code), Fields: raw}
	if m, ok := raw["errorMessage"]; ok {
		var s string
		if err := json.Unmarshal(m, &s); err != nil {
			t.Fatalf("errorMessage in %q is not a string", resp.Body)
		}
		r.Message = &s
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	return r
}

// WantError checks an error answer: its status and code, a message, and no other field. It
// returns the message.
func WantError(t testing.TB, resp httpevent.Response, status, code int) string {
	t.Helper()
	r := Decode(t, resp)
	if resp.StatusCode != status || r.Code.String() != fmt.Sprint(code) {
		t.Fatalf("got %d/%s (%s), want %d/%d", resp.StatusCode, r.Code, resp.Body, status, code)
	}
	if r.Message == nil || *r.Message == "" {
		t.Fatalf("error body %q has no errorMessage", resp.Body)
	}
	if len(r.Fields) != 2 {
		t.Errorf("error body %q has fields besides code and errorMessage", resp.Body)
	}
	return *r.Message
}

// LogLine checks that logs holds one JSON line, as a request writes, and decodes it.
func LogLine(t testing.TB, logs string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines:\n%s", len(lines), logs)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	return line
}
