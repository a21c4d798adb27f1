package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"imusers/shared/routes"
)

// RunSchedules does what EventBridge does in AWS: it invokes each function whose route names a
// schedule on its rate, with the event a schedule sends, until ctx ends. An invocation still
// running when the next is due overlaps it, as in AWS.
func (g *Gateway) RunSchedules(ctx context.Context) error {
	for _, r := range routes.All {
		if r.Schedule == "" {
			continue
		}
		every, err := Rate(r.Schedule)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		go g.every(ctx, g.byName[r.Name], every)
	}
	return nil
}

func (g *Gateway) every(ctx context.Context, f function, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			g.inFlight.Add(1)
			go func() {
				defer g.inFlight.Done()
				g.runScheduled(ctx, f, now)
			}()
		}
	}
}

// runScheduled invokes f once with a scheduled event of time now.
func (g *Gateway) runScheduled(ctx context.Context, f function, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, timeout(f.route.Kind))
	defer cancel()
	payload, _ := json.Marshal(events.EventBridgeEvent{
		Version: "0", ID: newConnectionID(), DetailType: "Scheduled Event", Source: "aws.events",
		Time: now.UTC(), Region: "us-east-1", Detail: json.RawMessage(`{}`),
	})
	if _, err := f.invoke(ctx, payload); err != nil {
		g.log.Error("scheduled invocation failed", "function", f.route.Name, "error", err.Error())
	}
}

// Rate reads an EventBridge rate expression: "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)".
func Rate(expr string) (time.Duration, error) {
	inner, ok := strings.CutPrefix(expr, "rate(")
	if inner, ok = strings.CutSuffix(inner, ")"); !ok {
		return 0, fmt.Errorf("not a rate expression: %q", expr)
	}
	n, unit, _ := strings.Cut(inner, " ")
	v, err := strconv.Atoi(n)
	units := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}
	if err != nil || v <= 0 || units[unit] == 0 || (v == 1) != !strings.HasSuffix(unit, "s") {
		return 0, fmt.Errorf("not a rate expression: %q", expr)
	}
	return time.Duration(v) * units[unit], nil
}
