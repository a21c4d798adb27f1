// Package jsonbody decodes the v4 Server API's JSON request bodies. Each operation declares
// its fields (name, JSON type, limits, and the operation's parameter each one fills); Decode
// checks the body against that declaration with strict types and gives the parameters the
// operation reads, so an operation's own checks and logic serve both wires.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
)

// Kind is a field's JSON type, and what Decode checks of it.
type Kind int

const (
	String    Kind = iota // a string of at most Max characters (Max bytes when Bytes is set)
	UserID                // a string that is a userId
	UserIDs               // an array of 1..Max userIds; duplicates count once
	Integer               // an integer in [Min, Max], or a string of its decimal digits
	Object                // an object of at most Max keys, each at most KeyMax characters, whose values are strings of at most ValueMax characters
	Strings               // an array of at most Max distinct non-empty strings, [] allowed; duplicates count once
	AnyObject             // an object of any members, which the operation checks key by key
	Choice                // one of Choices' JSON values
	Choices               // a non-empty array of Choices' JSON values
)

// Field declares one field of a request body.
type Field struct {
	Name     string // in the JSON body
	Param    string // the operation's parameter it fills
	Kind     Kind
	Required bool
	Min, Max int64
	Bytes    bool // String: Max counts bytes
	// KeyMax and ValueMax bound an Object's keys and values, in characters.
	KeyMax, ValueMax int
	// Choices maps each JSON value a Choice or Choices field takes, as compact JSON text
	// ("\"PERSON\"", "1"), to the parameter's value it gives.
	Choices map[string]string
	// Default is the parameter's value when the field is absent, if HasDefault.
	Default    string
	HasDefault bool
}

// Text is an optional string of at most max characters.
func Text(name, param string, max int) Field {
	return Field{Name: name, Param: param, Kind: String, Max: int64(max)}
}

// ByteText is an optional string of at most max bytes.
func ByteText(name, param string, max int) Field {
	return Field{Name: name, Param: param, Kind: String, Max: int64(max), Bytes: true}
}

// ID is a required userId.
func ID(name, param string) Field {
	return Field{Name: name, Param: param, Kind: UserID, Required: true, Max: form.MaxUserID}
}

// IDs is a required list of 1..max userIds.
func IDs(name, param string, max int) Field {
	return Field{Name: name, Param: param, Kind: UserIDs, Required: true, Max: int64(max)}
}

// Int is an optional integer in [min, max].
func Int(name, param string, min, max int64) Field {
	return Field{Name: name, Param: param, Kind: Integer, Min: min, Max: max}
}

// Obj is an optional object of string values.
func Obj(name, param string, maxKeys, keyMax, valueMax int) Field {
	return Field{Name: name, Param: param, Kind: Object, Max: int64(maxKeys), KeyMax: keyMax, ValueMax: valueMax}
}

// List is an optional array of at most max distinct non-empty strings; [] is a value, none.
func List(name, param string, max int) Field {
	return Field{Name: name, Param: param, Kind: Strings, Max: int64(max)}
}

// Members is an optional object whose members the operation itself checks: it gets the object
// as compact JSON text.
func Members(name, param string) Field {
	return Field{Name: name, Param: param, Kind: AnyObject}
}

// OneOf is an optional value among choices (compact JSON text → the parameter's value).
func OneOf(name, param string, choices map[string]string) Field {
	return Field{Name: name, Param: param, Kind: Choice, Choices: choices}
}

// SomeOf is a required non-empty array of values among choices; each parameter value counts
// once, so the parameter holds at most one value per choice however long the array.
func SomeOf(name, param string, choices map[string]string) Field {
	return Field{Name: name, Param: param, Kind: Choices, Required: true, Choices: choices}
}

// Req is f required.
func (f Field) Req() Field {
	f.Required = true
	return f
}

// Or is f giving its parameter v when absent.
func (f Field) Or(v string) Field {
	f.Default, f.HasDefault = v, true
	return f
}

// ErrContentType answers a body that is not declared JSON.
var ErrContentType = &apierr.Error{Code: apierr.BadParam, Status: http.StatusUnsupportedMediaType,
	Message: "Content-Type must be application/json"}

// CheckContentType accepts application/json, with any parameters (a charset).
func CheckContentType(ct string) error {
	media, _, err := mime.ParseMediaType(ct)
	if err != nil || media != "application/json" {
		return ErrContentType
	}
	return nil
}

var errNotObject = apierr.New(apierr.BadParam, "request body must be a JSON object")

// Decode checks body against fields and returns the parameters they fill. Fields not
// declared are ignored; null is the same as absent.
func Decode(body []byte, fields []Field) (form.Values, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, errNotObject
	}
	out := form.Values{}
	for _, f := range fields {
		raw, ok := obj[f.Name]
		if !ok || string(raw) == "null" {
			if err := f.absent(out); err != nil {
				return nil, err
			}
			continue
		}
		vals, err := f.decode(raw)
		if err != nil {
			return nil, err
		}
		out[f.Param] = vals
	}
	return out, nil
}

func (f Field) absent(out form.Values) error {
	switch {
	case f.Required:
		return apierr.Missing(f.Name)
	case f.HasDefault:
		out[f.Param] = []string{f.Default}
	}
	return nil
}

