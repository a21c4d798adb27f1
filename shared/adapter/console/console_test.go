package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"imusers/shared/adapter/console"
)

func get(path string, headers map[string]string) events.APIGatewayV2HTTPResponse {
	ev := events.APIGatewayV2HTTPRequest{RawPath: path, Headers: headers}
	ev.RequestContext.HTTP.Method = http.MethodGet
	res, err := console.Handle(context.Background(), ev)
	if err != nil {
		panic(err) // Handle returns no error: a failure is an answer
	}
	return res
}

func TestServesEachFileWithItsTypeAndThePolicy(t *testing.T) {
	want := map[string]string{
		"/console/":             "text/html; charset=utf-8",
		"/console/app.js":       "text/javascript; charset=utf-8",
		"/console/api.js":       "text/javascript; charset=utf-8",
		"/console/console.css":  "text/css; charset=utf-8",
		"/console/portrait.svg": "image/svg+xml",
	}
	for path, ct := range want {
		res := get(path, nil)
		if res.StatusCode != http.StatusOK || res.Headers["Content-Type"] != ct || res.Body == "" {
			t.Errorf("%s: %d %q (%d bytes), want 200 %q", path, res.StatusCode, res.Headers["Content-Type"], len(res.Body), ct)
		}
		checkSecurityHeaders(t, path, res)
		if res.Headers["Cache-Control"] != "no-cache" || res.Headers["ETag"] == "" {
			t.Errorf("%s: Cache-Control %q, ETag %q; want no-cache and an ETag", path, res.Headers["Cache-Control"], res.Headers["ETag"])
		}
	}
	if len(console.Names()) != len(want) {
		t.Errorf("serves %v; this test knows %d files", console.Names(), len(want))
	}
}

func checkSecurityHeaders(t *testing.T, path string, res events.APIGatewayV2HTTPResponse) {
	t.Helper()
	if res.Headers["Content-Security-Policy"] != console.Policy {
		t.Errorf("%s: Content-Security-Policy %q", path, res.Headers["Content-Security-Policy"])
	}
	if res.Headers["X-Content-Type-Options"] != "nosniff" || res.Headers["Referrer-Policy"] != "no-referrer" {
		t.Errorf("%s: headers %v lack nosniff or no-referrer", path, res.Headers)
	}
}

// The policy allows scripts, styles and calls from the page's own origin only.
func TestPolicyAllowsOnlyTheOwnOrigin(t *testing.T) {
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(console.Policy, d+";") && !strings.HasSuffix(console.Policy, d) {
			t.Errorf("policy %q lacks %q", console.Policy, d)
		}
	}
	if strings.Contains(console.Policy, "unsafe") {
		t.Errorf("policy %q allows something unsafe", console.Policy)
	}
}

// The page keeps to its policy: no inline script or style, nothing from another origin.
func TestPageHasNothingInlineOrRemote(t *testing.T) {
	for _, name := range console.Names() {
		body := get("/console/"+name, nil).Body
		for _, bad := range []string{"<script>", " style=", "<style", "http://", "localStorage", "sessionStorage", "document.cookie", "innerHTML", "eval("} {
			if strings.Contains(body, bad) && !(name == "portrait.svg" && bad == "http://") {
				t.Errorf("%s contains %q", name, bad)
			}
		}
		if strings.Contains(body, "https://") && name != "index.html" && name != "app.js" && name != "" {
			t.Errorf("%s refers to an https:// address", name)
		}
	}
}

func TestRevalidationAnswers304(t *testing.T) {
	etag := get("/console/app.js", nil).Headers["ETag"]
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		res := get("/console/app.js", map[string]string{"if-none-match": inm})
		if res.StatusCode != http.StatusNotModified || res.Body != "" {
			t.Errorf("If-None-Match %s: %d with %d bytes, want 304 and none", inm, res.StatusCode, len(res.Body))
		}
	}
	if res := get("/console/app.js", map[string]string{"If-None-Match": `"other"`}); res.StatusCode != http.StatusOK {
		t.Errorf("another ETag: %d, want 200", res.StatusCode)
	}
}

// The console's path without its final slash (which HTTP API routes do not take) is sent to
// the page, relatively, so that a stage before the path stays.
func TestThePathWithoutItsSlashIsSentToThePage(t *testing.T) {
	res := get("/console", nil)
	if res.StatusCode != http.StatusFound || res.Headers["Location"] != "console/" {
		t.Fatalf("GET /console: %d, Location %q; want 302 to console/", res.StatusCode, res.Headers["Location"])
	}
	checkSecurityHeaders(t, "/console", res)
}

func TestUnknownPathsAndMethodsAreRefused(t *testing.T) {
	for _, p := range []string{"/console/nothing.js", "/console/assets/app.js", "/console/../console/app.js", "/console/./app.js",
		"/console//app.js", "/console/index.html/", "/console/app.js?x", "/consoleapp.js", "/", ""} {
		res := get(p, nil)
		if res.StatusCode != http.StatusNotFound || res.Headers["Content-Type"] != "text/plain; charset=utf-8" {
			t.Errorf("%q: %d %q, want 404 text/plain", p, res.StatusCode, res.Headers["Content-Type"])
		}
		checkSecurityHeaders(t, p, res)
	}
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/console/"}
	ev.RequestContext.HTTP.Method = http.MethodPost
	res, _ := console.Handle(context.Background(), ev)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Headers["Allow"] != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q; want 405 and GET, HEAD", res.StatusCode, res.Headers["Allow"])
	}
}

// The request path is the one untrusted input: whatever it is, the answer is one of the
// embedded files, the redirect of the bare console path to the page, or a 404, never a panic
// or anything outside them.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"/console/", "/console/app.js", "/console/../go.mod", "/console/%2e%2e/x", "/console/\x00", "\xff", "/console/" + strings.Repeat("a/", 300)} {
		f.Add(s)
	}
	known := map[string]bool{}
	for _, n := range console.Names() {
		known[n] = true
	}
	f.Fuzz(func(t *testing.T, path string) {
		name, ok := console.Lookup(path)
		if ok && !(known[name] || name == "index.html") {
			t.Fatalf("%q looked up %q, not an embedded file", path, name)
		}
		res := get(path, nil)
		if path == "/console" {
			if res.StatusCode != http.StatusFound || res.Headers["Location"] != "console/" {
				t.Fatalf("%q: status %d, Location %q; want the redirect to the page", path, res.StatusCode, res.Headers["Location"])
			}
			return
		}
		if (res.StatusCode == http.StatusOK) != ok || (res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotFound) {
			t.Fatalf("%q: status %d, lookup %v", path, res.StatusCode, ok)
		}
	})
}
