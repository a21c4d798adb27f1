package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// dynalite stands in for DynamoDB, which in AWS runs on machines of its own. Sharing CPUs with
// it charges its work to whatever of the service's runs at the same moment: a 100-key batch
// keeps dynalite busy after it has answered, and the service's next microseconds wait for a CPU.
// So the benchmark gives dynalite one CPU to itself and runs everything else (client, gateway,
// functions, emulators) on the others: it starts itself again under taskset, and tells the new
// process dynalite's CPU through these variables.
const (
	dynaliteCPUsEnv = "IM_BENCH_DYNALITE_CPUS"
	benchCPUsEnv    = "IM_BENCH_CPUS"
)

// pinning is where the run's processes ran; empty when they shared every CPU.
type pinning struct {
	Bench    string `json:"benchmarkCPUs,omitempty"`
	Dynalite string `json:"dynaliteCPUs,omitempty"`
}

// pinned reads the pinning this process was started with.
func pinned() pinning {
	return pinning{Bench: os.Getenv(benchCPUsEnv), Dynalite: os.Getenv(dynaliteCPUsEnv)}
}

// pinSelf starts the benchmark again with dynalite's CPU set aside, when it is not yet pinned,
// starts dynalite itself, runs on Linux with taskset and has at least two CPUs. It returns only
// when it does not (with the reason, for the log); otherwise the process is replaced.
func pinSelf() string {
	switch {
	case os.Getenv(dynaliteCPUsEnv) != "":
		return ""
	case os.Getenv("IM_TEST_DYNAMODB") != "":
		return "dynalite runs outside the benchmark (IM_TEST_DYNAMODB): CPUs are shared"
	}
	cpus, err := allowedCPUs()
	if err != nil || len(cpus) < 2 {
		return fmt.Sprintf("fewer than two CPUs to split (%v): CPUs are shared", err)
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return "no taskset (util-linux): CPUs are shared"
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Sprintf("cannot start again: %v", err)
	}
	bench, dyn := list(cpus[:len(cpus)-1]), list(cpus[len(cpus)-1:])
	env := append(os.Environ(), dynaliteCPUsEnv+"="+dyn, benchCPUsEnv+"="+bench)
	err = syscall.Exec(taskset, append([]string{"taskset", "-c", bench, exe}, os.Args[1:]...), env)
	return fmt.Sprintf("cannot start again under taskset: %v", err)
}

// allowedCPUs lists the CPUs this process may run on (Linux's Cpus_allowed_list).
func allowedCPUs() ([]int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return parseCPUList(strings.TrimSpace(v))
		}
	}
	return nil, fmt.Errorf("no Cpus_allowed_list in /proc/self/status")
}

// parseCPUList reads a list such as "0-3,6,8-9".
func parseCPUList(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("CPU list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("CPU list %q: bad range %q", s, part)
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out, nil
}

func list(cpus []int) string {
	parts := make([]string, len(cpus))
	for i, c := range cpus {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ",")
}
