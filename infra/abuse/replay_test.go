package abuse_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"imusers/infra/apicall"
	"imusers/shared/apps"
	"imusers/shared/service"
	"imusers/shared/testenv"
)

func protected(t *testing.T, window time.Duration, list ...apps.App) *testenv.Stack {
	t.Helper()
	return testenv.StartStackWith(t, testenv.Options{Apps: list, Configure: func(c *service.Config) {
		c.NonceReplayProtection = true
		c.SignatureWindow = window
	}})
}

// With replay protection on, a request sent again exactly as it was — on any route — answers
// 401/1004 "nonce already used" and does nothing; a fresh nonce passes; the same nonce in another
// app is that app's own.
func TestReplaysAreRefused(t *testing.T) {
	a, b := testenv.NewApp(apps.Development), testenv.NewApp(apps.Development)
	s := protected(t, 5*time.Minute, a, b)
	ca := s.Client(0)
	users := apicall.Users{A: "alice", B: "bob"}
	ts := fmt.Sprint(time.Now().Unix())
	for i, call := range apicall.Available() {
		s.Gateway.Wait()
		ca.Post(t, "/user/reactivate.json", form("userId", users.B))
		for _, u := range []string{users.A, users.B} {
			ca.MustOK(t, "/user/getToken.json", form("userId", u, "name", u))
		}
		if call.Settings != nil {
			ca.MustOK(t, "/app/setting/set.json", call.Settings)
		}
		body := call.Form(users).Encode()
		hs := signed("", a.Key, a.Secret, fmt.Sprint("nonce-", i), ts)
		first := send(t, s.URL, call.Path(), formType, body, hs)
		if first.Code() != 200 {
			t.Errorf("%s: first request HTTP %d %s", call.Route, first.Status, first.Raw)
			continue
		}
		s.Gateway.Wait()
		before := snapshot(t, s.Table, a.Key)
		again := send(t, s.URL, call.Path(), formType, body, hs)
		expect(t, call.Route+" replayed", again, http.StatusUnauthorized, 1004)
		if msg, _ := again.Body["errorMessage"].(string); msg != "nonce already used" {
			t.Errorf("%s replayed: message %q", call.Route, msg)
		}
		s.Gateway.Wait()
		if after := snapshot(t, s.Table, a.Key); len(after) != len(before) {
			t.Errorf("%s: the refused replay changed stored items (%d, then %d)", call.Route, len(before), len(after))
		}
	}
	// The RC- form of the same nonce is the same nonce.
	hs := signed("RC-", a.Key, a.Secret, "nonce-0", ts)
	expect(t, "the first nonce again, RC- headers", send(t, s.URL, "/user/info.json", formType, "userId=alice", hs), 401, 1004)
	// Another app's nonces are its own.
	s.Client(1).MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "alice"))
	hs = signed("", b.Key, b.Secret, "nonce-0", ts)
	expect(t, "app B with app A's nonce", send(t, s.URL, "/user/info.json", formType, "userId=alice", hs), 200, 200)
}

// A nonce is remembered as long as a replay's timestamp could still pass the window: a request
// whose Timestamp runs almost a window ahead is refused when replayed just before that
// timestamp itself leaves the window. Past that, the window refuses it anyway.
func TestReplayOfAFutureTimestampIsRefusedUntilItsWindowCloses(t *testing.T) {
	const window = 5 * time.Minute
	s := protected(t, window)
	app := s.Apps[0]
	now := time.UnixMilli(1_780_000_000_000)
	s.Service.HTTP.Now = func() time.Time { return now } // set before any request
	c := s.Client(0)
	c.Now = func() time.Time { return now }
	c.MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice"))

	ts := fmt.Sprint(now.Add(window - time.Second).UnixMilli())
	hs := signed("", app.Key, app.Secret, "ahead", ts)
	expect(t, "first", send(t, s.URL, "/user/info.json", formType, "userId=alice", hs), 200, 200)
	now = now.Add(2*window - 2*time.Second) // the timestamp is still inside the window
	expect(t, "replayed within its window", send(t, s.URL, "/user/info.json", formType, "userId=alice", hs), 401, 1004)
	now = now.Add(2 * time.Second)
	res := send(t, s.URL, "/user/info.json", formType, "userId=alice", hs)
	expect(t, "replayed after its window", res, 401, 1004)
	if res.Body["errorMessage"] == "nonce already used" {
		t.Error("after the window the timestamp, not the nonce record, should refuse the replay")
	}
}

// The same signed request sent by many clients at once is served exactly once.
func TestConcurrentReplaysAreServedOnce(t *testing.T) {
	s := protected(t, 5*time.Minute)
	app := s.Apps[0]
	s.Client(0).MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice"))
	hs := signed("", app.Key, app.Secret, "raced", fmt.Sprint(time.Now().Unix()))
	const clients = 16
	var wg sync.WaitGroup
	codes := make(chan int, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- sendQuiet(s.URL, "/user/refresh.json", "userId=alice&name=Raced", hs)
		}()
	}
	wg.Wait()
	close(codes)
	served := 0
	for code := range codes {
		switch code {
		case 200:
			served++
		case 1004:
		default:
			t.Errorf("a raced replay answered code %d", code)
		}
	}
	if served != 1 {
		t.Fatalf("the same request was served %d times, want once", served)
	}
}

// Replay protection costs one write per call and nothing when it is off.
func TestReplayProtectionCostsOneWrite(t *testing.T) {
	for _, on := range []bool{false, true} {
		s := testenv.StartStackWith(t, testenv.Options{Configure: func(c *service.Config) { c.NonceReplayProtection = on }})
		c := s.Client(0)
		c.MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice"))
		s.Calls.Reset()
		c.MustOK(t, "/user/info.json", form("userId", "alice"))
		calls := s.Calls.Calls()
		want := int64(0)
		if on {
			want = 1
		}
		if calls.PutItem != want || calls.Total() != 1+want {
			t.Errorf("protection %v: info made %+v; want %d nonce write(s) besides its one read", on, calls, want)
		}
	}
}
