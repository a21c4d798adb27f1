package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"imusers/infra/bench/chart"
	"imusers/infra/bench/stats"
)

// machine says where the figures were measured; they mean nothing without it.
type machine struct {
	NumCPU    int    `json:"numCPU"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	GoVersion string `json:"goVersion"`
	CPU       string `json:"cpuModel,omitempty"`
	Node      string `json:"nodeVersion,omitempty"`
	Dynalite  string `json:"dynaliteVersion,omitempty"`
	Commit    string `json:"commit,omitempty"`
	// Pinning is where dynalite and the rest of the run ran, when they had CPUs apart.
	Pinning pinning `json:"pinning"`
	// Load is the one-minute load average as each phase started.
	Load []phaseLoad `json:"loadAverage,omitempty"`
}

type phaseLoad struct {
	Phase   string  `json:"phase"`
	LoadAvg float64 `json:"oneMinute"`
	// FixedWorkMs is fixedWorkMs at that moment, on the benchmark's CPU.
	FixedWorkMs float64 `json:"fixedCPUWorkMs"`
}

type verdicts struct {
	BudgetPass   int `json:"budgetPass"`
	BudgetFail   int `json:"budgetFail"`
	BudgetNone   int `json:"budgetNotStated"`
	OverheadPass int `json:"overheadPass"`
	OverheadFail int `json:"overheadFail"`
	ColdPass     int `json:"coldStartPass"`
	ColdFail     int `json:"coldStartFail"`
	CapacityPass int `json:"capacityPass"`
	CapacityFail int `json:"capacityFail"`
	Uncovered    int `json:"functionsNotMeasured"`
}

type report struct {
	Started     time.Time      `json:"started"`
	DurationSec float64        `json:"durationSeconds"`
	Machine     machine        `json:"machine"`
	Settings    settings       `json:"settings"`
	Baselines   baselines      `json:"baselines"`
	Ops         []opResult     `json:"operations"`
	Uncovered   []string       `json:"functionsNotMeasured"`
	ColdStart   *coldReport    `json:"coldStart,omitempty"`
	Load        []loadResult   `json:"load"`
	Capacity    *capacityModel `json:"capacityAtScale,omitempty"`
	Verdicts    verdicts       `json:"verdicts"`
	Problems    []string       `json:"problems,omitempty"` // phases that could not run
	Plots       []string       `json:"plots"`
}

type settings struct {
	Samples       int     `json:"samplesPerOperation"`
	Rounds        int     `json:"rounds"`
	ColdRuns      int     `json:"coldStartRunsPerFunction"`
	LoadStepSec   float64 `json:"loadStepSeconds"`
	OverheadLimit float64 `json:"overheadTarget"`
	InitLimit     float64 `json:"initRatioTarget"`
	P99LimitMs    float64 `json:"loadP99LimitMs"`
	// ThrottleOff: the local gateway's route throttling was switched off for the run.
	ThrottleOff bool `json:"gatewayThrottlingOff"`
	// GOGC is the collector setting the benchmark's process ran with: the one the functions
	// are deployed with (template.yaml), as the process hosts their handlers.
	GOGC string `json:"gogc"`
}

func (r *report) tally() {
	v := verdicts{Uncovered: len(r.Uncovered)}
	for _, o := range r.Ops {
		switch o.BudgetVerdict {
		case "pass":
			v.BudgetPass++
		case "fail":
			v.BudgetFail++
		default:
			v.BudgetNone++
		}
		switch o.OverheadVerdict {
		case "pass":
			v.OverheadPass++
		case "fail":
			v.OverheadFail++
		}
	}
	if r.ColdStart != nil {
		for _, c := range r.ColdStart.Results {
			if c.Verdict == "pass" {
				v.ColdPass++
			} else {
				v.ColdFail++
			}
		}
	}
	if r.Capacity != nil {
		for _, c := range r.Capacity.Rows {
			if c.Verdict == "pass" {
				v.CapacityPass++
			} else {
				v.CapacityFail++
			}
		}
	}
	r.Verdicts = v
}

// write puts report.json, report.md and the plots into dir.
func (r *report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r.tally()
	plots := r.plots()
	r.Plots = nil
	for _, p := range plots {
		if err := os.WriteFile(filepath.Join(dir, p.file), p.svg, 0o644); err != nil {
			return err
		}
		r.Plots = append(r.Plots, p.file)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.md"))
	if err != nil {
		return err
	}
	r.markdown(f)
	return f.Close()
}

type plot struct {
	file string
	svg  []byte
}

func (r *report) plots() []plot {
	var out []plot
	if len(r.Ops) > 0 {
		var names []string
		var p50, p99, over, own, svc []float64
		for _, o := range r.Ops {
			if o.Samples == 0 {
				continue
			}
			names = append(names, o.name())
			p50, p99 = append(p50, o.P50Ratio), append(p99, o.P99Ratio)
			over, own, svc = append(over, o.Overhead), append(own, o.ServicePerCall), append(svc, o.ServicePerCallP99)
		}
		out = append(out, plot{"latency.svg", chart.Bars{
			Title:      "Latency through the local gateway, as a multiple of one raw DynamoDB GetItem (same run)",
			Unit:       "× raw GetItem round trip (p50 to p50, p99 to p99)",
			Categories: names,
			Series:     []chart.Series{{Name: "p50", Values: p50}, {Name: "p99", Values: p99}},
			Refs:       []chart.Ref{{Value: 1, Label: "1 round trip"}},
		}.SVG()})
		out = append(out, plot{"overhead.svg", chart.Bars{
			Title:      "The service's own time per DynamoDB call, as a fraction of one raw GetItem",
			Unit:       "fraction of a raw GetItem round trip",
			Categories: names,
			Series: []chart.Series{
				{Name: "service time / calls, p50 (verdict)", Values: own},
				{Name: "service time / calls, p99", Values: svc},
				{Name: "earlier measure: (op − calls×GetItem) / calls", Values: over},
			},
			Refs: []chart.Ref{{Value: overheadTarget, Label: fmt.Sprintf("target %.2f", overheadTarget)}},
		}.SVG()})
	}
	if c := r.ColdStart; c != nil && len(c.Results) > 0 {
		var names []string
		var initR, bareR, sizeR []float64
		for _, f := range c.Results {
			names = append(names, f.Function)
			initR, bareR, sizeR = append(initR, f.InitRatio), append(bareR, f.BareRatio), append(sizeR, f.SizeRatio)
		}
		out = append(out, plot{"coldstart.svg", chart.Bars{
			Title:      "Cold start under aws-lambda-rie, as a multiple of a minimal aws-lambda-go handler creating the same SDK clients (same flags, same run)",
			Unit:       "× the function's baseline",
			Categories: names,
			Series: []chart.Series{
				{Name: "init ÷ baseline (verdict)", Values: initR},
				{Name: "init ÷ bare handler", Values: bareR},
				{Name: "binary size ÷ baseline", Values: sizeR},
			},
			Refs: []chart.Ref{{Value: initTarget, Label: fmt.Sprintf("init target %.2f×", initTarget)}},
		}.SVG()})
	}
	if len(r.Load) > 0 {
		l := chart.Lines{
			Title:  "p99 latency under constant offered load (vegeta), local gateway on dynalite",
			XLabel: "offered requests per second", YLabel: "p99 latency (ms)",
			YRefs: []chart.Ref{{Value: p99Limit, Label: "50 ms"}},
		}
		limits := map[int]bool{}
		for _, t := range r.Load {
			var pts []chart.Point
			for _, s := range t.Steps {
				pts = append(pts, chart.Point{X: float64(s.Rate), Y: s.P99})
			}
			l.Lines = append(l.Lines, chart.Line{Name: t.Route, Points: pts})
			if t.Limit > 0 && !limits[t.Limit] {
				limits[t.Limit] = true
				l.XRefs = append(l.XRefs, chart.Ref{Value: float64(t.Limit), Label: fmt.Sprintf("limit %d/s", t.Limit)})
			}
		}
		out = append(out, plot{"load.svg", l.SVG()})
	}
	return out
}

// actions are DynamoDB's actions in the order the report lists them, reads first.
var actions = []string{"GetItem", "Query", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

func mark(v string) string {
	switch v {
	case "pass":
		return "✅ pass"
	case "fail":
		return "❌ fail"
	}
	return "—"
}

func (r *report) markdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	m := r.Machine
	p("# imusers benchmark report\n\n")
	p("Run %s, took %.0f s. Machine: %d CPUs (%s), %s/%s, %s", r.Started.UTC().Format(time.RFC3339), r.DurationSec, m.NumCPU, m.CPU, m.GOOS, m.GOARCH, m.GoVersion)
	if m.Node != "" {
		p(", node %s, dynalite %s", m.Node, m.Dynalite)
	}
	if m.Commit != "" {
		p(", commit %s", m.Commit)
	}
	p(".")
	if pn := m.Pinning; pn.Dynalite != "" {
		p(" dynalite ran on CPU %s and everything else (client, gateway, functions, emulators) on CPU %s, as DynamoDB in AWS runs on machines of its own.", pn.Dynalite, pn.Bench)
	} else {
		p(" dynalite shared the CPUs with everything else (`-pin` needs Linux, taskset and two CPUs), so its work can fall on the service's figures.")
	}
	if len(m.Load) > 0 {
		var parts []string
		for _, l := range m.Load {
			parts = append(parts, fmt.Sprintf("%s %.1f / %s ms", l.Phase, l.LoadAvg, f2(l.FixedWorkMs)))
		}
		p(" As each phase began, the one-minute load average (on %d CPUs) and the time the benchmark's process took for a fixed CPU job (500 encodings and decodings of an HTTP API event, the median of five; the same code takes longer in the shared machine's busy moments): %s.", m.NumCPU, strings.Join(parts, ", "))
	}
	p("\n\nEvery figure below was measured in this one run, and is judged only as a ratio to a baseline measured in the same run on the same machine; absolute milliseconds are shown for orientation and differ from machine to machine.\n\n")

	v := r.Verdicts
	p("## Verdict\n\n| check | target | result |\n|---|---|---|\n")
	p("| DynamoDB round trips | every operation within its budget | %d pass, %d fail, %d without a stated budget |\n", v.BudgetPass, v.BudgetFail, v.BudgetNone)
	p("| overhead per DynamoDB call (the service's own time, p50) | at most %.0f%% of a raw GetItem through the same SDK client | %d pass, %d fail |\n", overheadTarget*100, v.OverheadPass, v.OverheadFail)
	if r.ColdStart != nil {
		p("| cold start (init, median) | at most %.2f× a minimal handler creating the same SDK clients | %d pass, %d fail |\n", initTarget, v.ColdPass, v.ColdFail)
	}
	for _, l := range r.Load {
		p("| load: %s | p99 under %.0f ms at the platform limit (%d/s) | highest passing rate %d/s = %s× the limit |\n", l.Route, p99Limit, l.Limit, l.MaxRate, f2(l.Ratio))
	}
	if r.Capacity != nil {
		p("| capacity at scale (section 5) | every need at design.md's load profile within its AWS limit, or a quota to raise | %d pass, %d fail |\n", v.CapacityPass, v.CapacityFail)
	}
	if len(r.Uncovered) > 0 {
		p("| coverage | every function of the route table measured | not measured: %s |\n", strings.Join(r.Uncovered, ", "))
	}
	for _, pr := range r.Problems {
		p("\n**Not measured:** %s\n", pr)
	}

	p("\n## Method\n\n")
	throttle := ""
	if r.Settings.ThrottleOff {
		throttle = " The gateway's route throttling (the platform's per-app limits) is switched off, so that the service is measured and not the throttle."
	}
	p("- **Stack.** The service as the local twin runs it: the local gateway (`infra/gateway`, payload-2.0 events handed to each function's Lambda handler as JSON, handlers in-process) on a loopback port, in front of dynalite. A real HTTP client signs every request as the official SDKs do (fresh Nonce, Timestamp, SHA1 Signature). The service's DynamoDB client is wrapped twice: `store.Counter` counts round trips, and a meter sets `ReturnConsumedCapacity: TOTAL` on every request, adds up the capacity DynamoDB reports, and times every call; its Management API client (deliveries, kicks) and Lambda client (erasure start) are timed by the same meter. Each operation gets an app of its own, so state built for one never changes another's figures.%s Asynchronous erasure jobs are queued and run between measurements, not inside them. The process that hosts the handlers (with the client, the gateway and the load generator) runs with the collector setting the functions are deployed with, GOGC=%s (template.yaml's Globals; GOMEMLIMIT, one function's bound, is not applied to it).\n", throttle, cmp.Or(r.Settings.GOGC, "100, the runtime's default"))
	p("- **Round trips and capacity.** Every measured call is counted on its own (counter reset before it); the table shows the fewest and most round trips any call made, and the mean capacity per call. Budgets come from design.md and the issues; an operation without a stated budget shows its figures without a verdict.\n")
	p("- **Latency.** %d calls per operation (fewer where marked), one at a time after a warm-up, in %d interleaved rounds with the baselines, so that noise on the shared machine falls on all of them alike. p50 and p99 interpolate between the nearest ranks. The unit is a raw strongly consistent GetItem of a user item through the very SDK DynamoDB client (`service/dynamodb`) the service's store is built on in this run, without the benchmark's meter and counter. An HTTP call's latency runs from sending the signed request to having read the whole answer (building and signing the request and decoding the answer are the client's work). *Overhead per DynamoDB call*, the design's measure (target at most %.0f%%, judged on p50), is the service's own time per DynamoDB call as a share of that unit: each request's latency less the time it had a DynamoDB or other AWS call out (each call timed inside the request, calls running side by side counted once), less the transport every call pays before and after the function — the loopback hop (a signed POST to an empty handler, at the call's own size of request and answer bodies, read off the line through a small and a large probe; for WebSocket calls a handshake with, or a frame echoed by, a bare WebSocket server) and the local gateway's event translation (below), and for a function that sends a webhook request to the benchmark's receiver on loopback one more small hop per request — divided by the request's DynamoDB calls and by the raw GetItem; p50 is set against the baselines' p50, p99 against their p99. The earlier measure, (p50 − calls × raw GetItem p50) / calls, is kept in its own column: it counts every write, query and batch as if it took a GetItem's time, and dynalite's take longer (table below), so it charges DynamoDB's time to the service.\n", r.Settings.Samples, r.Settings.Rounds, overheadTarget*100)
	p("- **Gateway translation.** The local gateway stands in for API Gateway, whose work is not the service's. Its part is measured with one signed userInfo call, and again with a 100-user online check, each made two ways, in-process and interleaved with the rest: through the gateway's `ServeHTTP` (request to payload-2.0 event, JSON, a Lambda handler built per invocation, the answer back to HTTP) and straight into the function's Lambda handler (built once, as Lambda does) with the same event; DynamoDB's time is taken out of both and the difference of their percentiles is the gateway's, and a call's is read at its own size of bodies off the line through the two. Calls through the HTTP API subtract it once, WebSocket calls once per function they run; the Lambda Invoke endpoint builds no event and subtracts none.\n")
	if c := r.ColdStart; c != nil {
		p("- **Cold start.** Every function's real `bootstrap` and its baseline are built in this run for %s/%s with `CGO_ENABLED=0 -tags lambda.norpc -trimpath -ldflags \"-s -w\"`. A function's baseline is a minimal aws-lambda-go handler (`infra/bench/minimal`) that loads the SDK's configuration (`config.LoadDefaultConfig`) and creates at init the same SDK clients the function creates, linked in by build tags: the clients are read off the function's actions in the route table (`shared/routes`), one rule in `clientsOf` (`infra/bench/clients.go`): `dynamodb:*` the DynamoDB client, `lambda:InvokeFunction` the Lambda client, `execute-api:ManageConnections` the Management API client, and the SSM client when the apps are read from an SSM parameter (`IM_APPS_PARAMETER`), in which case the baseline also reads that parameter once at init, as the function does (the read's own cost is shown apart below). One baseline is built per distinct set of clients, and the bare handler (no client) is shown for reference. Each binary is started %d times under its own aws-lambda-rie (own runtime API and emulator ports) and invoked once per start, in rotating order, and every start of a function comes right after a start of its baseline (so a baseline is started once more for each start of each of its functions, and the two meet the machine in the same state); the figure is the median, and the verdict is the function's median init at most %.2f times its own baseline's. Apps in this run: from %s. Functions and baselines alike run with the Go runtime settings template.yaml's Globals deploy them with: %s. Init is read from: %s. CPUs kept out of idle during the starts: %s (this machine is virtual: a CPU that halts waits for the host to run it again, which put starts in two modes 2–3 ms apart; an idle-class loop on each CPU runs only when nothing else can, so a start's waits are its own). The first event is a signed HTTP API request without parameters (the worker gets an empty job), so the first invocation does little DynamoDB work; its duration is shown without the init it waited for.\n", m.GOOS, m.GOARCH, c.Runs, initTarget, c.AppsFrom, cmp.Or(c.GoRuntime, "the runtime's defaults"), c.Method, c.Awake)
	}
	if len(r.Load) > 0 {
		p("- **Load.** vegeta (as a library) offers a constant rate to 127.0.0.1 for %.0f s per step, doubling from %d/s until a step fails, then bisecting twice between the last passing and the first failing rate; a failing step is run a second time before it counts as failed. A step passes when p99 is under %.0f ms, at least %.0f%% of calls succeed, and the generator really offered %.0f%% of the rate. Generator, gateway and dynalite share this machine's CPUs, so the figure is a floor for the service, not a ceiling: each step shows how busy the benchmark's process (generator, gateway, service, SDK clients; `getrusage`) and dynalite (`/proc/<pid>/stat`) kept their CPUs, 100%% being one CPU busy throughout, and a step that fails with one of them near 100%% measured that CPU; *stolen* is the time the host kept this virtual machine's CPUs from running while they had work (steal in `/proc/stat`, shown from 1%%), which slows everything in the step. The service runs as deployed: the meter lets its calls through without asking DynamoDB for capacity or booking them. The platform's published per-app limits (API Gateway throttling in template.yaml) are shown for comparison.\n", r.Settings.LoadStepSec, ladder[0], p99Limit, minSuccess*100, minAchieved*100)
	}

	p("\n## 1. DynamoDB round trips and capacity per call\n\n")
	p("| operation | via | round trips (min–max) | reads / writes | by action (costliest call) | budget | verdict | read CU | write CU |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, o := range r.Ops {
		budget := "none stated"
		if o.Budget > 0 {
			budget = fmt.Sprint("≤ ", o.Budget)
			if o.BudgetReads >= 0 {
				budget = fmt.Sprintf("%d read + %d write", o.BudgetReads, o.BudgetWrites)
			}
		}
		var acts []string
		for _, a := range actions {
			if n := o.Calls.By[a]; n > 0 {
				acts = append(acts, fmt.Sprintf("%s %d", a, n))
			}
		}
		p("| %s | %s | %d–%d | %d / %d | %s | %s | %s | %s | %s |\n", o.name(), o.Via, o.Calls.Min, o.Calls.Max, o.Calls.Reads, o.Calls.Writes,
			strings.Join(acts, ", "), budget, mark(o.BudgetVerdict), f2(o.ReadCU), f2(o.WriteCU))
	}
	p("\nBudget sources:\n\n")
	for _, o := range r.Ops {
		p("- %s: %s\n", o.name(), o.BudgetRule)
	}
	if len(r.Uncovered) > 0 {
		p("\nFunctions of the route table without a scenario (add one to `infra/bench/scenarios.go`): %s.\n", strings.Join(r.Uncovered, ", "))
	}

	b := r.Baselines
	p("\n## 2. Latency\n\nBaselines (%d calls each, interleaved with the operations): raw GetItem p50 %s ms, p99 %s ms; HTTP hop to an empty handler p50 %s ms, p99 %s ms (%s× a raw GetItem; %d bytes of bodies), with large bodies p50 %s ms, p99 %s ms (%d bytes: each call's hop is read off the line through the two by its own bytes); WebSocket handshake with a bare server p50 %s ms, a frame echoed on an open connection p50 %s ms; local gateway's event translation p50 %s ms, p99 %s ms (%s× a raw GetItem; userInfo through the gateway p50 %s ms, the function alone p50 %s ms, DynamoDB's time taken out of both; %d bytes of bodies), for a 100-user online check p50 %s ms, p99 %s ms (%d bytes; each call's is read off the line through the two by its bytes, as its hop is).\n\n",
		b.RawGetItem.N, f2(b.RawGetItem.P50), f2(b.RawGetItem.P99), f2(b.HTTPHop.P50), f2(b.HTTPHop.P99), f2(stats.Ratio(b.HTTPHop.P50, b.RawGetItem.P50)), b.HTTPHopBytes,
		f2(b.HTTPHopLarge.P50), f2(b.HTTPHopLarge.P99), b.HTTPHopLargeBytes,
		f2(b.WSHandshake.P50), f2(b.WSFrame.P50), f2(b.Gateway.P50), f2(b.Gateway.P99), f2(stats.Ratio(b.Gateway.P50, b.RawGetItem.P50)), f2(b.Gateway.Through.P50), f2(b.Gateway.Alone.P50), b.GatewayBytes,
		f2(b.GatewayLarge.P50), f2(b.GatewayLarge.P99), b.GatewayLargeBytes)
	if len(b.CallTimes) > 0 {
		p("DynamoDB calls as the service made them, each timed on its own (all measured operations):")
		for _, a := range actions {
			if c, ok := b.CallTimes[a]; ok {
				p(" %s p50 %s ms (%s× GetItem, %d calls);", a, f2(c.P50), f2(stats.Ratio(c.P50, b.RawGetItem.P50)), c.N)
			}
		}
		p(" so an operation's calls do not each take a GetItem's time.\n\n")
	}
	p("| operation | calls | p50 ms | p99 ms | p50 ÷ raw | p99 ÷ raw | in DynamoDB p50 ms | other AWS p50 ms | overhead per DynamoDB call p50 | p99 | verdict | earlier measure: (op − calls × GetItem) / calls |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, o := range r.Ops {
		if o.Samples == 0 {
			p("| %s | — | — | — | — | — | — | — | — | — | ❌ %s | — |\n", o.name(), o.FirstError)
			continue
		}
		p("| %s | %d | %s | %s | %s× | %s× | %s | %s | %s | %s | %s | %s |\n", o.name(), o.Samples, f2(o.Latency.P50), f2(o.Latency.P99),
			f2(o.P50Ratio), f2(o.P99Ratio), f2(o.Waited.P50), f2(o.OtherAWS.P50), pct(o.ServicePerCall, o.Calls.Mean), pct(o.ServicePerCallP99, o.Calls.Mean),
			mark(o.OverheadVerdict), pct(o.Overhead, o.Calls.Mean))
	}
	for _, o := range r.Ops {
		if o.Errors > 0 {
			p("\n- %s: %d calls failed; first: `%s`", o.name(), o.Errors, o.FirstError)
		}
	}

	if c := r.ColdStart; c != nil {
		r.coldMarkdown(w, c)
	}

	if len(r.Load) > 0 {
		p("\n\n## 4. Load\n\n| operation | platform limit | highest rate with p99 < %.0f ms | ÷ limit | CPU per call at that rate, µs: benchmark's process / dynalite | steps (offered/s → p99 ms, success; CPU busy: benchmark's process / dynalite, 100%% = one CPU) |\n|---|---|---|---|---|---|\n", p99Limit)
		for _, l := range r.Load {
			var steps []string
			perCall := "–"
			for _, s := range l.Steps {
				ok := "✓"
				if !s.Pass {
					ok = "✗ " + s.Why
				}
				if s.Attempts > 1 {
					ok += " (2nd run)"
				}
				steps = append(steps, fmt.Sprintf("%d → %s ms, %.1f%% %s%s", s.Rate, f2(s.P99), s.Success*100, ok, s.CPU.busy()))
				if s.Rate == l.MaxRate && s.CPU != nil {
					perCall = s.CPU.perCall()
				}
			}
			name := l.Route
			if l.Variant != "" {
				name += " (" + l.Variant + ")"
			}
			if l.Error != "" {
				steps = []string{"error: " + l.Error}
			}
			p("| %s | %d/s | %d/s | %s× | %s | %s |\n", name, l.Limit, l.MaxRate, f2(l.Ratio), perCall, strings.Join(steps, "; "))
		}
		for _, l := range r.Load {
			for _, s := range l.Steps {
				if len(s.Errors) > 0 {
					p("\n- %s at %d/s: %s", l.Route, s.Rate, strings.Join(s.Errors, "; "))
				}
			}
		}
	}

	if c := r.Capacity; c != nil {
		c.markdown(w)
	}

	p("\n\n## Plots\n\n")
	for _, f := range r.Plots {
		p("![%s](%s)\n\n", strings.TrimSuffix(f, ".svg"), f)
	}
	p("All figures, unrounded, are in `report.json`.\n")
}

