package v4api

import (
	"context"
	"testing"
	"time"

	"imusers/infra/apicall"
	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// Each v4 operation makes exactly the DynamoDB calls of its v1 twin, call by call and kind by
// kind: every call of apicall runs in order through v1 in one app and through v4 in another, so
// the two apps hold the same data before each call. A call's count includes the asynchronous
// work it starts (erasure after a soft delete), which the test waits for.
func TestV4CostsTheDynamoDBCallsOfV1(t *testing.T) {
	s := testenv.StartStackWith(t, testenv.Options{
		Apps:      []apps.App{testenv.NewApp(apps.Development), testenv.NewApp(apps.Development)},
		Configure: func(c *service.Config) { c.ErasureSettle = time.Millisecond },
	})
	v1, v4 := s.Client(0), s.V4(1)
	u := apicall.Users{A: "alice", B: "bob"}
	for i := range 2 {
		for _, id := range []string{u.A, u.B} {
			s.Client(i).Register(t, id)
		}
	}
	measured := 0
	for _, c := range apicall.Available() {
		if c.V4 == nil {
			continue
		}
		if c.Route == "userReactivate" { // v4 restore waits an hour after the soft delete
			s.Clock.Advance(users.RestoreWait)
		}
		want := count(s, func() { v1.MustOK(t, c.Path(), c.Form(u)) })
		got := count(s, func() {
			if _, err := v4.Call(context.Background(), c.V4Path(), "application/json", c.V4(u)); err != nil {
				t.Fatalf("%s: %v", c.V4Path(), err)
			}
		})
		if got != want || want.Total() == 0 {
			t.Errorf("%s made %+v, its v1 twin %s %+v", c.V4Path(), got, c.Path(), want)
		}
		measured++
	}
	if measured == 0 {
		t.Fatal("no v4 call measured")
	}
}

// count is the DynamoDB calls that run makes, with the asynchronous work it starts.
func count(s *testenv.Stack, run func()) store.Calls {
	s.Gateway.Wait()
	s.Calls.Reset()
	run()
	s.Gateway.Wait()
	return s.Calls.Calls()
}
