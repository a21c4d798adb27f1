package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

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
	// Items are the capacity units per call by item kind and the index write units by index
	// partition; Posts, Closes and Invokes the Management API and Lambda calls per call.
	Items   itemUse `json:"itemsPerCall"`
	Posts   float64 `json:"framesPostedPerCall"`
	Closes  float64 `json:"connectionsClosedPerCall"`
	Invokes float64 `json:"lambdaInvokesPerCall"`

	Latency stats.Summary `json:"latency"`
	Waited  stats.Summary `json:"dynamodbTime"` // time with at least one DynamoDB request out
	// OtherAWS is the time with a Management API call (deliveries, kicks) or a Lambda Invoke
	// (erasure start) out: round trips to other AWS services.
	OtherAWS stats.Summary `json:"otherAwsTime"`
	// Own is latency less the time with any of those calls out, per request.
	Own stats.Summary `json:"nonAwsTime"`
	// CallTimes are the durations of the operation's DynamoDB calls, each timed on its own.
	CallTimes map[string]stats.Summary `json:"dynamodbCallTimesByAction,omitempty"`
	// Ratios to the raw GetItem round trip of the same run.
	P50Ratio float64 `json:"p50RatioToRawGetItem"`
	P99Ratio float64 `json:"p99RatioToRawGetItem"`
	// The earlier measure, (p50 − calls × raw p50) / calls / raw p50: it charges an operation
	// for its writes, queries and batches taking longer in DynamoDB than a GetItem.
	Overhead float64 `json:"callsTimesGetItemOverheadPerCall"`
	// p50 of the request's time outside AWS calls, per DynamoDB call, as a fraction of raw p50.
	OwnPerCall float64 `json:"nonAwsTimePerCall"`
	// The design's measure, what carries the verdict: the time outside AWS calls less the
	// transport (the loopback HTTP hop and the local gateway's event translation, both measured
	// in the same run), per DynamoDB call, as a fraction of the raw GetItem; p50 against p50 and
	// p99 against p99.
	ServicePerCall    float64 `json:"serviceTimePerCall"`
	ServicePerCallP99 float64 `json:"serviceTimePerCallP99"`
	OverheadVerdict   string  `json:"overheadVerdict"` // pass, fail, none
	// Bytes is the mean size of an HTTP call's request and answer bodies together.
	Bytes float64 `json:"httpBodyBytes,omitempty"`
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

// overheadTarget is issue 9's bound on the service's own time per DynamoDB call, as a share of
// a raw GetItem through the same SDK client: at most half of it, at p50.
const overheadTarget = 0.50

// transport is what a measured call pays before and after the function's own work, at p50 and
// p99: the loopback hop (an HTTP request carrying bytes of request and answer bodies, a
// WebSocket handshake for a connect, a frame there and back on an open connection) and the
// local gateway's event translation, once per function the call runs (a connect runs the
// authorizer and $connect). The Invoke endpoint passes its payload through without building an
// event, so its little work stays charged to the function.
func (sc scenario) transport(b baselines, bytes float64) (p50, p99 float64) {
	hop, translations := b.httpHop(bytes), 0.0
	switch sc.via {
	case viaGateway:
		translations = 1
	case viaInvoke:
	case viaWebSocket:
		hop, translations = b.WSFrame, float64(max(1, sc.invocations))
		if sc.handshake {
			hop = b.WSHandshake
		}
	default:
		return 0, 0
	}
	gw, receiver := b.gateway(bytes), float64(sc.receiverHops)
	return hop.P50 + translations*gw.P50 + receiver*b.HTTPHop.P50, hop.P99 + translations*gw.P99 + receiver*b.HTTPHop.P99
}

