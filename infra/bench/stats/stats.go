// Package stats is the arithmetic of the benchmark report: percentiles of measured durations
// and the ratios that compare them with a baseline taken in the same run. Ratios, not absolute
// numbers, are what the report judges, because the machines it runs on are shared and noisy.
package stats

import (
	"math"
	"slices"
	"time"
)

// Summary describes a set of measured durations, in milliseconds so that it reads and
// marshals plainly.
type Summary struct {
	N    int     `json:"n"`
	Min  float64 `json:"minMs"`
	P50  float64 `json:"p50Ms"`
	P90  float64 `json:"p90Ms"`
	P99  float64 `json:"p99Ms"`
	Max  float64 `json:"maxMs"`
	Mean float64 `json:"meanMs"`
}

// Summarize computes a Summary; an empty set gives the zero Summary.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	ms := make([]float64, len(d))
	var sum float64
	for i, x := range d {
		ms[i] = Millis(x)
		sum += ms[i]
	}
	slices.Sort(ms)
	return Summary{
		N:    len(ms),
		Min:  ms[0],
		P50:  Percentile(ms, 50),
		P90:  Percentile(ms, 90),
		P99:  Percentile(ms, 99),
		Max:  ms[len(ms)-1],
		Mean: sum / float64(len(ms)),
	}
}

// Millis is d in fractional milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Percentile returns the p-th percentile (0..100) of sorted values, interpolating linearly
// between the two nearest ranks. Interpolation keeps p99 of a few hundred samples from
// jumping straight to the single worst one, which on a noisy machine is mostly luck.
func Percentile(sorted []float64, p float64) float64 {
	switch n := len(sorted); {
	case n == 0:
		return 0
	case n == 1 || p <= 0:
		return sorted[0]
	case p >= 100:
		return sorted[n-1]
	}
	pos := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(sorted) {
		return sorted[lo]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

// Ratio is a/b, or 0 when b is not positive: a missing baseline must not turn into an
// infinity that neither JSON nor a reader can use.
func Ratio(a, b float64) float64 {
	if b <= 0 || math.IsNaN(a) || math.IsNaN(b) {
		return 0
	}
	return a / b
}

// OverheadPerCall is the time an operation spends beyond its DynamoDB round trips, per round
// trip, as a fraction of one raw round trip: (op − calls×raw) / calls / raw. An operation
// without DynamoDB calls has no such overhead (0).
func OverheadPerCall(opMs, rawMs float64, calls float64) float64 {
	if calls <= 0 || rawMs <= 0 {
		return 0
	}
	return (opMs - calls*rawMs) / calls / rawMs
}

// Median is the middle of values (the mean of the middle two for an even count).
func Median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	return Percentile(s, 50)
}
