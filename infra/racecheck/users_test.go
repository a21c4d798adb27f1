package racecheck_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"imusers/shared/apps"
	"imusers/shared/testenv"
)

// raceRegistrations has every worker register the users racer-0… at once, round by round, and
// returns the tokens they got, by user.
func raceRegistrations(t *testing.T, c *testenv.APIClient) map[string][]string {
	t.Helper()
	var mu sync.Mutex
	tokens := map[string][]string{}
	race(t, func(w, r int) error {
		user := fmt.Sprint("racer-", r)
		res, err := post(c, "/user/getToken.json", form("userId", user, "name", fmt.Sprint("Racer ", w)))
		if err != nil {
			return err
		}
		if res.Code() != 200 {
			return fmt.Errorf("getToken %s: HTTP %d %s", user, res.Status, res.Raw)
		}
		mu.Lock()
		tokens[user] = append(tokens[user], res.Body["token"].(string))
		mu.Unlock()
		return nil
	})
	return tokens
}

// The same userId registered by many clients at once is one user: the development cap's
// registry holds it once and the user list shows it once.
func TestRegisterSameUserRacing(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Development))
	c := s.Client(0)
	raceRegistrations(t, c)
	slots, err := s.Service.Store.DevSlots(context.Background(), s.Apps[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(slots)
	if len(slots) != rounds || len(slices.Compact(slots)) != rounds {
		t.Errorf("the cap's registry holds %v; want each of the %d users once", slots, rounds)
	}
	res := c.MustOK(t, "/user/query.json", form("pageSize", "100"))
	if res.Body["total"] != float64(rounds) {
		t.Errorf("user list total = %v, want %d", res.Body["total"], rounds)
	}
}

// Every token that racing registrations of one new userId answer with works.
func TestRacingRegistrationsAllIssueWorkingTokens(t *testing.T) {
	s := testenv.StartStack(t)
	for user, toks := range raceRegistrations(t, s.Client(0)) {
		for _, tok := range toks {
			if _, u, err := s.Service.Users.VerifyToken(context.Background(), tok); err != nil || u.ID != user {
				t.Errorf("a token of %s fails: %v", user, err)
			}
		}
	}
}

// A deactivation racing registrations and profile changes of the same user wins for good: the
// user ends deactivated, without a profile, erased, listed once, and no token issued during the
// race works.
func TestDeactivateRacingRegisterAndRefresh(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	ctx := context.Background()
	app := s.Apps[0].Key
	for r := range rounds {
		register(t, c, fmt.Sprint("d-", r))
	}
	var mu sync.Mutex
	var racedTokens []string
	race(t, func(w, r int) error {
		user := fmt.Sprint("d-", r)
		var res testenv.Response
		var err error
		switch w % 3 {
		case 0:
			res, err = post(c, "/user/deactivate.json", form("userId", user))
		case 1:
			res, err = post(c, "/user/getToken.json", form("userId", user, "name", "Back again"))
			if err == nil && res.Code() == 200 {
				mu.Lock()
				racedTokens = append(racedTokens, res.Body["token"].(string))
				mu.Unlock()
			}
		default:
			res, err = post(c, "/user/refresh.json", form("userId", user, "name", "Renamed", "portraitUri", "https://p"))
		}
		if err != nil {
			return err
		}
		if code := res.Code(); code != 200 && code != 3002 {
			return fmt.Errorf("%s during the race: HTTP %d %s", user, res.Status, res.Raw)
		}
		return nil
	})
	s.Gateway.Wait()
	for r := range rounds {
		user := fmt.Sprint("d-", r)
		u, err := s.Service.Store.GetUser(ctx, app, user)
		if err != nil || !u.Deactivated() || u.Name != "" || u.Portrait != "" || u.ErasePending != "" {
			t.Errorf("%s after the race = %+v, %v; want deactivated, no profile, erasure done", user, u, err)
		}
	}
	for _, tok := range racedTokens {
		if _, _, err := s.Service.Users.VerifyToken(ctx, tok); err == nil {
			t.Error("a token issued during the race works for a deactivated user")
		}
	}
	list := c.MustOK(t, "/user/deactivate/query.json", nil).Body["users"].([]any)
	if len(list) != rounds {
		t.Errorf("deactivated list has %d entries, want %d", len(list), rounds)
	}
}

// Deactivations and reactivations of the same users racing each other settle on a consistent
// state: listed as deactivated exactly when deactivated, no profile while deactivated, no erasure
// left pending, and the token from before the race never works again.
func TestDeactivateRacingReactivate(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	ctx := context.Background()
	app := s.Apps[0].Key
	before := map[string]string{}
	for r := range rounds {
		user := fmt.Sprint("x-", r)
		before[user] = register(t, c, user)
	}
	race(t, func(w, r int) error {
		path := "/user/deactivate.json"
		if w%2 == 1 {
			path = "/user/reactivate.json"
		}
		res, err := post(c, path, form("userId", fmt.Sprint("x-", r)))
		if err != nil {
			return err
		}
		if res.Code() != 200 {
			return fmt.Errorf("%s: HTTP %d %s", path, res.Status, res.Raw)
		}
		return nil
	})
	s.Gateway.Wait()
	listed := map[string]bool{}
	for _, u := range c.MustOK(t, "/user/deactivate/query.json", nil).Body["users"].([]any) {
		listed[u.(string)] = true
	}
	for user, tok := range before {
		u, err := s.Service.Store.GetUser(ctx, app, user)
		if err != nil {
			t.Fatal(err)
		}
		if u.Deactivated() != listed[user] {
			t.Errorf("%s deactivated = %v but listed = %v", user, u.Deactivated(), listed[user])
		}
		if u.Deactivated() && (u.Name != "" || u.Portrait != "") {
			t.Errorf("%s is deactivated but keeps its profile: %+v", user, u)
		}
		if u.ErasePending != "" {
			t.Errorf("%s: erasure %s still pending after every job ended", user, u.ErasePending)
		}
		if _, _, err := s.Service.Users.VerifyToken(ctx, tok); err == nil {
			t.Errorf("%s: the token from before its deactivation works again", user)
		}
	}
}

// A development user deleted while it registers again can end up outside the cap's count
// (registry and user are two items and there are no transactions; the README says so). The
// next registration of that userId repairs it: afterwards the registry counts exactly the
// users that exist, so deleting cannot be used to slip past the 100-user cap for long.
func TestDeleteDevUserRacingRegister(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Development))
	c := s.Client(0)
	ctx := context.Background()
	app := s.Apps[0].Key
	for r := range rounds {
		register(t, c, fmt.Sprint("del-", r))
	}
	race(t, func(w, r int) error {
		user := fmt.Sprint("del-", r)
		var res testenv.Response
		var err error
		if w%2 == 0 {
			res, err = post(c, "/user/delusers.json", form("userId", user))
		} else {
			res, err = post(c, "/user/getToken.json", form("userId", user, "name", "Again"))
		}
		if err != nil {
			return err
		}
		if code := res.Code(); code != 200 && code != 3001 {
			return fmt.Errorf("%s: HTTP %d %s", user, res.Status, res.Raw)
		}
		return nil
	})
	s.Gateway.Wait()
	for r := range rounds {
		register(t, c, fmt.Sprint("del-", r))
	}
	slots, err := s.Service.Store.DevSlots(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := s.Service.Store.ListDevUsers(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	var existing []string
	for _, u := range listed {
		existing = append(existing, u.ID)
	}
	slices.Sort(slots)
	slices.Sort(existing)
	if !slices.Equal(slots, existing) {
		t.Errorf("the cap's registry counts %v but these users exist: %v", slots, existing)
	}
}
