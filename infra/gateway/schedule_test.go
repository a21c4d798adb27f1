package gateway

import (
	"testing"
	"time"

	"imusers/shared/routes"
)

func TestRate(t *testing.T) {
	for expr, want := range map[string]time.Duration{
		"rate(1 minute)": time.Minute, "rate(5 minutes)": 5 * time.Minute, "rate(1 hour)": time.Hour, "rate(2 days)": 48 * time.Hour,
		"rate(1 minutes)": 0, "rate(2 minute)": 0, "rate(0 minutes)": 0, "cron(* * * * ? *)": 0, "rate(1 week)": 0, "rate(1minute)": 0,
	} {
		got, err := Rate(expr)
		if got != want || (err == nil) != (want != 0) {
			t.Errorf("Rate(%q) = %v, %v; want %v", expr, got, err, want)
		}
	}
	// Every schedule of the route table is one the local twin can run.
	for _, r := range routes.All {
		if _, err := Rate(r.Schedule); r.Schedule != "" && err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
	}
}
