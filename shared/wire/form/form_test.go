package form

import (
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"imusers/shared/wire/apierr"
)

// wantAPIError fails unless err is an API error with this code and HTTP status whose message
// names param (when param is not empty).
func wantAPIError(t *testing.T, err error, code, status int, param string) {
	t.Helper()
	e, ok := apierr.As(err)
	if !ok {
		t.Fatalf("got %v, want API error %d", err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("got %d/%d (%q), want %d/%d", e.Code, e.Status, e.Message, code, status)
	}
	if param != "" && !strings.Contains(e.Message, param) {
		t.Fatalf("message %q does not name %q", e.Message, param)
	}
}

func mustParse(t *testing.T, body string) Values {
	t.Helper()
	v, err := Parse(body)
	if err != nil {
		t.Fatalf("Parse(%q): %v", body, err)
	}
	return v
}

func TestParse(t *testing.T) {
	tests := []struct {
		body string
		want Values
	}{
		{"", Values{}},
		{"&", Values{}},
		{"&&&", Values{}},
		{"&userId=a", Values{"userId": {"a"}}},
		{"userId=a&&name=b&", Values{"userId": {"a"}, "name": {"b"}}},
		{"userId=a&userId=b", Values{"userId": {"a", "b"}}},
		{"userId=a,b", Values{"userId": {"a,b"}}},
		{"name=", Values{"name": {""}}},
		{"name", Values{"name": {""}}},
		{"name=a=b", Values{"name": {"a=b"}}},
		{"name=hello+world", Values{"name": {"hello world"}}},
		{"name=hello%20world%2b%2B", Values{"name": {"hello world++"}}},
		{"name=%E5%BC%A0%E4%B8%89", Values{"name": {"张三"}}},
		{"name=张三", Values{"name": {"张三"}}},
		{"portraitUri=http%3A%2F%2Fa.example%2Fp.png%3Fx%3D1%26y%3D2", Values{"portraitUri": {"http://a.example/p.png?x=1&y=2"}}},
		{"user%49d=x", Values{"userId": {"x"}}},
		{"a=1;b=2", Values{"a": {"1;b=2"}}},
	}
	for _, tc := range tests {
		got := mustParse(t, tc.body)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %v, want %v", tc.body, got, tc.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		body  string
		param string
	}{
		{"name=%zz", "name"},
		{"name=%", "name"},
		{"name=%4", "name"},
		{"name=ok&portraitUri=50%", "portraitUri"},
		{"%zz=1", ""},
		{"=value", ""},
		{"name=%FF%FE", "name"},
		{"name=\xff", "name"},
		{"name=%C3%28", "name"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			v, err := Parse(tc.body)
			wantAPIError(t, err, apierr.BadParam, http.StatusBadRequest, tc.param)
			if v != nil {
				t.Errorf("Parse returned values %v with an error", v)
			}
		})
	}
}

func TestParseBodySize(t *testing.T) {
	atLimit := "name=" + strings.Repeat("x", MaxBody-len("name="))
	v := mustParse(t, atLimit)
	if len(v["name"][0]) != MaxBody-5 {
		t.Fatalf("value of %d bytes, want %d", len(v["name"][0]), MaxBody-5)
	}
	_, err := Parse(atLimit + "x")
	wantAPIError(t, err, apierr.BodyTooLarge, http.StatusRequestEntityTooLarge, "")
	_, err = Parse(strings.Repeat("&", 4*MaxBody))
	wantAPIError(t, err, 1005, 413, "")
}

func reader(t *testing.T, body string) *Reader {
	t.Helper()
	return NewReader(mustParse(t, body))
}

