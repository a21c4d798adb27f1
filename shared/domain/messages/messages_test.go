package messages

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"imusers/shared/wire/apierr"
)

func code(err error) int {
	if err == nil {
		return 200
	}
	if e, ok := apierr.As(err); ok {
		return e.Code
	}
	return -1
}

func TestCheck(t *testing.T) {
	nested := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	cases := []struct {
		name   string
		m      Message
		want   int
		naming string // the parameter the error names
	}{
		{"text message", Message{"RC:TxtMsg", `{"content":"hello"}`}, 200, ""},
		{"whitespace around the object", Message{"RC:TxtMsg", " \n{\"content\":\"hi\"}\t"}, 200, ""},
		{"32 characters of object name", Message{strings.Repeat("é", 32), `{}`}, 200, ""},
		{"object name missing", Message{"", `{}`}, 1002, "objectName"},
		{"object name of 33 characters", Message{strings.Repeat("x", 33), `{}`}, 1005, "objectName"},
		{"object name with a newline", Message{"RC:\nTxt", `{}`}, 1002, "objectName"},
		{"content missing", Message{"RC:TxtMsg", ""}, 1002, "content"},
		{"content not JSON", Message{"RC:TxtMsg", "hello"}, 1002, "content"},
		{"content a JSON string", Message{"RC:TxtMsg", `"hello"`}, 1002, "content"},
		{"content an array", Message{"RC:TxtMsg", `[{"a":1}]`}, 1002, "content"},
		{"content only whitespace", Message{"RC:TxtMsg", "   "}, 1002, "content"},
		{"content with trailing data", Message{"RC:TxtMsg", `{"a":1} {"b":2}`}, 1002, "content"},
		{"content nested to the limit", Message{"RC:TxtMsg", nested(MaxContentDepth)}, 200, ""},
		{"content nested too deep", Message{"RC:TxtMsg", nested(MaxContentDepth + 1)}, 1002, "content"},
		{"brackets inside strings do not nest", Message{"RC:TxtMsg", `{"a":"` + strings.Repeat("[{", 100) + `\"]"}`}, 200, ""},
		{"content at the size limit", Message{"RC:TxtMsg", `{"a":"` + strings.Repeat("x", MaxContent-8) + `"}`}, 200, ""},
		{"content over the size limit", Message{"RC:TxtMsg", `{"a":"` + strings.Repeat("x", MaxContent-7) + `"}`}, 1005, "content"},
	}
	for _, tc := range cases {
		err := tc.m.Check()
		if got := code(err); got != tc.want {
			t.Errorf("%s: code %d (%v), want %d", tc.name, got, err, tc.want)
			continue
		}
		if tc.naming != "" && !strings.Contains(err.Error(), tc.naming) {
			t.Errorf("%s: %q does not name %s", tc.name, err, tc.naming)
		}
	}
}

// The worst content for escaping, at the size limit, still makes a frame API Gateway carries:
// escaping at most doubles a byte (quotes, backslashes, whitespace between tokens, U+2028).
func TestLargestFrameFits(t *testing.T) {
	for _, fill := range []string{`\"`, `\\`, `\n`, "\u2028", "<>&", "\x7f", "é"} {
		content := `{"":"` + strings.Repeat(fill, (MaxContent-7)/len(fill)) + `"}`
		if fill == `\n` {
			content = "{" + strings.Repeat("\n", MaxContent-6) + `"":1}`
		}
		m := Message{ObjectName: strings.Repeat("é", MaxObjectName), Content: content}
		if err := m.Check(); err != nil {
			t.Fatalf("fill %q: %v", fill, err)
		}
		f, err := Frame{Type: "message", MsgID: NewMsgID(), FromUserID: strings.Repeat("u", 64),
			ObjectName: m.ObjectName, Content: m.Content, SentTime: 1 << 52}.encode()
		if err != nil {
			t.Fatal(err)
		}
		if len(f) > MaxFrame {
			t.Errorf("fill %q: frame of %d bytes, limit %d", fill, len(f), MaxFrame)
		}
		var back Frame
		if err := json.Unmarshal(f, &back); err != nil || back.Content != m.Content {
			t.Errorf("fill %q: the frame does not carry the content unchanged", fill)
		}
	}
	if err := CheckContent("{\"a\":\"\xff\"}"); code(err) != 1002 {
		t.Errorf("content with a stray byte: %v, want 1002", err)
	}
}

func TestMsgID(t *testing.T) {
	shape := regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewMsgID()
		if !shape.MatchString(id) {
			t.Fatalf("msgId %q is not four groups of four base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("msgId %q issued twice", id)
		}
		seen[id] = true
	}
}

func FuzzCheckContent(f *testing.F) {
	for _, s := range []string{`{}`, `{"content":"hi","extra":{"a":[1,2,{"b":null}]}}`, `[]`, `"x"`, `{"a":"\"}"}`, "{", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, c string) {
		err := CheckContent(c)
		if err == nil {
			var v map[string]any
			if json.Unmarshal([]byte(c), &v) != nil || v == nil {
				t.Fatalf("accepted %q, which is not a JSON object", c)
			}
			if len(c) > MaxContent {
				t.Fatalf("accepted %d bytes", len(c))
			}
		} else if _, ok := apierr.As(err); !ok {
			t.Fatalf("refusal %v is not an API error", err)
		}
	})
}
