package abuse_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/routes"
	"imusers/shared/testenv"
)

// Every route takes a burst of twice its rate limit, then answers 429 with code 1008 before any
// function runs, until time refills its bucket; each app has its own buckets.
func TestRouteRateLimits(t *testing.T) {
	a, b := testenv.NewApp(apps.Production), testenv.NewApp(apps.Production)
	s := testenv.StartStackWith(t, testenv.Options{Apps: []apps.App{a, b}, RateLimits: true})
	frozen := time.Unix(1_780_000_000, 0)
	var mu sync.Mutex
	s.Gateway.SetRateClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return frozen })
	advance := func(d time.Duration) { mu.Lock(); frozen = frozen.Add(d); mu.Unlock() }

	// A request whose signature is wrong costs the service nothing after the gateway, so each
	// route's whole burst can be spent quickly; what counts here is what the gateway lets through.
	bad := signed("", a.Key, "not-the-secret", "n", "1")
	for _, r := range routes.All {
		if r.Kind != routes.HTTP {
			continue
		}
		burst := 2 * r.RateLimit
		for i := range burst {
			if res := send(t, s.URL, r.Path, formType, "", bad); res.Status == http.StatusTooManyRequests {
				t.Fatalf("%s: throttled after %d requests, want a burst of %d", r.Name, i, burst)
			}
		}
		s.Calls.Reset()
		res := send(t, s.URL, r.Path, formType, "", bad)
		expect(t, r.Name+" past its burst", res, http.StatusTooManyRequests, 1008)
		if msg, _ := res.Body["errorMessage"].(string); msg == "" {
			t.Errorf("%s: 429 without errorMessage: %s", r.Name, res.Raw)
		}
		if n := s.Calls.Calls().Total(); n != 0 {
			t.Errorf("%s: a throttled request cost %d DynamoDB calls", r.Name, n)
		}
	}

	// Another app is not held back by A's traffic.
	s.Client(1).MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice"))
	// Time refills A's bucket at the route's rate.
	info, _ := routes.ByName("userInfo")
	advance(time.Second / time.Duration(info.RateLimit))
	if res := send(t, s.URL, info.Path, formType, "", bad); res.Status == http.StatusTooManyRequests {
		t.Errorf("after 1/rate of a second the next request is still throttled")
	}
	if res := send(t, s.URL, info.Path, formType, "", bad); res.Status != http.StatusTooManyRequests {
		t.Errorf("one refill let two requests through: HTTP %d", res.Status)
	}
	// Switched off (load tests), nothing is throttled.
	s.Gateway.SetRateLimits(false)
	if res := send(t, s.URL, info.Path, formType, "", bad); res.Status == http.StatusTooManyRequests {
		t.Error("throttling switched off still answers 429")
	}
}
