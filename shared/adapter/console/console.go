// Package console serves the operator console: a page, its style sheet and its JavaScript
// modules, embedded in the binary, on the HTTP API's GET routes under /console/. The page
// signs its Server API calls in the browser with the App Secret the operator types in, so
// this function holds no secret, reads no table and needs no AWS permission.
package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Prefix is the path every console route starts with.
const Prefix = "/console/"

// Policy is the page's Content-Security-Policy: scripts, styles and calls from its own origin
// only, never inline, and no framing. Images also come from https: because portraits are URLs
// the App Server stored (on any host), and showing them is part of finding a user; an image
// runs no code, and Referrer-Policy keeps the console's address from the portrait's host.
// data: is for the page's empty icon.
const Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

//go:embed assets
var embedded embed.FS

// asset is one file as it is answered.
type asset struct {
	body, contentType, etag string
}

var assets = load()

// types are the content types of the files the console is made of; a file of another kind
// is not served.
var types = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

func load() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(embedded, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := types[path.Ext(p)]
		if !ok {
			return nil
		}
		data, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[strings.TrimPrefix(p, "assets/")] = asset{body: string(data), contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("console: embedded assets: " + err.Error()) // a build fault, caught by the tests
	}
	return out
}

// Names lists the files served, by their path under Prefix ("" is the page).
func Names() []string {
	out := []string{""}
	for n := range assets {
		if n != "index.html" {
			out = append(out, n)
		}
	}
	return out
}

// Lookup finds the file a request path names: Prefix itself is the page, and anything else
// must be exactly the name of an embedded file (no cleaning, so no path reaches outside).
// Prefix without its final slash names no file: Handle sends it to Prefix.
func Lookup(rawPath string) (name string, ok bool) {
	rest, ok := strings.CutPrefix(rawPath, Prefix)
	if !ok {
		return "", false
	}
	if rest == "" {
		rest = "index.html"
	}
	if _, ok := assets[rest]; !ok {
		return "", false
	}
	return rest, true
}

// Handle answers one request of the console's routes.
func Handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	h := headers()
	method := ev.RequestContext.HTTP.Method
	if method != http.MethodGet && method != http.MethodHead {
		h["Allow"] = "GET, HEAD"
		return text(http.StatusMethodNotAllowed, h, "method not allowed\n"), nil
	}
	if ev.RawPath == strings.TrimSuffix(Prefix, "/") {
		// HTTP API routes take no final slash, and the route of the console's path serves it
		// with and without one; the page's relative links need the slash. The location is
		// relative, so a stage name before the path stays.
		h["Location"] = path.Base(Prefix) + "/"
		return text(http.StatusFound, h, "the console is at "+Prefix+"\n"), nil
	}
	name, ok := Lookup(ev.RawPath)
	if !ok {
		return text(http.StatusNotFound, h, "no console file at this path\n"), nil
	}
	a := assets[name]
	h["Content-Type"] = a.contentType
	h["ETag"] = a.etag
	// The files keep their names from one release to the next, so a browser asks again each
	// time and gets 304 while nothing changed.
	h["Cache-Control"] = "no-cache"
	if matches(header(ev.Headers, "if-none-match"), a.etag) {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNotModified, Headers: h}, nil
	}
	body := a.body
	if method == http.MethodHead {
		body = ""
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: h, Body: body}, nil
}

func headers() map[string]string {
	return map[string]string{
		"Content-Security-Policy": Policy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	}
}

func text(status int, h map[string]string, body string) events.APIGatewayV2HTTPResponse {
	h["Content-Type"] = "text/plain; charset=utf-8"
	h["Cache-Control"] = "no-store"
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: h, Body: body}
}

// header finds a header by name; API Gateway's payload 2.0 lowercases names, a hand-made
// event may not.
func header(hs map[string]string, name string) string {
	if v, ok := hs[name]; ok {
		return v
	}
	for k, v := range hs {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// matches reports whether an If-None-Match value names etag (a list, weak forms, or *).
func matches(ifNoneMatch, etag string) bool {
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
