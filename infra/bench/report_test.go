package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imusers/infra/bench/stats"
	"imusers/shared/routes"
	"imusers/shared/store"
)

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// summarize is summarizeWith the items the samples carry (measureOps sums them as it goes).
func summarize(sc scenario, ss []sample, bases baselines) opResult {
	var items itemUse
	for _, s := range ss {
		if s.err == nil {
			items.add(s.usage.Items, 1)
		}
	}
	return summarizeWith(sc, ss, items, bases)
}

func TestSummarizeJudgesBudgetsByKind(t *testing.T) {
	base := baselines{RawGetItem: stats.Summary{P50: 1, P99: 2}, HTTPHop: stats.Summary{P50: 0.1}}
	sc := scenario{route: "wsConnect", via: viaWebSocket, budget: readsWrites(1, 1, "test")}
	readWrite := store.Calls{BatchGetItem: 1, UpdateItem: 1}
	twoWrites := store.Calls{UpdateItem: 2}

	ok := summarize(sc, []sample{{latency: ms(2.2), calls: readWrite}, {latency: ms(2.2), calls: readWrite}}, base)
	if ok.BudgetVerdict != "pass" || ok.Calls.Min != 2 || ok.Calls.Max != 2 || ok.Calls.Reads != 1 || ok.Calls.Writes != 1 {
		t.Fatalf("one read and one write within a 1+1 budget: %+v", ok)
	}
	// Two calls in all, as the budget allows, but both writes: the split must catch it.
	bad := summarize(sc, []sample{{latency: ms(2), calls: readWrite}, {latency: ms(2), calls: twoWrites}}, base)
	if bad.BudgetVerdict != "fail" || bad.Calls.Writes != 2 {
		t.Fatalf("two writes against a one-write budget passed: %+v", bad)
	}
	failed := summarize(sc, []sample{{latency: ms(2), calls: readWrite}, {err: errors.New("refused")}}, base)
	if failed.BudgetVerdict != "fail" || failed.Errors != 1 || failed.Samples != 1 || failed.FirstError != "refused" {
		t.Fatalf("a failed call must fail the operation: %+v", failed)
	}
	none := summarize(scenario{route: "wsPing", budget: noBudget("none")}, []sample{{latency: ms(1), calls: readWrite}}, base)
	if none.BudgetVerdict != "none" {
		t.Fatalf("no stated budget judged %q", none.BudgetVerdict)
	}
}

