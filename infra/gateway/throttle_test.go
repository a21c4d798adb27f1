package gateway

import (
	"net/http/httptest"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/routes"
)

// The bucket: a burst of twice the rate at once, then one request per 1/rate of a second, per
// route and per app; unknown App-Keys share one bucket; switched off, everything passes.
func TestThrottleBuckets(t *testing.T) {
	a := apps.App{Key: "app-a", Secret: "s", Environment: apps.Production}
	b := apps.App{Key: "app-b", Secret: "s", Environment: apps.Production}
	reg, err := apps.NewRegistry([]apps.App{a, b})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	th := &throttle{apps: reg, now: func() time.Time { return now }}
	info := routes.Route{Name: "info", RateLimit: 10}
	other := routes.Route{Name: "other", RateLimit: 10}
	req := func(header, key string) bool {
		r := httptest.NewRequest("POST", "/x", nil)
		if key != "" {
			r.Header.Set(header, key)
		}
		return th.allow(info, r)
	}
	burst := func(header, key string) int {
		n := 0
		for req(header, key) {
			if n++; n > 1000 {
				t.Fatal("the bucket never empties")
			}
		}
		return n
	}
	if n := burst("App-Key", a.Key); n != 2*info.RateLimit {
		t.Fatalf("app A got a burst of %d, want %d", n, 2*info.RateLimit)
	}
	if n := burst("RC-App-Key", b.Key); n != 2*info.RateLimit {
		t.Fatalf("app B's burst (RC- header) was %d: one app's traffic spent another's", n)
	}
	if !th.allow(other, httptest.NewRequest("POST", "/x", nil)) {
		t.Fatal("another route's bucket was spent")
	}
	now = now.Add(time.Second / time.Duration(info.RateLimit))
	if !req("App-Key", a.Key) || req("App-Key", a.Key) {
		t.Fatal("after 1/rate of a second exactly one more request must pass")
	}
	now = now.Add(time.Hour)
	if n := burst("App-Key", a.Key); n != 2*info.RateLimit {
		t.Fatalf("a long pause refills to the burst, not beyond: got %d", n)
	}
	if n := burst("App-Key", "made-up-1") + burst("App-Key", "made-up-2") + burst("", ""); n != 2*info.RateLimit {
		t.Fatalf("unknown and missing keys got %d requests in all, want one shared burst of %d", n, 2*info.RateLimit)
	}
	th.off = true
	if !req("App-Key", a.Key) {
		t.Fatal("throttling switched off still refuses")
	}
}
