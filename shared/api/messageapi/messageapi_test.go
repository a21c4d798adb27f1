package messageapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/testenv"
)

const publish = "/message/private/publish.json"

// quiet is how long a test waits to be sure a frame is not coming: frames are posted before
// the publish call answers, so anything coming would already be there.
const quiet = 300 * time.Millisecond

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// online registers each user and opens one connection for each.
func online(t *testing.T, s *testenv.Stack, users ...string) map[string]*testenv.Inbox {
	t.Helper()
	c := s.Client(0)
	out := map[string]*testenv.Inbox{}
	for _, u := range users {
		tok := c.MustOK(t, "/user/getToken.json", form("userId", u, "name", u)).Body["token"].(string)
		out[u] = testenv.NewInbox(s.MustDial(t, tok))
	}
	return out
}

func text(from, to, body string, more ...string) url.Values {
	v := form(append([]string{"fromUserId", from, "toUserId", to, "objectName", "RC:TxtMsg",
		"content", `{"content":"` + body + `"}`}, more...)...)
	return v
}

// rejected is the answer's rejections as "user:code" strings, in order.
func rejected(r testenv.Response) []string {
	var out []string
	list, _ := r.Body["rejected"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		out = append(out, fmt.Sprintf("%v:%v", m["userId"], m["code"]))
	}
	return out
}

// uids maps each accepting recipient to its message's id.
func uids(r testenv.Response) map[string]string {
	out := map[string]string{}
	list, _ := r.Body["messageUIDs"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		out[m["userId"].(string)] = m["messageUID"].(string)
	}
	return out
}

// expectMessage reads the recipient's next frame, which must be from's message with msgID.
func expectMessage(t *testing.T, in *testenv.Inbox, msgID, from, body string) {
	t.Helper()
	f := in.Next(t, 2*time.Second)
	if f["type"] != "message" || f["msgId"] != msgID || msgID == "" || f["fromUserId"] != from ||
		f["objectName"] != "RC:TxtMsg" || f["content"] != `{"content":"`+body+`"}` {
		t.Fatalf("recipient got %v, want %s's message %q with msgId %q", f, from, body, msgID)
	}
}

