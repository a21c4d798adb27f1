package relationapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"imusers/shared/apps"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// contenders is how many requests at once change the same user's lists in the setup below: a
// few, as an App Server sends them. Eight on one list made the test a contention test, which
// it is not (infra/racecheck is), and a loaded machine ran out the store's patience.
const contenders = 3

// parallel runs fn for each item with a few workers, as an App Server would send requests, and
// ends the test when one of them reported a failure.
func parallel(t *testing.T, workers int, items []string, fn func(string)) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.FailNow()
		}
	}()
	var wg sync.WaitGroup
	ch := make(chan string)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				fn(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

// TestDeactivationErasesRelations gives a user 3,000 entries (1,200 blocked, 800 whitelisted,
// 1,000 friends), deactivates it through the API, and checks after the asynchronous erasure
// that its lists are gone, that every friend's side and count went with them, and that what
// others keep about it stays.
func TestDeactivationErasesRelations(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	ctx := context.Background()
	app := s.Apps[0].Key
	friends := ids("f", 1000)
	register(t, c, "alice", "bob")
	parallel(t, 8, friends, func(f string) { okPacing(t, c, "/user/getToken.json", form("userId", f, "name", f)) })

	blocked, white := ids("b", 1200), ids("w", 800)
	var batches []string
	for i := 0; i < len(blocked); i += 20 {
		batches = append(batches, "/user/blacklist/add.json|blackUserId|"+strings.Join(blocked[i:i+20], ","))
	}
	for i := 0; i < len(white); i += 20 {
		batches = append(batches, "/user/whitelist/add.json|whiteUserId|"+strings.Join(white[i:i+20], ","))
	}
	parallel(t, contenders, batches, func(b string) {
		p := strings.Split(b, "|")
		okPacing(t, c, p[0], form("userId", "alice", p[1], p[2]))
	})
	parallel(t, contenders, friends, func(f string) {
		okPacing(t, c, "/friend/add.json", form("userId", f, "targetId", "alice", "optType", "2"))
	})
	// The first hundred friends also have bob, so their count must drop to one, not zero.
	c.MustOK(t, "/friend/add.json", form("userId", "bob", "targetId", "alice", "optType", "2"))
	parallel(t, contenders, friends[:100], func(f string) {
		okPacing(t, c, "/friend/add.json", form("userId", "bob", "targetId", f, "optType", "2"))
	})
	c.MustOK(t, "/user/whitesetting/set.json", form("userId", "alice", "whiteSetting", "1"))
	c.MustOK(t, "/friend/permission/set.json", form("userIds", "alice", "permissionType", "3"))
	// What others keep about alice is theirs, and stays.
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "bob", "blackUserId", "alice"))

	sks, err := s.Service.Store.ItemsOf(ctx, app, "alice")
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	for _, sk := range sks {
		if strings.Contains(sk, "#") && sk != "#PROFILE" {
			entries++
		}
	}
	if entries != 3001 { // 1,200 + 800 + 1,000 friends + bob
		t.Fatalf("alice holds %d entries before deactivation, want 3001", entries)
	}
	for kind, want := range map[store.Kind]int64{store.Blocklist: 1200, store.Whitelist: 800, store.Friends: 1001} {
		if n, _ := s.Service.Store.ListCount(ctx, app, "alice", kind); n != want {
			t.Fatalf("alice's %s count = %d, want %d", kind, n, want)
		}
	}

	c.MustOK(t, "/user/deactivate.json", form("userId", "alice"))
	s.Gateway.Wait()

	sks, err = s.Service.Store.ItemsOf(ctx, app, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sks) != "[#PROFILE]" {
		t.Fatalf("after erasure alice still holds %d items: %v", len(sks), sks[:min(5, len(sks))])
	}
	// Every friend lost its side of the friendship, and its count went down with it.
	var wrong []string
	var mu sync.Mutex
	parallel(t, 8, append(slices.Clone(friends), "bob"), func(f string) {
		items, err := s.Service.Store.ItemsOf(ctx, app, f)
		n, err2 := s.Service.Store.ListCount(ctx, app, f, store.Friends)
		want := int64(0)
		if f < "f0100" || f == "bob" {
			want = 1
		}
		if f == "bob" {
			want = 100
		}
		if err != nil || err2 != nil || slices.Contains(items, "FR#alice") || n != want {
			mu.Lock()
			wrong = append(wrong, fmt.Sprintf("%s: count %d (want %d), items %v %v %v", f, n, want, items, err, err2))
			mu.Unlock()
		}
	})
	if len(wrong) > 0 {
		t.Fatalf("%d friends not cleaned up, e.g. %s", len(wrong), wrong[0])
	}
	r := c.MustOK(t, "/friend/get.json", form("userId", "f0000"))
	if !strings.Contains(r.Raw, `"totalCount":1`) || !strings.Contains(r.Raw, `"userId":"bob"`) || strings.Contains(r.Raw, "alice") {
		t.Fatalf("f0000's friends after alice's erasure: %s", r.Raw)
	}
	if got := c.MustOK(t, "/user/blacklist/query.json", form("userId", "bob")); fmt.Sprint(strs(got.Body["users"])) != "[alice]" {
		t.Fatalf("bob's blocklist lost alice: %s", got.Raw)
	}

	// Reactivated, alice starts empty: no lists, no friends, default settings.
	c.MustOK(t, "/user/reactivate.json", form("userId", "alice"))
	for _, path := range []string{"/user/blacklist/query.json", "/user/whitelist/query.json"} {
		if r := c.MustOK(t, path, form("userId", "alice")); r.Raw != `{"code":200,"users":[]}` {
			t.Fatalf("%s after reactivation: %s", path, r.Raw)
		}
	}
	if r := c.MustOK(t, "/friend/get.json", form("userId", "alice")); r.Raw != `{"code":200,"pageToken":"","totalCount":0,"friendList":[]}` {
		t.Fatalf("friends after reactivation: %s", r.Raw)
	}
	if r := c.MustOK(t, "/user/whitesetting/query.json", form("userId", "alice")); !strings.Contains(r.Raw, `"whiteSetting":"0"`) {
		t.Fatalf("whitelist mode survived erasure: %s", r.Raw)
	}
	if r := c.MustOK(t, "/friend/permission/get.json", form("userIds", "alice")); !strings.Contains(r.Raw, `"type":1`) {
		t.Fatalf("friend permission survived erasure: %s", r.Raw)
	}
	// And the lists fill from zero again.
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "b0000"))
	if n, _ := s.Service.Store.ListCount(ctx, app, "alice", store.Blocklist); n != 1 {
		t.Fatalf("count after reactivation and one add = %d", n)
	}
}
