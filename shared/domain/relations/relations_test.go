package relations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/relations"
	"imusers/shared/testenv"
)

var form = testenv.Form

// TestCheckSendReadsOnce sets the facts up through the Server API and checks that one
// message's check is one BatchGetItem and reaches the decision the rules give.
func TestCheckSendReadsOnce(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	app := s.Apps[0]
	for _, u := range []string{"amy", "ben", "cid", "dan", "eve"} {
		c.MustOK(t, "/user/getToken.json", form("userId", u, "name", u))
	}
	ctx := context.Background()
	verdict := func(from, to string, via relations.Via) int {
		t.Helper()
		s.Calls.Reset()
		v, err := s.Service.Relations.CheckSend(ctx, app, from, to, via)
		if err != nil {
			t.Fatal(err)
		}
		if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
			t.Fatalf("the check of one message made %+v, budget one BatchGetItem", calls)
		}
		return v.Code
	}
	expect := func(from, to string, via relations.Via, want int) {
		t.Helper()
		if got := verdict(from, to, via); got != want {
			t.Fatalf("%s -> %s via %d: %d, want %d", from, to, via, got, want)
		}
	}

	expect("amy", "ben", relations.FromClient, 200)
	expect("amy", "ghost", relations.FromClient, 3001)
	expect("ghost", "amy", relations.FromClient, 3009)
	expect("ghost", "amy", relations.FromServer, 200)

	// ben blocks amy: one way only.
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "ben", "blackUserId", "amy"))
	expect("amy", "ben", relations.FromClient, 405)
	expect("ben", "amy", relations.FromClient, 200)
	expect("amy", "ben", relations.FromServer, 200)
	expect("amy", "ben", relations.FromServerVerified, 405)

	// cid turns whitelist mode on: only dan, who is listed, gets through; cid's blocklist of
	// dan is kept but not consulted.
	c.MustOK(t, "/user/whitelist/add.json", form("userId", "cid", "whiteUserId", "dan"))
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "cid", "blackUserId", "dan"))
	expect("dan", "cid", relations.FromClient, 405)
	c.MustOK(t, "/user/whitesetting/set.json", form("userId", "cid", "whiteSetting", "1"))
	expect("dan", "cid", relations.FromClient, 200)
	expect("amy", "cid", relations.FromClient, 405)

	// Friends only: non-friends refused, friends pass, the blocklist still wins.
	c.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "1"))
	expect("amy", "eve", relations.FromClient, 3008)
	expect("amy", "eve", relations.FromServerVerified, 200)
	c.MustOK(t, "/friend/add.json", form("userId", "eve", "targetId", "amy", "optType", "2"))
	expect("amy", "eve", relations.FromClient, 200)
	expect("eve", "amy", relations.FromClient, 200)
	c.MustOK(t, "/friend/add.json", form("userId", "ben", "targetId", "amy", "optType", "2"))
	expect("amy", "ben", relations.FromClient, 405)
	c.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "0"))

	// A banned sender is refused until the ban ends; a deactivated recipient is refused.
	c.MustOK(t, "/user/block.json", form("userId", "eve", "minute", "10"))
	expect("eve", "amy", relations.FromClient, 3003)
	s.Clock.Advance(11 * time.Minute)
	expect("eve", "amy", relations.FromClient, 200)
	// A muted sender is refused from its client only.
	c.MustOK(t, "/user/chat/fb/set.json", form("userId", "eve", "state", "1", "type", "PERSON"))
	expect("eve", "amy", relations.FromClient, 20106)
	expect("eve", "amy", relations.FromServerVerified, 200)
	c.MustOK(t, "/user/chat/fb/set.json", form("userId", "eve", "state", "0", "type", "PERSON"))
	expect("eve", "amy", relations.FromClient, 200)
	c.MustOK(t, "/user/deactivate.json", form("userId", "amy"))
	s.Gateway.Wait() // the erasure it starts, so its calls are not counted below
	expect("eve", "amy", relations.FromClient, 3002)
	expect("amy", "eve", relations.FromClient, 3009)

	// Many recipients: the four shared facts once, four per recipient, 100 keys a call.
	for _, tc := range []struct{ recipients, calls int }{{1, 1}, {24, 1}, {25, 2}, {49, 2}, {50, 3}} {
		to := []string{"ben", "cid"}
		for i := len(to); i < tc.recipients; i++ {
			to = append(to, fmt.Sprint("nobody", i))
		}
		to = to[:tc.recipients]
		s.Calls.Reset()
		all, err := s.Service.Relations.CheckSends(ctx, app, "dan", to, relations.FromClient)
		if err != nil {
			t.Fatal(err)
		}
		if calls := s.Calls.Calls(); calls.Total() != int64(tc.calls) || calls.BatchGetItem != int64(tc.calls) {
			t.Fatalf("%d recipients made %+v, want %d BatchGetItem", tc.recipients, calls, tc.calls)
		}
		for i, r := range to {
			want := 3001
			if i < 2 {
				want = 200
			}
			if all[r].Code != want {
				t.Fatalf("%d recipients: %s got %+v, want %d", tc.recipients, r, all[r], want)
			}
		}
	}
}
