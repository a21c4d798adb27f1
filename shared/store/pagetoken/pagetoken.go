// Package pagetoken turns a list position into the opaque, tamper-evident page tokens the
// Server API hands out (pageToken, next), and back. A token is bound to a scope (the app, the
// list's owner and the list's kind): a token of another user, list or app, or one with any
// byte altered, does not open.
package pagetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

const (
	version = 1
	macSize = 16 // 128-bit truncated HMAC-SHA256, as for user tokens
	// MaxLen bounds what Open looks at, so hostile input costs nothing.
	MaxLen = 512
)

// ErrInvalid is returned for every token that does not open: malformed, altered, or sealed for
// another scope or with another key.
var ErrInvalid = errors.New("page token invalid")

// Strict, so that a token differing only in the unused low bits of its last character (which
// the lenient decoder maps to the same bytes) is refused rather than accepted as a twin.
var enc = base64.RawURLEncoding.Strict()

// Key derives the key that seals page tokens from an app's secret key material. Page tokens
// then never share a key with anything else the app signs.
func Key(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("imusers page token key v1"))
	return m.Sum(nil)
}

// Seal returns the token for payload within scope.
func Seal(key []byte, scope string, payload []byte) string {
	p := make([]byte, 0, 1+len(payload)+macSize)
	p = append(p, version)
	p = append(p, payload...)
	return enc.EncodeToString(append(p, mac(key, scope, p)...))
}

// Open checks a token against key and scope (in constant time) and returns its payload.
func Open(key []byte, scope, token string) ([]byte, error) {
	if token == "" || len(token) > MaxLen || !urlSafe(token) {
		return nil, ErrInvalid
	}
	b, err := enc.DecodeString(token)
	if err != nil || len(b) < 1+macSize {
		return nil, ErrInvalid
	}
	p, sig := b[:len(b)-macSize], b[len(b)-macSize:]
	if p[0] != version || !hmac.Equal(sig, mac(key, scope, p)) {
		return nil, ErrInvalid
	}
	return p[1:], nil
}

// urlSafe reports whether s holds only the URL-safe alphabet. The decoder skips '\r' and '\n'
// even in strict mode, which would let altered copies of a token open.
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// mac covers the scope's length as well as its bytes, so no scope and payload pair can pass
// for another pair whose concatenation is the same.
func mac(key []byte, scope string, p []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(binary.AppendUvarint(nil, uint64(len(scope))))
	m.Write([]byte(scope))
	m.Write(p)
	return m.Sum(nil)[:macSize]
}
