package rawjson_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"imusers/shared/rawjson"
)

// marshal is encoding/json's text for s, with or without HTML escaping.
func marshal(t testing.TB, s string, html bool) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

var stringSeeds = []string{
	"", "plain", `quote " backslash \ slash /`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<a href='x'>&amp;</a>",
	"Zoë 名前 🙂", "\u2028\u2029", "bad \xff\xfe utf-8 \xe2\x82", "\xed\xa0\x80 surrogate bytes",
	`{"code":200,"users":[{"userId":"a","status":"1"}]}`,
}

func TestAppendString(t *testing.T) {
	for _, s := range stringSeeds {
		for _, html := range []bool{true, false} {
			if got, want := string(rawjson.AppendString([]byte("x"), s, html)), "x"+marshal(t, s, html); got != want {
				t.Errorf("AppendString(%q, html %v) = %s, want %s", s, html, got, want)
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{true, false} {
			if got, want := string(rawjson.AppendString(nil, s, html)), marshal(t, s, html); got != want {
				t.Fatalf("AppendString(%q, html %v) = %s, encoding/json writes %s", s, html, got, want)
			}
		}
	})
}

func TestString(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{` "a\"b\\c\/d\b\f\n\r\t" `, "a\"b\\c/d\b\f\n\r\t", true},
		{`"\u00e9\u4E2D"`, "é中", true},
		{`"\ud83d\ude42"`, "🙂", true},
		{`"\ud83d"`, "\ufffd", true},
		{`"\ud83d\u0041"`, "\ufffdA", true},
		{`"\ude42\ud83d"`, "\ufffd\ufffd", true},
		{"\"bad \xff\"", "bad \ufffd", true},
		{`"\x"`, "", false},
		{`"\u12"`, "", false},
		{"\"tab\tinside\"", "", false},
		{`"open`, "", false},
		{`'single'`, "", false},
	}
	for _, c := range cases {
		r := rawjson.NewReader([]byte(c.in))
		got, ok := r.String()
		ok = ok && r.End()
		if ok != c.ok || got != c.want {
			t.Errorf("String(%s) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestInt(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"1800000000000", 1800000000000, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"1.0", 0, false}, {"1e3", 0, false}, {"01", 0, false},
		{"-", 0, false}, {`"1"`, 0, false},
	}
	for _, c := range cases {
		r := rawjson.NewReader([]byte(c.in))
		got, ok := r.Int()
		ok = ok && r.End()
		if ok != c.ok || got != c.want {
			t.Errorf("Int(%s) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestMembers(t *testing.T) {
	r := rawjson.NewReader([]byte(` { "a" : [1, -2.5e3, true, false, null, {"x": {}}, []], "b": "two", "c": {} } `))
	var names []string
	var b string
	for name := range r.Members() {
		names = append(names, name)
		if name == "b" {
			b, _ = r.String()
		} else {
			r.Skip()
		}
	}
	if err := r.Err(); err != nil || !r.End() {
		t.Fatalf("err %v, end %v", err, r.End())
	}
	if strings.Join(names, ",") != "a,b,c" || b != "two" {
		t.Fatalf("names %v, b %q", names, b)
	}
}

var valueSeeds = []string{
	`{}`, `[]`, `{"a":1}`, `[1,2,3]`, `{"a":[{"b":null}],"c":"d"}`, ` true `, `false`, `null`, `-0.5e-7`,
	`"str"`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{a:1}`, `[1 2]`, `01`, `1.`, `.5`, `1e`, `tru`, `nul`, `"\u0000"`,
	`{"a":1}x`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
}

// FuzzSkip holds the syntax check to encoding/json's: a value Skip reads to the end is valid
// JSON, and valid JSON is read to the end.
func FuzzSkip(f *testing.F) {
	for _, s := range valueSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := rawjson.NewReader(data)
		got := r.Skip() && r.End()
		if want := json.Valid(data); got != want {
			t.Fatalf("Skip and End = %v, json.Valid = %v for %q", got, want, data)
		}
	})
}

// FuzzString holds String to encoding/json's reading of a string.
func FuzzString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add([]byte(marshal(f, s, true)))
	}
	for _, s := range []string{`"\ud83d"`, `"\ud83d\u0041"`, `"\ude42\ud83d\ude42"`, "\"\xff\"", `"\u12"`, `"\'"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if k := rawjson.NewReader(data).Peek(); k != rawjson.String {
			return // json.Unmarshal of null into a string succeeds; not a string read
		}
		r := rawjson.NewReader(data)
		got, ok := r.String()
		ok = ok && r.End()
		var want string
		err := json.Unmarshal(data, &want)
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("String(%q) = %q, %v; encoding/json: %q, %v", data, got, ok, want, err)
		}
	})
}

// FuzzInt holds Int to encoding/json's reading of a number into an int64.
func FuzzInt(f *testing.F) {
	for _, s := range []string{"0", "-0", "12", "-12", "1.0", "1e2", "9223372036854775807", "9223372036854775808", "01", "-", "1x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if k := rawjson.NewReader(data).Peek(); k != rawjson.Number {
			return
		}
		r := rawjson.NewReader(data)
		got, ok := r.Int()
		ok = ok && r.End()
		var want int64
		err := json.Unmarshal(data, &want)
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("Int(%q) = %d, %v; encoding/json: %d, %v", data, got, ok, want, err)
		}
	})
}
