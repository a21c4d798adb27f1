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

// buildFlags are design.md's flags for every function's bootstrap; the minimal handler gets
// the same, so the two binaries differ only in code.
var buildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

const (
	minimalName = "minimal aws-lambda-go handler"
	minimalPkg  = "./infra/bench/minimal"
	initTarget  = 1.5 // design target: init under 1.5 times the minimal handler's
)

// coldResult is one function's cold start, the median of its runs.
type coldResult struct {
	Function  string    `json:"function"`
	SizeBytes int64     `json:"sizeBytes"`
	SizeRatio float64   `json:"sizeRatioToMinimal"`
	InitMs    float64   `json:"initMsMedian"`
	InitRuns  []float64 `json:"initMsRuns"`
	InitRatio float64   `json:"initRatioToMinimal"`
	InvokeMs  float64   `json:"firstInvokeMsMedian"`
	// PackageInit is Go's package initialisation (GODEBUG=inittrace=1) before main runs,
	// with the packages that took longest: the part of init that no handler code can avoid.
	PackageInitMs float64   `json:"packageInitMs"`
	SlowestInits  []pkgInit `json:"slowestPackageInits,omitempty"`
	// InitByOrigin adds the package init up by where the packages come from (each AWS SDK
	// client, the SDK's core, the Go runtime and standard library), slowest first.
	InitByOrigin []pkgInit `json:"packageInitByOrigin,omitempty"`
	Status       int       `json:"firstInvokeStatus"` // HTTP status in the function's answer, where it has one
	Verdict      string    `json:"verdict"`           // pass, fail, none (the baseline)
	Error        string    `json:"error,omitempty"`
}

type coldReport struct {
	Method  string       `json:"initMethod"`
	Runs    int          `json:"runsPerFunction"`
	Minimal coldResult   `json:"minimal"`
	Results []coldResult `json:"functions"`
	Skipped []string     `json:"skipped,omitempty"`
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

// buildAll builds every function of the route table and the minimal handler for this host,
// in one `go build` so the toolchain builds them in parallel.
func buildAll(ctx context.Context, root, dir string, names []string) error {
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", dir+string(os.PathSeparator))
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	args = append(args, minimalPkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// coldStarts measures each function's init under aws-lambda-rie, runs times each, in rotating
// order so that no function always starts right after the same one.
func coldStarts(ctx context.Context, e *env, queueURL string, runs int) (coldReport, error) {
	rep := coldReport{Runs: runs, Method: methodReport}
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
	dir, err := os.MkdirTemp("", "imusers-bench-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	built := time.Now()
	if err := buildAll(ctx, e.root, dir, names); err != nil {
		return rep, err
	}
	log.Printf("built %d functions and the minimal handler in %.1f s", len(names), time.Since(built).Seconds())

	appsJSON, _ := json.Marshal(append([]apps.App{e.base}, e.apps...))
	type fn struct {
		name, bin string
		event     []byte
	}
	fns := []fn{{minimalName, filepath.Join(dir, "minimal"), []byte(`{}`)}}
	for _, n := range names {
		ev, err := coldEvent(n, e.base)
		if err != nil {
			return rep, err
		}
		fns = append(fns, fn{n, filepath.Join(dir, n), ev})
	}
	type run struct {
		init, invoke float64
		status       int
		method       string
		err          error
	}
	got := make([][]run, len(fns))
	for r := range runs {
		for k := range fns {
			i := (k + r) % len(fns)
			f := fns[i]
			envv := []string{
				"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
				"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
				"AWS_ENDPOINT_URL_DYNAMODB=" + e.dynamo, "AWS_ENDPOINT_URL_LAMBDA=" + queueURL,
				"IM_TABLE=" + e.table, "IM_APPS=" + string(appsJSON), "AWS_LAMBDA_FUNCTION_NAME=" + f.name,
			}
			init, invoke, status, method, err := runRIE(ctx, emulator, f.bin, envv, f.event)
			got[i] = append(got[i], run{init, invoke, status, method, err})
			if err != nil && ctx.Err() != nil {
				return rep, ctx.Err()
			}
		}
	}
	results := make([]coldResult, len(fns))
	for i, f := range fns {
		res := coldResult{Function: f.name}
		if fi, err := os.Stat(f.bin); err == nil {
			res.SizeBytes = fi.Size()
		}
		var invokes []float64
		for _, r := range got[i] {
			if r.err != nil {
				res.Error = r.err.Error()
				continue
			}
			res.InitRuns = append(res.InitRuns, r.init)
			invokes = append(invokes, r.invoke)
			res.Status = r.status
			if r.method == methodWall {
				rep.Method = methodWall
			}
		}
		res.InitMs, res.InvokeMs = stats.Median(res.InitRuns), stats.Median(invokes)
		res.PackageInitMs, res.SlowestInits, res.InitByOrigin = initTrace(ctx, f.bin)
		results[i] = res
	}
	rep.Minimal = results[0]
	rep.Minimal.Verdict, rep.Minimal.InitRatio, rep.Minimal.SizeRatio = "none", 1, 1
	for _, res := range results[1:] {
		res.InitRatio = stats.Ratio(res.InitMs, rep.Minimal.InitMs)
		res.SizeRatio = stats.Ratio(float64(res.SizeBytes), float64(rep.Minimal.SizeBytes))
		res.Verdict = "pass"
		if res.Error != "" || res.InitRatio >= initTarget || res.InitRatio == 0 {
			res.Verdict = "fail"
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// coldEvent is the first event each function gets: a signed HTTP API request with no
// parameters for the Server API functions (answered after the signature check, mostly with a
// 1002), an empty job for the worker.
func coldEvent(name string, app apps.App) ([]byte, error) {
	r, _ := routes.ByName(name)
	switch r.Kind {
	case routes.Worker:
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
	riePort, err := localenv.FreePort()
	if err != nil {
		return
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
