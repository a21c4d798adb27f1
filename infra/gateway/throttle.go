package gateway

import (
	"net/http"
	"sync"
	"time"

	"imusers/shared/apps"
	"imusers/shared/routes"
	"imusers/shared/wire/apierr"
)

// Route throttling as template.yaml's RouteSettings give it to API Gateway: a token bucket per
// route with the route table's RateLimit as its steady rate and twice that as its burst. Here each
// app has its own buckets, so one app's burst does not spend another's, and a refused request
// gets the contract's 1008 body (HTTP 429) before any function runs.
type throttle struct {
	mu      sync.Mutex
	off     bool
	now     func() time.Time
	apps    *apps.Registry
	buckets map[bucketKey]*bucket
}

type bucketKey struct{ route, app string }

type bucket struct {
	tokens float64
	last   time.Time
}

// burstFactor is the template's ThrottlingBurstLimit over ThrottlingRateLimit.
const burstFactor = 2

var rateLimitedBody = apierr.New(apierr.RateLimited, "too many requests for this operation; slow down and retry").Body()

// SetRateLimits switches route throttling on (the default, as deployed) or off, for load tests
// that measure the service beyond the platform's limits.
func (g *Gateway) SetRateLimits(on bool) {
	g.throttle.mu.Lock()
	defer g.throttle.mu.Unlock()
	g.throttle.off = !on
}

// SetRateClock replaces the clock that refills the buckets, so tests need not wait for it.
func (g *Gateway) SetRateClock(now func() time.Time) {
	g.throttle.mu.Lock()
	defer g.throttle.mu.Unlock()
	g.throttle.now = now
}

// throttled answers 429 and reports true when the request's bucket is empty.
func (g *Gateway) throttled(w http.ResponseWriter, r *http.Request, route routes.Route) bool {
	if g.throttle.allow(route, r) {
		return false
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(rateLimitedBody)
	return true
}

func (t *throttle) allow(route routes.Route, r *http.Request) bool {
	if route.RateLimit <= 0 {
		return true
	}
	// The App-Key is not verified yet; unknown keys share one bucket per route, so made-up keys
	// cannot multiply the allowance or the gateway's memory.
	app := r.Header.Get("RC-App-Key")
	if app == "" {
		app = r.Header.Get("App-Key")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.off {
		return true
	}
	if _, ok := t.apps.Lookup(app); t.apps == nil || !ok {
		app = ""
	}
	now := time.Now()
	if t.now != nil {
		now = t.now()
	}
	if t.buckets == nil {
		t.buckets = map[bucketKey]*bucket{}
	}
	rate, burst := float64(route.RateLimit), float64(burstFactor*route.RateLimit)
	k := bucketKey{route.Name, app}
	b, ok := t.buckets[k]
	if !ok {
		b = &bucket{tokens: burst, last: now}
		t.buckets[k] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(burst, b.tokens+elapsed*rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
