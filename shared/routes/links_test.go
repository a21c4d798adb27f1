package routes_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"imusers/shared/routes"
)

// The SDK clients a function may link, and what in the route table says it uses each.
const (
	managementAPI = "github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	lambdaClient  = "github.com/aws/aws-sdk-go-v2/service/lambda"
	dynamoDB      = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ssmClient     = "github.com/aws/aws-sdk-go-v2/service/ssm"
)

func uses(r routes.Route) map[string]bool {
	return map[string]bool{
		managementAPI: slices.Contains(r.Actions, routes.ManageConnections),
		lambdaClient:  slices.Contains(r.Actions, routes.InvokeErasure),
		dynamoDB: slices.ContainsFunc(r.Actions, func(a string) bool {
			return strings.HasPrefix(a, "dynamodb:")
		}),
		ssmClient: r.LoadsApps(),
	}
}

// pending are links a function has today that it does not use, each with the reason; they
// are allowed until the reason goes, and then this test fails until the entry is taken off.
var pending = map[string]map[string]string{}

// Each function's main links the SDK clients its route table entry says it uses, and no other:
// Go initialises every package a binary imports, so a client linked is a client paid for at
// every cold start. Nor does a main link the whole service (shared/assembly), or an operation
// package besides its own.
func TestEachFunctionLinksOnlyWhatItUses(t *testing.T) {
	if testing.Short() {
		t.Skip("go list of every function")
	}
	deps := functionDeps(t)
	for _, r := range routes.All {
		got, ok := deps[r.Name]
		if !ok {
			t.Errorf("%s: no functions/%s main", r.Name, r.Name)
			continue
		}
		for client, want := range uses(r) {
			linked := slices.Contains(got, client)
			reason, isPending := pending[r.Name][client]
			switch {
			case isPending && !linked:
				t.Errorf("%s no longer links %s: take it off the pending list (%s)", r.Name, client, reason)
			case isPending:
			case linked && !want:
				t.Errorf("%s links %s, which its route table entry does not use", r.Name, client)
			case want && !linked:
				t.Errorf("%s does not link %s, which its route table entry says it uses", r.Name, client)
			}
		}
		var ops []string
		for _, p := range got {
			// shared/api/call is what every operation shares, not an operation.
			if strings.HasPrefix(p, "imusers/shared/api/") && p != "imusers/shared/api/call" {
				ops = append(ops, p)
			}
		}
		if wantOps := map[bool]int{true: 1, false: 0}[r.Kind == routes.HTTP]; len(ops) != wantOps {
			t.Errorf("%s links the operation packages %v, want %d", r.Name, ops, wantOps)
		}
		for _, p := range []string{"imusers/shared/assembly", "imusers/infra/gateway", "imusers/shared/testenv"} {
			if slices.Contains(got, p) {
				t.Errorf("%s links %s", r.Name, p)
			}
		}
	}
	for name := range deps {
		if _, ok := routes.ByName(name); !ok {
			t.Errorf("functions/%s is not in the route table", name)
		}
	}
	for name := range pending {
		if _, ok := routes.ByName(name); !ok {
			t.Errorf("pending entry for %s, which is not in the route table", name)
		}
	}
}

// functionDeps lists every package each functions/<name> main imports, directly or not.
func functionDeps(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-f", `{{.Name}} {{.ImportPath}} {{join .Deps " "}}`, "./functions/...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-tags=lambda.norpc") // as the functions are built
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "main" {
			t.Fatalf("go list: %q", line)
		}
		deps[strings.TrimPrefix(f[1], "imusers/functions/")] = f[2:]
	}
	return deps
}
