package webhooks_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"imusers/shared/domain/webhooks"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// profileCalls runs a profile call and waits for the events it raised; it returns the
// DynamoDB calls made, the delivery function's among them (its one GetItem per invocation).
func profileCalls(t *testing.T, s *testenv.Stack, path string, form ...string) store.Calls {
	t.Helper()
	s.Gateway.Wait()
	s.Calls.Reset()
	s.Client(0).MustOK(t, path, testenv.Form(form...))
	s.Gateway.Wait()
	return s.Calls.Calls()
}

// Hosted profile set and clean raise user:profile_update, in the nexconn envelope and in the
// platform's profile-sync object: modified with the profile as it now is, cleared with none.
// Without a webhook nothing more is read or invoked; with one, a call that changes several
// profiles invokes the delivery function once (one GetItem of the settings), and a change
// that changes nothing raises nothing.
func TestProfileUpdateEvents(t *testing.T) {
	s := testenv.StartStack(t)
	c, app := s.Client(0), s.Apps[0]
	r := newReceiver(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		c.Register(t, u)
	}
	if got := profileCalls(t, s, "/user/profile/set.json", "userId", "alice", "userProfile", `{"name":"Nick"}`); got.BatchGetItem != 1 || got.PutItem != 1 || got.Total() != 2 {
		t.Fatalf("set without a webhook made %+v", got)
	}

	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL, "webhookFormat", "nexconn"))
	got := profileCalls(t, s, "/user/profile/set.json", "userId", "alice", "userProfile", `{"level":2}`, "userExtProfile", `{"ext_city":"bj"}`)
	if got.BatchGetItem != 1 || got.PutItem != 1 || got.GetItem != 1 || got.Total() != 3 {
		t.Fatalf("set with a webhook made %+v", got)
	}
	reqs := r.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests after a set", len(reqs))
	}
	verify(t, app, reqs[0])
	var set struct {
		Type string `json:"type"`
		Data []struct {
			OperatorID    string            `json:"operatorId"`
			OperationType *int              `json:"operationType"`
			Time          int64             `json:"time"`
			UserProfile   map[string]any    `json:"userProfile"`
			UserMetaData  map[string]string `json:"userMetaData"`
		} `json:"data"`
	}
	if err := json.Unmarshal(reqs[0].body, &set); err != nil || set.Type != webhooks.ProfileUpdate || len(set.Data) != 1 {
		t.Fatalf("body %s", reqs[0].body)
	}
	d := set.Data[0]
	if d.OperatorID != "alice" || d.OperationType == nil || *d.OperationType != 1 || d.Time == 0 ||
		!reflect.DeepEqual(d.UserProfile, map[string]any{"name": "Nick", "level": 2.0}) || !reflect.DeepEqual(d.UserMetaData, map[string]string{"ext_city": "bj"}) {
		t.Fatalf("set event %s", reqs[0].body)
	}

	profileCalls(t, s, "/user/profile/set.json", "userId", "alice", "userProfile", `{"level":2}`) // changes nothing
	c.MustOK(t, "/user/profile/set.json", testenv.Form("userId", "bob", "userProfile", `{"name":"Bob"}`))
	got = profileCalls(t, s, "/user/profile/clean.json", "userId", "alice,bob,carol")
	if got.BatchGetItem != 1 || got.PutItem != 2 || got.GetItem != 1 || got.Total() != 4 {
		t.Fatalf("clean of two profiles (and one user without) made %+v", got)
	}
	reqs = r.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4 (set alice, set bob, clean alice and bob)", len(reqs))
	}
	cleared := map[string]bool{}
	for _, g := range reqs[2:] {
		verify(t, app, g)
		var e map[string]any
		if err := json.Unmarshal(g.body, &e); err != nil {
			t.Fatal(err)
		}
		data := e["data"].([]any)[0].(map[string]any)
		if e["type"] != webhooks.ProfileUpdate || data["operationType"] != 0.0 || data["userProfile"] != nil || data["userMetaData"] != nil {
			t.Fatalf("clean event %s", g.body)
		}
		cleared[data["operatorId"].(string)] = true
	}
	if !cleared["alice"] || !cleared["bob"] {
		t.Fatalf("cleared %v", cleared)
	}

	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookFormat", "rongcloud"))
	c.MustOK(t, "/user/profile/set.json", testenv.Form("userId", "carol", "userProfile", `{"name":"Carol","gender":2}`, "userExtProfile", `{"ext_team":"blue"}`))
	c.MustOK(t, "/user/profile/clean.json", testenv.Form("userId", "carol"))
	s.Gateway.Wait()
	reqs = r.requests()
	if len(reqs) != 6 {
		t.Fatalf("%d requests, want 6", len(reqs))
	}
	for i, want := range []map[string]any{
		{"userId": "carol", "type": 1.0, "userProfile": map[string]any{"name": "Carol", "gender": 2.0}, "userExtProfile": map[string]any{"ext_team": "blue"}},
		{"userId": "carol", "type": 0.0},
	} {
		g := reqs[4+i]
		verify(t, app, g)
		var body map[string]any
		if err := json.Unmarshal(g.body, &body); err != nil || g.header.Get("Content-Type") != "application/json" {
			t.Fatalf("rongcloud body %s", g.body)
		}
		if tm, _ := body["time"].(float64); tm == 0 {
			t.Fatalf("rongcloud body without time: %s", g.body)
		}
		delete(body, "time")
		if !reflect.DeepEqual(body, want) {
			t.Fatalf("rongcloud body %s, want %v", g.body, want)
		}
	}
}
