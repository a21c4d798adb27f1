package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"imusers/infra/bench/stats"
	"imusers/infra/local/localenv"
	"imusers/infra/rie"
	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/routes"
)

// buildFlags are design.md's flags for every function's bootstrap; the baselines get the same
// (their client tags added to lambda.norpc), so the binaries differ only in code.
var buildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

const (
	bareName   = "bare aws-lambda-go handler"
	minimalPkg = "./infra/bench/minimal"
	// initTarget is issue 9's bound: a function's init at most 1.25 times that of a minimal
	// handler creating the same SDK clients, so what is judged is the service's own start-up.
	initTarget = 1.25
	// secretsFunction is the function started a second time with its apps read from SSM.
	secretsFunction = "userInfo"
	appsParameter   = "/imusers/bench/apps"
)

// coldResult is one binary's cold start, the median of its runs: a function, a baseline or
// the bare handler.
type coldResult struct {
	Function string `json:"function"`
	// Clients are the SDK clients created at init: for a function, those its route's actions
	// call (clientsOf), which its baseline creates; for a baseline, the ones it creates.
	Clients   []string  `json:"clients"`
	Baseline  string    `json:"baseline,omitempty"` // a function's baseline, by binary name
	SizeBytes int64     `json:"sizeBytes"`
	InitMs    float64   `json:"initMsMedian"`
	InitRuns  []float64 `json:"initMsRuns"`
	// The baseline's figures beside the function's, and the ratios the verdict is read from.
	BaselineInitMs    float64 `json:"baselineInitMsMedian,omitempty"`
	BaselineSizeBytes int64   `json:"baselineSizeBytes,omitempty"`
	InitRatio         float64 `json:"initRatioToBaseline"`
	SizeRatio         float64 `json:"sizeRatioToBaseline"`
	BareRatio         float64 `json:"initRatioToBare"`
	InvokeMs          float64 `json:"firstInvokeMsMedian"`
	// PackageInit is Go's package initialisation (GODEBUG=inittrace=1) before main runs,
	// with the packages that took longest: the part of init that no handler code can avoid.
	PackageInitMs float64   `json:"packageInitMs"`
	SlowestInits  []pkgInit `json:"slowestPackageInits,omitempty"`
	// InitByOrigin adds the package init up by where the packages come from (each AWS SDK
	// client, the SDK's core, the Go runtime and standard library), slowest first.
	InitByOrigin []pkgInit `json:"packageInitByOrigin,omitempty"`
	Status       int       `json:"firstInvokeStatus"` // HTTP status in the function's answer, where it has one
	Verdict      string    `json:"verdict"`           // pass, fail, none (baselines)
	Error        string    `json:"error,omitempty"`
}

type coldReport struct {
	Method string `json:"initMethod"`
	Runs   int    `json:"runsPerFunction"`
	// AppsFrom says where the measured functions read their apps (and secrets) from.
	AppsFrom  string       `json:"appsFrom"`
	Bare      coldResult   `json:"bare"`
	Baselines []coldResult `json:"baselines"`
	Results   []coldResult `json:"functions"`
	Secrets   *secretsCost `json:"appsSecrets,omitempty"`
	Skipped   []string     `json:"skipped,omitempty"`
	// Awake says whether and how the CPUs were kept out of idle during the starts (awake.go).
	Awake string `json:"cpusKeptAwake"`
	// GoRuntime is the Go runtime's settings functions and baselines ran with, as deployed
	// (template.yaml's Globals environment, such as GOGC).
	GoRuntime string `json:"goRuntime"`
}

// RIE's REPORT line does carry an "Init Duration", but the emulator starts init asynchronously
// and times only that start (a few hundredths of a millisecond, whatever the binary). The
// figure Lambda reports — from starting the runtime to its first request for work — is in the
// emulator's own log line "INIT REPORT(durationMs: …)", so that is the one read.
const (
	methodReport = "aws-lambda-rie log line INIT REPORT(durationMs), runtime start to its first /next request"
	methodWall   = "process start to first response, minus the invocation's Duration"
)

var (
	initRe     = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	durationRe = regexp.MustCompile(`\tDuration: ([0-9.]+) ms`)
)

