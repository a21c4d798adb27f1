package profileapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"imusers/shared/apps"
	"imusers/shared/testenv"
)

// fill gives each user the largest profile the rules allow (every basic key, 20 ext pairs of
// 256 characters) and 20 tags of 40 bytes, a few users at a time as an App Server would.
func fill(t *testing.T, c *testenv.APIClient, users []string) {
	t.Helper()
	ext := map[string]string{}
	for i := range 20 {
		ext[fmt.Sprintf("ext_%s%02d", strings.Repeat("k", 26), i)] = strings.Repeat("é", 256)
	}
	extText, _ := json.Marshal(ext)
	basic := fmt.Sprintf(`{"uniqueId":"%s","name":"%s","portraitUri":"https://img/%s","email":"%s","birthday":"%s","location":"%s","gender":2,"role":100,"level":100}`,
		strings.Repeat("U", 32), strings.Repeat("名", 64), strings.Repeat("p", 1000), strings.Repeat("e", 128), strings.Repeat("b", 32), strings.Repeat("l", 32))
	var tags []string
	for i := range 20 {
		tags = append(tags, fmt.Sprintf("%s%02d", strings.Repeat("t", 38), i))
	}
	var wg sync.WaitGroup
	work := make(chan string)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				r := c.Post(t, "/user/profile/set.json", form("userId", u, "userProfile", basic, "userExtProfile", string(extText)))
				if r.Code() != 200 {
					t.Errorf("set %s: %s", u, r.Raw[:min(200, len(r.Raw))])
				}
			}
		}()
	}
	for _, u := range users {
		work <- u
	}
	close(work)
	wg.Wait()
	body, _ := json.Marshal(map[string]any{"userIds": users, "tags": tags})
	jsonOK(t, c, "/user/tag/batch/set.json", string(body))
	asked := users[:min(100, len(users))]
	if got := batch(t, c, asked...); len(got) != len(asked) {
		t.Fatalf("%d of %d users have a profile before erasure", len(got), len(asked))
	}
}

// expectErased checks that none of the users has a hosted profile or tags left, through the
// API and in the table.
func expectErased(t *testing.T, s *testenv.Stack, c *testenv.APIClient, users []string, keep []string) {
	t.Helper()
	if got := batch(t, c, users...); len(got) != 0 {
		t.Fatalf("%d users still have a hosted profile, e.g. %s", len(got), got[0].UserID)
	}
	for _, p := range userList(t, c, "/user/profile/query.json", form("size", "100")) {
		if slices.Contains(users, p.UserID) {
			t.Fatalf("erased %s is still listed", p.UserID)
		}
	}
	for u, tags := range tagsOf(t, c, users[:50]...) {
		if len(tags) != 0 {
			t.Fatalf("%s still has tags %v", u, tags)
		}
	}
	for _, u := range users {
		items, err := s.Service.Store.ItemsOf(t.Context(), s.Apps[0].Key, u)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(items) != fmt.Sprint(keep) {
			t.Fatalf("%s keeps %v after erasure, want %v", u, items, keep)
		}
	}
}

func users100() []string {
	out := make([]string, 100)
	for i := range out {
		out[i] = fmt.Sprintf("user%03d", i)
	}
	return out
}

// TestDeactivationErasesProfilesAndTags deactivates 100 users (one call's most) that each hold
// the largest profile and tag set, and checks that erasure leaves only the state item and that
// reactivated users start without either.
func TestDeactivationErasesProfilesAndTags(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	users := users100()
	for _, u := range users {
		c.Register(t, u)
	}
	c.Register(t, "other")
	fill(t, c, append(users, "other"))

	c.MustOK(t, "/user/deactivate.json", form("userId", strings.Join(users, ",")))
	s.Gateway.Wait()
	expectErased(t, s, c, users, []string{"#PROFILE"})
	if got := batch(t, c, "other"); len(got) != 1 {
		t.Fatalf("another user's profile went with the erasure: %+v", got)
	}

	c.MustOK(t, "/user/reactivate.json", form("userId", strings.Join(users, ",")))
	expectErased(t, s, c, users, []string{"#PROFILE"})
	c.MustOK(t, "/user/profile/set.json", form("userId", users[0], "userProfile", `{"level":1}`))
	if got := batch(t, c, users[0]); len(got) != 1 || got[0].Profile != `{"level":1}` || got[0].Ext != "{}" {
		t.Fatalf("a reactivated user's new profile: %+v", got)
	}
}

// TestDevelopmentDeleteErasesProfilesAndTags deletes a development app's 100 users, each with
// the largest profile and tag set; registered again, they have neither.
func TestDevelopmentDeleteErasesProfilesAndTags(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Development))
	c := s.Client(0)
	users := users100()
	for _, u := range users {
		c.Register(t, u)
	}
	fill(t, c, users)

	c.MustOK(t, "/user/delusers.json", form("userId", strings.Join(users, ",")))
	s.Gateway.Wait()
	expectErased(t, s, c, users, nil)
	for _, u := range users[:10] {
		c.Register(t, u)
	}
	expectErased(t, s, c, users[:10], []string{"#PROFILE"})
}
