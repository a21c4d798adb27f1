package apicall_test

import (
	"testing"

	"imusers/infra/apicall"
)

// The fault, abuse and isolation tests reach every route only through this table.
func TestEveryRouteHasACall(t *testing.T) {
	for _, name := range apicall.Missing() {
		t.Errorf("route %s has no call in infra/apicall.All: add one so the fault, abuse and isolation tests cover it", name)
	}
	seen := map[string]bool{}
	for _, c := range apicall.All {
		if seen[c.Route] {
			t.Errorf("route %s has two calls", c.Route)
		}
		seen[c.Route] = true
	}
	if len(apicall.Available()) == 0 {
		t.Fatal("no call matches a route")
	}
}
