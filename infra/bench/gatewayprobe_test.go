package main

import (
	"testing"

	"imusers/shared/wire/form"
)

// The large gateway probe must make the service answer 100 statuses: it reads the service's
// form the way the service does, which answers a repeated id once.
func TestLargeGatewayProbeAsksForDistinctUsers(t *testing.T) {
	v, err := form.Parse(largeGatewayProbe.form.Encode())
	if err != nil {
		t.Fatal(err)
	}
	r := form.NewReader(v)
	ids := r.UserIDs("userId", 100)
	if err := r.Err(); err != nil {
		t.Fatalf("the service refuses the probe's form: %v", err)
	}
	if len(ids) != 100 {
		t.Fatalf("the service reads %d distinct users from the probe, want 100", len(ids))
	}
}
