package profiles

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"imusers/shared/wire/apierr"
)

// Change is what one set asks of a profile: each key given with its new value, or nil to
// remove it ("" and null remove a key).
type Change struct {
	Text    map[string]*string
	Numbers map[string]*int64
	Ext     map[string]*string
}

// Empty reports a change that names no key.
func (c Change) Empty() bool { return len(c.Text) == 0 && len(c.Numbers) == 0 && len(c.Ext) == 0 }

// field is the rule of one basic key: a text of at most max characters (bytes when inBytes),
// or a number in [min, max].
type field struct {
	number   bool
	min, max int
	inBytes  bool
	valid    func(string) bool // further rule for text values, nil for none
}

// basic are the keys of userProfile. name and portraitUri take the larger of the documented
// limits, so a name that getToken takes always fits.
var basic = map[string]field{
	"uniqueId":    {max: 32, valid: isAlnum},
	"name":        {max: 64},
	"portraitUri": {max: 1024, inBytes: true},
	"email":       {max: 128},
	"birthday":    {max: 32},
	"location":    {max: 32},
	"gender":      {number: true, min: 0, max: 2},
	"role":        {number: true, min: 0, max: 100},
	"level":       {number: true, min: 0, max: 100},
}

// Limits of userExtProfile.
const (
	extPrefix    = "ext_"
	maxExtKey    = 32  // characters, prefix included
	maxExtValue  = 256 // characters
	MaxExtFields = 20  // pairs per user, after the merge
)

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// keyErr is an error about one key, which the answer names in "profileKey".
func keyErr(code int, key, format string, args ...any) *apierr.Error {
	e := apierr.New(code, format, args...)
	e.ProfileKey = key
	return e
}

// object reads a JSON object's members, in key order so that the first fault reported is
// always the same one. param names the object in errors.
func object(param string, raw []byte) ([]string, map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, nil, apierr.Malformed(param, "must be a JSON object")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, m, nil
}

// removes reports a value that removes its key: null or "".
func removes(raw json.RawMessage) bool {
	v := bytes.TrimSpace(raw)
	return string(v) == "null" || string(v) == `""`
}

// DecodeProfile reads userProfile, a JSON object of basic keys, into c.
func (c *Change) DecodeProfile(raw []byte) error {
	keys, m, err := object("userProfile", raw)
	if err != nil {
		return err
	}
	for _, k := range keys {
		f, ok := basic[k]
		if !ok {
			return keyErr(apierr.BadParam, k, "userProfile has no key %q", k)
		}
		if err := c.setBasic(k, f, m[k]); err != nil {
			return err
		}
	}
	return nil
}

func (c *Change) setBasic(k string, f field, raw json.RawMessage) error {
	if f.number {
		n, err := number(k, f, raw)
		if err != nil {
			return err
		}
		if c.Numbers == nil {
			c.Numbers = map[string]*int64{}
		}
		c.Numbers[k] = n
		return nil
	}
	s, err := text(k, f.max, f.inBytes, raw)
	if err == nil && s != nil && f.valid != nil && !f.valid(*s) {
		err = keyErr(apierr.BadParam, k, "%s takes only ASCII letters and digits", k)
	}
	if err != nil {
		return err
	}
	if c.Text == nil {
		c.Text = map[string]*string{}
	}
	c.Text[k] = s
	return nil
}

// text reads a string value of at most max characters (bytes when inBytes); nil removes.
func text(k string, max int, inBytes bool, raw json.RawMessage) (*string, error) {
	if removes(raw) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, keyErr(apierr.BadParam, k, "%s must be a string", k)
	}
	n := utf8.RuneCountInString(s)
	if inBytes {
		n = len(s)
	}
	if n > max {
		return nil, keyErr(apierr.TooLong, k, "%s is longer than %d", k, max)
	}
	return &s, nil
}

// number reads an integer given as a JSON number or a string of digits; nil removes.
func number(k string, f field, raw json.RawMessage) (*int64, error) {
	if removes(raw) {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(bytes.TrimSpace(raw))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, keyErr(apierr.BadParam, k, "%s must be an integer", k)
	}
	if n < int64(f.min) || n > int64(f.max) {
		return nil, keyErr(apierr.BadParam, k, "%s must be between %d and %d", k, f.min, f.max)
	}
	return &n, nil
}

// DecodeExt reads userExtProfile, a JSON object of "ext_" keys with text values, into c.
func (c *Change) DecodeExt(raw []byte) error {
	keys, m, err := object("userExtProfile", raw)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := checkExtKey(k); err != nil {
			return err
		}
		s, err := text(k, maxExtValue, false, m[k])
		if err != nil {
			return err
		}
		if c.Ext == nil {
			c.Ext = map[string]*string{}
		}
		c.Ext[k] = s
	}
	return nil
}

// checkExtKey accepts "ext_" and 1..28 ASCII letters, digits or '_'.
func checkExtKey(k string) error {
	if utf8.RuneCountInString(k) > maxExtKey {
		return keyErr(apierr.TooLong, k, "userExtProfile keys are at most %d characters", maxExtKey)
	}
	rest, ok := strings.CutPrefix(k, extPrefix)
	if !ok || rest == "" || !isAlnum(strings.ReplaceAll(rest, "_", "")) {
		return keyErr(apierr.BadParam, k, "userExtProfile keys are %q and ASCII letters, digits or '_'", extPrefix)
	}
	return nil
}
