package jsonbody

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
)

var fields = []Field{
	ID("userId", "userId"),
	IDs("userIds", "ids", 3),
	Text("name", "name", 4),
	ByteText("avatarUrl", "portraitUri", 4),
	Int("pageSize", "size", 1, 100).Or("50"),
	Int("expiresAt", "time", 0, 1<<53).Req(),
	Obj("ext", "ext", 2, 3, 5),
}

func TestDecode(t *testing.T) {
	got, err := Decode([]byte(`{"userId":"a","userIds":["b","c","b"],"name":"ÄÖÜß","avatarUrl":null,
		"expiresAt":"0012","ext":{"k": "v"},"unknown":[1,{}]}`), fields)
	if err != nil {
		t.Fatal(err)
	}
	want := form.Values{"userId": {"a"}, "ids": {"b", "c"}, "name": {"ÄÖÜß"}, "size": {"50"}, "time": {"12"}, "ext": {`{"k":"v"}`}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode = %v, want %v", got, want)
	}
}

// Every fault is the contract's code, naming the field at fault.
func TestDecodeFaults(t *testing.T) {
	const ok = `"userId":"a","userIds":["b"],"expiresAt":1`
	for _, tc := range []struct {
		body string
		code int
		name string
	}{
		{``, apierr.BadParam, "JSON object"},
		{`[]`, apierr.BadParam, "JSON object"},
		{`null`, apierr.BadParam, "JSON object"},
		{`{"userId":"a"`, apierr.BadParam, "JSON object"},
		{`{"userIds":["b"],"expiresAt":1}`, apierr.BadParam, "userId"},
		{`{"userId":null,"userIds":["b"],"expiresAt":1}`, apierr.BadParam, "userId"},
		{`{"userId":1,"userIds":["b"],"expiresAt":1}`, apierr.BadParam, "userId"},
		{`{"userId":"a b","userIds":["b"],"expiresAt":1}`, apierr.BadParam, "userId"},
		{`{"userId":"` + strings.Repeat("a", 65) + `","userIds":["b"],"expiresAt":1}`, apierr.TooLong, "userId"},
		{`{"userId":"a","userIds":[],"expiresAt":1}`, apierr.BadParam, "userIds"},
		{`{"userId":"a","userIds":"b","expiresAt":1}`, apierr.BadParam, "userIds"},
		{`{"userId":"a","userIds":{"b":1},"expiresAt":1}`, apierr.BadParam, "userIds"},
		{`{"userId":"a","userIds":["b",2],"expiresAt":1}`, apierr.BadParam, "userIds"},
		{`{"userId":"a","userIds":["b,c"],"expiresAt":1}`, apierr.BadParam, "userIds"},
		{`{"userId":"a","userIds":[""],"expiresAt":1}`, apierr.BadParam, "userIds"},
		{`{"userId":"a","userIds":["b","c","d","e"],"expiresAt":1}`, apierr.TooLong, "userIds"},
		{`{"userId":"a","userIds":["b"]}`, apierr.BadParam, "expiresAt"},
		{`{` + ok + `,"expiresAt":"1.5"}`, apierr.BadParam, "expiresAt"},
		{`{` + ok + `,"expiresAt":1.5}`, apierr.BadParam, "expiresAt"},
		{`{` + ok + `,"expiresAt":-1}`, apierr.BadParam, "expiresAt"},
		{`{` + ok + `,"expiresAt":"-1"}`, apierr.BadParam, "expiresAt"},
		{`{` + ok + `,"expiresAt":""}`, apierr.BadParam, "expiresAt"},
		{`{` + ok + `,"expiresAt":true}`, apierr.BadParam, "expiresAt"},
		{`{` + ok + `,"pageSize":0}`, apierr.BadParam, "pageSize"},
		{`{` + ok + `,"pageSize":"101"}`, apierr.BadParam, "pageSize"},
		{`{` + ok + `,"pageSize":99999999999999999999}`, apierr.BadParam, "pageSize"},
		{`{` + ok + `,"name":5}`, apierr.BadParam, "name"},
		{`{` + ok + `,"name":"abcde"}`, apierr.TooLong, "name"},
		{`{` + ok + `,"avatarUrl":"ÄÖÜ"}`, apierr.TooLong, "avatarUrl"},
		{`{` + ok + `,"ext":"{}"}`, apierr.BadParam, "ext"},
		{`{` + ok + `,"ext":[]}`, apierr.BadParam, "ext"},
		{`{` + ok + `,"ext":{"a":"1","b":"2","c":"3"}}`, apierr.TooLong, "ext"},
		{`{` + ok + `,"ext":{"long":"1"}}`, apierr.TooLong, "ext"},
		{`{` + ok + `,"ext":{"a":"123456"}}`, apierr.TooLong, "ext"},
		{`{` + ok + `,"ext":{"a":1}}`, apierr.BadParam, "ext"},
	} {
		_, err := Decode([]byte(tc.body), fields)
		e, isAPI := apierr.As(err)
		if !isAPI || e.Code != tc.code || e.Status == http.StatusOK || !strings.Contains(e.Message, tc.name) {
			t.Errorf("Decode(%s) = %v, want code %d naming %s", tc.body, err, tc.code, tc.name)
		}
	}
}

