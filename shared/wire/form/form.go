// Package form decodes the Server API's application/x-www-form-urlencoded bodies and reads
// typed, validated parameters from them, turning every fault into the contract's error codes.
package form

import (
	"hash/maphash"
	"strconv"
	"strings"
	"unicode/utf8"

	"imusers/shared/wire/apierr"
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
		key, ok := queryUnescape(rawKey)
		if !ok || key == "" {
			return nil, apierr.New(apierr.BadParam, "request body is not a valid form encoding")
		}
		val, ok := queryUnescape(rawVal)
		if !ok {
			return nil, apierr.Malformed(key, "not valid form encoding")
		}
		if !utf8.ValidString(key) || !utf8.ValidString(val) {
			return nil, apierr.Malformed(key, "not valid UTF-8")
		}
		v[key] = append(v[key], val)
	}
	return v, nil
}

// queryUnescape decodes as url.QueryUnescape does ('+' is a space, %XX a byte; a '%' without
// two hex digits fails), but copies the runs between escapes whole rather than byte by byte: a
// comma-joined batch of 100 userIds has 99 escaped commas.
func queryUnescape(s string) (string, bool) {
	i := strings.IndexAny(s, "%+")
	if i < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		if s[i] == '+' {
			b.WriteByte(' ')
			s = s[i+1:]
		} else {
			if len(s) < i+3 || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			s = s[i+3:]
		}
		i = strings.IndexAny(s, "%+")
	}
	b.WriteString(s)
	return b.String(), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
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

// List is every value the parameter arrived with, in order, unchecked (nil when absent).
func (r *Reader) List(name string) []string { return r.v[name] }

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
	// Sized once for the list given (never past max+1, where reading stops), rather than grown
	// five times over for a batch of 100.
	n := 0
	for _, raw := range r.v[name] {
		n += strings.Count(raw, ",") + 1
	}
	ids := make([]string, 0, min(n, max+1))
	var seen idSet
	for _, raw := range r.v[name] {
		for s := range strings.SplitSeq(raw, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			slot, dup := seen.find(ids, s)
			if dup {
				continue
			}
			if r.checkUserID(name, s) == "" {
				return nil
			}
			ids = append(ids, s)
			seen.add(ids, slot)
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

// idSet tells whether a list of userIds already holds one. Up to setSlots/2 ids (every list
// the contract takes) it is a table of positions in the list, on the stack: a map of 100 ids
// cost as much as the rest of reading them. Longer lists use a map.
type idSet struct {
	slots [setSlots]uint8 // 1 + the position of an id in the list; 0 for none
	big   map[string]struct{}
}

const setSlots = 256

var idSeed = maphash.MakeSeed()

// find reports whether s is in ids, the list every id added so far came from, and if not,
// the slot to add it at.
func (t *idSet) find(ids []string, s string) (slot uint64, found bool) {
	if t.big != nil {
		_, found = t.big[s]
		return 0, found
	}
	i := maphash.String(idSeed, s) % setSlots
	for ; t.slots[i] != 0; i = (i + 1) % setSlots {
		if ids[t.slots[i]-1] == s {
			return 0, true
		}
	}
	return i, false
}

// add adds the last id of ids, at the slot find gave for it.
func (t *idSet) add(ids []string, slot uint64) {
	switch {
	case t.big != nil:
		t.big[ids[len(ids)-1]] = struct{}{}
	case len(ids) > setSlots/2:
		t.big = make(map[string]struct{}, 2*len(ids))
		for _, id := range ids {
			t.big[id] = struct{}{}
		}
	default:
		t.slots[slot] = uint8(len(ids))
	}
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
