package v4api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/testenv"
	c "imusers/shared/testenv/v4client"
	"imusers/shared/wire/apierr"
)

var ctx = context.Background()

// must(call())(t) is call's result, failing the test if call failed.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantTime fails unless s is a UTC time in the contract's format, within a minute of want.
func wantTime(t *testing.T, s string, want time.Time) {
	t.Helper()
	got, err := time.Parse(time.DateTime, s)
	if err != nil || got.Sub(want.UTC().Truncate(time.Second)).Abs() > time.Minute {
		t.Fatalf("time %q, want about %s", s, want.UTC().Format(time.DateTime))
	}
}

// wantKicked fails unless the connection gets the kicked frame with this reason, then closes.
func wantKicked(t *testing.T, in *testenv.Inbox, reason string) {
	t.Helper()
	if f := in.Next(t, 5*time.Second); f["type"] != "kicked" || f["reason"] != reason {
		t.Fatalf("frame %v, want kicked %s", f, reason)
	}
	in.Closed(t, 5*time.Second)
}

// Issue, get and update through v4 are register, info and refresh of v1, on the same users.
func TestV4IssueGetUpdate(t *testing.T) {
	s := testenv.StartStack(t)
	v4, v1 := s.V4(0), s.Client(0)
	issued := must(v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: "alice", Name: "Alice", AvatarURL: "https://a/1.png"}))(t)
	if issued.UserID != "alice" || issued.AccessToken == "" {
		t.Fatalf("issue answered %+v", issued)
	}
	s.MustDial(t, issued.AccessToken)
	info := v1.MustOK(t, "/user/info.json", testenv.Form("userId", "alice"))
	if info.Body["userName"] != "Alice" || info.Body["userPortrait"] != "https://a/1.png" {
		t.Fatalf("v1 sees %s", info.Raw)
	}

	v1.Register(t, "bob")
	bob := must(v4.GetUser(ctx, c.UserRequest{UserID: "bob"}))(t)
	if bob.Name != "Name of bob" || bob.AvatarURL != "" {
		t.Fatalf("v4 sees bob registered through v1 as %+v", bob)
	}
	wantTime(t, bob.CreatedAt, time.Now())

	ok(t, v4.UpdateUser(ctx, c.UpdateUserRequest{UserID: "alice", Name: "Alicia"}))
	alice := must(v4.GetUser(ctx, c.UserRequest{UserID: "alice"}))(t)
	if alice.Name != "Alicia" || alice.AvatarURL != "https://a/1.png" {
		t.Fatalf("after an update of the name alone: %+v", alice)
	}
	if info := v1.MustOK(t, "/user/info.json", testenv.Form("userId", "alice")); info.Body["userName"] != "Alicia" {
		t.Fatalf("v1 sees %s", info.Raw)
	}

	_, err := v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: "carol", Name: strings.Repeat("名", 65)})
	wantError(t, err, http.StatusBadRequest, apierr.TooLong, "name")
	_, err = v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: "carol", Name: "C", AvatarURL: strings.Repeat("é", 513)})
	wantError(t, err, http.StatusBadRequest, apierr.TooLong, "avatarUrl")
	_, err = v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: "carol!", Name: "C"})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "userId")
	_, err = v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: strings.Repeat("c", 65), Name: "C"})
	wantError(t, err, http.StatusBadRequest, apierr.TooLong, "userId")
	_, err = v4.GetUser(ctx, c.UserRequest{UserID: "carol"})
	wantError(t, err, http.StatusNotFound, apierr.UnknownUser, "carol")
	wantError(t, v4.UpdateUser(ctx, c.UpdateUserRequest{UserID: "carol", Name: "C"}), http.StatusNotFound, apierr.UnknownUser, "carol")
	wantError(t, v4.UpdateUser(ctx, c.UpdateUserRequest{UserID: "alice", Name: strings.Repeat("a", 65)}), http.StatusBadRequest, apierr.TooLong, "name")
	wantError(t, v4.UpdateUser(ctx, c.UpdateUserRequest{UserID: "alice", AvatarURL: strings.Repeat("a", 1025)}), http.StatusBadRequest, apierr.TooLong, "avatarUrl")
	if alice := must(v4.GetUser(ctx, c.UserRequest{UserID: "alice"}))(t); alice.Name != "Alicia" {
		t.Fatalf("a refused update changed the user: %+v", alice)
	}
}

// A development app's 101st user is refused through v4 as through v1.
func TestV4IssueDevelopmentCap(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Development))
	v4 := s.V4(0)
	for i := range users.DevUserCap {
		must(v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: fmt.Sprint("u", i), Name: "U"}))(t)
	}
	_, err := v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: "one-more", Name: "U"})
	wantError(t, err, http.StatusForbidden, apierr.DevUserCap, "")
	_, err = v4.GetUser(ctx, c.UserRequest{UserID: "one-more"})
	wantError(t, err, http.StatusNotFound, apierr.UnknownUser, "one-more")
}

