package webhookevents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"imusers/shared/aws/webhookevents"
	"imusers/shared/domain/webhooks"
)

type invoker struct {
	err error
	got []*lambda.InvokeInput
}

func (i *invoker) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	i.got = append(i.got, in)
	return &lambda.InvokeOutput{}, i.err
}

type keeper struct {
	err  error
	app  string
	kept []webhooks.Event
}

func (k *keeper) Keep(_ context.Context, app string, events []webhooks.Event) error {
	k.app, k.kept = app, append(k.kept, events...)
	return k.err
}

// A call's events go to the delivery function in one asynchronous invocation; when Lambda does
// not take it, they are kept for the schedule instead; only when both fail are they lost, and
// the log says so.
func TestRaiseQueuesOrKeeps(t *testing.T) {
	evs := []webhooks.Event{
		webhooks.New(webhooks.Banned, webhooks.Data{UserID: "a"}),
		webhooks.New(webhooks.Unbanned, webhooks.Data{UserID: "b"}),
	}
	ids := func(evs []webhooks.Event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name               string
		invokeErr, keepErr error
		wantKept           bool
		wantLog            string
	}{
		{"queued", nil, nil, false, ""},
		{"kept", errors.New("TooManyRequestsException"), nil, true, "kept for the schedule"},
		{"lost", errors.New("TooManyRequestsException"), errors.New("throttled"), true, "lost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			inv, k := &invoker{err: tc.invokeErr}, &keeper{err: tc.keepErr}
			r := &webhookevents.Raiser{Lambda: inv, Function: "deliver", Keep: k, Log: slog.New(slog.NewJSONHandler(&log, nil))}
			r.Raise(context.Background(), "app1", evs...)

			if len(inv.got) != 1 || inv.got[0].InvocationType != types.InvocationTypeEvent || *inv.got[0].FunctionName != "deliver" {
				t.Fatalf("invocations %+v, want one asynchronous invocation of deliver", inv.got)
			}
			var b webhooks.Batch
			if err := json.Unmarshal(inv.got[0].Payload, &b); err != nil || b.App != "app1" || !slices.Equal(ids(b.Events), ids(evs)) {
				t.Fatalf("payload %s (%v)", inv.got[0].Payload, err)
			}
			if kept := len(k.kept) > 0; kept != tc.wantKept {
				t.Fatalf("kept %v, want kept %v", k.kept, tc.wantKept)
			}
			if tc.wantKept && (k.app != "app1" || !slices.Equal(ids(k.kept), ids(evs))) {
				t.Errorf("kept %v of %s, want %v of app1", ids(k.kept), k.app, ids(evs))
			}
			if !strings.Contains(log.String(), tc.wantLog) || (tc.wantLog == "" && log.Len() != 0) {
				t.Errorf("log %q, want it to say %q", log.String(), tc.wantLog)
			}
		})
	}
}

// Without a keeper (no table at hand), a refused invocation is logged as lost.
func TestRaiseWithoutKeeper(t *testing.T) {
	var log bytes.Buffer
	r := &webhookevents.Raiser{Lambda: &invoker{err: errors.New("refused")}, Function: "deliver", Log: slog.New(slog.NewJSONHandler(&log, nil))}
	r.Raise(context.Background(), "app1", webhooks.New(webhooks.Banned, webhooks.Data{UserID: "a"}))
	if !strings.Contains(log.String(), "lost") {
		t.Errorf("log %q, want the events reported lost", log.String())
	}
}
