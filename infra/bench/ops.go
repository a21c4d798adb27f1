package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"slices"
	"time"

	"imusers/infra/bench/stats"
	"imusers/shared/apps"
	"imusers/shared/routes"
	"imusers/shared/store"
)

// callStats are the round trips one operation made, over all its measured calls.
type callStats struct {
	Min    int64            `json:"min"`
	Max    int64            `json:"max"`
	Mean   float64          `json:"mean"`
	Reads  int64            `json:"readsOfMax"`  // GetItem, Query, BatchGetItem of the costliest call
	Writes int64            `json:"writesOfMax"` // PutItem, UpdateItem, DeleteItem, BatchWriteItem
	By     map[string]int64 `json:"byActionOfMax"`
}

// opResult is everything measured for one scenario.
type opResult struct {
	Route      string   `json:"route"`
	Also       []string `json:"alsoRuns,omitempty"`
	Variant    string   `json:"variant,omitempty"`
	Via        string   `json:"via"`
	Path       string   `json:"path,omitempty"`
	Samples    int      `json:"samples"`
	Errors     int      `json:"errors"`
	FirstError string   `json:"firstError,omitempty"`

	Calls         callStats `json:"dynamodbCalls"`
	Budget        int       `json:"budgetCalls"` // 0: none stated
	BudgetReads   int       `json:"budgetReads"` // -1: not bounded separately
	BudgetWrites  int       `json:"budgetWrites"`
	BudgetRule    string    `json:"budgetRule"`
	BudgetVerdict string    `json:"budgetVerdict"` // pass, fail, none
	ReadCU        float64   `json:"readCapacityUnitsPerCall"`
	WriteCU       float64   `json:"writeCapacityUnitsPerCall"`

	Latency stats.Summary `json:"latency"`
	Waited  stats.Summary `json:"dynamodbTime"` // time with at least one DynamoDB request out
	Own     stats.Summary `json:"nonDynamodbTime"`
	// Ratios to the raw GetItem round trip of the same run.
	P50Ratio float64 `json:"p50RatioToRawGetItem"`
	P99Ratio float64 `json:"p99RatioToRawGetItem"`
	// (p50 − calls × raw p50) / calls, as a fraction of raw p50: design target < 0.30.
	Overhead float64 `json:"overheadPerDynamodbCall"`
	// p50 of (latency − time waiting on DynamoDB) / calls, as a fraction of raw p50.
	OwnPerCall float64 `json:"measuredNonDynamodbTimePerCall"`
	// OwnPerCall less the HTTP hop every call through the gateway pays: what the gateway's
	// event building and the function itself add, per DynamoDB call.
	ServicePerCall  float64 `json:"serviceTimePerCall"`
	OverheadVerdict string  `json:"overheadVerdict"` // pass, fail, none
}

func (r opResult) name() string {
	if r.Route == "" {
		return r.Variant
	}
	if r.Variant == "" {
		return r.Route
	}
	return r.Route + " (" + r.Variant + ")"
}

// overheadTarget is design.md's bound on time spent beyond DynamoDB, per round trip.
const overheadTarget = 0.30

type sample struct {
	latency time.Duration
	usage   usage
	calls   store.Calls
	err     error
}

func reads(c store.Calls) int64  { return c.GetItem + c.Query + c.BatchGetItem }
func writes(c store.Calls) int64 { return c.PutItem + c.UpdateItem + c.DeleteItem + c.BatchWriteItem }

// measureOps runs every scenario and the raw GetItem baseline in interleaved rounds: noise on
// a shared machine comes in waves, and interleaving lets every operation and the baseline
// meet the same waves instead of one of them getting a quiet minute.
// baselines are the round trips every operation is compared with, measured in the same rounds.
type baselines struct {
	// RawGetItem is one strongly consistent GetItem of a user item through the service's SDK
	// client, straight to dynalite: the unit the design counts in.
	RawGetItem stats.Summary `json:"rawGetItem"`
	// HTTPHop is one signed-form POST from the benchmark's HTTP client to an empty handler on
	// loopback: the transport every call through the gateway pays before any function runs.
	HTTPHop stats.Summary `json:"httpHop"`
}

