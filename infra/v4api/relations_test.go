package v4api

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"imusers/shared/domain/relations"
	"imusers/shared/testenv"
	c "imusers/shared/testenv/v4client"
	"imusers/shared/wire/apierr"
)

// The v4 blocklist is the v1 blacklist: what either adds, the other lists and removes.
func TestV4Blocklist(t *testing.T) {
	s := testenv.StartStack(t)
	v4, v1 := s.V4(0), s.Client(0)
	for _, id := range []string{"alice", "bob", "gone"} {
		v1.Register(t, id)
	}
	must(v4.SoftDeleteUsers(ctx, c.UsersRequest{UserIDs: []string{"gone"}}))(t)

	ok(t, v4.AddToBlocklist(ctx, c.AddToBlocklistRequest{UserID: "alice", TargetUserIDs: []string{"bob", "carol"}}))
	if r := v1.MustOK(t, "/user/blacklist/query.json", testenv.Form("userId", "alice")); !strings.Contains(r.Raw, `"bob"`) || !strings.Contains(r.Raw, `"carol"`) {
		t.Fatalf("v1 lists %s", r.Raw)
	}
	s.Clock.Advance(time.Millisecond)
	v1.MustOK(t, "/user/blacklist/add.json", testenv.Form("userId", "alice", "blackUserId", "dave"))
	first := must(v4.GetBlocklist(ctx, c.GetBlocklistRequest{UserID: "alice", PageSize: 2}))(t)
	if len(first.BlockedUserIDs) != 2 || first.BlockedUserIDs[0] != "dave" || first.Next == "" || first.Next != first.PageToken {
		t.Fatalf("first page %+v, want dave first, and next equal to pageToken", first)
	}
	rest := must(v4.GetBlocklist(ctx, c.GetBlocklistRequest{UserID: "alice", PageToken: first.PageToken, PageSize: 2, Order: 1}))(t)
	all := append(slices.Clone(first.BlockedUserIDs), rest.BlockedUserIDs...)
	slices.Sort(all)
	if !slices.Equal(all, []string{"bob", "carol", "dave"}) || rest.Next != "" || rest.PageToken != "" {
		t.Fatalf("second page %+v after %+v", rest, first)
	}
	_, err := v4.GetBlocklist(ctx, c.GetBlocklistRequest{UserID: "alice", PageToken: first.PageToken + "x"})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "pageToken")
	_, err = v4.GetBlocklist(ctx, c.GetBlocklistRequest{UserID: "alice", PageSize: 1001})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "pageSize")
	if none := must(v4.GetBlocklist(ctx, c.GetBlocklistRequest{UserID: "nobody"}))(t); len(none.BlockedUserIDs) != 0 {
		t.Fatalf("an unknown user's list: %+v", none)
	}

	wantError(t, v4.AddToBlocklist(ctx, c.AddToBlocklistRequest{UserID: "alice", TargetUserIDs: []string{"erin", "alice"}}), http.StatusBadRequest, apierr.BadParam, "targetUserIds")
	wantError(t, v4.AddToBlocklist(ctx, c.AddToBlocklistRequest{UserID: "nobody", TargetUserIDs: []string{"bob"}}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.AddToBlocklist(ctx, c.AddToBlocklistRequest{UserID: "gone", TargetUserIDs: []string{"bob"}}), http.StatusForbidden, apierr.UserDeactivated, "gone")
	wantError(t, v4.RemoveFromBlocklist(ctx, c.RemoveFromBlocklistRequest{UserID: "nobody", BlockedUserIDs: []string{"bob"}}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.RemoveFromBlocklist(ctx, c.RemoveFromBlocklistRequest{UserID: "gone", BlockedUserIDs: []string{"bob"}}), http.StatusForbidden, apierr.UserDeactivated, "gone")

	ok(t, v4.RemoveFromBlocklist(ctx, c.RemoveFromBlocklistRequest{UserID: "alice", BlockedUserIDs: []string{"bob", "never-listed"}}))
	if r := v1.MustOK(t, "/user/blocklist/query.json", testenv.Form("userId", "alice")); strings.Contains(r.Raw, `"bob"`) || !strings.Contains(r.Raw, `"carol"`) {
		t.Fatalf("after the v4 remove, v1 lists %s", r.Raw)
	}
}

// A blocklist holds at most 3000 users: an add past that answers 3005 and adds nothing.
func TestV4BlocklistFull(t *testing.T) {
	s := testenv.StartStack(t)
	v4 := s.V4(0)
	s.Client(0).Register(t, "alice")
	for i := 0; i < relations.MaxListEntries; i += 20 {
		batch := make([]string, 20)
		for j := range batch {
			batch[j] = fmt.Sprint("t", i+j)
		}
		ok(t, v4.AddToBlocklist(ctx, c.AddToBlocklistRequest{UserID: "alice", TargetUserIDs: batch}))
	}
	wantError(t, v4.AddToBlocklist(ctx, c.AddToBlocklistRequest{UserID: "alice", TargetUserIDs: []string{"t0", "one-more"}}), http.StatusForbidden, apierr.ListFull, "")
	page := must(v4.GetBlocklist(ctx, c.GetBlocklistRequest{UserID: "alice", PageSize: 1}))(t)
	if len(page.BlockedUserIDs) != 1 || page.BlockedUserIDs[0] == "one-more" {
		t.Fatalf("the refused add changed the list: %+v", page)
	}
}

// Friends through v4 are v1's friends: permissions, adds, aliases (v1 remark names), checks
// and removals, on the same data.
func TestV4Friends(t *testing.T) {
	s := testenv.StartStack(t)
	v4, v1 := s.V4(0), s.Client(0)
	for _, id := range []string{"alice", "bob", "carol", "dave", "gone"} {
		v1.Register(t, id)
	}
	must(v4.SoftDeleteUsers(ctx, c.UsersRequest{UserIDs: []string{"gone"}}))(t)

	ok(t, v4.SetFriendPermission(ctx, c.SetFriendPermissionRequest{UserIDs: []string{"bob"}, PermissionType: 2}))
	ok(t, v4.SetFriendPermission(ctx, c.SetFriendPermissionRequest{UserIDs: []string{"carol"}, PermissionType: 3}))
	perms := must(v4.GetFriendPermission(ctx, c.UsersRequest{UserIDs: []string{"bob", "carol", "dave"}}))(t)
	if want := []c.Permission{{UserID: "bob", PermissionType: 2}, {UserID: "carol", PermissionType: 3}, {UserID: "dave", PermissionType: 1}}; !slices.Equal(perms.Permissions, want) {
		t.Fatalf("permissions %+v, want %+v", perms.Permissions, want)
	}
	if r := v1.MustOK(t, "/friend/permission/get.json", testenv.Form("userIds", "bob")); !strings.Contains(r.Raw, `"type":2`) {
		t.Fatalf("v1 sees %s", r.Raw)
	}
	wantError(t, v4.SetFriendPermission(ctx, c.SetFriendPermissionRequest{UserIDs: []string{"bob", "nobody"}, PermissionType: 1}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.SetFriendPermission(ctx, c.SetFriendPermissionRequest{UserIDs: []string{"bob"}, PermissionType: 4}), http.StatusBadRequest, apierr.BadParam, "permissionType")
	_, err := v4.GetFriendPermission(ctx, c.UsersRequest{UserIDs: []string{"nobody"}})
	wantError(t, err, http.StatusNotFound, apierr.UnknownUser, "nobody")

	wantError(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "bob"}), http.StatusForbidden, apierr.FriendNeedsApproval, "")
	wantError(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "carol", Action: 1}), http.StatusForbidden, apierr.FriendAddRefused, "")
	wantError(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "alice", Action: 2}), http.StatusBadRequest, apierr.BadParam, "targetId")
	wantError(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "nobody", Action: 2}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "gone", Action: 2}), http.StatusForbidden, apierr.UserDeactivated, "gone")
	wantError(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "bob", Action: 3}), http.StatusBadRequest, apierr.BadParam, "action")
	wantError(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "bob", Action: 2, Extra: strings.Repeat("x", 129)}), http.StatusBadRequest, apierr.TooLong, "extra")
	checks := func(targets ...string) []c.Friendship {
		return must(v4.GetFriendRelationships(ctx, c.TargetsRequest{UserID: "alice", TargetIDs: targets}))(t).Friendships
	}
	if got := checks("bob", "carol"); !slices.Equal(got, []c.Friendship{{UserID: "bob", Result: 1}, {UserID: "carol", Result: 1}}) {
		t.Fatalf("refused adds made friends: %+v", got)
	}

	ok(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "bob", Action: 2, Extra: "hi"}))
	ok(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "dave"}))
	if got := checks("bob", "carol", "dave"); !slices.Equal(got, []c.Friendship{{UserID: "bob", Result: 4}, {UserID: "carol", Result: 1}, {UserID: "dave", Result: 4}}) {
		t.Fatalf("relationships %+v", got)
	}
	if r := v1.MustOK(t, "/friend/check.json", testenv.Form("userId", "bob", "targetIds", "alice")); !strings.Contains(r.Raw, `"result":4`) {
		t.Fatalf("v1 sees %s", r.Raw)
	}
	tooMany := make([]string, 21)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint("u", i)
	}
	_, err = v4.GetFriendRelationships(ctx, c.TargetsRequest{UserID: "alice", TargetIDs: tooMany})
	wantError(t, err, http.StatusBadRequest, apierr.TooLong, "targetIds")
	_, err = v4.GetFriendRelationships(ctx, c.TargetsRequest{UserID: "nobody", TargetIDs: []string{"bob"}})
	wantError(t, err, http.StatusNotFound, apierr.UnknownUser, "nobody")
	_, err = v4.GetFriendRelationships(ctx, c.TargetsRequest{UserID: "gone", TargetIDs: []string{"bob"}})
	wantError(t, err, http.StatusForbidden, apierr.UserDeactivated, "gone")

	friend := func(id string) c.Friend {
		page := must(v4.ListFriends(ctx, c.ListFriendsRequest{UserID: "alice"}))(t)
		for _, f := range page.Friends {
			if f.UserID == id {
				return f
			}
		}
		t.Fatalf("%s is not in alice's friends %+v", id, page)
		return c.Friend{}
	}
	if b := friend("bob"); b.Name != "Name of bob" || b.Alias != "" || len(b.FriendExtProfile) != 0 || b.FriendExtProfile == nil || b.AddedAt <= 0 {
		t.Fatalf("a new friend: %+v", b)
	}
	alias := "Bobby"
	ext := map[string]string{"ext_team": "blue", strings.Repeat("k", 32): strings.Repeat("v", 256)}
	ok(t, v4.SetFriendProfile(ctx, c.SetFriendProfileRequest{UserID: "alice", TargetID: "bob", Alias: &alias, FriendExtProfile: ext}))
	if b := friend("bob"); b.Alias != alias || !maps.Equal(b.FriendExtProfile, ext) {
		t.Fatalf("after profile set: %+v", b)
	}
	if r := v1.MustOK(t, "/friend/get.json", testenv.Form("userId", "alice")); !strings.Contains(r.Raw, `"remarkName":"Bobby"`) {
		t.Fatalf("v1 sees %s", r.Raw)
	}
	ok(t, v4.SetFriendProfile(ctx, c.SetFriendProfileRequest{UserID: "alice", TargetID: "bob"}))
	if b := friend("bob"); b.Alias != "" || !maps.Equal(b.FriendExtProfile, ext) {
		t.Fatalf("alias left out clears it, the profile left out stays: %+v", b)
	}
	ok(t, v4.SetFriendProfile(ctx, c.SetFriendProfileRequest{UserID: "alice", TargetID: "bob", Alias: &alias, FriendExtProfile: map[string]string{}}))
	if b := friend("bob"); b.Alias != alias || len(b.FriendExtProfile) != 0 {
		t.Fatalf("an empty profile clears it: %+v", b)
	}
	wantError(t, v4.SetFriendProfile(ctx, c.SetFriendProfileRequest{UserID: "alice", TargetID: "carol", Alias: &alias}), http.StatusForbidden, apierr.NotFriends, "")
	wantError(t, v4.SetFriendProfile(ctx, c.SetFriendProfileRequest{UserID: "nobody", TargetID: "bob"}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.SetFriendProfile(ctx, c.SetFriendProfileRequest{UserID: "gone", TargetID: "bob"}), http.StatusForbidden, apierr.UserDeactivated, "gone")
	long := strings.Repeat("a", 65)
	wantError(t, v4.SetFriendProfile(ctx, c.SetFriendProfileRequest{UserID: "alice", TargetID: "bob", Alias: &long}), http.StatusBadRequest, apierr.TooLong, "alias")
	for _, bad := range []map[string]string{{strings.Repeat("k", 33): "v"}, {"k": strings.Repeat("v", 257)}, elevenKeys()} {
		wantError(t, v4.SetFriendProfile(ctx, c.SetFriendProfileRequest{UserID: "alice", TargetID: "bob", FriendExtProfile: bad}), http.StatusBadRequest, apierr.TooLong, "friendExtProfile")
	}
	if b := friend("bob"); b.Alias != alias {
		t.Fatalf("refused profile sets changed the friend: %+v", b)
	}

	// Pages, oldest first by default, newest first with order 1.
	first := must(v4.ListFriends(ctx, c.ListFriendsRequest{UserID: "alice", PageSize: 1}))(t)
	if first.TotalCount != 2 || len(first.Friends) != 1 || first.Friends[0].UserID != "bob" || first.PageToken == "" {
		t.Fatalf("first page %+v", first)
	}
	last := must(v4.ListFriends(ctx, c.ListFriendsRequest{UserID: "alice", PageSize: 1, PageToken: first.PageToken}))(t)
	if len(last.Friends) != 1 || last.Friends[0].UserID != "dave" || last.PageToken != "" {
		t.Fatalf("last page %+v", last)
	}
	if newest := must(v4.ListFriends(ctx, c.ListFriendsRequest{UserID: "alice", PageSize: 1, Order: 1}))(t); newest.Friends[0].UserID != "dave" {
		t.Fatalf("order 1: %+v", newest)
	}
	_, err = v4.ListFriends(ctx, c.ListFriendsRequest{UserID: "alice", PageSize: 101})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "pageSize")
	_, err = v4.ListFriends(ctx, c.ListFriendsRequest{UserID: "alice", PageToken: "x"})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "pageToken")

	// Removal, at both paths, and removal of all.
	wantError(t, v4.RemoveFriends(ctx, c.TargetsRequest{UserID: "alice", TargetIDs: []string{"bob", "alice"}}), http.StatusBadRequest, apierr.BadParam, "targetIds")
	wantError(t, v4.RemoveFriends(ctx, c.TargetsRequest{UserID: "nobody", TargetIDs: []string{"bob"}}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.DeleteFriends(ctx, c.TargetsRequest{UserID: "gone", TargetIDs: []string{"bob"}}), http.StatusForbidden, apierr.UserDeactivated, "gone")
	ok(t, v4.DeleteFriends(ctx, c.TargetsRequest{UserID: "alice", TargetIDs: []string{"bob", "carol"}}))
	if got := checks("bob", "dave"); !slices.Equal(got, []c.Friendship{{UserID: "bob", Result: 1}, {UserID: "dave", Result: 4}}) {
		t.Fatalf("after delete: %+v", got)
	}
	ok(t, v4.AddFriend(ctx, c.AddFriendRequest{UserID: "alice", TargetID: "bob", Action: 2}))
	ok(t, v4.RemoveFriends(ctx, c.TargetsRequest{UserID: "bob", TargetIDs: []string{"alice"}}))
	if got := checks("bob"); got[0].Result != 1 {
		t.Fatalf("removal by the other side: %+v", got)
	}
	wantError(t, v4.RemoveAllFriends(ctx, c.UserRequest{UserID: "nobody"}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	wantError(t, v4.RemoveAllFriends(ctx, c.UserRequest{UserID: "gone"}), http.StatusForbidden, apierr.UserDeactivated, "gone")
	ok(t, v4.RemoveAllFriends(ctx, c.UserRequest{UserID: "dave"}))
	if page := must(v4.ListFriends(ctx, c.ListFriendsRequest{UserID: "alice"}))(t); page.TotalCount != 0 || len(page.Friends) != 0 {
		t.Fatalf("alice still has friends after dave removed all of his: %+v", page)
	}
}

func elevenKeys() map[string]string {
	m := map[string]string{}
	for i := range 11 {
		m[fmt.Sprint("k", i)] = "v"
	}
	return m
}
