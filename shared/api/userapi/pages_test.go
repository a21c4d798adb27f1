package userapi_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"imusers/shared/apps"
	"imusers/shared/parallel"
	"imusers/shared/store"
	"imusers/shared/testenv"
	"imusers/shared/testenv/v4client"
)

// scanned is the DynamoDB client with a count of the index entries its Queries read.
type scanned struct {
	store.DB
	n atomic.Int64
}

func (s *scanned) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := s.DB.Query(ctx, in, optFns...)
	if err == nil {
		s.n.Add(int64(out.ScannedCount))
	}
	return out, err
}

func strList(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// Page 10 of 1,000 deactivated users, asked after page 9, reads the previous page's bookmark,
// one page's worth of each of the 8 shards and leaves its own bookmark: 10 calls, at most 8 × 51
// index entries, not the 500 keys before it. Every page of the walk is the listing's next 50
// users, and a page asked out of order is read from the start and is still right.
func TestDeepDeactivatedPageIsBounded(t *testing.T) {
	db := &scanned{DB: testenv.Client(t)}
	s := testenv.StartStackWith(t, testenv.Options{DB: db, Apps: []apps.App{testenv.NewApp(apps.Production)}})
	c, app := s.Client(0), s.Apps[0].Key
	ctx := context.Background()
	const n = 1000
	all := make([]string, n)
	for i := range all {
		all[i] = fmt.Sprintf("d%04d", i)
	}
	at := time.Now().UnixMilli()
	for _, err := range parallel.Do(ctx, n, 16, func(ctx context.Context, i int) error {
		if _, err := s.Service.Store.Register(ctx, app, all[i], "N", "", at, false); err != nil {
			return err
		}
		return s.Service.Store.Deactivate(ctx, app, all[i], at+int64(i), "op")
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}

	for page := 1; page <= 10; page++ {
		s.Calls.Reset()
		db.n.Store(0)
		r := c.MustOK(t, "/user/deactivate/query.json", form("pageNo", fmt.Sprint(page), "pageSize", "50"))
		if got, want := strList(r.Body["users"]), all[(page-1)*50:page*50]; !slices.Equal(got, want) {
			t.Fatalf("page %d = %v, want %v", page, got, want)
		}
		if page < 10 {
			continue
		}
		calls := s.Calls.Calls()
		if want := (store.Calls{GetItem: 1, Query: store.IndexShards, PutItem: 1}); calls != want {
			t.Errorf("page 10 made %+v, want %+v", calls, want)
		}
		if read := db.n.Load(); read > store.IndexShards*51 {
			t.Errorf("page 10 read %d index entries, want at most %d", read, store.IndexShards*51)
		}
	}
	// Out of order: no bookmark for page 11 of 40, so page 12 reads from the start.
	r := c.MustOK(t, "/user/deactivate/query.json", form("pageNo", "12", "pageSize", "40"))
	if got := strList(r.Body["users"]); !slices.Equal(got, all[440:480]) {
		t.Fatalf("page 12 of 40 = %v", got)
	}
	// The last page is short, and past the end is empty.
	if got := strList(c.MustOK(t, "/user/deactivate/query.json", form("pageNo", "20", "pageSize", "50")).Body["users"]); !slices.Equal(got, all[950:]) {
		t.Fatalf("page 20 = %v", got)
	}
	if got := strList(c.MustOK(t, "/user/deactivate/query.json", form("pageNo", "21", "pageSize", "50")).Body["users"]); len(got) != 0 {
		t.Fatalf("page 21 = %v", got)
	}
}

// The ban list pages through bookmarks too, in both orders, within the bans in force: each
// page continues where the previous ended, with no ban repeated or skipped, even when a ban on
// an earlier page is lifted meanwhile.
func TestBanPagesContinueFromTheirBookmarks(t *testing.T) {
	s := testenv.StartStackWith(t, testenv.Options{Apps: []apps.App{testenv.NewApp(apps.Production)}})
	c, app := s.Client(0), s.Apps[0].Key
	ctx := context.Background()
	const n = 130
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("b%03d", i)
	}
	base := time.Now().Add(time.Hour).Truncate(time.Second).UnixMilli()
	for i, u := range users {
		if err := s.Service.Store.PutBans(ctx, app, []string{u}, base+int64(i)*1000); err != nil {
			t.Fatal(err)
		}
	}
	register(t, c, users[0], "N")
	// A ban already over is in the index still, and listed on no page.
	if err := s.Service.Store.PutBans(ctx, app, []string{"lapsed"}, time.Now().Add(-time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for page := 1; page <= 4; page++ {
		s.Calls.Reset()
		r := c.MustOK(t, "/user/block/query.json", form("page", fmt.Sprint(page), "size", "50"))
		if calls := s.Calls.Calls(); page == 2 && calls != (store.Calls{GetItem: 1, Query: store.IndexShards, PutItem: 1}) {
			t.Errorf("page 2 made %+v, want the bookmark read, one query per shard and its own bookmark", calls)
		}
		list, ok := r.Body["users"].([]any)
		if !ok {
			t.Fatalf("page %d: %s", page, r.Raw)
		}
		for _, b := range list {
			got = append(got, fmt.Sprint(b.(map[string]any)["userId"]))
		}
		if page == 1 {
			// Lifted after page 1 was read: page 2 still begins after page 1's last ban.
			c.MustOK(t, "/user/unblock.json", form("userId", users[0]))
			s.Gateway.Wait() // its webhook delivery reads the settings
		}
	}
	if !slices.Equal(got, users) {
		t.Fatalf("soonest end first: %v", got)
	}
	users = users[1:]
	desc := slices.Clone(users)
	slices.Reverse(desc)
	got = nil
	for page := int64(1); page <= 4; page++ {
		res, err := s.V4(0).ListBannedUsers(ctx, v4client.PageRequest{Page: page, PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range res.BannedUsers {
			got = append(got, b.UserID)
		}
	}
	if !slices.Equal(got, desc) {
		t.Fatalf("latest end first: %v", got)
	}
}