var person = map[string]string{`"PERSON"`: "PERSON", `"1"`: "PERSON", `1`: "PERSON"}

// listFields are the kinds whose values are lists, mixed objects and choices.
var listFields = []Field{
	List("tags", "tags", 2),
	Members("profile", "profile"),
	OneOf("type", "type", map[string]string{`"PERSON"`: "PERSON", `"1"`: "PERSON"}),
	SomeOf("types", "types", person),
}

func TestDecodeLists(t *testing.T) {
	for body, want := range map[string]form.Values{
		`{"types":["PERSON"]}`: {"types": {"PERSON"}},
		`{"tags":["a","b","a"],"profile":{"name": "n", "level": 2, "x": [1]},"type":"1","types":[1,"1","\u0050ERSON"]}`: {
			"tags": {"a", "b"}, "profile": {`{"name":"n","level":2,"x":[1]}`}, "type": {"PERSON"}, "types": {"PERSON"}},
		// [] is a value: the parameter is present and names nothing, as a form's empty one.
		`{"tags":[],"profile":{},"types":["PERSON"]}`:          {"tags": {""}, "profile": {"{}"}, "types": {"PERSON"}},
		`{"tags":null,"profile":null,"type":null,"types":[1]}`: {"types": {"PERSON"}},
	} {
		got, err := Decode([]byte(body), listFields)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%s) = %v, %v; want %v", body, got, err, want)
		}
	}
}

func TestDecodeListFaults(t *testing.T) {
	const ok = `"types":["PERSON"]`
	for _, tc := range []struct {
		body string
		code int
		name string
	}{
		{`{}`, apierr.BadParam, "types"},
		{`{"types":[]}`, apierr.BadParam, "types"},
		{`{"types":"PERSON"}`, apierr.BadParam, "types"},
		{`{"types":["GROUP"]}`, apierr.BadParam, "types"},
		{`{"types":["person"]}`, apierr.BadParam, "types"},
		{`{"types":[2]}`, apierr.BadParam, "types"},
		{`{"types":[1.0]}`, apierr.BadParam, "types"},
		{`{"types":[["PERSON"]]}`, apierr.BadParam, "types"},
		{`{` + ok + `,"type":1}`, apierr.BadParam, "type"},
		{`{` + ok + `,"type":"GROUP"}`, apierr.BadParam, "type"},
		{`{` + ok + `,"type":["PERSON"]}`, apierr.BadParam, "type"},
		{`{` + ok + `,"tags":"a"}`, apierr.BadParam, "tags"},
		{`{` + ok + `,"tags":[1]}`, apierr.BadParam, "tags"},
		{`{` + ok + `,"tags":[""]}`, apierr.BadParam, "tags"},
		{`{` + ok + `,"tags":["a",null]}`, apierr.BadParam, "tags"},
		{`{` + ok + `,"tags":["a","b","c"]}`, apierr.TooLong, "tags"},
		{`{` + ok + `,"profile":"{}"}`, apierr.BadParam, "profile"},
		{`{` + ok + `,"profile":[]}`, apierr.BadParam, "profile"},
		{`{` + ok + `,"profile":1}`, apierr.BadParam, "profile"},
	} {
		_, err := Decode([]byte(tc.body), listFields)
		e, isAPI := apierr.As(err)
		if !isAPI || e.Code != tc.code || e.Status == http.StatusOK || !strings.Contains(e.Message, tc.name) || e.Param != tc.name {
			t.Errorf("Decode(%s) = %v, want code %d naming %s", tc.body, err, tc.code, tc.name)
		}
	}
}

func TestCheckContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		"application/json":                  true,
		"application/JSON; charset=utf-8":   true,
		"application/x-www-form-urlencoded": false,
		"text/plain":                        false,
		"":                                  false,
		"application/json; charset":         false,
	} {
		err := CheckContentType(ct)
		if (err == nil) != ok {
			t.Errorf("CheckContentType(%q) = %v", ct, err)
		}
		if err != nil && (err != ErrContentType || ErrContentType.Status != http.StatusUnsupportedMediaType) {
			t.Errorf("CheckContentType(%q) = %v, want the 415", ct, err)
		}
	}
}

// Any body either decodes into parameters the declaration allows, or is refused with a 4xx
// contract error; nothing panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"userId":"a","userIds":["b","c"],"expiresAt":"12","ext":{"k":"v"}}`,
		`{"userId":"a","userIds":["b"],"expiresAt":1,"pageSize":1e2}`,
		`{"userId":"\u00e4","userIds":null}`, `[]`, `null`, `{"userId":"a"`, "{\"name\":\"\xff\"}",
		`{"tags":["a","b","a"],"profile":{"name":"n","level":2},"type":"1","types":[1,"PERSON"]}`,
		`{"tags":[],"profile":{},"types":["\u0050ERSON"]}`, `{"tags":[""],"types":[1.0]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeLists(t, body)
		vals, err := Decode(body, fields)
		if err != nil {
			if e, ok := apierr.As(err); !ok || e.Status < 400 || e.Status > 499 || e.Message == "" {
				t.Fatalf("Decode(%q) = %v, want a 4xx contract error", body, err)
			}
			return
		}
		r := form.NewReader(vals)
		r.UserID("userId")
		r.UserIDs("ids", 3)
		r.Text("name", 4)
		r.Bytes("portraitUri", 4)
		r.Int("size", 1, 100, 50)
		r.RequiredInt("time", 0, 1<<53)
		if err := r.Err(); err != nil {
			t.Fatalf("Decode(%q) = %v, which the operation refuses: %v", body, vals, err)
		}
	})
}

// decodeLists checks body against listFields as FuzzDecode does against fields: refused with a
// 4xx contract error naming a field, or decoded into what the declaration allows.
func decodeLists(t *testing.T, body []byte) {
	vals, err := Decode(body, listFields)
	if err != nil {
		if e, ok := apierr.As(err); !ok || e.Status < 400 || e.Status > 499 || e.Message == "" {
			t.Fatalf("Decode(%q) = %v, want a 4xx contract error", body, err)
		}
		return
	}
	if got := vals["types"]; !reflect.DeepEqual(got, []string{"PERSON"}) {
		t.Fatalf("Decode(%q) gives types %q", body, got)
	}
	if got, ok := vals["type"]; ok && !reflect.DeepEqual(got, []string{"PERSON"}) {
		t.Fatalf("Decode(%q) gives type %q", body, got)
	}
	tags := vals["tags"]
	cleared := len(tags) == 1 && tags[0] == ""
	if len(tags) > 2 || !cleared && (slices.Contains(tags, "") || len(tags) == 2 && tags[0] == tags[1]) {
		t.Fatalf("Decode(%q) gives tags %q", body, tags)
	}
	if p, ok := vals["profile"]; ok && (len(p) != 1 || !json.Valid([]byte(p[0])) || p[0][0] != '{') {
		t.Fatalf("Decode(%q) gives profile %q, not one JSON object", body, p)
	}
}
