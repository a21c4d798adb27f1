// Package rawjson reads and writes JSON text by hand, for the few hot paths where
// encoding/json's reflection costs more than the work itself: the API Gateway event every
// function decodes, the answers with many items, and the Lambda response around them. What it
// writes is byte for byte what encoding/json writes, and what it reads it reads as
// encoding/json does (the fuzz targets hold it to both); where that would take more than
// these paths need, it reports failure and its callers use encoding/json instead.
package rawjson

import (
	"errors"
	"iter"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// safe marks the bytes that stand for themselves inside a JSON string as encoding/json writes
// it: [0] with HTML characters escaped, [1] without. Bytes from 0x80 start a character of
// UTF-8, which is checked on its own.
var safe = func() (t [2][256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[0][c], t[1][c] = true, true
	}
	t[0]['"'], t[0]['\\'], t[1]['"'], t[1]['\\'] = false, false, false, false
	t[0]['<'], t[0]['>'], t[0]['&'] = false, false, false
	return t
}()

// plain marks the bytes a string reader takes as they are: ASCII but for control characters,
// '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendString appends s to dst as a JSON string, escaped as encoding/json escapes it: '"',
// '\\' and control characters, invalid UTF-8 as \ufffd, U+2028 and U+2029, and also '<', '>'
// and '&' when html is set (json.Marshal does; an Encoder after SetEscapeHTML(false) does not).
func AppendString[T ~string | ~[]byte](dst []byte, s T, html bool) []byte {
	table := &safe[1]
	if html {
		table = &safe[0]
	}
	dst = append(dst, '"')
	done := 0 // s[:done] is in dst
	for i := 0; i < len(s); {
		for i < len(s) && table[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[done:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[done:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}

// Kind is the kind of a JSON value, named by the byte it starts with.
type Kind byte

const (
	Invalid Kind = 0
	Object  Kind = '{'
	Array   Kind = '['
	String  Kind = '"'
	Number  Kind = '0'
	True    Kind = 't'
	False   Kind = 'f'
	Null    Kind = 'n'
)

// ErrSyntax is the one error a Reader reports: the text is not what the caller read it as, or
// not JSON at all. Callers that need encoding/json's own message decode again with it.
var ErrSyntax = errors.New("rawjson: unexpected JSON text")

// maxDepth bounds the nesting of objects and arrays, as encoding/json bounds it.
const maxDepth = 10000

// Reader reads JSON values from the start of data, one after another, checking their syntax as
// encoding/json's scanner does. After the first fault every read fails and Err reports it.
type Reader struct {
	data  []byte
	text  string // data as a string, made at the first string read
	pos   int
	err   error
	depth int
}

// NewReader reads data. The strings it reads without escapes share one copy of data (made at
// the first string read) instead of one allocation each: they keep all of it in memory while
// any of them lives.
func NewReader(data []byte) *Reader { return &Reader{data: data} }

// substring returns data[start:end] as a string.
func (r *Reader) substring(start, end int) string {
	if len(r.text) != len(r.data) {
		r.text = string(r.data)
	}
	return r.text[start:end]
}

// Err is ErrSyntax once anything failed to read, else nil.
func (r *Reader) Err() error { return r.err }

func (r *Reader) fail() { r.err = ErrSyntax }

// Fail makes the reader fail, for a caller that met something it does not read.
func (r *Reader) Fail() { r.fail() }

func (r *Reader) space() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// Peek returns the kind of the next value without reading it (Invalid at the end of the data,
// after a fault, or before anything that starts no value).
func (r *Reader) Peek() Kind {
	if r.err != nil {
		return Invalid
	}
	r.space()
	if r.pos >= len(r.data) {
		return Invalid
	}
	switch c := r.data[r.pos]; c {
	case '{', '[', '"', 't', 'f', 'n':
		return Kind(c)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return Number
	}
	return Invalid
}

// End reports whether nothing but white space follows (json.Unmarshal's rule after its one
// value).
func (r *Reader) End() bool {
	r.space()
	return r.err == nil && r.pos == len(r.data)
}

// Members reads an object, yielding each member's name; the loop body must read or Skip the
// member's value, exactly once. Breaking out of the loop leaves the reader inside the object:
// only a reader that is then dropped may do so.
func (r *Reader) Members() iter.Seq[string] {
	return func(yield func(string) bool) {
		if r.Peek() != Object || !r.enter() {
			r.fail()
			return
		}
		defer r.leave()
		r.pos++
		r.space()
		if r.pos < len(r.data) && r.data[r.pos] == '}' {
			r.pos++
			return
		}
		for {
			if r.Peek() != String {
				r.fail()
				return
			}
			name, ok := r.String()
			if !ok {
				return
			}
			r.space()
			if r.pos >= len(r.data) || r.data[r.pos] != ':' {
				r.fail()
				return
			}
			r.pos++
			if !yield(name) || r.err != nil {
				return
			}
			if !r.next('}') {
				return
			}
		}
	}
}

// Elements reads an array, yielding once per element; the loop body must read or Skip the
// element, exactly once. Breaking out is as for Members.
func (r *Reader) Elements() iter.Seq[int] {
	return func(yield func(int) bool) {
		if r.Peek() != Array || !r.enter() {
			r.fail()
			return
		}
		defer r.leave()
		r.pos++
		r.space()
		if r.pos < len(r.data) && r.data[r.pos] == ']' {
			r.pos++
			return
		}
		for i := 0; ; i++ {
			if !yield(i) || r.err != nil {
				return
			}
			if !r.next(']') {
				return
			}
		}
	}
}

// enter counts one more level of nesting; encoding/json refuses more than maxDepth.
func (r *Reader) enter() bool {
	r.depth++
	return r.depth <= maxDepth
}

func (r *Reader) leave() { r.depth-- }

// next reads the ',' before another member or element (true), or the closing byte (false).
func (r *Reader) next(closing byte) bool {
	r.space()
	if r.pos >= len(r.data) {
		r.fail()
		return false
	}
	switch r.data[r.pos] {
	case ',':
		r.pos++
		return true
	case closing:
		r.pos++
		return false
	}
	r.fail()
	return false
}

// Skip reads any one value, checking its syntax.
func (r *Reader) Skip() bool {
	switch r.Peek() {
	case Object:
		for range r.Members() {
			r.Skip()
		}
	case Array:
		for range r.Elements() {
			r.Skip()
		}
	case String:
		r.String()
	case Number:
		r.number()
	case True:
		r.literal("true")
	case False:
		r.literal("false")
	case Null:
		r.literal("null")
	default:
		r.fail()
	}
	return r.err == nil
}

func (r *Reader) literal(word string) bool {
	if len(r.data)-r.pos < len(word) || string(r.data[r.pos:r.pos+len(word)]) != word {
		r.fail()
		return false
	}
	r.pos += len(word)
	return true
}

// Bool reads true or false.
func (r *Reader) Bool() (bool, bool) {
	switch r.Peek() {
	case True:
		return true, r.literal("true")
	case False:
		return false, r.literal("false")
	}
	r.fail()
	return false, false
}

// Null reads null.
func (r *Reader) Null() bool {
	if r.Peek() != Null {
		r.fail()
		return false
	}
	return r.literal("null")
}

// number reads a number's text: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *Reader) number() (string, bool) {
	start := r.pos
	d := r.data
	i := r.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case digits() == 0:
		r.fail()
		return "", false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			r.fail()
			return "", false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			r.fail()
			return "", false
		}
	}
	r.pos = i
	return string(d[start:i]), true
}

// Int reads a number that is an integer of Go's int64, as encoding/json reads one into an
// int64 (so no fraction or exponent, even a zero one).
func (r *Reader) Int() (int64, bool) {
	if r.Peek() != Number {
		r.fail()
		return 0, false
	}
	text, ok := r.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		r.fail()
		return 0, false
	}
	return n, true
}

// String reads a string and returns its value as encoding/json decodes it: escapes resolved,
// an unpaired surrogate escape and each byte of invalid UTF-8 as U+FFFD.
func (r *Reader) String() (string, bool) {
	if r.Peek() != String {
		r.fail()
		return "", false
	}
	d := r.data
	start := r.pos + 1
	// Find the closing quote first: most strings are then taken as they are, in one copy.
	end, escaped, ascii := start, false, true
	for {
		for end < len(d) && plain[d[end]] {
			end++
		}
		if end >= len(d) {
			r.fail()
			return "", false
		}
		c := d[end]
		if c == '"' {
			break
		}
		switch {
		case c == '\\':
			escaped = true
			end++ // the escaped byte; unescape checks it
		case c < 0x20:
			r.fail()
			return "", false
		default:
			ascii = false
		}
		end++
	}
	raw := d[start:end]
	r.pos = end + 1
	if !escaped && (ascii || utf8.Valid(raw)) {
		return r.substring(start, end), true
	}
	var b strings.Builder
	b.Grow(len(raw)) // never longer, unless bytes of invalid UTF-8 become U+FFFD
	for i := 0; i < len(raw); {
		j := i
		for j < len(raw) && plain[raw[j]] {
			j++
		}
		b.Write(raw[i:j])
		if i = j; i == len(raw) {
			break
		}
		if raw[i] == '\\' && i+1 < len(raw) && (raw[i+1] == '"' || raw[i+1] == '\\') {
			// The escapes of a JSON text inside a string (a Lambda response's body), taken
			// here without the call.
			b.WriteByte(raw[i+1])
			i += 2
			continue
		}
		if raw[i] == '\\' {
			n, ok := unescape(&b, raw[i:])
			if !ok {
				r.fail()
				return "", false
			}
			i += n
			continue
		}
		c, size := utf8.DecodeRune(raw[i:])
		if c == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.Write(raw[i : i+size])
		}
		i += size
	}
	return b.String(), true
}

// unescape writes the character of the escape at the start of s and returns its length.
func unescape(b *strings.Builder, s []byte) (int, bool) {
	if len(s) < 2 {
		return 0, false
	}
	switch c := s[1]; c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return 0, false
		}
		if utf16.IsSurrogate(r) {
			// A high surrogate escape followed by a low one is one character; anything else
			// is U+FFFD, and the escape after it is read on its own.
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if r2, ok := hex4(s[8:]); ok {
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						b.WriteRune(pair)
						return 12, true
					}
				}
			}
			r = utf8.RuneError
		}
		b.WriteRune(r)
		return 6, true
	default:
		return 0, false
	}
	return 2, true
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