type sample struct {
	latency time.Duration
	bytes   int // of the request's and the answer's bodies, for an HTTP call
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
	// RawGetItem is one strongly consistent GetItem of a user item through the very SDK
	// DynamoDB client the service's store uses, without the meter and counter, straight to
	// dynalite: the unit the design counts in.
	RawGetItem stats.Summary `json:"rawGetItem"`
	// HTTPHop is one signed-form POST from the benchmark's HTTP client to an empty handler on
	// loopback: the transport every call through the gateway pays before any function runs.
	// HTTPHopLarge is the same with bodies the size of the largest calls' (a 100-user form, a
	// page of 50 entries); a call's hop is read off the line through the two by its bytes.
	HTTPHop           stats.Summary `json:"httpHop"`
	HTTPHopBytes      int           `json:"httpHopBytes"`
	HTTPHopLarge      stats.Summary `json:"httpHopLarge"`
	HTTPHopLargeBytes int           `json:"httpHopLargeBytes"`
	// WSHandshake is a WebSocket handshake with a bare server on loopback, WSFrame one frame
	// echoed on an open connection: the transport of connects and of frames.
	WSHandshake stats.Summary `json:"webSocketHandshake"`
	WSFrame     stats.Summary `json:"webSocketFrame"`
	// Gateway is the local gateway's own work for one request, which API Gateway does in AWS;
	// GatewayLarge the same for a request and answer the size of the largest calls'. A call's
	// is read off the line through the two by its bytes, as its hop is.
	Gateway           gatewayCost `json:"gatewayTranslation"`
	GatewayBytes      int         `json:"gatewayTranslationBytes"`
	GatewayLarge      gatewayCost `json:"gatewayTranslationLarge"`
	GatewayLargeBytes int         `json:"gatewayTranslationLargeBytes"`
	// CallTimes are all DynamoDB calls of all measured operations, by action.
	CallTimes map[string]stats.Summary `json:"dynamodbCallTimesByAction,omitempty"`
}

// gatewayCost is measured with the same signed userInfo call made two ways, in-process and
// interleaved with everything else: through the gateway's ServeHTTP (event building, JSON,
// a Lambda handler built per invocation, the answer turned back into HTTP) and straight into
// the function's Lambda handler (built once, as Lambda does) with the payload-2.0 event the
// gateway would build. Both run the same function with the same JSON boundary and the same
// GetItem, and DynamoDB's time is taken out of each; the difference of their percentiles is
// the gateway's part.
type gatewayCost struct {
	Through stats.Summary `json:"throughGateway"`
	Alone   stats.Summary `json:"functionAlone"`
	P50     float64       `json:"p50Ms"`
	P99     float64       `json:"p99Ms"`
}

// httpHop is the loopback hop of a call whose request and answer bodies together have bytes:
// between the small and the large probe in proportion to its size (beyond them, the line
// through both), never less than the small probe's.
func (b baselines) httpHop(bytes float64) stats.Summary {
	if b.HTTPHopLarge.N == 0 {
		return b.HTTPHop
	}
	return stats.Summary{
		N:   b.HTTPHop.N,
		P50: atSize(bytes, b.HTTPHopBytes, b.HTTPHopLargeBytes, b.HTTPHop.P50, b.HTTPHopLarge.P50),
		P99: atSize(bytes, b.HTTPHopBytes, b.HTTPHopLargeBytes, b.HTTPHop.P99, b.HTTPHopLarge.P99),
	}
}

// gateway is the local gateway's part in a call whose bodies have bytes, read the same way.
func (b baselines) gateway(bytes float64) gatewayCost {
	if b.GatewayLarge.Through.N == 0 {
		return b.Gateway
	}
	g := b.Gateway
	g.P50 = atSize(bytes, b.GatewayBytes, b.GatewayLargeBytes, b.Gateway.P50, b.GatewayLarge.P50)
	g.P99 = atSize(bytes, b.GatewayBytes, b.GatewayLargeBytes, b.Gateway.P99, b.GatewayLarge.P99)
	return g
}

// atSize reads a cost measured as small at smallBytes and large at largeBytes at bytes, on the
// line through both (beyond them too), never below small: a large probe measured faster than
// the small one (noise) adds nothing.
func atSize(bytes float64, smallBytes, largeBytes int, small, large float64) float64 {
	span := float64(largeBytes - smallBytes)
	if span <= 0 {
		return small
	}
	return small + max(0, (bytes-float64(smallBytes))/span)*max(0, large-small)
}