// A call with large bodies pays the hop read off the line through the small and the large
// probe, by its bytes; without a large probe, the small one.
func TestHopGrowsWithTheCallsBytes(t *testing.T) {
	near := func(a, b float64) bool { return a > b-1e-6 && a < b+1e-6 }
	base := baselines{RawGetItem: stats.Summary{P50: 1, P99: 2},
		HTTPHop: stats.Summary{N: 10, P50: 0.1, P99: 0.2}, HTTPHopBytes: 100,
		HTTPHopLarge: stats.Summary{N: 10, P50: 0.2, P99: 0.6}, HTTPHopLargeBytes: 8100}
	for _, tc := range []struct{ bytes, p50, p99 float64 }{
		{0, 0.1, 0.2}, {100, 0.1, 0.2}, {4100, 0.15, 0.4}, {8100, 0.2, 0.6}, {12100, 0.25, 0.8},
	} {
		if h := base.httpHop(tc.bytes); !near(h.P50, tc.p50) || !near(h.P99, tc.p99) {
			t.Errorf("%v bytes: hop p50 %v p99 %v, want %v and %v", tc.bytes, h.P50, h.P99, tc.p50, tc.p99)
		}
	}
	sc := scenario{route: "userCheckOnlineBatch", via: viaGateway, budget: calls(1, "test")}
	// 1.4 ms, 1 ms of it in DynamoDB, 4100 bytes: 0.15 ms of hop, 0.25 ms the service's.
	s := summarize(sc, []sample{{latency: ms(1.4), bytes: 4100, calls: store.Calls{BatchGetItem: 1}, usage: usage{Waited: ms(1), Outside: ms(1)}}}, base)
	if !near(s.Bytes, 4100) || !near(s.ServicePerCall, 0.25) {
		t.Fatalf("bytes %v, service %v, want 4100 and 0.25", s.Bytes, s.ServicePerCall)
	}
	base.HTTPHopLarge = stats.Summary{}
	if h := base.httpHop(4100); !near(h.P50, 0.1) {
		t.Fatalf("without a large probe the hop is %v, want the small one's 0.1", h.P50)
	}
	// The gateway's part is read the same way; a large probe measured below the small one adds
	// nothing.
	base.Gateway = gatewayCost{Through: stats.Summary{N: 10}, P50: 0.02, P99: 0.05}
	base.GatewayBytes = 100
	base.GatewayLarge = gatewayCost{Through: stats.Summary{N: 10}, P50: 0.06, P99: 0.01}
	base.GatewayLargeBytes = 4100
	if g := base.gateway(2100); !near(g.P50, 0.04) || !near(g.P99, 0.05) {
		t.Fatalf("gateway at 2100 bytes: p50 %v p99 %v, want 0.04 and 0.05", g.P50, g.P99)
	}
	s = summarize(sc, []sample{{latency: ms(1.4), bytes: 2100, calls: store.Calls{BatchGetItem: 1}, usage: usage{Waited: ms(1), Outside: ms(1)}}}, base)
	if !near(s.ServicePerCall, 0.26) { // 0.4 less a hop of 0.1 and a gateway of 0.04
		t.Fatalf("service %v, want 0.26", s.ServicePerCall)
	}
	// A function that sends to a webhook receiver on loopback pays one more small hop, which
	// is not the service's either.
	sc.receiverHops = 1
	s = summarize(sc, []sample{{latency: ms(1.4), bytes: 2100, calls: store.Calls{BatchGetItem: 1}, usage: usage{Waited: ms(1), Outside: ms(1)}}}, base)
	if !near(s.ServicePerCall, 0.16) {
		t.Fatalf("service with a receiver hop %v, want 0.16", s.ServicePerCall)
	}
}

