package stats

import (
	"math"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestPercentile(t *testing.T) {
	one2ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	cases := []struct {
		name   string
		sorted []float64
		p      float64
		want   float64
	}{
		{"empty", nil, 50, 0},
		{"single", []float64{7}, 99, 7},
		{"median of even count interpolates", one2ten, 50, 5.5},
		{"p0 is the minimum", one2ten, 0, 1},
		{"p100 is the maximum", one2ten, 100, 10},
		{"p90", one2ten, 90, 9.1},
		{"p99 sits between the two largest", one2ten, 99, 9.91},
		{"odd count median is the middle", []float64{1, 5, 100}, 50, 5},
	}
	for _, tc := range cases {
		if got := Percentile(tc.sorted, tc.p); !near(got, tc.want) {
			t.Errorf("%s: Percentile(%v, %v) = %v, want %v", tc.name, tc.sorted, tc.p, got, tc.want)
		}
	}
}

func TestSummarizeSortsAndConverts(t *testing.T) {
	var d []time.Duration
	// Given out of order, so a summary that forgot to sort would report the wrong tail.
	for _, ms := range []int{9, 1, 5, 3, 7, 2, 8, 4, 10, 6} {
		d = append(d, time.Duration(ms)*time.Millisecond)
	}
	s := Summarize(d)
	if s.N != 10 || s.Min != 1 || s.Max != 10 || !near(s.P50, 5.5) || !near(s.Mean, 5.5) || !near(s.P99, 9.91) {
		t.Fatalf("Summarize = %+v", s)
	}
	if z := Summarize(nil); z != (Summary{}) {
		t.Fatalf("empty Summarize = %+v", z)
	}
	if got := Millis(1500 * time.Microsecond); !near(got, 1.5) {
		t.Fatalf("Millis(1.5ms) = %v", got)
	}
}

func TestRatioAndOverhead(t *testing.T) {
	if got := Ratio(3, 2); !near(got, 1.5) {
		t.Errorf("Ratio(3,2) = %v", got)
	}
	for _, b := range []float64{0, -1, math.NaN()} {
		if got := Ratio(1, b); got != 0 {
			t.Errorf("Ratio(1,%v) = %v, want 0 (no baseline)", b, got)
		}
	}
	// Two calls of 1 ms each in a 2.5 ms operation: 0.25 ms beyond DynamoDB per call, a quarter
	// of a round trip.
	if got := OverheadPerCall(2.5, 1, 2); !near(got, 0.25) {
		t.Errorf("OverheadPerCall(2.5,1,2) = %v, want 0.25", got)
	}
	// Faster than its round trips (the baseline's noise): negative, not clamped, so the report
	// shows the noise instead of hiding it.
	if got := OverheadPerCall(0.9, 1, 1); !near(got, -0.1) {
		t.Errorf("OverheadPerCall(0.9,1,1) = %v, want -0.1", got)
	}
	if got := OverheadPerCall(5, 1, 0); got != 0 {
		t.Errorf("OverheadPerCall with no calls = %v, want 0", got)
	}
	if got := Median([]float64{3, 1, 2, 10}); !near(got, 2.5) {
		t.Errorf("Median = %v, want 2.5", got)
	}
}
