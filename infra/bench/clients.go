package main

import (
	"slices"
	"strings"

	"imusers/shared/routes"
)

// client is one AWS SDK service client a function may create at init.
type client string

const (
	clientDynamoDB   client = "DynamoDB"
	clientLambda     client = "Lambda"
	clientManagement client = "Management API"
	clientSSM        client = "SSM"
)

// clientOrder is the order client sets are written in, and clientTags the build tag that links
// each client into the baseline handler (infra/bench/minimal).
var (
	clientOrder = []client{clientDynamoDB, clientLambda, clientManagement, clientSSM}
	clientTags  = map[client]string{
		clientDynamoDB: "bench_dynamodb", clientLambda: "bench_lambda",
		clientManagement: "bench_management", clientSSM: "bench_ssm",
	}
)

// serviceClients maps the service prefix of an IAM action to the SDK client that calls it.
var serviceClients = map[string]client{
	"dynamodb":    clientDynamoDB,
	"lambda":      clientLambda,
	"execute-api": clientManagement,
	"ssm":         clientSSM,
}

// clientSet is a set of clients, in clientOrder.
type clientSet []client

// clientsOf is the one rule for a function's baseline: a function creates the SDK client of
// every AWS service its route's actions (its least-privilege policy) name, and the SSM client
// when the apps are read from an SSM parameter (IM_APPS_PARAMETER), which every function does
// at init. Actions of a service without a known client are returned as unknown.
func clientsOf(r routes.Route, appsFromSSM bool) (set clientSet, unknown []string) {
	has := map[client]bool{clientSSM: appsFromSSM}
	for _, a := range r.Actions {
		svc, _, _ := strings.Cut(a, ":")
		c, ok := serviceClients[svc]
		if !ok {
			unknown = append(unknown, a)
			continue
		}
		has[c] = true
	}
	for _, c := range clientOrder {
		if has[c] {
			set = append(set, c)
		}
	}
	return set, unknown
}

// String names the set as the report shows it.
func (s clientSet) String() string {
	if len(s) == 0 {
		return "no client"
	}
	names := make([]string, len(s))
	for i, c := range s {
		names[i] = string(c)
	}
	return strings.Join(names, " + ")
}

// key names the baseline's binary: "minimal" for the bare handler, "minimal-dynamodb-lambda"…
func (s clientSet) key() string {
	k := "minimal"
	for _, c := range s {
		k += "-" + strings.TrimPrefix(clientTags[c], "bench_")
	}
	return k
}

// tags are the build tags of the set's baseline, the deploy's lambda.norpc first.
func (s clientSet) tags() string {
	t := []string{"lambda.norpc"}
	for _, c := range s {
		t = append(t, clientTags[c])
	}
	return strings.Join(t, ",")
}

// with returns the set with c added, in clientOrder.
func (s clientSet) with(c client) clientSet {
	if slices.Contains(s, c) {
		return s
	}
	var out clientSet
	for _, o := range clientOrder {
		if o == c || slices.Contains(s, o) {
			out = append(out, o)
		}
	}
	return out
}

func (s clientSet) names() []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = string(c)
	}
	return out
}