func TestSummarizeOverhead(t *testing.T) {
	base := baselines{RawGetItem: stats.Summary{P50: 1, P99: 2}, HTTPHop: stats.Summary{P50: 0.1, P99: 0.2},
		Gateway: gatewayCost{P50: 0.05, P99: 0.1}, WSHandshake: stats.Summary{P50: 0.2}, WSFrame: stats.Summary{P50: 0.05}}
	near := func(a, b float64) bool { return a > b-1e-6 && a < b+1e-6 }
	one := store.Calls{GetItem: 1}
	sc := scenario{route: "userInfo", via: viaGateway, budget: calls(1, "test")}
	// 1.25 ms with one 1 ms round trip: the hop (0.1) and the gateway (0.05) leave 0.1 ms of
	// the service's own, 10 % of a GetItem; the earlier measure says 25 %.
	s := summarize(sc, []sample{{latency: ms(1.25), calls: one, usage: usage{Waited: ms(1), Outside: ms(1)}}}, base)
	if !near(s.ServicePerCall, 0.1) || s.OverheadVerdict != "pass" || !near(s.Overhead, 0.25) || !near(s.OwnPerCall, 0.25) {
		t.Fatalf("service %v (%s), earlier %v, own %v", s.ServicePerCall, s.OverheadVerdict, s.Overhead, s.OwnPerCall)
	}
	// p99 against the baselines' p99: (1.25 − 1 − 0.2 − 0.1) / 2 is below zero.
	if !near(s.ServicePerCallP99, -0.025) {
		t.Fatalf("p99 service %v", s.ServicePerCallP99)
	}
	if !near(s.P50Ratio, 1.25) || !near(s.P99Ratio, 0.625) {
		t.Fatalf("ratios p50 %v p99 %v", s.P50Ratio, s.P99Ratio)
	}

	// Two writes that each took 2 GetItems' time: the earlier measure fails the operation for
	// DynamoDB's time, the verdict goes on what the service itself spent.
	writes := store.Calls{UpdateItem: 2}
	slowDB := summarize(sc, []sample{{latency: ms(4.35), calls: writes, usage: usage{Waited: ms(4), Outside: ms(4)}}}, base)
	if slowDB.OverheadVerdict != "pass" || !near(slowDB.ServicePerCall, 0.1) || slowDB.Overhead < 1 {
		t.Fatalf("slow writes: service %v (%s), earlier %v", slowDB.ServicePerCall, slowDB.OverheadVerdict, slowDB.Overhead)
	}
	// A Management API call is a round trip too, not the service's work.
	post := summarize(sc, []sample{{latency: ms(1.75), calls: one, usage: usage{Waited: ms(1), OtherAWS: ms(0.5), Outside: ms(1.5)}}}, base)
	if !near(post.ServicePerCall, 0.1) || !near(post.OtherAWS.P50, 0.5) {
		t.Fatalf("with a delivery: service %v, other AWS %v", post.ServicePerCall, post.OtherAWS.P50)
	}
	slow := summarize(sc, []sample{{latency: ms(1.75), calls: one, usage: usage{Outside: ms(1)}}}, base)
	if !near(slow.ServicePerCall, 0.6) || slow.OverheadVerdict != "fail" {
		t.Fatalf("%v service time against a 50%% target judged %q", slow.ServicePerCall, slow.OverheadVerdict)
	}
	within := summarize(sc, []sample{{latency: ms(1.6), calls: one, usage: usage{Outside: ms(1)}}}, base)
	if !near(within.ServicePerCall, 0.45) || within.OverheadVerdict != "pass" {
		t.Fatalf("%v service time against a 50%% target judged %q", within.ServicePerCall, within.OverheadVerdict)
	}
	// In-process calls pay neither a hop nor a gateway, so none is taken off.
	in := summarize(scenario{route: "", via: viaInProcess}, []sample{{latency: ms(1.2), calls: one, usage: usage{Outside: ms(1)}}}, base)
	if !near(in.ServicePerCall, 0.2) {
		t.Fatalf("in-process service time %v, want 0.2", in.ServicePerCall)
	}
	// A connect runs two functions through the gateway in one handshake.
	conn := summarize(scenario{route: "wsConnect", via: viaWebSocket, invocations: 2, handshake: true},
		[]sample{{latency: ms(2.5), calls: store.Calls{BatchGetItem: 1, UpdateItem: 1}, usage: usage{Outside: ms(2)}}}, base)
	if !near(conn.ServicePerCall, 0.1) {
		t.Fatalf("connect service time %v, want (2.5 − 2 − 0.2 − 2×0.05) / 2 = 0.1", conn.ServicePerCall)
	}
	// A frame on an open connection pays a frame's round trip, not a handshake.
	ping := summarize(scenario{route: "wsPing", via: viaWebSocket},
		[]sample{{latency: ms(1.2), calls: store.Calls{UpdateItem: 1}, usage: usage{Outside: ms(1)}}}, base)
	if !near(ping.ServicePerCall, 0.1) {
		t.Fatalf("ping service time %v, want 1.2 − 1 − 0.05 − 0.05 = 0.1", ping.ServicePerCall)
	}
}

func TestGatewayCostIsTheDifferenceOfPercentiles(t *testing.T) {
	g := newGatewayCost([]time.Duration{ms(0.3), ms(0.3), ms(0.3)}, []time.Duration{ms(0.2), ms(0.2), ms(0.2)})
	if g.P50 < 0.0999 || g.P50 > 0.1001 || g.Through.N != 3 || g.Alone.N != 3 {
		t.Fatalf("gateway cost %+v", g)
	}
	// Noise can make the function alone the slower one; the gateway never costs less than 0.
	if g := newGatewayCost([]time.Duration{ms(0.2)}, []time.Duration{ms(0.3)}); g.P50 != 0 || g.P99 != 0 {
		t.Fatalf("negative gateway cost %+v", g)
	}
}

