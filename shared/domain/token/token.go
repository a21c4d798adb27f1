// Package token issues and reads user tokens: opaque to clients, signed with the issuing app's
// key, and carrying the app, the user and the issue time to the millisecond. Whether a
// well-signed token still admits its user (expired, deactivated) is the users package's call.
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

const (
	version = 1
	macSize = 16 // 128-bit truncated HMAC-SHA256
	// MaxLen bounds what Parse will look at, so hostile input costs nothing.
	MaxLen = 512
)

// ErrInvalid is returned for any token that is malformed or not signed by its app.
var ErrInvalid = errors.New("token invalid")

// Claims is what a token says.
type Claims struct {
	AppKey   string
	UserID   string
	IssuedAt time.Time // millisecond precision
}

// Strict refuses non-zero trailing bits; without it several spellings of the last character
// decode to the same bytes, and a token could be altered without failing its check.
var enc = base64.RawURLEncoding.Strict()

// Issue signs claims with key. Two tokens for the same user and millisecond still differ.
func Issue(key []byte, c Claims) string {
	p := make([]byte, 0, 16+len(c.AppKey)+len(c.UserID))
	p = append(p, version)
	p = binary.AppendUvarint(p, uint64(len(c.AppKey)))
	p = append(p, c.AppKey...)
	p = binary.AppendUvarint(p, uint64(len(c.UserID)))
	p = append(p, c.UserID...)
	p = binary.BigEndian.AppendUint64(p, uint64(c.IssuedAt.UnixMilli()))
	var salt [4]byte
	_, _ = rand.Read(salt[:])
	p = append(p, salt[:]...)
	return enc.EncodeToString(p) + "." + enc.EncodeToString(mac(key, p))
}

func mac(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)[:macSize]
}

// split reads the claims without checking the signature, to find the app whose key verifies it.
func split(tok string) (Claims, []byte, []byte, error) {
	// The decoder skips CR and LF even in strict mode; refuse them so one token has one spelling.
	if len(tok) > MaxLen || strings.ContainsAny(tok, "\r\n") {
		return Claims{}, nil, nil, ErrInvalid
	}
	body, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return Claims{}, nil, nil, ErrInvalid
	}
	p, err := enc.DecodeString(body)
	if err != nil {
		return Claims{}, nil, nil, ErrInvalid
	}
	s, err := enc.DecodeString(sig)
	if err != nil || len(s) != macSize {
		return Claims{}, nil, nil, ErrInvalid
	}
	c, err := decode(p)
	return c, p, s, err
}

func decode(p []byte) (Claims, error) {
	if len(p) == 0 || p[0] != version {
		return Claims{}, ErrInvalid
	}
	rest := p[1:]
	field := func() (string, bool) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return "", false
		}
		s := string(rest[k : k+int(n)])
		rest = rest[k+int(n):]
		return s, true
	}
	app, ok1 := field()
	user, ok2 := field()
	if !ok1 || !ok2 || app == "" || user == "" || len(rest) != 8+4 {
		return Claims{}, ErrInvalid
	}
	ms := int64(binary.BigEndian.Uint64(rest))
	if ms < 0 {
		return Claims{}, ErrInvalid
	}
	return Claims{AppKey: app, UserID: user, IssuedAt: time.UnixMilli(ms)}, nil
}

// KeyFor returns the signing key of an app, false when the app is unknown.
type KeyFor func(appKey string) ([]byte, bool)

// Parse checks a token's signature (in constant time) against its app's key and returns its
// claims. It does not look at the user's state.
func Parse(tok string, keyFor KeyFor) (Claims, error) {
	c, payload, sig, err := split(tok)
	if err != nil {
		return Claims{}, err
	}
	key, ok := keyFor(c.AppKey)
	if !ok || !hmac.Equal(sig, mac(key, payload)) {
		return Claims{}, ErrInvalid
	}
	return c, nil
}