// pct prints a fraction as a percentage, or a dash for operations without DynamoDB calls.
func pct(v, calls float64) string {
	if calls <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

func size(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// runs lists a few starts' init times, and summarises many (a baseline is started before every
// start of each of its functions).
func runs(v []float64) string {
	if len(v) > 7 {
		return fmt.Sprintf("%d starts, %s–%s", len(v), f2(slices.Min(v)), f2(slices.Max(v)))
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = f2(x)
	}
	return strings.Join(s, ", ")
}

// coldMarkdown writes the cold start section: the baselines, every function against its own
// baseline, where the package init goes, and what reading the apps' secrets costs.
func (r *report) coldMarkdown(w io.Writer, c *coldReport) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("\n\n## 3. Cold start\n\n")
	p("Baselines, minimal aws-lambda-go handlers creating a set of SDK clients at init (the first is the bare handler, for reference):\n\n")
	p("| baseline | SDK clients created at init | init ms (median) | runs | ÷ bare | of which Go package init ms | binary |\n|---|---|---|---|---|---|---|\n")
	for _, b := range c.Baselines {
		p("| %s | %s | %s | %s | %s× | %s | %s |\n", b.Function, clientList(b.Clients), f2(b.InitMs), runs(b.InitRuns), f2(b.BareRatio), f2(b.PackageInitMs), size(b.SizeBytes))
	}
	p("\n| function | its SDK clients (baseline) | init ms (median) | baseline init ms | init ÷ baseline | init ÷ bare | of which Go package init ms | binary | baseline binary | bare binary | first invoke ms | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range c.Results {
		p("| %s | %s | %s | %s | %s× | %s× | %s | %s | %s | %s | %s | %s |\n", f.Function, clientList(f.Clients), f2(f.InitMs), f2(f.BaselineInitMs), f2(f.InitRatio), f2(f.BareRatio),
			f2(f.PackageInitMs), size(f.SizeBytes), size(f.BaselineSizeBytes), size(c.Bare.SizeBytes), f2(f.InvokeMs), mark(f.Verdict))
	}
	if len(c.Results) > 0 && len(c.Results[0].SlowestInits) > 0 {
		f := c.Results[0]
		var top []string
		for _, s := range f.SlowestInits {
			top = append(top, fmt.Sprintf("`%s` %s ms", s.Package, f2(s.Ms)))
		}
		p("\nGo package initialisation (`GODEBUG=inittrace=1`, the median of three runs outside the emulator) takes %s ms in %s against %s ms in the bare handler; the slowest packages: %s.\n",
			f2(f.PackageInitMs), f.Function, f2(c.Bare.PackageInitMs), strings.Join(top, ", "))
		var origins []string
		for _, o := range f.InitByOrigin {
			origins = append(origins, fmt.Sprintf("%s %s ms", o.Package, f2(o.Ms)))
		}
		if len(origins) > 0 {
			p("By origin: %s.\n", strings.Join(origins, ", "))
		}
	}
	if s := c.Secrets; s != nil {
		p("\n**The apps' secrets.** The functions that check signatures or tokens read their apps (App Keys, App Secrets, token keys) once, at cold start (`lambdaapp.Boot.Apps`): from the SSM parameter named by `IM_APPS_PARAMETER`, as deployed and as measured above, or from `IM_APPS` in the environment. ")
		p("%s was started a second time with its apps from the environment. From SSM, a stand-in of SSM's GetParameter on loopback (%.1f reads per start): init %s ms against %s ms with the apps in the environment (%+.2f ms), first invoke %s ms against %s ms (%+.2f ms), so the read falls in: **%s**. ",
			s.Function, s.ReadsPerStart, f2(s.SSMInitMs), f2(s.EnvInitMs), s.SSMInitMs-s.EnvInitMs, f2(s.SSMInvokeMs), f2(s.EnvInvokeMs), s.SSMInvokeMs-s.EnvInvokeMs, s.ReadAt)
		p("Linking and creating the SSM client and reading the parameter once costs a baseline %+.2f ms of init, %+.2f ms of it Go package init (the baseline with it less the one without; on a busy machine the init difference moves by more than that from run to run). Started so, %s's init is %s× its baseline (%s), %s. In AWS the read is an in-region GetParameter, a few milliseconds once per cold start, and a SecureString's decryption with KMS adds to it.\n",
			s.SSMClientMs, s.SSMPackageInitMs, s.Function, f2(s.WithSSM.InitRatio), clientList(s.WithSSM.Clients), mark(s.WithSSM.Verdict))
		if s.WithSSM.Error != "" {
			p("\n- %s with apps from SSM: %s\n", s.Function, s.WithSSM.Error)
		}
	} else {
		p("\nThe apps' secrets are read at init (`lambdaapp.Boot.Apps`); no function was started a second time with its apps from the environment in this run, so the read's cost is not shown.\n")
	}
	for _, f := range append(slices.Clone(c.Baselines), c.Results...) {
		if f.Error != "" {
			p("\n- %s: %s", f.Function, f.Error)
		}
	}
	if len(c.Skipped) > 0 {
		p("\nNo `functions/<name>/main.go` yet, not built: %s.\n", strings.Join(c.Skipped, ", "))
	}
}

// clientList names a set of SDK clients, or says there is none.
func clientList(c []string) string {
	if len(c) == 0 {
		return "none"
	}
	return strings.Join(c, " + ")
}