func TestLoadStepPassRule(t *testing.T) {
	cases := []struct {
		name string
		s    loadStep
		pass bool
	}{
		{"under every bar", loadStep{Rate: 100, Achieved: 99, Requests: 200, Success: 1, P99: 49.9}, true},
		{"p99 at the bar", loadStep{Rate: 100, Achieved: 99, Requests: 200, Success: 1, P99: 50}, false},
		{"too many failures", loadStep{Rate: 100, Achieved: 99, Requests: 200, Success: 0.98, P99: 10}, false},
		{"generator fell behind", loadStep{Rate: 100, Achieved: 80, Requests: 160, Success: 1, P99: 10}, false},
		{"nothing measured", loadStep{Rate: 100}, false},
	}
	for _, tc := range cases {
		tc.s.judge()
		if tc.s.Pass != tc.pass || (tc.s.Why == "") != tc.pass {
			t.Errorf("%s: pass = %v, failed on %q", tc.name, tc.s.Pass, tc.s.Why)
		}
	}
	start := time.Unix(0, 0)
	// 201 calls sent over 2 s is 100 per second.
	st := summarizeStep(100, make([]time.Duration, 201), 201, start, start.Add(2*time.Second), nil)
	if st.Achieved < 99.9 || st.Achieved > 100.1 || st.Success != 1 {
		t.Fatalf("achieved %v success %v", st.Achieved, st.Success)
	}
}

func TestUncoveredSeesAuthorizersThroughAlso(t *testing.T) {
	var list []scenario
	for _, r := range routes.All {
		list = append(list, scenario{route: r.Name})
	}
	if got := uncovered(list); len(got) != 0 {
		t.Fatalf("uncovered = %v with one scenario per route", got)
	}
	first := routes.All[0].Name
	if got := uncovered(list[1:]); len(got) != 1 || got[0] != first {
		t.Fatalf("uncovered = %v, want [%s]", got, first)
	}
	list[0] = scenario{route: "somethingElse", also: []string{first}}
	if got := uncovered(list); len(got) != 0 {
		t.Fatalf("a route run through another scenario's also is covered; uncovered = %v", got)
	}
}