func (f Field) decode(raw json.RawMessage) ([]string, error) {
	switch f.Kind {
	case String:
		s, err := f.text(raw)
		return []string{s}, err
	case UserID:
		s, err := f.userID(raw)
		return []string{s}, err
	case UserIDs:
		return f.userIDs(raw)
	case Integer:
		n, err := f.integer(raw)
		return []string{n}, err
	case Strings:
		return f.strings(raw)
	case AnyObject:
		s, err := f.members(raw)
		return []string{s}, err
	case Choice:
		s, err := f.choice(raw)
		return []string{s}, err
	case Choices:
		return f.choices(raw)
	}
	s, err := f.object(raw)
	return []string{s}, err
}

func (f Field) wrongType(want string) error { return apierr.Malformed(f.Name, "must be "+want) }

func str(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func (f Field) text(raw json.RawMessage) (string, error) {
	s, ok := str(raw)
	if !ok {
		return "", f.wrongType("a string")
	}
	n := utf8.RuneCountInString(s)
	if f.Bytes {
		n = len(s)
	}
	if int64(n) > f.Max {
		return "", apierr.TooLongParam(f.Name, int(f.Max))
	}
	if f.Required && s == "" {
		return "", apierr.Missing(f.Name)
	}
	return s, nil
}

func (f Field) userID(raw json.RawMessage) (string, error) {
	s, ok := str(raw)
	if !ok {
		return "", f.wrongType("a string")
	}
	return s, checkUserID(f.Name, s)
}

func checkUserID(name, s string) error {
	switch {
	case s == "":
		return apierr.Missing(name)
	case len(s) > form.MaxUserID:
		return apierr.TooLongParam(name, form.MaxUserID)
	case !form.ValidUserID(s):
		return apierr.Malformed(name, "only letters, digits, '_', '=', '+' and '-' are allowed")
	}
	return nil
}

func (f Field) userIDs(raw json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, f.wrongType("an array of strings")
	}
	ids := make([]string, 0, min(len(items), int(f.Max)+1))
	seen := make(map[string]bool, len(ids))
	for _, it := range items {
		s, ok := str(it)
		if !ok {
			return nil, f.wrongType("an array of strings")
		}
		if err := checkUserID(f.Name, s); err != nil {
			return nil, err
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		if ids = append(ids, s); int64(len(ids)) > f.Max {
			return nil, apierr.TooMany(f.Name, int(f.Max))
		}
	}
	if len(ids) == 0 {
		return nil, apierr.Missing(f.Name)
	}
	return ids, nil
}

func (f Field) integer(raw json.RawMessage) (string, error) {
	text := string(raw)
	if s, ok := str(raw); ok {
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return "", f.wrongType("an integer")
		}
		text = s
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return "", f.wrongType("an integer")
	}
	if n < f.Min || n > f.Max {
		return "", apierr.Malformed(f.Name, "must be between "+strconv.FormatInt(f.Min, 10)+" and "+strconv.FormatInt(f.Max, 10))
	}
	return strconv.FormatInt(n, 10), nil
}

func (f Field) object(raw json.RawMessage) (string, error) {
	var obj map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		return "", f.wrongType("an object")
	}
	if int64(len(obj)) > f.Max {
		return "", apierr.TooMany(f.Name, int(f.Max))
	}
	for k, v := range obj {
		if utf8.RuneCountInString(k) > f.KeyMax {
			return "", apierr.TooLongParam(f.Name, f.KeyMax)
		}
		s, ok := str(v)
		if !ok {
			return "", apierr.Malformed(f.Name, "values must be strings")
		}
		if utf8.RuneCountInString(s) > f.ValueMax {
			return "", apierr.TooLongParam(f.Name, f.ValueMax)
		}
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", f.wrongType("an object")
	}
	return b.String(), nil
}

// array reads an array's items, or fails naming f as not an array of what.
func (f Field) array(raw json.RawMessage, what string) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, f.wrongType("an array of " + what)
	}
	return items, nil
}

// strings gives the distinct strings in order; [] gives one empty value, so that the
// parameter is present and names nothing (as a form's empty parameter).
func (f Field) strings(raw json.RawMessage) ([]string, error) {
	items, err := f.array(raw, "strings")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, min(len(items), int(f.Max)+1))
	for _, it := range items {
		s, ok := str(it)
		if !ok {
			return nil, f.wrongType("an array of strings")
		}
		if s == "" {
			return nil, apierr.Malformed(f.Name, "an item is empty")
		}
		if slices.Contains(out, s) {
			continue
		}
		if out = append(out, s); int64(len(out)) > f.Max {
			return nil, apierr.TooMany(f.Name, int(f.Max))
		}
	}
	if len(out) == 0 {
		return []string{""}, nil
	}
	return out, nil
}

func (f Field) members(raw json.RawMessage) (string, error) {
	var b bytes.Buffer
	if raw[0] != '{' || json.Compact(&b, raw) != nil {
		return "", f.wrongType("an object")
	}
	return b.String(), nil
}

// choice is the parameter's value for one of f's choices. A string is compared once
// unescaped, so "\u0050ERSON" is "PERSON"; a number as written.
func (f Field) choice(raw json.RawMessage) (string, error) {
	key := string(raw)
	if s, ok := str(raw); ok {
		b, _ := json.Marshal(s)
		key = string(b)
	}
	v, ok := f.Choices[key]
	if !ok {
		return "", apierr.Malformed(f.Name, "must be one of "+strings.Join(slices.Sorted(maps.Keys(f.Choices)), ", "))
	}
	return v, nil
}

func (f Field) choices(raw json.RawMessage) ([]string, error) {
	items, err := f.array(raw, "choices")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		v, err := f.choice(it)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, apierr.Missing(f.Name)
	}
	return out, nil
}
