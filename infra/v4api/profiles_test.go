package v4api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"imusers/shared/testenv"
	c "imusers/shared/testenv/v4client"
	"imusers/shared/wire/apierr"
)

// ids is n distinct userIds.
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint("u", i)
	}
	return out
}

// v1Tags is what v1's tag get answers for the users.
func v1Tags(t *testing.T, v1 *testenv.APIClient, users ...string) map[string]any {
	t.Helper()
	r := v1.MustOK(t, "/user/tags/get.json", testenv.Form("userIds", strings.Join(users, ",")))
	m, _ := r.Body["result"].(map[string]any)
	return m
}

// Tags set through v4 are v1's tags and the other way round: v4 replaces whole sets ([] clears
// one), answers in request order, and refuses bad users and tags without changing anything.
func TestV4Tags(t *testing.T) {
	s := testenv.StartStack(t)
	v4, v1 := s.V4(0), s.Client(0)
	for _, id := range []string{"alice", "bob", "gone"} {
		v1.Register(t, id)
	}
	must(v4.SoftDeleteUsers(ctx, c.UsersRequest{UserIDs: []string{"gone"}}))(t)

	ok(t, v4.SetUserTags(ctx, c.SetUserTagsRequest{UserIDs: []string{"alice", "bob"}, Tags: []string{"vip", "北京", "vip"}}))
	if got := fmt.Sprint(v1Tags(t, v1, "alice", "bob")); got != "map[alice:[vip 北京] bob:[vip 北京]]" {
		t.Fatalf("v1 sees %s", got)
	}
	v1.MustOK(t, "/user/tag/set.json", testenv.Form("userId", "alice", "tags", "x,y"))
	ok(t, v4.SetUserTags(ctx, c.SetUserTagsRequest{UserIDs: []string{"bob"}, Tags: []string{}}))
	got := must(v4.GetUserTags(ctx, c.UsersRequest{UserIDs: []string{"bob", "alice", "nobody", "bob"}}))(t)
	want := []c.UserTags{{UserID: "bob", Tags: []string{}}, {UserID: "alice", Tags: []string{"x", "y"}}, {UserID: "nobody", Tags: []string{}}}
	if !slices.EqualFunc(got.Users, want, func(a, b c.UserTags) bool { return a.UserID == b.UserID && slices.Equal(a.Tags, b.Tags) }) {
		t.Fatalf("v4 get %+v, want %+v", got.Users, want)
	}

	for _, tc := range []struct {
		req          c.SetUserTagsRequest
		status, code int
		names        string
	}{
		{c.SetUserTagsRequest{UserIDs: []string{"alice", "nobody"}, Tags: []string{"z"}}, http.StatusNotFound, apierr.UnknownUser, "nobody"},
		{c.SetUserTagsRequest{UserIDs: []string{"alice", "gone"}, Tags: []string{"z"}}, http.StatusForbidden, apierr.UserDeactivated, "gone"},
		{c.SetUserTagsRequest{UserIDs: []string{"alice"}}, http.StatusBadRequest, apierr.BadParam, "tags"},
		{c.SetUserTagsRequest{UserIDs: []string{}, Tags: []string{"z"}}, http.StatusBadRequest, apierr.BadParam, "userIds"},
		{c.SetUserTagsRequest{UserIDs: ids(1001), Tags: []string{"z"}}, http.StatusBadRequest, apierr.TooLong, "userIds"},
		{c.SetUserTagsRequest{UserIDs: []string{"alice"}, Tags: ids(21)}, http.StatusBadRequest, apierr.TooLong, "tags"},
		{c.SetUserTagsRequest{UserIDs: []string{"alice"}, Tags: []string{"z", ""}}, http.StatusBadRequest, apierr.BadParam, "tags"},
		{c.SetUserTagsRequest{UserIDs: []string{"alice"}, Tags: []string{"a b"}}, http.StatusBadRequest, apierr.BadParam, "tags"},
		// One JSON string is one tag: a ',' in it is no separator.
		{c.SetUserTagsRequest{UserIDs: []string{"alice"}, Tags: []string{"z,w"}}, http.StatusBadRequest, apierr.BadParam, "tags"},
		{c.SetUserTagsRequest{UserIDs: []string{"alice"}, Tags: []string{strings.Repeat("z", 41)}}, http.StatusBadRequest, apierr.TooLong, "tags"},
	} {
		wantError(t, v4.SetUserTags(ctx, tc.req), tc.status, tc.code, tc.names)
	}
	if got := fmt.Sprint(v1Tags(t, v1, "alice", "bob")); got != "map[alice:[x y] bob:[]]" {
		t.Fatalf("refused sets changed the tags: %s", got)
	}
	ok(t, v4.SetUserTags(ctx, c.SetUserTagsRequest{UserIDs: []string{"alice"}, Tags: ids(20)}))

	_, err := v4.GetUserTags(ctx, c.UsersRequest{UserIDs: ids(51)})
	wantError(t, err, http.StatusBadRequest, apierr.TooLong, "userIds")
	_, err = v4.GetUserTags(ctx, c.UsersRequest{UserIDs: []string{"a b"}})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "userIds")
}