// Expiring tokens through v4 refuses connects with tokens issued before, whichever API issued
// them; an unknown user anywhere in the list changes nothing.
func TestV4ExpireAccessTokens(t *testing.T) {
	s := testenv.StartStack(t)
	v4 := s.V4(0)
	old := s.Client(0).Register(t, "alice")
	bobs := s.Client(0).Register(t, "bob")
	err := v4.ExpireAccessTokens(ctx, c.ExpireAccessTokensRequest{UserIDs: []string{"bob", "nobody"}, ExpiresAt: s.Clock.Now().Add(time.Minute).UnixMilli()})
	wantError(t, err, http.StatusNotFound, apierr.UnknownUser, "nobody")
	s.MustDial(t, bobs)

	s.Clock.Advance(time.Millisecond)
	ok(t, v4.ExpireAccessTokens(ctx, c.ExpireAccessTokensRequest{UserIDs: []string{"alice"}, ExpiresAt: s.Clock.Now().UnixMilli()}))
	if _, status := s.Dial(t, old); status != http.StatusUnauthorized {
		t.Fatalf("connect with an expired token: HTTP %d", status)
	}
	s.Clock.Advance(time.Millisecond)
	fresh := must(v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: "alice", Name: "Alice"}))(t)
	s.MustDial(t, fresh.AccessToken)
	tooMany := make([]string, 21)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint("u", i)
	}
	wantError(t, v4.ExpireAccessTokens(ctx, c.ExpireAccessTokensRequest{UserIDs: tooMany, ExpiresAt: 1}), http.StatusBadRequest, apierr.TooLong, "userIds")
}

// Soft delete is deactivation and restore is reactivation, on the same state as v1; restore
// waits an hour after the soft delete and otherwise restores nobody.
func TestV4SoftDeleteAndRestore(t *testing.T) {
	s := testenv.StartStack(t)
	v4, v1 := s.V4(0), s.Client(0)
	v1.Register(t, "alice")
	in := testenv.NewInbox(s.MustDial(t, v1.Register(t, "bob")))

	_, err := v4.SoftDeleteUsers(ctx, c.UsersRequest{UserIDs: []string{"bob", "nobody"}})
	wantError(t, err, http.StatusNotFound, apierr.UnknownUser, "nobody")
	in.Quiet(t, 300*time.Millisecond)

	op := must(v4.SoftDeleteUsers(ctx, c.UsersRequest{UserIDs: []string{"bob"}}))(t)
	if op.OperationID == "" {
		t.Fatal("no operationId")
	}
	wantKicked(t, in, "deactivated")
	_, err = v4.GetUser(ctx, c.UserRequest{UserID: "bob"})
	wantError(t, err, http.StatusForbidden, apierr.UserDeactivated, "bob")
	_, err = v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: "bob", Name: "Bob"})
	wantError(t, err, http.StatusForbidden, apierr.UserDeactivated, "bob")
	wantError(t, v4.UpdateUser(ctx, c.UpdateUserRequest{UserID: "bob", Name: "Bob"}), http.StatusForbidden, apierr.UserDeactivated, "bob")
	if r := v1.MustOK(t, "/user/deactivate/query.json", nil); !strings.Contains(r.Raw, `"bob"`) {
		t.Fatalf("v1 does not list bob: %s", r.Raw)
	}
	listed := func() []string { return must(v4.ListSoftDeletedUsers(ctx, c.PageRequest{}))(t).UserIDs }
	if got := listed(); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("soft-deleted list %v", got)
	}

	_, err = v4.RestoreUsers(ctx, c.UsersRequest{UserIDs: []string{"alice", "bob"}})
	wantError(t, err, http.StatusForbidden, apierr.RestoreTooEarly, "bob")
	s.Clock.Advance(users.RestoreWait - time.Minute)
	_, err = v4.RestoreUsers(ctx, c.UsersRequest{UserIDs: []string{"bob"}})
	wantError(t, err, http.StatusForbidden, apierr.RestoreTooEarly, "bob")
	_, err = v4.RestoreUsers(ctx, c.UsersRequest{UserIDs: []string{"nobody"}})
	wantError(t, err, http.StatusNotFound, apierr.UnknownUser, "nobody")
	if got := listed(); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("a refused restore changed the list: %v", got)
	}

	s.Clock.Advance(2 * time.Minute)
	if op := must(v4.RestoreUsers(ctx, c.UsersRequest{UserIDs: []string{"alice", "bob"}}))(t); op.OperationID == "" {
		t.Fatal("no operationId")
	}
	if got := listed(); len(got) != 0 {
		t.Fatalf("restored users still listed: %v", got)
	}
	if bob := must(v4.GetUser(ctx, c.UserRequest{UserID: "bob"}))(t); bob.Name != "" {
		t.Fatalf("the erased name came back: %+v", bob)
	}
	s.MustDial(t, must(v4.IssueAccessToken(ctx, c.IssueAccessTokenRequest{UserID: "bob", Name: "Bob"}))(t).AccessToken)

	// Pages of the list.
	for _, id := range []string{"c1", "c2", "c3"} {
		v1.Register(t, id)
		must(v4.SoftDeleteUsers(ctx, c.UsersRequest{UserIDs: []string{id}}))(t)
		s.Clock.Advance(time.Millisecond)
	}
	if got := must(v4.ListSoftDeletedUsers(ctx, c.PageRequest{Page: 2, PageSize: 2}))(t).UserIDs; !slices.Equal(got, []string{"c3"}) {
		t.Fatalf("page 2 of 2: %v", got)
	}
	_, err = v4.ListSoftDeletedUsers(ctx, c.PageRequest{PageSize: 51})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "pageSize")
}