// buildAll builds every named function and the bare handler for this host in one `go build`,
// so the toolchain builds them in parallel, then one baseline per client set (build tags are
// per invocation).
func buildAll(ctx context.Context, root, dir string, names []string, sets []clientSet) error {
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", dir+string(os.PathSeparator))
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	if err := goBuild(ctx, root, append(args, minimalPkg)); err != nil {
		return err
	}
	for _, s := range sets {
		if len(s) == 0 {
			continue // the bare handler, built above
		}
		flags := slices.Clone(buildFlags)
		flags[1] = s.tags()
		args := append(append([]string{"build"}, flags...), "-o", filepath.Join(dir, s.key()), minimalPkg)
		if err := goBuild(ctx, root, args); err != nil {
			return err
		}
	}
	return nil
}

func goBuild(ctx context.Context, root string, args []string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// judgeInit sets a function's figures against its baseline's and the bare handler's.
func judgeInit(res *coldResult, base, bare coldResult) {
	res.BaselineInitMs, res.BaselineSizeBytes = base.InitMs, base.SizeBytes
	res.InitRatio = stats.Ratio(res.InitMs, base.InitMs)
	res.SizeRatio = stats.Ratio(float64(res.SizeBytes), float64(base.SizeBytes))
	res.BareRatio = stats.Ratio(res.InitMs, bare.InitMs)
	res.Verdict = "pass"
	if res.Error != "" || base.Error != "" || res.InitRatio == 0 || res.InitRatio > initTarget {
		res.Verdict = "fail"
	}
}

// coldStarts measures each function's init under aws-lambda-rie, runs times each, beside the
// bare handler and one baseline per distinct client set, in rotating order so that no binary
// always starts right after the same one. Functions start as deployed: those that load the
// apps read them from SSM (a stand-in of SSM's GetParameter on loopback). One function is also
// started with its apps from the environment, to show what reading the secrets costs.
func coldStarts(ctx context.Context, e *env, queueURL string, runs int, goRuntime []string) (coldReport, error) {
	rep := coldReport{Runs: runs, Method: methodReport, AppsFrom: "SSM (IM_APPS_PARAMETER, a GetParameter stand-in on loopback) for the functions that load the apps, as deployed"}
	emulator, err := rie.Binary()
	if err != nil {
		return rep, err
	}
	var names []string
	for _, r := range routes.All {
		if _, err := os.Stat(filepath.Join(e.root, "functions", r.Name, "main.go")); err != nil {
			rep.Skipped = append(rep.Skipped, r.Name)
			continue
		}
		names = append(names, r.Name)
	}
	// The baselines: one per distinct client set, the bare handler's (none) first.
	sets := []clientSet{nil}
	addSet := func(s clientSet) {
		if !slices.ContainsFunc(sets, func(o clientSet) bool { return o.key() == s.key() }) {
			sets = append(sets, s)
		}
	}
	clientsByName := map[string]clientSet{}
	for _, n := range names {
		r, _ := routes.ByName(n)
		s, unknown := clientsOf(r, r.LoadsApps())
		if len(unknown) > 0 {
			return rep, fmt.Errorf("%s: no SDK client known for actions %v (add the service to serviceClients)", n, unknown)
		}
		clientsByName[n] = s
		addSet(s)
	}
	fromEnv := slices.Contains(names, secretsFunction)
	if fromEnv {
		r, _ := routes.ByName(secretsFunction)
		s, _ := clientsOf(r, false)
		addSet(s)
	}
	dir, err := os.MkdirTemp("", "imusers-bench-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	built := time.Now()
	if err := buildAll(ctx, e.root, dir, names, sets); err != nil {
		return rep, err
	}
	log.Printf("built %d functions and %d baselines in %.1f s", len(names), len(sets), time.Since(built).Seconds())

	appsJSON, _ := json.Marshal(append([]apps.App{e.base}, e.apps...))
	stub := newSSMStandIn(string(appsJSON))
	defer stub.Close()
	type fn struct {
		name, bin string
		clients   clientSet
		event     []byte
		env       []string // replaces the common environment's variables of the same names
	}
	var fns []fn
	for _, s := range sets {
		name := s.key()
		if len(s) == 0 {
			name = bareName
		}
		fns = append(fns, fn{name: name, bin: filepath.Join(dir, s.key()), clients: s, event: []byte(`{}`)})
	}
	nBase := len(fns)
	for _, n := range names {
		ev, err := coldEvent(n, e.base)
		if err != nil {
			return rep, err
		}
		fns = append(fns, fn{name: n, bin: filepath.Join(dir, n), clients: clientsByName[n], event: ev})
	}
	if fromEnv {
		ev, _ := coldEvent(secretsFunction, e.base)
		r, _ := routes.ByName(secretsFunction)
		s, _ := clientsOf(r, false)
		fns = append(fns, fn{name: secretsFunction + " (apps from the environment)", bin: filepath.Join(dir, secretsFunction), clients: s, event: ev,
			env: []string{"IM_APPS=" + string(appsJSON), "IM_APPS_PARAMETER="}})
	}
	common := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_ENDPOINT_URL_DYNAMODB=" + e.dynamo, "AWS_ENDPOINT_URL_LAMBDA=" + queueURL,
		"IM_WS_MANAGEMENT_ENDPOINT=" + e.url,
		"IM_TABLE=" + e.table, "IM_APPS_PARAMETER=" + appsParameter, "AWS_ENDPOINT_URL_SSM=" + stub.URL,
	}
	common = append(common, goRuntime...)
	rep.GoRuntime = strings.Join(goRuntime, " ")
	type run struct {
		init, invoke float64
		status       int
		method       string
		err          error
	}
	got := make([][]run, len(fns))
	// Every start of a function comes right after a start of its baseline, so that the two
	// meet the machine in the same state: starts here fall in two modes a few milliseconds
	// apart, and a baseline started only a few times, at other moments, can land all in the
	// faster one. A baseline's median is over all its starts.
	baseAt := map[string]int{}
	for i := range nBase {
		baseAt[fns[i].clients.key()] = i
	}
	for r := range runs {
		for k := range fns {
			i := (k + r) % len(fns)
			order := []int{i}
			if i >= nBase {
				order = []int{baseAt[fns[i].clients.key()], i}
			}
			for _, j := range order {
				f := fns[j]
				envv := overrideEnv(common, append(f.env, "AWS_LAMBDA_FUNCTION_NAME="+f.name))
				init, invoke, status, method, err := runRIE(ctx, emulator, f.bin, envv, f.event)
				if err != nil && ctx.Err() == nil {
					// The emulator's ports are found free and then handed to it: another process
					// can take one in between. A real failure fails again.
					init, invoke, status, method, err = runRIE(ctx, emulator, f.bin, envv, f.event)
				}
				got[j] = append(got[j], run{init, invoke, status, method, err})
				if err != nil && ctx.Err() != nil {
					return rep, ctx.Err()
				}
			}
		}
	}
	results := make([]coldResult, len(fns))
	invokes := make([]float64, len(fns))
	for i, f := range fns {
		res := coldResult{Function: f.name, Clients: f.clients.names()}
		if i >= nBase {
			res.Baseline = f.clients.key()
		}
		if fi, err := os.Stat(f.bin); err == nil {
			res.SizeBytes = fi.Size()
		}
		var inv []float64
		for _, r := range got[i] {
			if r.err != nil {
				res.Error = r.err.Error()
				continue
			}
			res.InitRuns = append(res.InitRuns, r.init)
			inv = append(inv, r.invoke)
			res.Status = r.status
			if r.method == methodWall {
				rep.Method = methodWall
			}
		}
		res.InitMs, res.InvokeMs = stats.Median(res.InitRuns), stats.Median(inv)
		invokes[i] = res.InvokeMs
		res.PackageInitMs, res.SlowestInits, res.InitByOrigin = initTrace(ctx, f.bin)
		results[i] = res
	}
	// Baselines are set against the bare handler (sets[0], built first).
	baseOf := map[string]coldResult{}
	for i, b := range results[:nBase] {
		b.Verdict = "none"
		b.BareRatio = stats.Ratio(b.InitMs, results[0].InitMs)
		b.InitRatio, b.SizeRatio = b.BareRatio, stats.Ratio(float64(b.SizeBytes), float64(results[0].SizeBytes))
		baseOf[fns[i].clients.key()] = b
		rep.Baselines = append(rep.Baselines, b)
	}
	rep.Bare = rep.Baselines[0]
	for i, res := range results[nBase:] {
		judgeInit(&res, baseOf[fns[nBase+i].clients.key()], rep.Bare)
		if fromEnv && i == len(results[nBase:])-1 {
			// Every start that reads the parameter: the functions that load the apps, and the
			// baselines that create the SSM client.
			loaders := 0
			for _, n := range names {
				if r, _ := routes.ByName(n); r.LoadsApps() {
					loaders++
				}
			}
			for _, set := range sets {
				if slices.Contains(set, clientSSM) {
					loaders++
				}
			}
			rep.Secrets = secretsOf(res, results, baseOf, stub.reads.Load(), runs*loaders)
			continue
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// overrideEnv returns base with the variables of over replacing those of the same name; an
// empty value removes the variable.
func overrideEnv(base, over []string) []string {
	out := slices.Clone(base)
	for _, kv := range over {
		k, v, _ := strings.Cut(kv, "=")
		out = slices.DeleteFunc(out, func(o string) bool { return strings.HasPrefix(o, k+"=") })
		if v != "" {
			out = append(out, kv)
		}
	}
	return out
}

// coldEvent is the first event each function gets: a signed HTTP API request with no
// parameters for the Server API functions (answered after the signature check, mostly with a
// 1002), an empty job for the workers (a tick for a scheduled one).
func coldEvent(name string, app apps.App) ([]byte, error) {
	r, _ := routes.ByName(name)
	switch r.Kind {
	case routes.Worker:
		if r.Schedule != "" {
			return []byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`), nil
		}
		return json.Marshal(users.Erasure{App: app.Key, OperateID: "cold-start"})
	case routes.HTTP:
	default:
		// Init does not depend on the event; an event the function refuses still ends it.
		return []byte(`{}`), nil
	}
	h := map[string]string{"content-type": "application/x-www-form-urlencoded"}
	for k, v := range signedHeaders(app) {
		h[strings.ToLower(k)] = v[0]
	}
	now := time.Now()
	return json.Marshal(events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + r.Path, RawPath: r.Path, Headers: h,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			APIID: "bench", RequestID: "cold-" + randomID(), RouteKey: "POST " + r.Path, Stage: "$default",
			TimeEpoch: now.UnixMilli(),
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: r.Path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1"},
		},
	})
}

// runRIE starts one emulator with bin as its bootstrap, invokes it once, and reads the init
// and invocation durations from its REPORT line.
func runRIE(ctx context.Context, rie, bin string, envv []string, event []byte) (initMs, invokeMs float64, status int, method string, err error) {
	apiPort, err := localenv.FreePort()
	if err != nil {
		return
	}
	riePort := apiPort
	for riePort == apiPort { // a port just closed can be handed out again at once
		if riePort, err = localenv.FreePort(); err != nil {
			return
		}
	}
	cmd := exec.Command(rie,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", riePort),
		bin)
	cmd.Env = envv
	// A group of its own, so that stopping it also stops the bootstrap it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var (
		mu       sync.Mutex
		lines    []string
		initLine = make(chan string, 1)
		report   = make(chan string, 1)
	)
	found := func(ch chan string, l string) {
		select {
		case ch <- l:
		default:
		}
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			l := sc.Text()
			mu.Lock()
			if len(lines) < 200 {
				lines = append(lines, l)
			}
			mu.Unlock()
			switch {
			case initRe.MatchString(l):
				found(initLine, l)
			case strings.Contains(l, "REPORT RequestId"):
				found(report, l)
			}
		}
	}()
	start := time.Now()
	if err = cmd.Start(); err != nil {
		return
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		pw.Close()
		if err != nil {
			mu.Lock()
			tail := lines[max(0, len(lines)-5):]
			mu.Unlock()
			err = fmt.Errorf("%w; emulator output: %s", err, strings.Join(tail, " | "))
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", riePort)
	if err = waitTCP(base, 10*time.Second); err != nil {
		return
	}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ictx, http.MethodPost, base+"/2015-03-31/functions/function/invocations", strings.NewReader(string(event)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	wall := stats.Millis(time.Since(start))
	if res.StatusCode != http.StatusOK {
		err = fmt.Errorf("invoke answered HTTP %d: %s", res.StatusCode, body)
		return
	}
	var answer struct {
		StatusCode int `json:"statusCode"`
	}
	_ = json.Unmarshal(body, &answer)
	status = answer.StatusCode
	wait := time.After(3 * time.Second)
	var line, initL string
	for line == "" || initL == "" {
		select {
		case line = <-report:
		case initL = <-initLine:
		case <-wait:
			line, initL = line+" ", initL+" "
		}
	}
	if m := durationRe.FindStringSubmatch(line); m != nil {
		invokeMs, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := initRe.FindStringSubmatch(initL); m != nil {
		initMs, _ = strconv.ParseFloat(m[1], 64)
		// The emulator's Duration starts before the init it waits for.
		return initMs, max(0, invokeMs-initMs), status, methodReport, nil
	}
	return wall - invokeMs, invokeMs, status, methodWall, nil
}

type pkgInit struct {
	Package string  `json:"package"`
	Ms      float64 `json:"ms"`
}

var inittraceRe = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock`)

// initTrace runs bin three times outside the emulator with GODEBUG=inittrace=1 and a runtime
// API address nothing listens on, so it initialises its packages, reads its configuration,
// fails to fetch work and exits; it returns the median run's total package init time, its
// slowest packages and its time by origin.
func initTrace(ctx context.Context, bin string) (float64, []pkgInit, []pkgInit) {
	type run struct {
		total float64
		all   []pkgInit
	}
	var runs []run
	for range 3 {
		t, all := initTraceOnce(ctx, bin)
		runs = append(runs, run{t, all})
	}
	slices.SortFunc(runs, func(a, b run) int { return cmp.Compare(a.total, b.total) })
	m := runs[1]
	return m.total, m.all[:min(5, len(m.all))], byOrigin(m.all)
}

func initTraceOnce(ctx context.Context, bin string) (float64, []pkgInit) {
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(tctx, bin)
	cmd.Env = []string{"GODEBUG=inittrace=1", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1", "AWS_REGION=us-east-1",
		"IM_TABLE=bench", "IM_APP_KEY=bench", "IM_APP_SECRET=bench"}
	out, _ := cmd.CombinedOutput()
	var total float64
	var all []pkgInit
	for _, l := range strings.Split(string(out), "\n") {
		if m := inittraceRe.FindStringSubmatch(l); m != nil {
			ms, _ := strconv.ParseFloat(m[2], 64)
			total += ms
			all = append(all, pkgInit{m[1], ms})
		}
	}
	slices.SortFunc(all, func(a, b pkgInit) int { return cmp.Compare(b.Ms, a.Ms) })
	return total, all
}

// byOrigin adds package init times up by origin: one entry per AWS SDK client (its package and
// the packages under it), the SDK's core, smithy-go, aws-lambda-go, and the rest (the Go runtime,
// the standard library and the service's own packages); slowest first.
func byOrigin(all []pkgInit) []pkgInit {
	const sdk = "github.com/aws/aws-sdk-go-v2/"
	sums := map[string]float64{}
	for _, p := range all {
		origin := "Go runtime, standard library and the service"
		switch {
		case strings.HasPrefix(p.Package, sdk+"service/internal/"):
			origin = "AWS SDK core"
		case strings.HasPrefix(p.Package, sdk+"service/"):
			name, _, _ := strings.Cut(strings.TrimPrefix(p.Package, sdk+"service/"), "/")
			origin = "AWS SDK " + name + " client"
		case strings.HasPrefix(p.Package, sdk):
			origin = "AWS SDK core"
		case strings.HasPrefix(p.Package, "github.com/aws/smithy-go"):
			origin = "smithy-go"
		case strings.HasPrefix(p.Package, "github.com/aws/aws-lambda-go"):
			origin = "aws-lambda-go"
		}
		sums[origin] += p.Ms
	}
	out := make([]pkgInit, 0, len(sums))
	for k, v := range sums {
		out = append(out, pkgInit{k, v})
	}
	slices.SortFunc(out, func(a, b pkgInit) int { return cmp.Compare(b.Ms, a.Ms) })
	return out
}