func measureOps(ctx context.Context, e *env, list []scenario, samples, rounds int) (baselines, []opResult, error) {
	steps := make([]step, len(list))
	setupErr := make([]error, len(list))
	for i, sc := range list {
		steps[i], setupErr[i] = sc.setup(ctx, e, e.apps[i])
		if setupErr[i] != nil {
			log.Printf("setup %s: %v", sc.route, setupErr[i])
		}
	}
	if _, err := e.register(ctx, e.base, "baseline"); err != nil {
		return baselines{}, nil, err
	}
	if err := e.erasures.drain(ctx); err != nil {
		return baselines{}, nil, err
	}
	rawGet := func(ctx context.Context) (time.Duration, error) {
		start := time.Now()
		_, err := e.fixtures.GetUser(ctx, e.base.Key, "baseline")
		return time.Since(start), err
	}

	hopURL, stopHop, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"code":200}`)
	}))
	if err != nil {
		return baselines{}, nil, err
	}
	defer stopHop()
	hop := func(ctx context.Context) (time.Duration, error) {
		req, err := signedRequest(ctx, hopURL, e.base, "/user/info.json", url.Values{"userId": {"baseline"}})
		if err != nil {
			return 0, err
		}
		start := time.Now()
		_, err = e.do(req)
		return time.Since(start), err
	}

	next := make([]int, len(list)) // each scenario's next call index
	one := func(i int) sample {
		st := steps[i]
		n := next[i]
		next[i]++
		if st.prepare != nil {
			if err := st.prepare(ctx, n); err != nil {
				return sample{err: fmt.Errorf("prepare: %w", err)}
			}
		}
		e.calls.Reset()
		e.meter.reset()
		start := time.Now()
		err := st.run(ctx, n)
		s := sample{latency: time.Since(start), usage: e.meter.usage(), calls: e.calls.Calls(), err: err}
		if st.cleanup != nil {
			if cerr := st.cleanup(ctx, n); cerr != nil && s.err == nil {
				s.err = fmt.Errorf("cleanup: %w", cerr)
			}
		}
		return s
	}

	// Warm-up: connections, the first-call paths of the SDK and the gateway, dynalite's JIT.
	for range 20 {
		if _, err := rawGet(ctx); err != nil {
			return baselines{}, nil, fmt.Errorf("raw GetItem: %w", err)
		}
		if _, err := hop(ctx); err != nil {
			return baselines{}, nil, fmt.Errorf("HTTP hop: %w", err)
		}
	}
	for i := range list {
		if setupErr[i] == nil {
			for range 3 {
				one(i)
			}
		}
	}
	if err := e.erasures.drain(ctx); err != nil {
		return baselines{}, nil, err
	}

	var raw, hops []time.Duration
	got := make([][]sample, len(list))
	want := func(i int) int {
		if list[i].samples > 0 {
			return min(list[i].samples, samples)
		}
		return samples
	}
	for r := range rounds {
		if err := ctx.Err(); err != nil {
			return baselines{}, nil, err
		}
		for range (samples + rounds - 1) / rounds {
			d, err := rawGet(ctx)
			if err != nil {
				return baselines{}, nil, fmt.Errorf("raw GetItem: %w", err)
			}
			raw = append(raw, d)
			if d, err = hop(ctx); err != nil {
				return baselines{}, nil, fmt.Errorf("HTTP hop: %w", err)
			}
			hops = append(hops, d)
		}
		// Rotating the order keeps any scenario from always following the same neighbour.
		for k := range list {
			i := (k + r) % len(list)
			if setupErr[i] != nil {
				continue
			}
			quota := (want(i)*(r+1))/rounds - len(got[i])
			for range quota {
				got[i] = append(got[i], one(i))
			}
			if err := e.erasures.drain(ctx); err != nil {
				return baselines{}, nil, err
			}
		}
	}

	base := baselines{RawGetItem: stats.Summarize(raw), HTTPHop: stats.Summarize(hops)}
	out := make([]opResult, len(list))
	for i, sc := range list {
		out[i] = summarize(sc, got[i], base)
		if setupErr[i] != nil {
			out[i].Errors, out[i].FirstError = 1, "setup: "+setupErr[i].Error()
		}
	}
	return base, out, nil
}

func summarize(sc scenario, ss []sample, bases baselines) opResult {
	base := bases.RawGetItem
	r := opResult{
		Route: sc.route, Also: sc.also, Variant: sc.variant, Via: sc.via,
		Budget: sc.budget.calls, BudgetReads: sc.budget.reads, BudgetWrites: sc.budget.writes, BudgetRule: sc.budget.rule,
	}
	if rt, ok := routes.ByName(sc.route); ok {
		r.Path = rt.Path
	}
	var lat, waited, own []time.Duration
	var totalCalls int64
	r.Calls.Min = -1
	for _, s := range ss {
		if s.err != nil {
			if r.Errors++; r.FirstError == "" {
				r.FirstError = s.err.Error()
			}
			continue
		}
		lat = append(lat, s.latency)
		waited = append(waited, s.usage.Waited)
		own = append(own, max(0, s.latency-s.usage.Waited))
		n := s.calls.Total()
		totalCalls += n
		if r.Calls.Min < 0 || n < r.Calls.Min {
			r.Calls.Min = n
		}
		if n >= r.Calls.Max {
			r.Calls.Max, r.Calls.Reads, r.Calls.Writes = n, reads(s.calls), writes(s.calls)
			r.Calls.By = byAction(s.calls)
		}
		r.ReadCU += s.usage.Read
		r.WriteCU += s.usage.Write
	}
	r.Samples = len(lat)
	if r.Samples == 0 {
		r.Calls.Min = 0
		r.BudgetVerdict, r.OverheadVerdict = "none", "none"
		return r
	}
	n := float64(r.Samples)
	r.Calls.Mean = float64(totalCalls) / n
	r.ReadCU /= n
	r.WriteCU /= n
	r.Latency, r.Waited, r.Own = stats.Summarize(lat), stats.Summarize(waited), stats.Summarize(own)
	r.P50Ratio = stats.Ratio(r.Latency.P50, base.P50)
	r.P99Ratio = stats.Ratio(r.Latency.P99, base.P99)

	r.BudgetVerdict = "none"
	if sc.budget.calls > 0 {
		r.BudgetVerdict = "pass"
		if r.Calls.Max > int64(sc.budget.calls) ||
			sc.budget.reads >= 0 && r.Calls.Reads > int64(sc.budget.reads) ||
			sc.budget.writes >= 0 && r.Calls.Writes > int64(sc.budget.writes) {
			r.BudgetVerdict = "fail"
		}
	}
	r.OverheadVerdict = "none"
	if r.Calls.Mean > 0 {
		r.Overhead = stats.OverheadPerCall(r.Latency.P50, base.P50, r.Calls.Mean)
		r.OwnPerCall = stats.Ratio(r.Own.P50/r.Calls.Mean, base.P50)
		own := r.Own.P50
		if sc.via != viaHandler && sc.via != viaInProcess {
			own -= bases.HTTPHop.P50
		}
		r.ServicePerCall = stats.Ratio(own/r.Calls.Mean, base.P50)
		r.OverheadVerdict = "pass"
		if r.Overhead >= overheadTarget {
			r.OverheadVerdict = "fail"
		}
	}
	if r.Errors > 0 {
		r.BudgetVerdict, r.OverheadVerdict = "fail", "fail"
	}
	return r
}

func byAction(c store.Calls) map[string]int64 {
	m := map[string]int64{}
	for name, n := range map[string]int64{
		"GetItem": c.GetItem, "PutItem": c.PutItem, "UpdateItem": c.UpdateItem, "DeleteItem": c.DeleteItem,
		"Query": c.Query, "BatchGetItem": c.BatchGetItem, "BatchWriteItem": c.BatchWriteItem,
	} {
		if n > 0 {
			m[name] = n
		}
	}
	return m
}

// uncovered lists the functions of the route table that no scenario measures.
func uncovered(list []scenario) []string {
	var out []string
	for _, r := range routes.All {
		if !slices.ContainsFunc(list, func(s scenario) bool { return s.route == r.Name || slices.Contains(s.also, r.Name) }) {
			out = append(out, r.Name)
		}
	}
	return out
}

// appEnvs is the environment of each scenario's own app, in order.
func appEnvs(list []scenario) []apps.Environment {
	out := make([]apps.Environment, len(list))
	for i, s := range list {
		out[i] = s.env
	}
	return out
}
