// Command bench is `make bench`: it runs the whole service locally (local gateway, dynalite),
// measures every operation's DynamoDB round trips and capacity, its latency through the
// gateway, every function's cold start under aws-lambda-rie and the rate the service sustains
// under constant load, each as a ratio to a baseline measured in the same run, and writes
// report.md, report.json and SVG plots. The run is bounded and stops by itself.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"imusers/infra/local/localenv"
)

func main() {
	out := flag.String("out", "reports", "folder for report.md, report.json and the plots (relative to the repository root)")
	samples := flag.Int("samples", 500, "measured calls per operation (the p50 of fewer moves from run to run by more than the margins judged)")
	rounds := flag.Int("rounds", 10, "interleaved rounds the calls are spread over")
	coldRuns := flag.Int("cold-runs", 21, "cold starts per function (the median is reported; starts here come in two modes a few milliseconds apart, and a median of nine landed in the slower one for about one function in fifty)")
	stepFor := flag.Duration("load-step", 2*time.Second, "duration of each load step")
	skip := flag.String("skip", "", "comma-separated phases to leave out: ops, coldstart, load")
	limit := flag.Duration("timeout", 10*time.Minute, "the whole run stops after this")
	only := flag.String("only", "", "measure only the operations and load targets whose function name contains this")
	awake := flag.Bool("awake", true, "keep every CPU busy with an idle-class loop during the cold starts, so that a start's waits do not include the host waking a halted virtual CPU (awake.go)")
	pin := flag.Bool("pin", true, "give dynalite a CPU of its own and run everything else on the others (Linux with taskset and two or more CPUs)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the operations phase (gateway, service and client in this process) to this file")
	loadProfile := flag.String("load-cpuprofile", "", "write a CPU profile of the load phase (generator, gateway and service in this process) to this file")
	flag.Parse()
	if *only != "" {
		scenarios = slices.DeleteFunc(scenarios, func(s scenario) bool { return !strings.Contains(s.route, *only) })
		loadTargets = slices.DeleteFunc(loadTargets, func(t loadTarget) bool { return !strings.Contains(t.route, *only) })
	}
	skipped := map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		skipped[strings.TrimSpace(s)] = true
	}

	log.SetFlags(log.Ltime)
	if *pin {
		if why := pinSelf(); why != "" {
			log.Print(why)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := localenv.Root()
	if err != nil {
		log.Fatal(err)
	}
	// The process hosts the functions' handlers, so it collects garbage as they are deployed to.
	deployed, derr := readDeployment(root)
	gogc := deployedGOGC(deployed.GoRuntime)
	if gogc > 0 {
		debug.SetGCPercent(gogc)
	}
	rep := &report{
		Started: time.Now(),
		Machine: describeMachine(root),
		Settings: settings{
			Samples: *samples, Rounds: *rounds, ColdRuns: *coldRuns, LoadStepSec: stepFor.Seconds(),
			OverheadLimit: overheadTarget, InitLimit: initTarget, P99LimitMs: p99Limit,
		},
	}
	envs := appEnvs(scenarios)
	for _, t := range loadTargets {
		envs = append(envs, t.env)
	}
	e, err := newEnv(ctx, root, envs)
	if err != nil {
		log.Fatal(err)
	}
	defer e.close()
	log.Printf("stack up: gateway %s, dynalite %s", e.url, e.dynamo)
	rep.Settings.ThrottleOff = e.throttleOff
	if derr != nil {
		// The capacity model and the cold starts then go without the deployed settings.
		rep.Problems = append(rep.Problems, "template.yaml and samconfig.toml: "+derr.Error())
	}
	if gogc > 0 {
		rep.Settings.GOGC = strconv.Itoa(gogc)
	}

	rep.Uncovered = uncovered(scenarios)
	phase := func(name string) {
		rep.Machine.Load = append(rep.Machine.Load, phaseLoad{name, loadAvg(), fixedWorkMs()})
	}
	if !skipped["ops"] {
		phase("operations")
		log.Printf("round trips, capacity and latency: %d operations × %d calls", len(scenarios), *samples)
		stopProfile := startCPUProfile(*cpuProfile)
		rep.Baselines, rep.Ops, err = measureOps(ctx, e, scenarios, *samples, *rounds)
		stopProfile()
		if err != nil {
			rep.Problems = append(rep.Problems, "operations: "+err.Error())
			log.Print(err)
		}
	}
	if len(rep.Ops) > 0 {
		c := capacity(designProfile, defaultLimits, deployed, rep.Ops)
		rep.Capacity = &c
	}
	if !skipped["coldstart"] {
		phase("cold start")
		log.Printf("cold starts: every function and its baseline (a minimal handler creating the same SDK clients), %d runs each under aws-lambda-rie", *coldRuns)
		stopAwake, awakeHow := func() {}, "no (-awake=false)"
		if *awake {
			stopAwake, awakeHow = keepCPUsAwake()
		}
		c, err := coldStarts(ctx, e, e.queueURL, *coldRuns, deployed.GoRuntime)
		stopAwake()
		c.Awake = awakeHow
		if err != nil {
			rep.Problems = append(rep.Problems, "cold start: "+err.Error())
			log.Print(err)
		} else {
			rep.ColdStart = &c
		}
	}
	if !skipped["load"] {
		phase("load")
		log.Printf("load: %d targets, %s per step", len(loadTargets), *stepFor)
		e.meter.plain.Store(true)
		stopProfile := startCPUProfile(*loadProfile)
		rep.Load = runLoad(ctx, e, loadTargets, len(scenarios), *stepFor)
		stopProfile()
	}
	phase("end")
	if ctx.Err() != nil {
		rep.Problems = append(rep.Problems, "the run was cut short: "+context.Cause(ctx).Error())
	}
	rep.DurationSec = time.Since(rep.Started).Seconds()
	dir := *out
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	if err := rep.write(dir); err != nil {
		log.Fatal(err)
	}
	v := rep.Verdicts
	log.Printf("report: %s (budgets %d pass / %d fail, overhead %d pass / %d fail, cold start %d pass / %d fail, capacity at scale %d pass / %d fail) in %.0f s",
		filepath.Join(dir, "report.md"), v.BudgetPass, v.BudgetFail, v.OverheadPass, v.OverheadFail, v.ColdPass, v.ColdFail, v.CapacityPass, v.CapacityFail, rep.DurationSec)
}

// startCPUProfile profiles this process until the returned function runs; the gateway, the
// service and the benchmark's own client all run here, so `go tool pprof -top` splits the time
// beyond DynamoDB between them. An empty path profiles nothing.
func startCPUProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// loadAvg is the machine's one-minute load average: the share of the CPUs others were using
// is what makes one run's figures differ from another's.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	var one float64
	_, _ = fmt.Sscan(string(b), &one)
	return one
}

func describeMachine(root string) machine {
	m := machine{NumCPU: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version(), Pinning: pinned()}
	if p := m.Pinning; p.Dynalite != "" {
		// This process sees only its own CPUs.
		m.NumCPU = len(strings.Split(p.Bench, ",")) + len(strings.Split(p.Dynalite, ","))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		m.Node = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile(filepath.Join(root, "infra", "node_modules", "dynalite", "package.json")); err == nil {
		var pkg struct{ Version string }
		if json.Unmarshal(b, &pkg) == nil {
			m.Dynalite = pkg.Version
		}
	}
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}
