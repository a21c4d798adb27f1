// Package signature checks the Server API's request signature: App-Key, Nonce, Timestamp and
// Signature headers (each also accepted with an RC- prefix), where Signature is the lowercase
// hex SHA1 of AppSecret+Nonce+Timestamp.
package signature

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"imusers/shared/apps"
	"imusers/shared/wire/apierr"
)

// Header reads a request header by its lowercase name (API Gateway lowercases them).
type Header func(lowerName string) string

// Sign computes the signature for secret, nonce and timestamp exactly as sent.
func Sign(secret, nonce, timestamp string) string {
	sum := sha1.Sum([]byte(secret + nonce + timestamp))
	return hex.EncodeToString(sum[:])
}

// get prefers the RC- form of a header (rcName) when both forms are present.
func get(h Header, rcName, name string) string {
	if v := h(rcName); v != "" {
		return v
	}
	return h(name)
}

// NonceOf is the request's Nonce as the signature covers it (the RC- form when both are sent).
func NonceOf(h Header) string { return get(h, "rc-nonce", "nonce") }

// Verify authenticates a request and returns its app. window is how far the Timestamp may be
// from now (0 turns the check off).
func Verify(h Header, reg *apps.Registry, now time.Time, window time.Duration) (apps.App, error) {
	key, nonce, ts, sig := get(h, "rc-app-key", "app-key"), NonceOf(h), get(h, "rc-timestamp", "timestamp"), get(h, "rc-signature", "signature")
	for _, f := range []struct{ name, v string }{{"App-Key", key}, {"Nonce", nonce}, {"Timestamp", ts}, {"Signature", sig}} {
		if f.v == "" {
			return apps.App{}, apierr.New(apierr.BadParam, "header %s is required", f.name)
		}
		if len(f.v) > 256 {
			return apps.App{}, apierr.New(apierr.BadParam, "header %s is too long", f.name)
		}
	}
	app, ok := reg.Lookup(key)
	if !ok {
		return apps.App{}, apierr.New(apierr.AppKeyMismatch, "unknown App-Key")
	}
	when, ok := parseTimestamp(ts)
	if !ok {
		return apps.App{}, apierr.New(apierr.BadSignature, "Timestamp must be seconds or milliseconds since the epoch")
	}
	want := Sign(app.Secret, nonce, ts)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return apps.App{}, apierr.New(apierr.BadSignature, "signature check failed")
	}
	if window > 0 {
		if d := now.Sub(when); d > window || d < -window {
			return apps.App{}, apierr.New(apierr.BadSignature, "Timestamp is outside the allowed window")
		}
	}
	return app, nil
}

// parseTimestamp accepts seconds (official SDKs) or milliseconds (newer ones): anything from
// 1e12 up is milliseconds.
func parseTimestamp(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	if n >= 1e12 {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}