func TestPublishBypassesListsUnlessVerified(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := online(t, s, "amy", "ben", "cid")
	c.MustOK(t, "/user/getToken.json", form("userId", "dan", "name", "dan"))
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "ben", "blackUserId", "amy"))
	c.MustOK(t, "/user/whitesetting/set.json", form("userId", "cid", "whiteSetting", "1"))

	// verifyBlacklist absent (0): ben's blocklist and cid's whitelist mode are bypassed.
	s.Calls.Reset()
	r := c.MustOK(t, publish, text("amy", "ben,cid,ghost", "from the server"))
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
		t.Errorf("a publish to three made %+v, budget one BatchGetItem", calls)
	}
	if got := rejected(r); !reflect.DeepEqual(got, []string{"ghost:3001"}) {
		t.Errorf("rejected = %v, want only ghost (3001)", got)
	}
	ids := uids(r)
	if len(ids) != 2 || ids["ben"] == ids["cid"] {
		t.Fatalf("messageUIDs = %v, want one of its own for ben and for cid", r.Body["messageUIDs"])
	}
	expectMessage(t, u["ben"], ids["ben"], "amy", "from the server")
	expectMessage(t, u["cid"], ids["cid"], "amy", "from the server")
	u["amy"].Quiet(t, quiet)

	// verifyBlacklist=1: both refuse, each reported, in the order asked (repeated keys).
	r = c.MustOK(t, publish, form("fromUserId", "amy", "toUserId", "ghost", "toUserId", "cid", "toUserId", "ben",
		"objectName", "RC:TxtMsg", "content", `{"content":"checked"}`, "verifyBlacklist", "1"))
	if got := rejected(r); !reflect.DeepEqual(got, []string{"ghost:3001", "cid:405", "ben:405"}) {
		t.Errorf("rejected = %v, want ghost 3001, cid 405, ben 405", got)
	}
	if list, ok := r.Body["messageUIDs"].([]any); !ok || len(list) != 0 {
		t.Errorf("messageUIDs = %v, want []", r.Body["messageUIDs"])
	}
	u["ben"].Quiet(t, quiet)
	u["cid"].Quiet(t, quiet)

	// Listed on cid's whitelist, amy gets through even when verified; no rejections, no field.
	c.MustOK(t, "/user/whitelist/add.json", form("userId", "cid", "whiteUserId", "amy"))
	r = c.MustOK(t, publish, text("amy", "cid", "listed", "verifyBlacklist", "1"))
	if _, ok := r.Body["rejected"]; ok {
		t.Errorf("answer %s carries rejected though nobody refused", r.Raw)
	}
	expectMessage(t, u["cid"], uids(r)["cid"], "amy", "listed")

	// Friends-only concerns clients, not the App Server; an offline recipient is not an error.
	c.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "1"))
	r = c.MustOK(t, publish, text("amy", "dan", "not a friend", "verifyBlacklist", "1"))
	if len(rejected(r)) != 0 || uids(r)["dan"] == "" {
		t.Errorf("publish to a non-friend under friends-only: %s, want accepted", r.Raw)
	}

	// A deactivated recipient is reported; the others still get the message.
	c.MustOK(t, "/user/deactivate.json", form("userId", "cid"))
	if f := u["cid"].Next(t, 2*time.Second); f["type"] != "kicked" {
		t.Fatalf("deactivated cid got %v, want the kicked frame", f)
	}
	s.Gateway.Wait()
	r = c.MustOK(t, publish, text("amy", "cid,ben", "after", "verifyBlacklist", "0"))
	if got := rejected(r); !reflect.DeepEqual(got, []string{"cid:3002"}) {
		t.Errorf("rejected = %v, want cid (3002)", got)
	}
	expectMessage(t, u["ben"], uids(r)["ben"], "amy", "after")
}

func TestPublishSender(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := online(t, s, "rob")
	for _, id := range []string{"mal", "vic"} {
		c.MustOK(t, "/user/getToken.json", form("userId", id, "name", id))
	}

	r := c.Post(t, publish, text("ghost", "rob", "who am I"))
	if r.Status != http.StatusNotFound || r.Code() != 3001 || !strings.Contains(r.Raw, "ghost") {
		t.Errorf("unknown sender: HTTP %d %s, want 404 3001 naming ghost", r.Status, r.Raw)
	}
	c.MustOK(t, "/user/deactivate.json", form("userId", "vic"))
	s.Gateway.Wait()
	r = c.Post(t, publish, text("vic", "rob", "gone"))
	if r.Status != http.StatusForbidden || r.Code() != 3002 {
		t.Errorf("deactivated sender: HTTP %d %s, want 403 3002", r.Status, r.Raw)
	}
	u["rob"].Quiet(t, quiet)

	// A ban keeps the user's own client out; the App Server may still speak for the user.
	c.MustOK(t, "/user/block.json", form("userId", "mal", "minute", "10"))
	r = c.MustOK(t, publish, text("mal", "rob", "via the server"))
	expectMessage(t, u["rob"], uids(r)["rob"], "mal", "via the server")
}