func newGatewayCost(through, alone []time.Duration) gatewayCost {
	g := gatewayCost{Through: stats.Summarize(through), Alone: stats.Summarize(alone)}
	g.P50 = max(0, g.Through.P50-g.Alone.P50)
	g.P99 = max(0, g.Through.P99-g.Alone.P99)
	return g
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
	var raw, hops, largeHops, through, alone, largeThrough, largeAlone, handshakes, frames []time.Duration
	rawGet := func(ctx context.Context) (time.Duration, error) {
		in := &dynamodb.GetItemInput{
			TableName: aws.String(e.table), Key: store.ProfileKey(e.base.Key, "baseline"), ConsistentRead: aws.Bool(true),
		}
		start := time.Now()
		out, err := e.raw.GetItem(ctx, in)
		took := time.Since(start)
		if err == nil && out.Item == nil {
			err = errors.New("raw GetItem: the baseline user is missing")
		}
		return took, err
	}

	// The empty handler answers as large an answer as the request asks for (size).
	hopURL, stopHop, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		n, _ := strconv.Atoi(r.PostForm.Get("size"))
		_, _ = io.WriteString(w, `{"code":200,"pad":"`+strings.Repeat("x", n)+`"}`)
	}))
	if err != nil {
		return baselines{}, nil, err
	}
	defer stopHop()
	var hopBytes, largeHopBytes int
	hopOf := func(form url.Values, bytes *int) func(context.Context) (time.Duration, error) {
		return func(ctx context.Context) (time.Duration, error) {
			req, err := signedRequest(ctx, hopURL, e.base, "/user/info.json", form)
			if err != nil {
				return 0, err
			}
			err = e.check(req)
			*bytes = e.exchanged.bytes
			return e.exchanged.took, err
		}
	}
	hop := hopOf(url.Values{"userId": {"baseline"}}, &hopBytes)
	largeHop := hopOf(url.Values{"userId": largeGatewayProbe.form["userId"], "size": {"6000"}}, &largeHopBytes)
	var gwBytes, largeGwBytes int
	gwThrough, gwAlone, err := e.gatewayProbes(smallGatewayProbe, &gwBytes)
	if err != nil {
		return baselines{}, nil, err
	}
	largeGwThrough, largeGwAlone, err := e.gatewayProbes(largeGatewayProbe, &largeGwBytes)
	if err != nil {
		return baselines{}, nil, err
	}
	ws, err := newWSHops(ctx)
	if err != nil {
		return baselines{}, nil, fmt.Errorf("WebSocket hop: %w", err)
	}
	defer ws.stop()
	probes := []struct {
		name string
		run  func(context.Context) (time.Duration, error)
		got  *[]time.Duration
	}{
		{"raw GetItem", rawGet, &raw},
		{"HTTP hop", hop, &hops},
		{"large HTTP hop", largeHop, &largeHops},
		{"gateway probe", gwThrough, &through},
		{"function probe", gwAlone, &alone},
		{"large gateway probe", largeGwThrough, &largeThrough},
		{"large function probe", largeGwAlone, &largeAlone},
		{"WebSocket handshake", ws.handshake, &handshakes},
		{"WebSocket frame", ws.frame, &frames},
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
		e.exchanged = httpExchange{}
		start := time.Now()
		err := st.run(ctx, n)
		s := sample{latency: time.Since(start), usage: e.meter.usage(), calls: e.calls.Calls(), err: err}
		if x := e.exchanged; x.took > 0 {
			s.latency, s.bytes = x.took, x.bytes
		}
		if st.cleanup != nil {
			if cerr := st.cleanup(ctx, n); cerr != nil && s.err == nil {
				s.err = fmt.Errorf("cleanup: %w", cerr)
			}
		}
		return s
	}

	// Warm-up: connections, the first-call paths of the SDK and the gateway, dynalite's JIT.
	for range 20 {
		for _, p := range probes {
			if _, err := p.run(ctx); err != nil {
				return baselines{}, nil, fmt.Errorf("%s: %w", p.name, err)
			}
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

	got := make([][]sample, len(list))
	items := make([]itemUse, len(list)) // each scenario's, summed over its successful samples
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
			for _, p := range probes {
				d, err := p.run(ctx)
				if err != nil {
					return baselines{}, nil, fmt.Errorf("%s: %w", p.name, err)
				}
				*p.got = append(*p.got, d)
			}
		}
		// Rotating the order keeps any scenario from always following the same neighbour.
		for k := range list {
			i := (k + r) % len(list)
			if setupErr[i] != nil {
				continue
			}
			quota := (want(i)*(r+1))/rounds - len(got[i])
			for range quota {
				s := one(i)
				// A sample's items join its scenario's sum at once. Kept with every sample,
				// thousands of small maps made the collector's work, which falls inside
				// whatever is measured at that moment, grow through the run.
				if s.err == nil {
					items[i].add(s.usage.Items, 1)
				}
				s.usage.Items = itemUse{}
				got[i] = append(got[i], s)
			}
			if err := e.erasures.drain(ctx); err != nil {
				return baselines{}, nil, err
			}
		}
	}

	base := baselines{RawGetItem: stats.Summarize(raw), HTTPHop: stats.Summarize(hops), HTTPHopBytes: hopBytes,
		HTTPHopLarge: stats.Summarize(largeHops), HTTPHopLargeBytes: largeHopBytes,
		Gateway: newGatewayCost(through, alone), GatewayBytes: gwBytes, GatewayLarge: newGatewayCost(largeThrough, largeAlone), GatewayLargeBytes: largeGwBytes,
		WSHandshake: stats.Summarize(handshakes), WSFrame: stats.Summarize(frames)}
	var all []sample
	for _, g := range got {
		all = append(all, g...)
	}
	base.CallTimes = callTimes(all)
	out := make([]opResult, len(list))
	for i, sc := range list {
		out[i] = summarizeWith(sc, got[i], items[i], base)
		if setupErr[i] != nil {
			out[i].Errors, out[i].FirstError = 1, "setup: "+setupErr[i].Error()
		}
	}
	return base, out, nil
}