// A v4 ban kicks a connection made with a v1 token and refuses connects until it is lifted;
// the v4 list shows the latest end first.
func TestV4Bans(t *testing.T) {
	s := testenv.StartStack(t)
	v4, v1 := s.V4(0), s.Client(0)
	aliceTok := v1.Register(t, "alice")
	v1.Register(t, "bob")
	in := testenv.NewInbox(s.MustDial(t, aliceTok))
	for _, path := range []string{"/v4/user/connection-status/get", "/v4/user/online-status/get"} {
		var st c.ConnectionStatusResult
		ok(t, v4.Post(ctx, path, jsonType, c.UserRequest{UserID: "alice"}, &st))
		if st.Status != "1" {
			t.Fatalf("%s: connected alice is %q", path, st.Status)
		}
		ok(t, v4.Post(ctx, path, jsonType, c.UserRequest{UserID: "nobody"}, &st))
		if st.Status != "0" {
			t.Fatalf("%s: unknown user is %q", path, st.Status)
		}
	}

	wantError(t, v4.BanUsers(ctx, c.BanUsersRequest{UserIDs: []string{"alice", "nobody"}, DurationMinutes: 10}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	in.Quiet(t, 300*time.Millisecond)
	for _, minutes := range []int64{0, 43201} {
		wantError(t, v4.BanUsers(ctx, c.BanUsersRequest{UserIDs: []string{"alice"}, DurationMinutes: minutes}), http.StatusBadRequest, apierr.BadParam, "durationMinutes")
	}
	ok(t, v4.BanUsers(ctx, c.BanUsersRequest{UserIDs: []string{"alice"}, DurationMinutes: 10}))
	wantKicked(t, in, "blocked")
	if _, status := s.Dial(t, aliceTok); status != http.StatusForbidden {
		t.Fatalf("banned user's connect: HTTP %d", status)
	}
	ok(t, v4.BanUsers(ctx, c.BanUsersRequest{UserIDs: []string{"bob"}, DurationMinutes: 20}))

	list := must(v4.ListBannedUsers(ctx, c.PageRequest{PageSize: 1}))(t).BannedUsers
	if len(list) != 2 || list[0].UserID != "bob" || list[1].UserID != "alice" {
		t.Fatalf("ban list without page: %+v, want every ban, latest end first", list)
	}
	wantTime(t, list[0].BanExpiresAt, s.Clock.Now().Add(20*time.Minute))
	wantTime(t, list[1].BanExpiresAt, s.Clock.Now().Add(10*time.Minute))
	if page := must(v4.ListBannedUsers(ctx, c.PageRequest{Page: 2, PageSize: 1}))(t).BannedUsers; len(page) != 1 || page[0].UserID != "alice" {
		t.Fatalf("page 2 of 1: %+v", page)
	}
	if r := v1.MustOK(t, "/user/block/query.json", nil); !strings.Contains(r.Raw, `"alice","blockEndTime"`) || strings.Index(r.Raw, "alice") > strings.Index(r.Raw, "bob") {
		t.Fatalf("v1 lists the same bans, soonest end first: %s", r.Raw)
	}
	_, err := v4.ListBannedUsers(ctx, c.PageRequest{PageSize: 1001})
	wantError(t, err, http.StatusBadRequest, apierr.BadParam, "pageSize")

	wantError(t, v4.UnbanUsers(ctx, c.UsersRequest{UserIDs: []string{"alice", "nobody"}}), http.StatusNotFound, apierr.UnknownUser, "nobody")
	ok(t, v4.UnbanUsers(ctx, c.UsersRequest{UserIDs: []string{"alice"}}))
	if list := must(v4.ListBannedUsers(ctx, c.PageRequest{}))(t).BannedUsers; len(list) != 1 || list[0].UserID != "bob" {
		t.Fatalf("after unban: %+v", list)
	}
	s.MustDial(t, aliceTok)
	s.Clock.Advance(21 * time.Minute)
	if list := must(v4.ListBannedUsers(ctx, c.PageRequest{}))(t).BannedUsers; len(list) != 0 {
		t.Fatalf("lapsed bans listed: %+v", list)
	}
}
