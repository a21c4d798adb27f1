package apicall_test

import (
	"testing"

	"imusers/infra/apicall"
	"imusers/shared/routes"
)

// The fault, abuse and isolation tests reach every route only through this table, and the v4
// tests every v4 route.
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
	for _, c := range apicall.All {
		r, _ := routes.ByName(c.Route)
		if (c.V4 != nil) != (len(r.V4) > 0) {
			t.Errorf("route %s: v4 paths %v, v4 body in its call %v", c.Route, r.V4, c.V4 != nil)
		}
	}
	if len(apicall.Available()) == 0 {
		t.Fatal("no call matches a route")
	}
}