// wantProfileError fails unless err is the contract's error naming key in profileKey.
func wantProfileError(t *testing.T, err error, status, code int, key string) {
	t.Helper()
	wantError(t, err, status, code, "")
	var e *c.Error
	if errors.As(err, &e); e.ProfileKey != key {
		t.Fatalf("profileKey %q, want %q (%v)", e.ProfileKey, key, err)
	}
}

// userIDs are the users of a profile answer, in order.
func userIDs(r *c.UserProfilesResult) []string {
	var out []string
	for _, p := range r.Users {
		out = append(out, p.UserID)
	}
	return out
}

// Hosted profiles through v4 are v1's: set merges key by key with a newer version, batch get and
// list answer both parts as objects, delete clears them; a bad key is named in profileKey and
// nothing is stored.
func TestV4HostedProfiles(t *testing.T) {
	s := testenv.StartStack(t)
	v4, v1 := s.V4(0), s.Client(0)
	for _, id := range []string{"alice", "bob", "carol", "gone"} {
		v1.Register(t, id)
		s.Clock.Advance(time.Millisecond)
	}
	must(v4.SoftDeleteUsers(ctx, c.UsersRequest{UserIDs: []string{"gone"}}))(t)

	ok(t, v4.SetUserProfile(ctx, c.SetUserProfileRequest{UserID: "alice",
		UserProfile:    map[string]any{"name": "Nick", "level": 2, "gender": "1"},
		UserExtProfile: map[string]any{"ext_city": "bj"}}))
	if r := v1.MustOK(t, "/user/profile/batch/query.json", testenv.Form("userId", "alice")); !strings.Contains(r.Raw, `{\"gender\":1,\"level\":2,\"name\":\"Nick\"}`) ||
		!strings.Contains(r.Raw, `{\"ext_city\":\"bj\"}`) {
		t.Fatalf("v1 sees %s", r.Raw)
	}
	v1.MustOK(t, "/user/profile/set.json", testenv.Form("userId", "bob", "userExtProfile", `{"ext_team":"red"}`))
	got := must(v4.GetUserProfiles(ctx, c.UsersRequest{UserIDs: []string{"bob", "carol", "alice", "nobody"}}))(t)
	if ids := userIDs(got); !slices.Equal(ids, []string{"bob", "alice"}) {
		t.Fatalf("batch get answers %v, want bob and alice (the users with a profile, in request order)", ids)
	}
	bob, alice := got.Users[0], got.Users[1]
	if fmt.Sprint(alice.UserProfile) != "map[gender:1 level:2 name:Nick]" || fmt.Sprint(alice.UserExtProfile) != "map[ext_city:bj]" || alice.Version == 0 {
		t.Fatalf("alice %+v", alice)
	}
	if bob.UserProfile == nil || len(bob.UserProfile) != 0 || bob.UserExtProfile["ext_team"] != "red" {
		t.Fatalf("bob %+v, want userProfile {} and the ext pair v1 set", bob)
	}

	s.Clock.Advance(time.Millisecond)
	ok(t, v4.SetUserProfile(ctx, c.SetUserProfileRequest{UserID: "alice", UserProfile: map[string]any{"level": ""}, UserExtProfile: map[string]any{"ext_age": "3"}}))
	merged := must(v4.GetUserProfiles(ctx, c.UsersRequest{UserIDs: []string{"alice"}}))(t).Users[0]
	if fmt.Sprint(merged.UserProfile) != "map[gender:1 name:Nick]" || fmt.Sprint(merged.UserExtProfile) != "map[ext_age:3 ext_city:bj]" || merged.Version <= alice.Version {
		t.Fatalf("after the merge %+v (before: %+v)", merged, alice)
	}

	for _, tc := range []struct {
		req          c.SetUserProfileRequest
		status, code int
		key          string
	}{
		{c.SetUserProfileRequest{UserID: "alice", UserProfile: map[string]any{"nickname": "x"}}, http.StatusBadRequest, apierr.BadParam, "nickname"},
		{c.SetUserProfileRequest{UserID: "alice", UserProfile: map[string]any{"name": "ok", "level": 101}}, http.StatusBadRequest, apierr.BadParam, "level"},
		{c.SetUserProfileRequest{UserID: "alice", UserProfile: map[string]any{"gender": "male"}}, http.StatusBadRequest, apierr.BadParam, "gender"},
		{c.SetUserProfileRequest{UserID: "alice", UserProfile: map[string]any{"email": 5}}, http.StatusBadRequest, apierr.BadParam, "email"},
		{c.SetUserProfileRequest{UserID: "alice", UserProfile: map[string]any{"name": strings.Repeat("n", 65)}}, http.StatusBadRequest, apierr.TooLong, "name"},
		{c.SetUserProfileRequest{UserID: "alice", UserExtProfile: map[string]any{"city": "x"}}, http.StatusBadRequest, apierr.BadParam, "city"},
		{c.SetUserProfileRequest{UserID: "alice", UserExtProfile: map[string]any{"ext_x": strings.Repeat("v", 257)}}, http.StatusBadRequest, apierr.TooLong, "ext_x"},
	} {
		wantProfileError(t, v4.SetUserProfile(ctx, tc.req), tc.status, tc.code, tc.key)
	}
	wantError(t, v4.SetUserProfile(ctx, c.SetUserProfileRequest{UserID: "alice"}), http.StatusBadRequest, apierr.BadParam, "userProfile")
	wantError(t, v4.SetUserProfile(ctx, c.SetUserProfileRequest{UserID: "nobody", UserProfile: map[string]any{"name": "x"}}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.SetUserProfile(ctx, c.SetUserProfileRequest{UserID: "gone", UserProfile: map[string]any{"name": "x"}}), http.StatusForbidden, apierr.UserDeactivated, "gone")
	if now := must(v4.GetUserProfiles(ctx, c.UsersRequest{UserIDs: []string{"alice"}}))(t).Users[0]; now.Version != merged.Version || fmt.Sprint(now) != fmt.Sprint(merged) {
		t.Fatalf("refused sets changed the profile: %+v, was %+v", now, merged)
	}

	// The list: by registration time, or exactly the reverse.
	list := func(r c.ListUserProfilesRequest) []string { return userIDs(must(v4.ListUserProfiles(ctx, r))(t)) }
	if got := list(c.ListUserProfilesRequest{}); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("list %v", got)
	}
	if got := list(c.ListUserProfilesRequest{Order: 1, PageSize: 1}); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("newest first, one a page: %v", got)
	}
	if got := list(c.ListUserProfilesRequest{Order: 1, PageSize: 1, Page: 2}); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("newest first, page 2: %v", got)
	}
	_, err := v4.ListUserProfiles(ctx, c.ListUserProfilesRequest{PageSize: 101})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "pageSize")
	_, err = v4.ListUserProfiles(ctx, c.ListUserProfilesRequest{Page: 101, PageSize: 100})
	wantError(t, err, http.StatusBadRequest, apierr.TooLong, "10000")
	_, err = v4.GetUserProfiles(ctx, c.UsersRequest{UserIDs: ids(21)})
	wantError(t, err, http.StatusBadRequest, apierr.TooLong, "userIds")

	// Delete clears both parts; v1's clean is the same call.
	wantError(t, v4.DeleteUserProfiles(ctx, c.UsersRequest{UserIDs: []string{"alice", "nobody"}}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.DeleteUserProfiles(ctx, c.UsersRequest{UserIDs: ids(21)}), http.StatusBadRequest, apierr.TooLong, "userIds")
	ok(t, v4.DeleteUserProfiles(ctx, c.UsersRequest{UserIDs: []string{"alice", "carol"}}))
	if r := v1.MustOK(t, "/user/profile/batch/query.json", testenv.Form("userId", "alice,bob")); strings.Contains(r.Raw, `"alice"`) || !strings.Contains(r.Raw, `"bob"`) {
		t.Fatalf("after the v4 delete v1 sees %s", r.Raw)
	}
	v1.MustOK(t, "/user/profile/clean.json", testenv.Form("userId", "bob"))
	if got := list(c.ListUserProfilesRequest{}); len(got) != 0 {
		t.Fatalf("cleared profiles still listed: %v", got)
	}
	if got := must(v4.GetUserProfiles(ctx, c.UsersRequest{UserIDs: []string{"alice", "bob"}}))(t); len(got.Users) != 0 {
		t.Fatalf("cleared profiles still answered: %+v", got)
	}
}

