// Package form decodes the Server API's application/x-www-form-urlencoded bodies and reads
// typed, validated parameters from them, turning every fault into the contract's error codes.
package form

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"imusers/shared/apierr"
)

// MaxBody is the largest body accepted; larger ones are refused before any work (HTTP 413).
const MaxBody = 512 << 10

// Values maps each parameter name to the values it arrived with, in order.
type Values map[string][]string

// Parse decodes a form body. Empty pairs (a leading '&', "a=1&&b=2") are ignored.
func Parse(body string) (Values, error) {
	if len(body) > MaxBody {
		return nil, &apierr.Error{Code: apierr.BodyTooLarge, Status: 413, Message: "request body is larger than 512 KiB"}
	}
	v := Values{}
	for pair := range strings.SplitSeq(body, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil || key == "" {
			return nil, apierr.New(apierr.BadParam, "request body is not a valid form encoding")
		}
		val, err := url.QueryUnescape(rawVal)
		if err != nil {
			return nil, apierr.Malformed(key, "not valid form encoding")
		}
		if !utf8.ValidString(key) || !utf8.ValidString(val) {
			return nil, apierr.Malformed(key, "not valid UTF-8")
		}
		v[key] = append(v[key], val)
	}
	return v, nil
}

// Reader reads parameters one by one and keeps the first fault, so a handler can read all of
// its parameters and check once: r.Err().
type Reader struct {
	v   Values
	err error
}

// NewReader reads from v.
func NewReader(v Values) *Reader { return &Reader{v: v} }

// Err is the first fault met, or nil.
func (r *Reader) Err() error { return r.err }

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// one returns the single value of name; several values are a 1002.
func (r *Reader) one(name string) (string, bool) {
	vals := r.v[name]
	switch {
	case len(vals) == 0:
		return "", false
	case len(vals) > 1:
		r.fail(apierr.Malformed(name, "takes one value"))
		return "", false
	}
	return vals[0], true
}

// Has reports whether the parameter arrived at all, even empty: for parameters where absent
// means "leave unchanged" and empty means "clear".
func (r *Reader) Has(name string) bool { return len(r.v[name]) > 0 }

// Text reads an optional text parameter of at most maxChars characters ("" when absent).
func (r *Reader) Text(name string, maxChars int) string {
	s, _ := r.one(name)
	if utf8.RuneCountInString(s) > maxChars {
		r.fail(apierr.TooLongParam(name, maxChars))
		return ""
	}
	return s
}

// RequiredText is Text for a parameter that must be present and non-empty.
func (r *Reader) RequiredText(name string, maxChars int) string {
	if s, ok := r.one(name); !ok || s == "" {
		r.fail(apierr.Missing(name))
		return ""
	}
	return r.Text(name, maxChars)
}

// Bytes reads an optional parameter of at most maxBytes bytes.
func (r *Reader) Bytes(name string, maxBytes int) string {
	s, _ := r.one(name)
	if len(s) > maxBytes {
		r.fail(apierr.TooLongParam(name, maxBytes))
		return ""
	}
	return s
}

// MaxUserID is the longest userId the contract allows, in bytes.
const MaxUserID = 64

// ValidUserID reports whether s is a userId: 1..64 bytes of letters, digits, '_', '=', '+', '-'.
func ValidUserID(s string) bool {
	if s == "" || len(s) > MaxUserID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '=' || c == '+' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// UserID reads one required userId.
func (r *Reader) UserID(name string) string {
	s, ok := r.one(name)
	if !ok {
		if r.err == nil {
			r.fail(apierr.Missing(name))
		}
		return ""
	}
	return r.checkUserID(name, s)
}

func (r *Reader) checkUserID(name, s string) string {
	switch {
	case s == "":
		r.fail(apierr.Missing(name))
	case len(s) > MaxUserID:
		r.fail(apierr.TooLongParam(name, MaxUserID))
	case !ValidUserID(s):
		r.fail(apierr.Malformed(name, "only letters, digits, '_', '=', '+' and '-' are allowed"))
	default:
		return s
	}
	return ""
}

// UserIDs reads a required list of 1..max userIds, in either encoding (repeated keys or
// comma-joined), without duplicates, in the order given.
func (r *Reader) UserIDs(name string, max int) []string {
	// Sized once for the list given (never past max+1, where reading stops): a batch of 100
	// would otherwise grow the set and the list five times over.
	n := 0
	for _, raw := range r.v[name] {
		n += strings.Count(raw, ",") + 1
	}
	n = min(n, max+1)
	ids := make([]string, 0, n)
	seen := make(map[string]struct{}, n)
	for _, raw := range r.v[name] {
		for s := range strings.SplitSeq(raw, ",") {
			s = strings.TrimSpace(s)
			if _, dup := seen[s]; s == "" || dup {
				continue
			}
			if r.checkUserID(name, s) == "" {
				return nil
			}
			seen[s] = struct{}{}
			ids = append(ids, s)
			if len(ids) > max {
				r.fail(apierr.TooMany(name, max))
				return nil
			}
		}
	}
	if len(ids) == 0 {
		r.fail(apierr.Missing(name))
		return nil
	}
	return ids
}

// Int reads an optional integer in [min, max], def when absent or empty.
func (r *Reader) Int(name string, min, max, def int64) int64 {
	s, ok := r.one(name)
	if !ok || s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.fail(apierr.Malformed(name, "not an integer"))
		return def
	}
	if n < min || n > max {
		r.fail(apierr.Malformed(name, "must be between "+strconv.FormatInt(min, 10)+" and "+strconv.FormatInt(max, 10)))
		return def
	}
	return n
}

// RequiredInt is Int for a parameter that must be present.
func (r *Reader) RequiredInt(name string, min, max int64) int64 {
	if s, ok := r.one(name); !ok || s == "" {
		r.fail(apierr.Missing(name))
		return 0
	}
	return r.Int(name, min, max, 0)
}