func TestUserIDsBothEncodings(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{"userId=a", []string{"a"}},
		{"userId=a&userId=b&userId=c", []string{"a", "b", "c"}},
		{"userId=a,b,c", []string{"a", "b", "c"}},
		{"userId=a%2Cb%2Cc", []string{"a", "b", "c"}},
		{"userId=a,b&userId=c&userId=d,e", []string{"a", "b", "c", "d", "e"}},
		{"userId=a,b&userId=a&userId=b,c,a", []string{"a", "b", "c"}},
		{"userId=a,,b,&userId=&userId=c", []string{"a", "b", "c"}},
		{"userId=a,+b", []string{"a", "b"}},
		{"userId=u%2B1%3D,u-2_", []string{"u+1=", "u-2_"}},
		{"&userId=a&&userId=b&", []string{"a", "b"}},
	}
	for _, tc := range tests {
		r := reader(t, tc.body)
		got := r.UserIDs("userId", 20)
		if err := r.Err(); err != nil {
			t.Fatalf("%q: %v", tc.body, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestUserIDsLimits(t *testing.T) {
	ids := func(n int) []string {
		var s []string
		for i := range n {
			s = append(s, "u"+strconv.Itoa(i))
		}
		return s
	}
	t.Run("exactly max", func(t *testing.T) {
		r := reader(t, "userId="+strings.Join(ids(20), ","))
		if got := r.UserIDs("userId", 20); len(got) != 20 || r.Err() != nil {
			t.Fatalf("got %d ids, %v", len(got), r.Err())
		}
	})
	t.Run("one over max, comma-joined", func(t *testing.T) {
		r := reader(t, "userId="+strings.Join(ids(21), ","))
		if got := r.UserIDs("userId", 20); got != nil {
			t.Errorf("got %q with an error", got)
		}
		wantAPIError(t, r.Err(), apierr.TooLong, http.StatusBadRequest, "userId")
	})
	t.Run("one over max, repeated keys", func(t *testing.T) {
		r := reader(t, "blackUserId="+strings.Join(ids(101), "&blackUserId="))
		r.UserIDs("blackUserId", 100)
		wantAPIError(t, r.Err(), apierr.TooLong, http.StatusBadRequest, "blackUserId")
	})
	t.Run("duplicates do not count", func(t *testing.T) {
		list := append(ids(20), ids(20)...)
		r := reader(t, "userId="+strings.Join(list, ","))
		if got := r.UserIDs("userId", 20); len(got) != 20 || r.Err() != nil {
			t.Fatalf("got %d ids, %v", len(got), r.Err())
		}
	})
	t.Run("missing", func(t *testing.T) {
		for _, body := range []string{"", "other=1", "userId=", "userId=,,", "userId=&userId="} {
			r := reader(t, body)
			r.UserIDs("userId", 20)
			wantAPIError(t, r.Err(), apierr.BadParam, http.StatusBadRequest, "userId")
		}
	})
	t.Run("one invalid item", func(t *testing.T) {
		r := reader(t, "targetIds=a,b%21,c")
		if got := r.UserIDs("targetIds", 100); got != nil {
			t.Errorf("got %q with an error", got)
		}
		wantAPIError(t, r.Err(), apierr.BadParam, http.StatusBadRequest, "targetIds")
	})
	t.Run("one item too long", func(t *testing.T) {
		r := reader(t, "userId=a,"+strings.Repeat("x", 65))
		r.UserIDs("userId", 20)
		wantAPIError(t, r.Err(), apierr.TooLong, http.StatusBadRequest, "userId")
	})
}

func TestUserID(t *testing.T) {
	long := strings.Repeat("x", 64)
	for _, tc := range []struct {
		body   string
		want   string
		code   int
		status int
	}{
		{body: "userId=abc", want: "abc"},
		{body: "userId=" + long, want: long},
		{body: "userId=A_z%3D0%2B9-", want: "A_z=0+9-"},
		{body: "userId=" + long + "x", code: apierr.TooLong, status: 400},
		{body: "userId=", code: apierr.BadParam, status: 400},
		{body: "", code: apierr.BadParam, status: 400},
		{body: "userId=a&userId=b", code: apierr.BadParam, status: 400},
		{body: "userId=a&userId=a", code: apierr.BadParam, status: 400},
		{body: "userId=a,b", code: apierr.BadParam, status: 400},
		{body: "userId=a+b", code: apierr.BadParam, status: 400},
		{body: "userId=a.b", code: apierr.BadParam, status: 400},
		{body: "userId=a%2Fb", code: apierr.BadParam, status: 400},
		{body: "userId=%C3%BC", code: apierr.BadParam, status: 400},
		{body: "userId=a%00", code: apierr.BadParam, status: 400},
		{body: "userId=a#", code: apierr.BadParam, status: 400},
		{body: "userId=" + strings.Repeat("%C3%BC", 32), code: apierr.BadParam, status: 400},
	} {
		t.Run(tc.body, func(t *testing.T) {
			r := reader(t, tc.body)
			got := r.UserID("userId")
			if tc.code == 0 {
				if r.Err() != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, r.Err(), tc.want)
				}
				return
			}
			if got != "" {
				t.Errorf("got %q with an error", got)
			}
			wantAPIError(t, r.Err(), tc.code, tc.status, "userId")
		})
	}
}

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9_=+-]{1,64}$`)

// Property: ValidUserID is exactly the contract's rule, over strings drawn near its edges.
func TestPropertyValidUserIDMatchesRule(t *testing.T) {
	const seed = 7
	r := rand.New(rand.NewPCG(seed, 1))
	pool := "aZ09_=+-.,/ #%~\x00\x7fé张"
	for range 20000 {
		var b strings.Builder
		n := r.IntN(70)
		for b.Len() < n {
			runes := []rune(pool)
			b.WriteRune(runes[r.IntN(len(runes))])
		}
		s := b.String()
		if got, want := ValidUserID(s), userIDPattern.MatchString(s); got != want {
			t.Fatalf("ValidUserID(%q) = %v, want %v (seed %d)", s, got, want, seed)
		}
	}
}

// Property: any list of valid user ids, in any mix of repeated keys and comma-joined values,
// reads back as the list in order with duplicates dropped.
func TestPropertyUserIDListsReadBack(t *testing.T) {
	const seed = 11
	const alphabet = "abcXYZ019_=+-"
	r := rand.New(rand.NewPCG(seed, 2))
	for n := range 3000 {
		// A small alphabet and short ids make duplicates common; one list in ten is long enough
		// to hold more distinct ids than UserIDs keeps in its table on the stack.
		size := 1 + r.IntN(30)
		if n%10 == 0 {
			size = 1 + r.IntN(400)
		}
		list := make([]string, size)
		for i := range list {
			id := make([]byte, 1+r.IntN(3))
			if r.IntN(20) == 0 {
				id = make([]byte, 64)
			}
			for j := range id {
				id[j] = alphabet[r.IntN(len(alphabet))]
			}
			list[i] = string(id)
		}
		var want []string
		for _, id := range list {
			if !slices.Contains(want, id) {
				want = append(want, id)
			}
		}
		// Cut the list into chunks; each chunk is one comma-joined value of a repeated key.
		var pairs []string
		if r.IntN(5) == 0 {
			pairs = append(pairs, "") // a leading '&'
		}
		for rest := list; len(rest) > 0; {
			k := 1 + r.IntN(len(rest))
			pairs = append(pairs, "userId="+url.QueryEscape(strings.Join(rest[:k], ",")))
			if r.IntN(4) == 0 {
				pairs = append(pairs, "name=x")
			}
			rest = rest[k:]
		}
		body := strings.Join(pairs, "&")

		rd := NewReader(mustParse(t, body))
		got := rd.UserIDs("userId", 1000)
		if rd.Err() != nil || !slices.Equal(got, want) {
			t.Fatalf("case %d (seed %d): %q read back as %q, %v; want %q", n, seed, body, got, rd.Err(), want)
		}
		// With a lower limit the same list is refused exactly when it has more distinct ids.
		limit := 1 + r.IntN(len(want)+1)
		rd = NewReader(mustParse(t, body))
		rd.UserIDs("userId", limit)
		if tooMany := len(want) > limit; tooMany != (rd.Err() != nil) {
			t.Fatalf("case %d (seed %d): %d distinct ids with limit %d gave %v", n, seed, len(want), limit, rd.Err())
		}
	}
}

func TestSingleValuedGivenTwice(t *testing.T) {
	reads := map[string]func(r *Reader){
		"Text":         func(r *Reader) { r.Text("p", 10) },
		"RequiredText": func(r *Reader) { r.RequiredText("p", 10) },
		"Bytes":        func(r *Reader) { r.Bytes("p", 10) },
		"UserID":       func(r *Reader) { r.UserID("p") },
		"Int":          func(r *Reader) { r.Int("p", 0, 10, 1) },
		"RequiredInt":  func(r *Reader) { r.RequiredInt("p", 0, 10) },
	}
	for name, read := range reads {
		for _, body := range []string{"p=1&p=2", "p=1&p=1", "p=&p=", "p=1&x=0&p=2"} {
			r := reader(t, body)
			read(r)
			wantAPIError(t, r.Err(), apierr.BadParam, 400, "p")
			if !strings.Contains(r.Err().Error(), "one value") {
				t.Errorf("%s(%q): %v does not say the parameter takes one value", name, body, r.Err())
			}
		}
	}
}

func TestText(t *testing.T) {
	r := reader(t, "name=%E5%BC%A0%E4%B8%89&empty=&portraitUri=http%3A%2F%2Fx")
	if got := r.Text("name", 2); got != "张三" {
		t.Errorf("Text counts bytes, not characters: %q", got)
	}
	if got := r.Text("absent", 5); got != "" {
		t.Errorf("absent Text = %q", got)
	}
	if got := r.Text("empty", 5); got != "" {
		t.Errorf("empty Text = %q", got)
	}
	if got := r.Bytes("portraitUri", 8); got != "http://x" {
		t.Errorf("Bytes = %q", got)
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}

	r = reader(t, "name=%E5%BC%A0%E4%B8%89")
	if got := r.Text("name", 1); got != "" {
		t.Errorf("too-long Text returned %q", got)
	}
	wantAPIError(t, r.Err(), apierr.TooLong, 400, "name")

	r = reader(t, "portraitUri=%E5%BC%A0")
	r.Bytes("portraitUri", 2)
	wantAPIError(t, r.Err(), apierr.TooLong, 400, "portraitUri")
}

func TestRequiredText(t *testing.T) {
	for _, body := range []string{"", "name=", "other=1"} {
		r := reader(t, body)
		if got := r.RequiredText("name", 64); got != "" {
			t.Errorf("%q: got %q", body, got)
		}
		wantAPIError(t, r.Err(), apierr.BadParam, 400, "name")
	}
	r := reader(t, "name="+strings.Repeat("%C3%BC", 65))
	r.RequiredText("name", 64)
	wantAPIError(t, r.Err(), apierr.TooLong, 400, "name")

	r = reader(t, "name="+strings.Repeat("%C3%BC", 64))
	if got := r.RequiredText("name", 64); utf8Len(got) != 64 || r.Err() != nil {
		t.Errorf("64 characters refused: %v", r.Err())
	}
}

func utf8Len(s string) int { return len([]rune(s)) }

func TestInt(t *testing.T) {
	for _, tc := range []struct {
		body     string
		min, max int64
		def      int64
		want     int64
		fails    bool
	}{
		{body: "", min: 1, max: 50, def: 50, want: 50},
		{body: "n=", min: 1, max: 50, def: 50, want: 50},
		{body: "n=1", min: 1, max: 50, def: 50, want: 1},
		{body: "n=50", min: 1, max: 50, def: 50, want: 50},
		{body: "n=%2B7", min: 1, max: 50, def: 50, want: 7},
		{body: "n=-3", min: -5, max: 5, want: -3},
		{body: "n=9223372036854775807", min: 0, max: math.MaxInt64, want: math.MaxInt64},
		{body: "n=0", min: 1, max: 50, def: 50, want: 50, fails: true},
		{body: "n=51", min: 1, max: 50, def: 50, want: 50, fails: true},
		{body: "n=-1", min: 1, max: 50, def: 50, want: 50, fails: true},
		{body: "n=1.5", min: 1, max: 50, def: 50, want: 50, fails: true},
		{body: "n=1e3", min: 1, max: 5000, def: 50, want: 50, fails: true},
		{body: "n=0x10", min: 1, max: 50, def: 50, want: 50, fails: true},
		{body: "n=+", min: 1, max: 50, def: 50, want: 50, fails: true},
		{body: "n=%205", min: 1, max: 50, def: 50, want: 50, fails: true},
		{body: "n=abc", min: 1, max: 50, def: 50, want: 50, fails: true},
		{body: "n=9223372036854775808", min: 0, max: math.MaxInt64, want: 0, fails: true},
	} {
		t.Run(tc.body, func(t *testing.T) {
			r := reader(t, tc.body)
			got := r.Int("n", tc.min, tc.max, tc.def)
			if got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
			if !tc.fails {
				if r.Err() != nil {
					t.Fatal(r.Err())
				}
				return
			}
			wantAPIError(t, r.Err(), apierr.BadParam, 400, "n")
		})
	}
}

func TestRequiredInt(t *testing.T) {
	for _, body := range []string{"", "time=", "other=5"} {
		r := reader(t, body)
		r.RequiredInt("time", 0, math.MaxInt64)
		wantAPIError(t, r.Err(), apierr.BadParam, 400, "time")
		if !strings.Contains(r.Err().Error(), "required") {
			t.Errorf("%q: %v does not say the parameter is required", body, r.Err())
		}
	}
	r := reader(t, "minute=43201")
	r.RequiredInt("minute", 1, 43200)
	wantAPIError(t, r.Err(), apierr.BadParam, 400, "minute")
	if !strings.Contains(r.Err().Error(), "43200") {
		t.Errorf("%v does not give the bounds", r.Err())
	}
	r = reader(t, "minute=43200")
	if got := r.RequiredInt("minute", 1, 43200); got != 43200 || r.Err() != nil {
		t.Errorf("got %d, %v", got, r.Err())
	}
}

// A handler reads every parameter and checks once; the first fault is the one reported.
func TestReaderKeepsFirstFault(t *testing.T) {
	r := reader(t, "minute=0&userId=bad!")
	r.UserIDs("userId", 20)
	r.RequiredInt("minute", 1, 43200)
	r.RequiredText("name", 64)
	wantAPIError(t, r.Err(), apierr.BadParam, 400, "userId")
	if strings.Contains(r.Err().Error(), "minute") {
		t.Errorf("a later fault replaced the first: %v", r.Err())
	}
	if NewReader(Values{}).Err() != nil {
		t.Error("fresh Reader has an error")
	}
}

// encode writes v back as a form body, keys sorted, values in order.
func encode(v Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		for _, val := range v[k] {
			pairs = append(pairs, url.QueryEscape(k)+"="+url.QueryEscape(val))
		}
	}
	return strings.Join(pairs, "&")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"&",
		"&userId=a&&userId=b,c&",
		"userId=a,b&userId=c&name=%E5%BC%A0+%E4%B8%89&pageSize=50&time=1408710653000",
		"userId=a&userId=a&name=x&name=y",
		"userId=" + strings.Repeat("x", 65),
		"userId=u%2B1%3D,u-2_,,",
		"name=%zz",
		"name=%FF",
		"=x",
		"pageSize=0&time=-1",
		"pageSize=9223372036854775808",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := Parse(body)
		if err != nil {
			e, ok := apierr.As(err)
			if !ok || (e.Code != apierr.BadParam && e.Code != apierr.BodyTooLarge) {
				t.Fatalf("Parse(%q) returned %v", body, err)
			}
			if v != nil {
				t.Fatalf("Parse(%q) returned values with an error", body)
			}
			return
		}

		// Round trip: what Parse accepted, encoded again, parses to the same values.
		again, err := Parse(encode(v))
		if err != nil && len(encode(v)) <= MaxBody {
			t.Fatalf("re-encoded %q failed: %v", encode(v), err)
		}
		if err == nil && !reflect.DeepEqual(normalize(v), normalize(again)) {
			t.Fatalf("round trip of %q: %v became %v", body, v, again)
		}

		// Reading parameters never panics, and whatever it returns obeys the rules.
		r := NewReader(v)
		ids := r.UserIDs("userId", 20)
		if r.Err() == nil {
			if len(ids) == 0 || len(ids) > 20 {
				t.Fatalf("UserIDs returned %d ids", len(ids))
			}
			for i, id := range ids {
				if !ValidUserID(id) || slices.Contains(ids[:i], id) {
					t.Fatalf("UserIDs returned %q", ids)
				}
			}
		}
		checkReaderError(t, r.Err(), "userId")

		r = NewReader(v)
		if id := r.UserID("targetId"); r.Err() == nil && !ValidUserID(id) {
			t.Fatalf("UserID returned %q", id)
		}
		checkReaderError(t, r.Err(), "targetId")

		r = NewReader(v)
		if name := r.RequiredText("name", 64); r.Err() == nil && (name == "" || utf8Len(name) > 64) {
			t.Fatalf("RequiredText returned %q", name)
		}
		checkReaderError(t, r.Err(), "name")

		r = NewReader(v)
		if list := r.Strings("userId", 7); r.Err() == nil {
			for i, e := range list {
				if e == "" || e != strings.TrimSpace(e) || strings.Contains(e, ",") || slices.Contains(list[:i], e) || len(list) > 7 {
					t.Fatalf("Strings returned %q", list)
				}
			}
		}
		checkReaderError(t, r.Err(), "userId")

		r = NewReader(v)
		if n := r.Int("pageSize", 1, 50, 50); n < 1 || n > 50 {
			t.Fatalf("Int returned %d outside its bounds", n)
		}
		checkReaderError(t, r.Err(), "pageSize")

		r = NewReader(v)
		if n := r.RequiredInt("time", 0, math.MaxInt64); r.Err() == nil && n < 0 {
			t.Fatalf("RequiredInt returned %d", n)
		}
		checkReaderError(t, r.Err(), "time")
	})
}

// normalize treats a nil and an empty Values alike.
func normalize(v Values) Values {
	if len(v) == 0 {
		return Values{}
	}
	return v
}

func checkReaderError(t *testing.T, err error, param string) {
	t.Helper()
	if err == nil {
		return
	}
	e, ok := apierr.As(err)
	if !ok || (e.Code != apierr.BadParam && e.Code != apierr.TooLong) || e.Status != http.StatusBadRequest {
		t.Fatalf("reading %s gave %v", param, err)
	}
	if !strings.Contains(e.Message, param) {
		t.Fatalf("message %q does not name %s", e.Message, param)
	}
}

// Strings reads a list in either encoding, drops empty and repeated values, tells absent (nil)
// from sent empty, and refuses more than its limit with a 1005.
func TestStrings(t *testing.T) {
	for _, tc := range []struct {
		body string
		want []string
		code int
	}{
		{"", nil, 0},
		{"e=", []string{}, 0},
		{"e=a,b&e=c,a,+,", []string{"a", "b", "c"}, 0},
		{"e=a,b,c,d", nil, apierr.TooLong},
	} {
		v, err := Parse(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(v)
		got := r.Strings("e", 3)
		code := 0
		if e, ok := apierr.As(r.Err()); ok {
			code = e.Code
		}
		if code != tc.code || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Strings of %q = %#v (code %d), want %#v (code %d)", tc.body, got, code, tc.want, tc.code)
		}
	}
}
