package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"imusers/infra/bench/stats"
	"imusers/shared/apps"
	"imusers/shared/routes"
)

// loadTarget is one operation put under constant-rate load. Adding one is one entry in
// loadTargets.
type loadTarget struct {
	route   string
	variant string
	env     apps.Environment
	// limit is the platform's per-app rate for routes whose limit is not in the route table
	// (the connection API's stage throttling in template.yaml).
	limit int
	setup func(ctx context.Context, e *env, app apps.App) (attack, error)
}

// attack offers rate calls per second for d and reports what came back.
type attack func(ctx context.Context, rate int, d time.Duration) loadStep

var loadTargets = []loadTarget{
	{route: "userGetToken", variant: "production app, a new user each call",
		setup: func(ctx context.Context, e *env, app apps.App) (attack, error) {
			return e.vegeta(app, "userGetToken", func(n uint64) url.Values {
				return url.Values{"userId": {fmt.Sprint("load-", n)}, "name": {"Load"}}
			}), nil
		}},
	{route: "userCheckOnline", variant: "one user with an open connection",
		setup: func(ctx context.Context, e *env, app apps.App) (attack, error) {
			if err := e.online(ctx, app, "watched"); err != nil {
				return nil, err
			}
			return e.vegeta(app, "userCheckOnline", func(uint64) url.Values { return url.Values{"userId": {"watched"}} }), nil
		}},
	{route: "wsConnect", variant: "connect (authorizer + $connect) and close, 50 users in turn", limit: wsStageLimit,
		setup: func(ctx context.Context, e *env, app apps.App) (attack, error) {
			tokens := make([]string, 50)
			for i := range tokens {
				tok, err := e.register(ctx, app, fmt.Sprint("churn-", i))
				if err != nil {
					return nil, err
				}
				tokens[i] = tok
			}
			return e.connectChurn(tokens), nil
		}},
	// Direct messages from 32 connected senders, each to its own connected recipient, one
	// message in flight per sender as a client SDK does.
	{route: "wsSendMessage", variant: "32 senders, each to its own recipient", limit: wsStageLimit,
		setup: func(ctx context.Context, e *env, app apps.App) (attack, error) {
			pairs := make([]*pair, 32)
			for i := range pairs {
				p, err := e.connectPair(ctx, app, fmt.Sprint("s-", i), fmt.Sprint("r-", i))
				if err != nil {
					return nil, err
				}
				pairs[i] = p
			}
			var mu sync.Mutex
			n := 0
			return func(ctx context.Context, rate int, d time.Duration) loadStep {
				return paced(ctx, rate, d, func(ctx context.Context) error {
					mu.Lock()
					i := n
					n++
					mu.Unlock()
					return pairs[i%len(pairs)].send(ctx, i)
				})
			}, nil
		}},
}

// wsStageLimit is the connection API's default route throttling (template.yaml).
const wsStageLimit = 100

// The pass rule of a load step: p99 under 50 ms (the bar), nearly every call answered
// with success, and the rate really offered (a generator that falls behind proves nothing).
const (
	p99Limit        = 50.0 // ms
	minSuccess      = 0.99
	minAchieved     = 0.9
	bisectSteps     = 2
	coolDownBetween = 300 * time.Millisecond
)

// ladder is the offered rates, doubling; the search stops at the first failing step.
var ladder = []int{50, 100, 200, 400, 800, 1600, 3200}

