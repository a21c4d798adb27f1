package main

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
)

// This machine is a virtual one on a shared host: a virtual CPU with nothing to run halts, and
// when work arrives it waits for the host to run it again. A cold start blocks several times
// (the SSM read at init, the first request for work), and in the runs measured that wait made
// starts fall in two modes 2–3 ms apart, so that a median of a function's starts and one of its
// baseline's could land in different modes (ratios of 1.3 with no difference in code; started
// outside the emulator, the binaries took the same time). During the cold starts the benchmark
// therefore keeps every CPU it uses busy with a loop at the idle scheduling class (SCHED_IDLE):
// the loop runs only when nothing else can, and gives way at once when something can, so the
// CPUs never halt and a start's waits are its own. It is the user-space form of keeping CPUs out
// of deep idle states, as latency benchmarks do.

// awakeScript spins forever; chrt gives it the idle class and taskset one CPU.
const awakeScript = "while :; do :; done"

// keepAwake starts one idle-class loop on each of cpus and returns the function that stops
// them. It needs util-linux's taskset and chrt, as the pinning does; without them it returns
// why, and the starts are measured with CPUs that may halt.
func keepAwake(cpus []int) (stop func(), why string) {
	stop = func() {}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return stop, "no taskset (util-linux)"
	}
	chrt, err := exec.LookPath("chrt")
	if err != nil {
		return stop, "no chrt (util-linux)"
	}
	var loops []*exec.Cmd
	stop = func() {
		for _, c := range loops {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			_ = c.Wait()
		}
		loops = nil
	}
	for _, cpu := range cpus {
		c := exec.Command(taskset, "-c", fmt.Sprint(cpu), chrt, "--idle", "0", "sh", "-c", awakeScript)
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			stop()
			return func() {}, fmt.Sprintf("cannot keep CPU %d awake: %v", cpu, err)
		}
		loops = append(loops, c)
	}
	return stop, ""
}

// runCPUs lists the CPUs this run uses: the benchmark's and dynalite's when they were pinned
// apart, else every CPU this process may run on.
func runCPUs() ([]int, error) {
	p := pinned()
	if p.Dynalite == "" {
		return allowedCPUs()
	}
	return parseCPUList(strings.Join([]string{p.Bench, p.Dynalite}, ","))
}

// keepCPUsAwake keeps the run's CPUs awake until stop is called, and says how, for the report.
func keepCPUsAwake() (stop func(), how string) {
	cpus, err := runCPUs()
	if err != nil {
		return func() {}, "no: " + err.Error()
	}
	stop, why := keepAwake(cpus)
	if why != "" {
		return stop, "no: " + why
	}
	return stop, "CPUs " + list(cpus) + ", by idle-class loops"
}
