package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"imusers/infra/bench/stats"
)

// A load step's CPU use says where its rate stopped: the benchmark's process (generator,
// local gateway, service, SDK clients) and dynalite each have CPUs of their own (pin.go), and a
// step whose p99 breaks while one of them is busy all the time measured that CPU, not the
// service's latency.

// stepCPU is what the two processes spent during one load step.
type stepCPU struct {
	// Bench and Dynalite are CPU time over the step's wall time: 1 is one CPU busy throughout.
	// Dynalite is -1 when it was not measured (dynalite running outside the benchmark, or no
	// /proc).
	Bench    float64 `json:"benchCPUs"`
	Dynalite float64 `json:"dynaliteCPUs"`
	// BenchPerCall and DynalitePerCall are the same CPU time per call, in microseconds.
	BenchPerCall    float64 `json:"benchCPUMicrosPerCall"`
	DynalitePerCall float64 `json:"dynaliteCPUMicrosPerCall"`
	// Stolen is the time the host kept this virtual machine's CPUs from running while they had
	// work (steal, all CPUs together, in CPUs as above); -1 when not measured.
	Stolen float64 `json:"stolenCPUs"`
}

// cpuClock reads the CPU time used so far by this process and by dynalite.
type cpuClock struct{ dynalitePid int }

type cpuReading struct {
	at                     time.Time
	self, dynalite, stolen time.Duration
	dynaliteUnknown        bool
	stolenUnknown          bool
}

func (c cpuClock) read() cpuReading {
	r := cpuReading{at: time.Now(), dynaliteUnknown: c.dynalitePid == 0}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		r.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if !r.dynaliteUnknown {
		var err error
		if r.dynalite, err = processCPU(c.dynalitePid); err != nil {
			r.dynaliteUnknown = true
		}
	}
	var err error
	if r.stolen, err = machineSteal(); err != nil {
		r.stolenUnknown = true
	}
	return r
}

// since is the CPU use from start to r, spread over calls.
func (r cpuReading) since(start cpuReading, calls int) stepCPU {
	wall := r.at.Sub(start.at)
	share := func(d time.Duration) float64 { return d.Seconds() / max(wall.Seconds(), 1e-9) }
	perCall := func(d time.Duration) float64 {
		if calls == 0 {
			return 0
		}
		return float64(d.Microseconds()) / float64(calls)
	}
	out := stepCPU{Bench: share(r.self - start.self), BenchPerCall: perCall(r.self - start.self), Dynalite: -1, Stolen: -1}
	if !r.stolenUnknown && !start.stolenUnknown {
		out.Stolen = share(r.stolen - start.stolen)
	}
	if !r.dynaliteUnknown && !start.dynaliteUnknown {
		out.Dynalite, out.DynalitePerCall = share(r.dynalite-start.dynalite), perCall(r.dynalite-start.dynalite)
	}
	return out
}

// clockTick is the unit of /proc/<pid>/stat's CPU times: USER_HZ, which Linux fixes at 100
// for what it shows to programs, whatever the kernel's own tick.
const clockTick = 10 * time.Millisecond

// processCPU is the user and system CPU time another process has used, all its threads
// together, from Linux's /proc/<pid>/stat (fields 14 and 15).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
}

// machineSteal is the time the host has kept this machine's CPUs from running while they had
// work, all CPUs together, from Linux's /proc/stat (the steal column of its "cpu" line).
func machineSteal() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseSteal(string(b))
}

// parseSteal reads the steal column, the eighth number of /proc/stat's first line.
func parseSteal(stat string) (time.Duration, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("no steal column in %q", line)
	}
	n, err := strconv.ParseInt(f[8], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("steal %q: not a count of ticks", f[8])
	}
	return time.Duration(n) * clockTick, nil
}

// parseProcStat reads the CPU time out of a /proc/<pid>/stat line.
func parseProcStat(line string) (time.Duration, error) {
	f := statFields(line)
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name in %q, want at least 13", len(f), line)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("CPU time %q: not a count of ticks", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// statFields are a /proc/<pid>/stat line's fields from the third (the state) on, so that field
// n is at n-3; nil without a command name. The name, field 2, is in parentheses and may hold
// spaces and parentheses itself, so the fields are counted from the last ')'.
func statFields(line string) []string {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(line[i+1:])
}

// busy is the step's CPU use as the load table shows it after the step's verdict.
func (c *stepCPU) busy() string {
	if c == nil {
		return ""
	}
	dyn := "–"
	if c.Dynalite >= 0 {
		dyn = fmt.Sprintf("%.0f%%", c.Dynalite*100)
	}
	stolen := ""
	if c.Stolen > 0.005 {
		stolen = fmt.Sprintf(", stolen %.0f%%", c.Stolen*100)
	}
	return fmt.Sprintf(", CPU %.0f%% / %s%s", c.Bench*100, dyn, stolen)
}

// perCall is the CPU per call as the load table shows it.
func (c *stepCPU) perCall() string {
	dyn := "–"
	if c.Dynalite >= 0 {
		dyn = fmt.Sprintf("%.0f", c.DynalitePerCall)
	}
	return fmt.Sprintf("%.0f / %s", c.BenchPerCall, dyn)
}

// fixedWorkMs times a fixed CPU job of the kind a request is made of, on this process's CPU:
// 500 encodings and decodings of an HTTP API event (JSON, maps, allocation), the median of five
// runs. The same code takes longer in the shared machine's busy moments, and the report shows
// this figure as each phase begins, so that a run's slower figures can be told from a change
// of code.
func fixedWorkMs() float64 {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /user/info.json", RawPath: "/user/info.json",
		Body: strings.Repeat("userId=fixed-work&", 8), IsBase64Encoded: false,
		Headers: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "abcdef1234", Stage: "$default", RequestID: "fixed-work",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/user/info.json", Protocol: "HTTP/1.1", SourceIP: "203.0.113.7"},
		},
	}
	for i := range 12 {
		ev.Headers[fmt.Sprint("x-header-", i)] = strings.Repeat("v", 24)
	}
	runs := make([]float64, 5)
	for r := range runs {
		start := time.Now()
		for range 500 {
			b, err := json.Marshal(ev)
			if err != nil {
				return -1
			}
			var back events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(b, &back); err != nil {
				return -1
			}
		}
		runs[r] = stats.Millis(time.Since(start))
	}
	return stats.Median(runs)
}