func TestReportWritesMarkdownJSONAndPlots(t *testing.T) {
	dir := t.TempDir()
	base := baselines{RawGetItem: stats.Summary{N: 10, P50: 1, P99: 2}, HTTPHop: stats.Summary{N: 10, P50: 0.1}}
	op := summarize(scenario{route: "userInfo", via: viaGateway, budget: calls(1, "design.md")},
		[]sample{{latency: ms(3), calls: store.Calls{GetItem: 2}}}, base)
	r := &report{
		Started: time.Unix(1_800_000_000, 0), Machine: machine{NumCPU: 2, GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.x",
			Load: []phaseLoad{{"operations", 0.5, 8.25}, {"load", 1.5, 11}}},
		Baselines: base, Ops: []opResult{op}, Uncovered: []string{"newRoute"}, Settings: settings{GOGC: "400"},
		ColdStart: &coldReport{Runs: 1, Method: methodReport, AppsFrom: "SSM (IM_APPS_PARAMETER)", Awake: "CPUs 0,1, by idle-class loops", GoRuntime: "GOGC=400 GOMEMLIMIT=192MiB",
			Bare: coldResult{Function: bareName, InitMs: 2, SizeBytes: 1 << 20},
			Baselines: []coldResult{
				{Function: bareName, InitMs: 2, SizeBytes: 1 << 20},
				{Function: "minimal-dynamodb", Clients: []string{"DynamoDB"}, InitMs: 3, SizeBytes: 2 << 20},
			},
			Results: []coldResult{{Function: "userInfo", Clients: []string{"DynamoDB"}, Baseline: "minimal-dynamodb", InitMs: 5, BaselineInitMs: 2,
				InitRatio: 2.5, SizeBytes: 2 << 20, SizeRatio: 2, Verdict: "fail"}},
			Secrets: &secretsCost{ReadAt: "init", Function: "userInfo", ReadsPerStart: 1, EnvInitMs: 5, SSMInitMs: 6.5, SSMClientMs: 0.4}},
		Load: []loadResult{{Route: "userGetToken", Limit: 200, MaxRate: 400, Ratio: 2,
			Steps: []loadStep{{Rate: 200, P99: 5, Success: 1, Pass: true}, {Rate: 400, P99: 4, Success: 1, Pass: true, CPU: &stepCPU{Bench: 0.5, Dynalite: 0.25, BenchPerCall: 1250, DynalitePerCall: 625}},
				{Rate: 800, P99: 60, Success: 1, Why: "p99", CPU: &stepCPU{Bench: 1, Dynalite: -1, BenchPerCall: 1250, Stolen: 0.25}}}}},
		Capacity: &capacityModel{Rows: []capacityRow{{What: "settings item", Verdict: "fail"}, {What: "table reads", Verdict: "pass"}}},
	}
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"❌ fail", "newRoute", "2.50×", "400/s", "2 CPUs", "operations 0.5 / 8.25 ms, load 1.5 / 11.00 ms", "(latency.svg)", "(coldstart.svg)", "(load.svg)", "| 1250 / 625 |", "400 → 4.00 ms, 100.0% ✓, CPU 50% / 25%;", "800 → 60.00 ms, 100.0% ✗ p99, CPU 100% / –, stolen 25% |", "earlier measure", "minimal-dynamodb", "**init**", "kept out of idle during the starts: CPUs 0,1, by idle-class loops", "Globals deploy them with: GOGC=400 GOMEMLIMIT=192MiB.", "deployed with, GOGC=400 (template.yaml's Globals;", "+1.50 ms", "at most 1.25×", "## 5. Capacity at scale", "| capacity at scale (section 5) | every need at design.md's load profile within its AWS limit, or a quota to raise | 1 pass, 1 fail |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	var back report
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil || json.Unmarshal(raw, &back) != nil {
		t.Fatalf("report.json unreadable: %v", err)
	}
	if back.Verdicts.BudgetFail != 1 || back.Verdicts.ColdFail != 1 || back.Verdicts.Uncovered != 1 || len(back.Ops) != 1 || back.Ops[0].Calls.Max != 2 ||
		back.Verdicts.CapacityPass != 1 || back.Verdicts.CapacityFail != 1 {
		t.Fatalf("report.json figures: %+v", back.Verdicts)
	}
	if len(back.Plots) != 4 {
		t.Fatalf("plots = %v, want latency, overhead, coldstart and load", back.Plots)
	}
	for _, p := range back.Plots {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(bytes.NewReader(b))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s is not well-formed: %v", p, err)
			}
		}
	}
}

func TestPackageInitByOrigin(t *testing.T) {
	got := byOrigin([]pkgInit{
		{"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas", 0.5},
		{"github.com/aws/aws-sdk-go-v2/service/dynamodb/internal/endpoints", 0.1},
		{"github.com/aws/aws-sdk-go-v2/service/lambda", 0.3},
		{"github.com/aws/aws-sdk-go-v2/service/internal/checksum", 0.05},
		{"github.com/aws/aws-sdk-go-v2/aws", 0.05},
		{"runtime", 0.2},
		{"imusers/shared/store", 0.01},
	})
	want := []string{"AWS SDK dynamodb client", "AWS SDK lambda client", "Go runtime, standard library and the service", "AWS SDK core"}
	if len(got) != len(want) {
		t.Fatalf("origins %+v", got)
	}
	for i, w := range want {
		if got[i].Package != w {
			t.Fatalf("origins %+v, want %v in that order", got, want)
		}
	}
	if got[0].Ms < 0.5999 || got[0].Ms > 0.6001 || got[3].Ms < 0.0999 || got[3].Ms > 0.1001 {
		t.Fatalf("sums %+v", got)
	}
}