func TestPublishParameters(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := online(t, s, "amy", "ben")
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	ok := func(more ...string) url.Values {
		base := map[string]string{"fromUserId": "amy", "toUserId": "ben", "objectName": "RC:TxtMsg", "content": `{"content":"hi"}`}
		v := url.Values{}
		for k, val := range base {
			v.Set(k, val)
		}
		for i := 0; i+1 < len(more); i += 2 {
			if more[i+1] == "<absent>" {
				v.Del(more[i])
			} else {
				v.Set(more[i], more[i+1])
			}
		}
		return v
	}
	twice := ok()
	twice.Add("verifyBlacklist", "0")
	twice.Add("verifyBlacklist", "1")
	for _, tc := range []struct {
		name   string
		form   url.Values
		code   int
		naming string
	}{
		{"no fromUserId", ok("fromUserId", "<absent>"), 1002, "fromUserId"},
		{"no toUserId", ok("toUserId", "<absent>"), 1002, "toUserId"},
		{"malformed toUserId", ok("toUserId", "ben,bob smith"), 1002, "toUserId"},
		{"1001 recipients", ok("toUserId", strings.Join(many, ",")), 1005, "toUserId"},
		{"no objectName", ok("objectName", "<absent>"), 1002, "objectName"},
		{"objectName of 33 characters", ok("objectName", strings.Repeat("o", 33)), 1005, "objectName"},
		{"no content", ok("content", "<absent>"), 1002, "content"},
		{"content not JSON", ok("content", "hi"), 1002, "content"},
		{"content an array", ok("content", `["hi"]`), 1002, "content"},
		{"content over 61,440 bytes", ok("content", `{"a":"`+strings.Repeat("x", 61435)+`"}`), 1005, "content"},
		{"verifyBlacklist 2", ok("verifyBlacklist", "2"), 1002, "verifyBlacklist"},
		{"verifyBlacklist twice", twice, 1002, "verifyBlacklist"},
	} {
		r := c.Post(t, publish, tc.form)
		if r.Code() != tc.code || r.Status != 400 || !strings.Contains(r.Raw, tc.naming) {
			t.Errorf("%s: HTTP %d %s, want 400, code %d naming %s", tc.name, r.Status, r.Raw, tc.code, tc.naming)
		}
	}
	u["ben"].Quiet(t, quiet)

	// At the limits: 1000 recipients, 61,440 bytes of content, 32 characters of objectName.
	r := c.MustOK(t, publish, ok("toUserId", strings.Join(append(many[:999:999], "ben"), ","),
		"objectName", strings.Repeat("é", 32), "content", `{"a":"`+strings.Repeat("x", 61432)+`"}`))
	if n := len(rejected(r)); n != 999 {
		t.Errorf("%d rejected, want the 999 unknown users", n)
	}
	if f := u["ben"].Next(t, 2*time.Second); f["msgId"] != uids(r)["ben"] || len(f["content"].(string)) != 61440 {
		t.Errorf("ben got %.100v, want the message at the size limit", f)
	}
}

// One publish's reads: the sender's two keys once, then per recipient its profile and presence
// (and with verifyBlacklist=1 its blocklist and whitelist entries), 100 keys to a BatchGetItem.
func TestPublishBudget(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	u := online(t, s, "amy", "r0", "r999")
	for _, tc := range []struct {
		recipients int
		verify     string
		calls      int64
	}{
		{49, "0", 1}, {50, "0", 2}, {1000, "0", 21},
		{24, "1", 1}, {25, "1", 2}, {1000, "1", 41},
	} {
		to := make([]string, tc.recipients)
		for i := range to {
			to[i] = fmt.Sprint("r", i)
		}
		to[len(to)-1] = "r999"
		s.Calls.Reset()
		r := c.MustOK(t, publish, text("amy", strings.Join(to, ","), "budget", "verifyBlacklist", tc.verify))
		if calls := s.Calls.Calls(); calls.Total() != tc.calls || calls.BatchGetItem != tc.calls {
			t.Errorf("publish to %d with verifyBlacklist=%s made %+v, want %d BatchGetItem", tc.recipients, tc.verify, calls, tc.calls)
		}
		ids := uids(r)
		if len(ids) != 2 || len(rejected(r)) != tc.recipients-2 {
			t.Errorf("publish to %d: %d accepted, %d rejected; want r0 and r999 to accept", tc.recipients, len(ids), len(rejected(r)))
		}
		expectMessage(t, u["r0"], ids["r0"], "amy", "budget")
		expectMessage(t, u["r999"], ids["r999"], "amy", "budget")
	}
}
