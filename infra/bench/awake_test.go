package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The loops that keep the CPUs awake run at the idle scheduling class, each on its own CPU, and
// are gone once stopped.
func TestKeepAwakeRunsIdleClassLoops(t *testing.T) {
	cpus, err := allowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	cpu := cpus[len(cpus)-1]
	stop, why := keepAwake([]int{cpu})
	if why != "" {
		t.Fatal(why)
	}
	defer stop()
	// taskset and chrt exec into the shell: find it among this process's children by its loop.
	var pid int
	deadline := time.Now().Add(5 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		pid = childRunning(t, awakeScript)
		time.Sleep(20 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("no loop running")
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := statFields(string(stat))
	// Fields 39 (processor) and 41 (policy), counted from field 3 after the command name.
	if policy := fields[41-3]; policy != "5" { // SCHED_IDLE
		t.Errorf("loop's scheduling policy %s, want 5 (SCHED_IDLE)", policy)
	}
	if proc := fields[39-3]; proc != strconv.Itoa(cpu) {
		t.Errorf("loop ran on CPU %s, want %d", proc, cpu)
	}
	stop()
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Fatalf("loop %d still there after stop", pid)
	}
}

// childRunning is the pid of this process's child whose command line contains s, or 0.
func childRunning(t *testing.T, s string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err1 := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		cmdline, err2 := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err1 != nil || err2 != nil {
			continue // gone meanwhile
		}
		if f := statFields(string(stat)); len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) && strings.Contains(string(cmdline), s) {
			return pid
		}
	}
	return 0
}