type loadStep struct {
	Rate     int      `json:"offeredPerSecond"`
	Achieved float64  `json:"achievedPerSecond"`
	Requests int      `json:"requests"`
	Success  float64  `json:"successRatio"`
	P50      float64  `json:"p50Ms"`
	P99      float64  `json:"p99Ms"`
	Pass     bool     `json:"pass"`
	Attempts int      `json:"attempts"` // 2 when the first run failed and was repeated
	Why      string   `json:"failedOn,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	CPU      *stepCPU `json:"cpu,omitempty"` // the benchmark's and dynalite's, in the run that counted
}

type loadResult struct {
	Route   string     `json:"route"`
	Variant string     `json:"variant,omitempty"`
	Limit   int        `json:"platformLimitPerSecond"`
	MaxRate int        `json:"highestPassingRate"` // 0: not even the lowest step passed
	Ratio   float64    `json:"ratioToPlatformLimit"`
	Steps   []loadStep `json:"steps"`
	Error   string     `json:"error,omitempty"`
}

func (s *loadStep) judge() {
	var why []string
	if s.Requests == 0 {
		why = append(why, "no calls")
	}
	if s.P99 >= p99Limit {
		why = append(why, "p99")
	}
	if s.Success < minSuccess {
		why = append(why, "failures")
	}
	if s.Achieved < minAchieved*float64(s.Rate) {
		why = append(why, fmt.Sprintf("only %.0f/s offered", s.Achieved))
	}
	s.Pass, s.Why = len(why) == 0, strings.Join(why, ", ")
}

// runLoad steps each target's rate up the ladder to its first failing step, then bisects
// between the last passing and the first failing rate.
func runLoad(ctx context.Context, e *env, targets []loadTarget, appsFrom int, stepFor time.Duration) []loadResult {
	var out []loadResult
	for j, t := range targets {
		res := loadResult{Route: t.route, Variant: t.variant}
		res.Limit = t.limit
		if r, ok := routes.ByName(t.route); ok && r.RateLimit > 0 {
			res.Limit = r.RateLimit
		}
		hit, err := t.setup(ctx, e, e.apps[appsFrom+j])
		if err != nil {
			res.Error = err.Error()
			out = append(out, res)
			continue
		}
		// A failing step is run once more: on a shared machine one burst of someone else's work
		// can spoil two seconds, and a rate the service sustains should not be lost to it.
		clock := cpuClock{e.dynalitePid}
		step := func(rate int) bool {
			var s loadStep
			for attempt := range 2 {
				start := clock.read()
				s = hit(ctx, rate, stepFor)
				cpu := clock.read().since(start, s.Requests)
				s.CPU = &cpu
				s.judge()
				s.Attempts = attempt + 1
				time.Sleep(coolDownBetween)
				if s.Pass || ctx.Err() != nil {
					break
				}
			}
			res.Steps = append(res.Steps, s)
			return s.Pass
		}
		lo, hi := 0, 0
		for _, rate := range ladder {
			if ctx.Err() != nil {
				break
			}
			if !step(rate) {
				hi = rate
				break
			}
			lo = rate
		}
		for range bisectSteps {
			if hi == 0 || ctx.Err() != nil {
				break
			}
			mid := (lo + hi) / 2
			if lo == 0 {
				mid = hi / 2
			}
			mid = mid / 10 * 10
			if mid <= lo || mid >= hi {
				break
			}
			if step(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		res.MaxRate = lo
		res.Ratio = stats.Ratio(float64(lo), float64(res.Limit))
		slices.SortStableFunc(res.Steps, func(a, b loadStep) int { return a.Rate - b.Rate })
		out = append(out, res)
	}
	return out
}

// vegeta attacks a Server API route with vegeta, signing every request afresh as an SDK does.
func (e *env) vegeta(app apps.App, route string, form func(n uint64) url.Values) attack {
	r, _ := routes.ByName(route)
	var seq atomic.Uint64
	target := func(t *vegeta.Target) error {
		t.Method = http.MethodPost
		t.URL = e.url + r.Path
		t.Body = []byte(form(seq.Add(1)).Encode())
		t.Header = signedHeaders(app)
		t.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return nil
	}
	return func(ctx context.Context, rate int, d time.Duration) loadStep {
		// An attacker stops itself when its attack ends, so every step needs a new one. Its
		// connections are closed with it: vegeta's own transport never closes an idle one, and
		// each step's hundreds left open (a goroutine pair and buffers on each side) made every
		// later step's garbage collections scan them, in the process that also runs the service.
		tr := &http.Transport{MaxIdleConnsPerHost: 256}
		defer tr.CloseIdleConnections()
		atk := vegeta.NewAttacker(vegeta.Client(&http.Client{Timeout: 5 * time.Second, Transport: tr}),
			vegeta.Workers(16), vegeta.MaxWorkers(512))
		stop := context.AfterFunc(ctx, func() { atk.Stop() })
		defer stop()
		var lat []time.Duration
		var ok int
		errs := map[string]bool{}
		var first, last time.Time
		for res := range atk.Attack(target, vegeta.Rate{Freq: rate, Per: time.Second}, d, route) {
			lat = append(lat, res.Latency)
			if first.IsZero() || res.Timestamp.Before(first) {
				first = res.Timestamp
			}
			if res.Timestamp.After(last) {
				last = res.Timestamp
			}
			if res.Code == http.StatusOK && res.Error == "" {
				ok++
			} else if len(errs) < 3 {
				msg := res.Error
				if msg == "" {
					msg = fmt.Sprintf("HTTP %d %.120s", res.Code, res.Body)
				}
				errs[msg] = true
			}
		}
		return summarizeStep(rate, lat, ok, first, last, errs)
	}
}

func summarizeStep(rate int, lat []time.Duration, ok int, first, last time.Time, errs map[string]bool) loadStep {
	s := stats.Summarize(lat)
	st := loadStep{Rate: rate, Requests: len(lat), P50: s.P50, P99: s.P99}
	if len(lat) > 0 {
		st.Success = float64(ok) / float64(len(lat))
	}
	// Requests are sent at rate, so n of them span (n-1)/rate seconds.
	if span := last.Sub(first).Seconds(); len(lat) > 1 && span > 0 {
		st.Achieved = float64(len(lat)-1) / span
	}
	for m := range errs {
		st.Errors = append(st.Errors, m)
	}
	slices.Sort(st.Errors)
	return st
}