// summarizeWith sums up a scenario's samples; items is what they touched, over every successful
// sample.
func summarizeWith(sc scenario, ss []sample, items itemUse, bases baselines) opResult {
	base := bases.RawGetItem
	r := opResult{
		Route: sc.route, Also: sc.also, Variant: sc.variant, Via: sc.via,
		Budget: sc.budget.calls, BudgetReads: sc.budget.reads, BudgetWrites: sc.budget.writes, BudgetRule: sc.budget.rule,
	}
	if rt, ok := routes.ByName(sc.route); ok {
		r.Path = rt.Path
	}
	var lat, waited, other, own []time.Duration
	var totalCalls, totalBytes int64
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
		other = append(other, s.usage.OtherAWS)
		own = append(own, max(0, s.latency-s.usage.Outside))
		n := s.calls.Total()
		totalCalls += n
		totalBytes += int64(s.bytes)
		if r.Calls.Min < 0 || n < r.Calls.Min {
			r.Calls.Min = n
		}
		if n >= r.Calls.Max {
			r.Calls.Max, r.Calls.Reads, r.Calls.Writes = n, reads(s.calls), writes(s.calls)
			r.Calls.By = byAction(s.calls)
		}
		r.ReadCU += s.usage.Read
		r.WriteCU += s.usage.Write
		r.Posts += float64(s.usage.Posts)
		r.Closes += float64(s.usage.Closes)
		r.Invokes += float64(s.usage.Invokes)
	}
	r.Samples = len(lat)
	if r.Samples == 0 {
		r.Calls.Min = 0
		r.BudgetVerdict, r.OverheadVerdict = "none", "none"
		return r
	}
	n := float64(r.Samples)
	r.Calls.Mean = float64(totalCalls) / n
	r.Bytes = float64(totalBytes) / n
	r.ReadCU /= n
	r.WriteCU /= n
	r.Items = perCall(items, n)
	r.Posts /= n
	r.Closes /= n
	r.Invokes /= n
	r.Latency, r.Waited, r.OtherAWS, r.Own = stats.Summarize(lat), stats.Summarize(waited), stats.Summarize(other), stats.Summarize(own)
	r.CallTimes = callTimes(ss)
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
		p50, p99 := sc.transport(bases, r.Bytes)
		r.ServicePerCall = stats.Ratio((r.Own.P50-p50)/r.Calls.Mean, base.P50)
		r.ServicePerCallP99 = stats.Ratio((r.Own.P99-p99)/r.Calls.Mean, base.P99)
		r.OverheadVerdict = "pass"
		if r.ServicePerCall > overheadTarget {
			r.OverheadVerdict = "fail"
		}
	}
	if r.Errors > 0 {
		r.BudgetVerdict, r.OverheadVerdict = "fail", "fail"
	}
	return r
}

// callTimes summarises the DynamoDB calls of successful samples by action.
func callTimes(ss []sample) map[string]stats.Summary {
	by := map[string][]time.Duration{}
	for _, s := range ss {
		if s.err != nil {
			continue
		}
		for _, c := range s.usage.Calls {
			by[c.Action] = append(by[c.Action], c.Took)
		}
	}
	if len(by) == 0 {
		return nil
	}
	out := make(map[string]stats.Summary, len(by))
	for a, d := range by {
		out[a] = stats.Summarize(d)
	}
	return out
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
