package main

import (
	"os/exec"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// A command name with spaces and parentheses, as a process may give itself; utime 250 and
	// stime 50 ticks.
	line := "4242 (node (dyn) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 250 50 0 0 20 0 11 0 123 456 789\n"
	got, err := parseProcStat(line)
	if err != nil || got != 3*time.Second {
		t.Fatalf("parseProcStat = %v, %v; want 3s", got, err)
	}
	for _, bad := range []string{"", "4242 node S 1", "4242 (node) S 1 2 3", "4242 (node) S 1 4242 4242 0 -1 4194560 9000 0 0 0 x 50 0", "4242 (node) S 1 4242 4242 0 -1 4194560 9000 0 0 0 -5 50 0"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) read a CPU time", bad)
		}
	}
}

// The clock reads another process's CPU from /proc: a child that spins for half a second shows
// most of a CPU busy, a sleeping one none.
func TestCPUClockReadsAnotherProcess(t *testing.T) {
	measure := func(script string) stepCPU {
		cmd := exec.Command("sh", "-c", script)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		clock := cpuClock{dynalitePid: cmd.Process.Pid}
		start := clock.read()
		time.Sleep(600 * time.Millisecond)
		cpu := clock.read().since(start, 100)
		_ = cmd.Process.Kill()
		return cpu
	}
	busy := measure("while :; do :; done")
	if busy.Dynalite < 0.3 || busy.Dynalite > 1.2 || busy.DynalitePerCall < 1000 {
		t.Fatalf("a spinning process: %+v", busy)
	}
	idle := measure("sleep 5")
	if idle.Dynalite < 0 || idle.Dynalite > 0.1 {
		t.Fatalf("a sleeping process: %+v", idle)
	}
	// This process slept throughout: next to nothing of its own.
	if idle.Bench > 0.2 || idle.Bench < 0 {
		t.Fatalf("the benchmark's own share while it slept: %+v", idle)
	}
	if gone := (cpuClock{dynalitePid: 0}).read().since(cpuClock{}.read(), 1); gone.Dynalite != -1 {
		t.Fatalf("without dynalite's process: %+v, want it shown as not measured", gone)
	}
}

// The fixed job runs (its encodings and decodings succeed) and takes a measurable time.
func TestFixedWorkTakesTime(t *testing.T) {
	a := fixedWorkMs()
	if a <= 0 || a > 5000 {
		t.Fatalf("fixed job: %v ms", a)
	}
}

func TestParseSteal(t *testing.T) {
	got, err := parseSteal("cpu  989284 330 144899 1449290 4435 0 22677 3834 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
	if err != nil || got != 38340*time.Millisecond {
		t.Fatalf("parseSteal = %v, %v; want 38.34s", got, err)
	}
	for _, bad := range []string{"", "cpu 1 2 3", "cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 3 4 5 6 7 x 0"} {
		if _, err := parseSteal(bad); err == nil {
			t.Errorf("parseSteal(%q) read a steal time", bad)
		}
	}
}
