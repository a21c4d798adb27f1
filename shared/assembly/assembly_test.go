package assembly_test

import (
	"slices"
	"testing"

	"imusers/shared/api/call"
	"imusers/shared/assembly"
	"imusers/shared/routes"
	"imusers/shared/service"
)

// The assembly serves every function of the route table and no other: the local gateway takes
// each function's handler from it.
func TestEveryFunctionOfTheRouteTableHasAHandler(t *testing.T) {
	s := assembly.New(service.Config{Table: "t", EraseFunction: "eraseUsers"}, assembly.Deps{})
	for _, r := range routes.All {
		h, err := s.Handler(r.Name)
		if err != nil || h == nil {
			t.Errorf("%s: no handler (%v)", r.Name, err)
		}
	}
	for _, name := range s.Functions() {
		if _, ok := routes.ByName(name); !ok {
			t.Errorf("the assembly serves %s, which is not in the route table", name)
		}
	}
	if n, want := len(s.Functions()), len(routes.All); n != want {
		t.Errorf("the assembly serves %d functions, the route table has %d", n, want)
	}
	if _, err := s.Handler("noSuchFunction"); err == nil {
		t.Error("a handler for a function that does not exist")
	}
	if !slices.IsSorted(s.Functions()) {
		t.Error("Functions is not sorted")
	}
}

// A function has v4 paths in the route table exactly when its operation has a v4 form.
func TestV4FormsMatchTheRouteTable(t *testing.T) {
	s := assembly.New(service.Config{Table: "t"}, assembly.Deps{})
	for _, r := range routes.All {
		hasForm := s.V4Form(r.Name) != nil
		if hasForm != (len(r.V4) > 0) {
			t.Errorf("%s: v4 paths %v, v4 form %v", r.Name, r.V4, hasForm)
		}
		for _, p := range r.V4 {
			if !call.IsV4(p) {
				t.Errorf("%s: v4 path %s is not under %s", r.Name, p, call.V4Prefix)
			}
		}
		for _, p := range append([]string{r.Path}, r.Aliases...) {
			if call.IsV4(p) {
				t.Errorf("%s: v1 path %s is under %s", r.Name, p, call.V4Prefix)
			}
		}
	}
}
