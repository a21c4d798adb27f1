package abuse_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"imusers/shared/routes"
	"imusers/shared/testenv"
	sharedform "imusers/shared/wire/form"
)

func signedBy(c *testenv.APIClient) []header {
	var hs []header
	for k, v := range c.SignedHeaders() {
		hs = append(hs, header{k, v})
	}
	return hs
}

// pad makes a form body of exactly n bytes that starts with prefix; the padding is a parameter
// no operation reads.
func pad(prefix string, n int) string {
	head := prefix + "&zz="
	return head + strings.Repeat("x", n-len(head))
}

// Every route refuses a body over 512 KiB with 413/1005 before any work, whether API Gateway
// hands it over as text or base64; a body of exactly 512 KiB is read; one over API Gateway's
// 10 MiB never reaches a function.
func TestOversizedBodies(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	c.MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice"))
	for _, r := range routes.All {
		if r.Kind != routes.HTTP {
			continue
		}
		for _, ct := range []string{formType, "text/plain"} {
			s.Calls.Reset()
			res := send(t, s.URL, r.Path, ct, pad("userId=alice", sharedform.MaxBody+1), signedBy(c))
			expect(t, fmt.Sprintf("%s, %s body of 512 KiB + 1", r.Name, ct), res, http.StatusRequestEntityTooLarge, 1005)
			if n := s.Calls.Calls().Total(); n != 0 {
				t.Errorf("%s: an oversized body cost %d DynamoDB calls", r.Name, n)
			}
		}
	}
	res := send(t, s.URL, "/user/info.json", formType, pad("userId=alice", sharedform.MaxBody), signedBy(c))
	expect(t, "info with a body of exactly 512 KiB", res, http.StatusOK, 200)

	huge := strings.Repeat("a", 10<<20+1)
	if res := send(t, s.URL, "/user/info.json", formType, huge, signedBy(c)); res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 10 MiB answered HTTP %d %s", res.Status, res.Raw)
	}
}

// Bodies within the size limit but built to cost: thousands of empty pairs, thousands of values
// of one parameter, a list far over its limit, undecodable escapes and bytes. Each answers a
// 4xx naming the fault, never 1000.
func TestPathologicalForms(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	c.MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice"))
	many := make([]string, 20000)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	cases := []struct {
		name, path, body string
		status, code     int
	}{
		{"only separators", "/user/info.json", strings.Repeat("&", 400<<10), 400, 1002},
		{"one parameter 40000 times", "/user/info.json", strings.Repeat("userId=alice&", 40000), 400, 1002},
		{"a list of 20000 users", "/user/deactivate.json", "userId=" + strings.Join(many, ","), 400, 1005},
		{"20000 repeated list keys", "/user/deactivate.json", "userId=" + strings.Join(many, "&userId="), 400, 1005},
		{"bad escape", "/user/info.json", "userId=%zz", 400, 1002},
		{"bad escape in a name", "/user/info.json", "%zz=1&userId=alice", 400, 1002},
		{"invalid UTF-8", "/user/getToken.json", "userId=bob&name=%ff%fe", 400, 1002},
		{"NUL in a userId", "/user/info.json", "userId=ali%00ce", 400, 1002},
		{"userId of 65 bytes", "/user/info.json", "userId=" + strings.Repeat("a", 65), 400, 1005},
	}
	for _, tc := range cases {
		s.Calls.Reset()
		res := send(t, s.URL, tc.path, formType, tc.body, signedBy(c))
		expect(t, tc.name, res, tc.status, tc.code)
		if n := s.Calls.Calls().Total(); n != 0 {
			t.Errorf("%s: a refused body cost %d DynamoDB calls", tc.name, n)
		}
	}
}

// JSON-valued parameters (friendExtProfile, a message's content) refuse what is not a small JSON
// object — nested thousands deep, cut off, not an object, too many keys, too long — with a 4xx
// naming the parameter, and what they refuse changes nothing.
func TestMalformedJSONParameters(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	deepArray := `{"a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}"
	keys := make([]string, 11)
	for i := range keys {
		keys[i] = fmt.Sprintf(`"k%d":%d`, i, i)
	}
	bad := []struct{ name, value, only string }{
		{"nested 20000 deep", deep, ""},
		{"arrays nested 20000 deep", deepArray, ""},
		{"cut off", `{"a":`, ""},
		{"not JSON", `hello`, ""},
		{"an array", `[1,2]`, ""},
		{"a string", `"x"`, ""},
		{"null", `null`, ""},
		{"trailing garbage", `{"a":1}x`, ""},
		{"two objects", `{"a":1}{"b":2}`, ""},
		{"eleven keys", "{" + strings.Join(keys, ",") + "}", "friendExtProfile"},
		{"long", `{"a":"` + strings.Repeat("x", 300<<10) + `"}`, ""},
	}
	targets := []struct {
		route, param string
		form         func(value string) string
	}{
		{"friendProfileSet", "friendExtProfile", func(v string) string {
			return form("userId", "alice", "targetId", "bob", "friendExtProfile", v).Encode()
		}},
		{"messagePrivatePublish", "content", func(v string) string {
			return form("fromUserId", "alice", "toUserId", "bob", "objectName", "RC:TxtMsg", "content", v).Encode()
		}},
	}
	s := testenv.StartStack(t)
	c := s.Client(0)
	for _, u := range []string{"alice", "bob"} {
		c.MustOK(t, "/user/getToken.json", form("userId", u, "name", u))
	}
	for _, tg := range targets {
		r, ok := routes.ByName(tg.route)
		if !ok {
			t.Logf("%s is not served yet", tg.route)
			continue
		}
		if tg.route == "friendProfileSet" {
			c.MustOK(t, "/friend/add.json", form("userId", "alice", "targetId", "bob", "optType", "2"))
			c.MustOK(t, r.Path, tg.form(`{"team":"blue"}`))
		}
		before := snapshot(t, s.Table, s.Apps[0].Key)
		for _, b := range bad {
			if b.only != "" && b.only != tg.param {
				continue
			}
			res := send(t, s.URL, r.Path, formType, tg.form(b.value), signedBy(c))
			if (res.Code() != 1002 && res.Code() != 1005) || res.Status != http.StatusBadRequest && res.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("%s %s %s: HTTP %d %.200s; want 400 with 1002 or 1005", tg.route, tg.param, b.name, res.Status, res.Raw)
				continue
			}
			if msg, _ := res.Body["errorMessage"].(string); res.Status == http.StatusBadRequest && !strings.Contains(msg, tg.param) {
				t.Errorf("%s %s: message does not name %s: %s", tg.route, b.name, tg.param, msg)
			}
		}
		if after := snapshot(t, s.Table, s.Apps[0].Key); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("%s: refused values changed stored data", tg.route)
		}
	}
}