var clientMsgSeq int

// sendAck sends a text message from in's user to to and returns its ack's code.
func sendAck(t *testing.T, in *testenv.Inbox, to string) int {
	t.Helper()
	clientMsgSeq++
	id := fmt.Sprint("m-", clientMsgSeq)
	in.Send(t, map[string]string{"action": "sendMessage", "toUserId": to, "objectName": "RC:TxtMsg", "content": `{"content":"hi"}`, "clientMsgId": id})
	ack := in.Next(t, 5*time.Second)
	if ack["type"] != "ack" || ack["clientMsgId"] != id {
		t.Fatalf("answer %v, want the ack of %s", ack, id)
	}
	code, _ := ack["code"].(float64)
	return int(code)
}

// A v4 mute is v1's: a muted client's direct messages are acked 20106 and not delivered, v1
// lists the users v4 muted and the other way round, and an unmute through either API ends it.
func TestV4Mute(t *testing.T) {
	s := testenv.StartStack(t)
	v4, v1 := s.V4(0), s.Client(0)
	amy := testenv.NewInbox(s.MustDial(t, v1.Register(t, "amy")))
	ben := testenv.NewInbox(s.MustDial(t, v1.Register(t, "ben")))
	v1.Register(t, "cid")

	ok(t, v4.SetChannelTypeMute(ctx, c.SetChannelTypeMuteRequest{UserIDs: []string{"amy"}, MuteState: 1, ChannelTypes: []any{"PERSON", 1, "1"}}))
	if code := sendAck(t, amy, "ben"); code != 20106 {
		t.Fatalf("a muted sender's message was acked %d", code)
	}
	ben.Quiet(t, 300*time.Millisecond)
	if code := sendAck(t, ben, "amy"); code != 200 {
		t.Fatalf("a message to the muted user was acked %d", code)
	}
	if f := amy.Next(t, 5*time.Second); f["type"] != "message" || f["fromUserId"] != "ben" {
		t.Fatalf("the muted user got %v, want ben's message", f)
	}
	if r := v1.MustOK(t, "/user/chat/fb/querylist.json", testenv.Form("type", "PERSON")); !strings.Contains(r.Raw, `"users":["amy"]`) {
		t.Fatalf("v1 lists %s", r.Raw)
	}
	s.Clock.Advance(time.Millisecond)
	v1.MustOK(t, "/user/chat/fb/set.json", testenv.Form("userId", "ben,cid", "state", "1", "type", "PERSON"))
	muted := must(v4.ListChannelTypeMutes(ctx, c.ListChannelTypeMutesRequest{ChannelType: "1", Offset: 1, PageSize: 1}))(t)
	if muted.TotalCount != 3 || len(muted.MutedUserIDs) != 1 || muted.MutedUserIDs[0] == "amy" {
		t.Fatalf("from offset 1, one a page: %+v", muted)
	}
	all := must(v4.ListChannelTypeMutes(ctx, c.ListChannelTypeMutesRequest{ChannelType: "PERSON"}))(t)
	if all.TotalCount != 3 || len(all.MutedUserIDs) != 3 || all.MutedUserIDs[0] != "amy" {
		t.Fatalf("every mute, oldest first: %+v", all)
	}

	for _, tc := range []struct {
		req          c.SetChannelTypeMuteRequest
		status, code int
		names        string
	}{
		{c.SetChannelTypeMuteRequest{UserIDs: []string{"amy", "nobody"}, MuteState: 0, ChannelTypes: []any{"PERSON"}}, http.StatusNotFound, apierr.UnknownUser, "nobody"},
		{c.SetChannelTypeMuteRequest{UserIDs: []string{"amy"}, MuteState: 0, ChannelTypes: []any{"PERSON", "GROUP"}}, http.StatusBadRequest, apierr.BadParam, "channelTypes"},
		{c.SetChannelTypeMuteRequest{UserIDs: []string{"amy"}, MuteState: 0, ChannelTypes: []any{2}}, http.StatusBadRequest, apierr.BadParam, "channelTypes"},
		{c.SetChannelTypeMuteRequest{UserIDs: []string{"amy"}, MuteState: 0, ChannelTypes: []any{}}, http.StatusBadRequest, apierr.BadParam, "channelTypes"},
		{c.SetChannelTypeMuteRequest{UserIDs: []string{"amy"}, MuteState: 2, ChannelTypes: []any{"PERSON"}}, http.StatusBadRequest, apierr.BadParam, "muteState"},
		{c.SetChannelTypeMuteRequest{UserIDs: ids(1001), MuteState: 0, ChannelTypes: []any{"PERSON"}}, http.StatusBadRequest, apierr.TooLong, "userIds"},
	} {
		wantError(t, v4.SetChannelTypeMute(ctx, tc.req), tc.status, tc.code, tc.names)
	}
	if code := sendAck(t, amy, "ben"); code != 20106 {
		t.Fatalf("a refused unmute unmuted: ack %d", code)
	}
	for names, r := range map[string]c.ListChannelTypeMutesRequest{
		"channelType": {ChannelType: "GROUP"},
		"pageSize":    {ChannelType: "PERSON", PageSize: 201},
		"offset":      {ChannelType: "PERSON", Offset: -1},
	} {
		_, err := v4.ListChannelTypeMutes(ctx, r)
		wantError(t, err, http.StatusBadRequest, apierr.BadParam, names)
	}

	ok(t, v4.SetChannelTypeMute(ctx, c.SetChannelTypeMuteRequest{UserIDs: []string{"amy", "ben"}, MuteState: 0, ChannelTypes: []any{1}}))
	if code := sendAck(t, amy, "ben"); code != 200 {
		t.Fatalf("after the v4 unmute the message was acked %d", code)
	}
	if r := v1.MustOK(t, "/user/chat/fb/querylist.json", testenv.Form("type", "PERSON")); !strings.Contains(r.Raw, `"users":["cid"]`) {
		t.Fatalf("after the v4 unmute v1 lists %s", r.Raw)
	}
}
