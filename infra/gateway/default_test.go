package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"imusers/shared/testenv"
)

// lockedBuffer collects the log lines of handlers running at once.
type lockedBuffer struct{ testenv.SyncBuffer }

// requests returns the request log lines so far, as decoded JSON.
func (b *lockedBuffer) requests(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

// count counts the request lines with every field given.
func count(lines []map[string]any, fields map[string]any) int {
	n := 0
	for _, l := range lines {
		match := true
		for k, v := range fields {
			match = match && l[k] == v
		}
		if match {
			n++
		}
	}
	return n
}

// As in AWS, the local gateway matches a route on the raw path only. A path one official SDK
// sends uncleaned reaches its operation through the $default function, which invokes the
// operation's function with the Lambda Invoke call it makes in AWS and answers with its answer;
// a path of no operation answers 404 with code 1002 naming the path.
func TestUncleanedPathsGoThroughTheDefaultFunction(t *testing.T) {
	var logs lockedBuffer
	s := testenv.StartStackWith(t, testenv.Options{Log: &logs})
	c := s.Client(0)
	c.MustOK(t, "/user/getToken.json", url.Values{"userId": {"alice"}, "name": {"Alice"}})
	c.MustOK(t, "/user/deactivate.json", url.Values{"userId": {"alice"}})
	defaultLines := map[string]any{"route": "$default", "target": "userDeactivateQuery", "status": 200.0}
	operationLines := map[string]any{"route": "userDeactivateQuery", "status": 200.0, "code": 200.0}

	direct := c.MustOK(t, "/user/deactivate/query.json", nil)
	if n := count(logs.requests(t), map[string]any{"route": "$default"}); n != 0 {
		t.Fatalf("a path a route matches went through the $default function %d times", n)
	}
	if n := count(logs.requests(t), operationLines); n != 1 {
		t.Fatalf("%d request lines of userDeactivateQuery after one call", n)
	}

	r := c.Post(t, "//user/deactivate/query.json", nil, "X-Request-ID", "req-slashes")
	if r.Status != http.StatusOK || r.Code() != 200 {
		t.Fatalf("//user/deactivate/query.json: HTTP %d %s", r.Status, r.Raw)
	}
	if !reflect.DeepEqual(r.Body, direct.Body) || !reflect.DeepEqual(r.Body["users"], []any{"alice"}) {
		t.Errorf("through $default %s, directly %s", r.Raw, direct.Raw)
	}
	if r.Header.Get("X-Request-ID") != "req-slashes" {
		t.Errorf("X-Request-ID not echoed: %v", r.Header)
	}
	lines := logs.requests(t)
	if n := count(lines, defaultLines); n != 1 {
		t.Errorf("%d $default request lines forwarding to userDeactivateQuery, want 1:\n%v", n, lines)
	}
	if n := count(lines, operationLines); n != 2 {
		t.Errorf("%d request lines of userDeactivateQuery after two calls, want 2", n)
	}

	// An alias, doubled slashes inside the path, and a form body all come through.
	r = c.Post(t, "/user//blocklist/query.json", url.Values{"userId": {"bob"}, "size": {"10"}})
	if r.Status != http.StatusOK || !reflect.DeepEqual(r.Body["users"], []any{}) {
		t.Errorf("/user//blocklist/query.json: HTTP %d %s, want bob's empty blocklist", r.Status, r.Raw)
	}
	if n := count(logs.requests(t), map[string]any{"route": "$default", "target": "userBlacklistQuery"}); n != 1 {
		t.Errorf("%d $default request lines forwarding to userBlacklistQuery, want 1", n)
	}

	for _, p := range []string{"//user/nothing.json", "/user/nothing.json", "/user/deactivate/query.json/../../nothing.json"} {
		r := c.Post(t, p, nil)
		if want := `{"code":1002,"errorMessage":"no operation at /user/nothing.json"}`; r.Status != http.StatusNotFound || r.Raw != want {
			t.Errorf("POST %s: HTTP %d %s, want 404 %s", p, r.Status, r.Raw, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"//user/deactivate/query.json", nil)
	if r := testenv.Do(t, nil, req); r.Status != http.StatusNotFound || r.Code() != 1002 {
		t.Errorf("GET: HTTP %d %s, want 404/1002", r.Status, r.Raw)
	}
	if n := count(logs.requests(t), defaultLines); n != 1 {
		t.Errorf("404s invoked the operation: %d forwarding lines", n)
	}
}
