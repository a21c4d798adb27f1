package main

import (
	"slices"
	"testing"

	"imusers/shared/routes"
)

// Each function's baseline creates the clients its route's actions call: the rule is read off
// the route table, so a route that gains an action of another service gains its client.
func TestClientsOfEveryRoute(t *testing.T) {
	const (
		d = clientDynamoDB
		l = clientLambda
		m = clientManagement
		s = clientSSM
	)
	want := map[string]clientSet{
		"userGetToken":          {d},
		"userInfo":              {d},
		"userDeactivate":        {d, l, m},
		"userDelusers":          {d, l, m},
		"eraseUsers":            {d, l},
		"userBlock":             {d, l, m}, // Lambda: the webhook events
		"userUnblock":           {d, l},
		"messagePrivatePublish": {d, m},
		"httpDefault":           {l},
		"wsAuthorize":           {d, l},
		"wsConnect":             nil, // answers without I/O: the bare handler is its baseline
		"wsDisconnect":          {d, l},
		"wsSendMessage":         {d, m},
	}
	for _, r := range routes.All {
		got, unknown := clientsOf(r, false)
		if len(unknown) > 0 {
			t.Errorf("%s: actions %v name a service without a client in serviceClients", r.Name, unknown)
		}
		if w, ok := want[r.Name]; ok && !slices.Equal(got, w) {
			t.Errorf("%s: clients %v, want %v (actions %v)", r.Name, got, w, r.Actions)
		}
		if r.Kind == routes.HTTP && !slices.Contains(got, d) {
			t.Errorf("%s: a Server API function reads DynamoDB (at least its nonce write), got %v", r.Name, got)
		}
		withSSM, _ := clientsOf(r, true)
		if !slices.Equal(withSSM, got.with(s)) {
			t.Errorf("%s with apps from SSM: clients %v, want %v", r.Name, withSSM, got.with(s))
		}
	}
	for name := range want {
		if _, ok := routes.ByName(name); !ok {
			t.Errorf("%s is not in the route table", name)
		}
	}
}

func TestClientsOfUnknownService(t *testing.T) {
	got, unknown := clientsOf(routes.Route{Actions: []string{"dynamodb:GetItem", "sqs:SendMessage"}}, false)
	if !slices.Equal(got, clientSet{clientDynamoDB}) || !slices.Equal(unknown, []string{"sqs:SendMessage"}) {
		t.Fatalf("clients %v, unknown %v", got, unknown)
	}
}

func TestClientSetNamesTagsAndKeys(t *testing.T) {
	for _, c := range []struct {
		set             clientSet
		name, key, tags string
	}{
		{nil, "no client", "minimal", "lambda.norpc"},
		{clientSet{clientLambda}, "Lambda", "minimal-lambda", "lambda.norpc,bench_lambda"},
		{clientSet{clientDynamoDB, clientManagement}, "DynamoDB + Management API", "minimal-dynamodb-management", "lambda.norpc,bench_dynamodb,bench_management"},
		{clientSet{clientSSM}.with(clientDynamoDB), "DynamoDB + SSM", "minimal-dynamodb-ssm", "lambda.norpc,bench_dynamodb,bench_ssm"},
	} {
		if c.set.String() != c.name || c.set.key() != c.key || c.set.tags() != c.tags {
			t.Errorf("%v: %q %q %q, want %q %q %q", c.set, c.set.String(), c.set.key(), c.set.tags(), c.name, c.key, c.tags)
		}
	}
}

// A function passes at up to 1.25 times its own baseline's init, and fails beyond it, when it
// or its baseline failed to start, or when nothing was measured.
func TestJudgeInit(t *testing.T) {
	bare := coldResult{InitMs: 2, SizeBytes: 6 << 20}
	base := coldResult{InitMs: 4, SizeBytes: 8 << 20}
	for _, c := range []struct {
		fn      coldResult
		base    coldResult
		verdict string
	}{
		{coldResult{InitMs: 5}, base, "pass"},
		{coldResult{InitMs: 5.01}, base, "fail"},
		{coldResult{InitMs: 3}, base, "pass"},
		{coldResult{InitMs: 0}, base, "fail"},
		{coldResult{InitMs: 4, Error: "boom"}, base, "fail"},
		{coldResult{InitMs: 4}, coldResult{InitMs: 4, Error: "boom"}, "fail"},
	} {
		f := c.fn
		judgeInit(&f, c.base, bare)
		if f.Verdict != c.verdict {
			t.Errorf("init %.2f against %.2f (errors %q, %q): %s, want %s", c.fn.InitMs, c.base.InitMs, c.fn.Error, c.base.Error, f.Verdict, c.verdict)
		}
	}
	f := coldResult{InitMs: 5, SizeBytes: 10 << 20}
	judgeInit(&f, base, bare)
	if f.InitRatio != 1.25 || f.BareRatio != 2.5 || f.SizeRatio != 1.25 || f.BaselineInitMs != 4 || f.BaselineSizeBytes != 8<<20 {
		t.Fatalf("%+v", f)
	}
}

func TestReadAt(t *testing.T) {
	for _, c := range []struct {
		reads               int64
		initDelta, invDelta float64
		want                string
	}{
		{1, 1.2, 0.1, "init"},
		{1, 0.1, 1.2, "first call"},
		{0, 1, 0, "not read"},
	} {
		if got := readAt(c.reads, c.initDelta, c.invDelta); got != c.want {
			t.Errorf("readAt(%d, %.1f, %.1f) = %q, want %q", c.reads, c.initDelta, c.invDelta, got, c.want)
		}
	}
}

func TestOverrideEnv(t *testing.T) {
	got := overrideEnv([]string{"A=1", "IM_APPS=[x]", "B=2"}, []string{"IM_APPS=", "IM_APPS_PARAMETER=/p", "B=3"})
	want := []string{"A=1", "IM_APPS_PARAMETER=/p", "B=3"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
