package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"imusers/infra/apicall"
	"imusers/infra/faultproxy"
	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

var fixture = apicall.Users{A: "alice", B: "bob"}

// settings sets the app settings a call needs, with no fault in the way.
func (r *rig) settings(c *testenv.APIClient, call apicall.Call) {
	r.t.Helper()
	if call.Settings != nil {
		c.MustOK(r.t, "/app/setting/set.json", call.Settings)
	}
}

// prepare brings the fixture users back to registered and active (an earlier call may have
// deactivated or deleted one), with no faults in the way.
func (r *rig) prepare(c *testenv.APIClient) {
	r.t.Helper()
	r.Gateway.Wait()
	r.proxy.Clear()
	c.Post(r.t, "/user/reactivate.json", form("userId", fixture.B))
	for _, u := range []string{fixture.A, fixture.B} {
		c.MustOK(r.t, "/user/getToken.json", form("userId", u, "name", "Name of "+u))
	}
}

// A call that meets up to three transient faults in a row (the retryer allows four attempts)
// still succeeds, for every route and every kind of fault, including faults that strike after
// DynamoDB applied a write: the repeated write must be harmless.
func TestRetriesAbsorbTransientFaults(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name string
		rule faultproxy.Rule
		only []string // routes to run; all when empty
	}{
		{"throughput exceeded", faultproxy.Rule{Kind: faultproxy.Throughput, Count: 3}, nil},
		{"throttling", faultproxy.Rule{Kind: faultproxy.Throttling, Count: 3}, nil},
		{"internal error", faultproxy.Rule{Kind: faultproxy.Internal, Count: 3}, nil},
		{"dropped connection", faultproxy.Rule{Kind: faultproxy.Drop, Count: 3}, nil},
		{"answer lost after the write", faultproxy.Rule{Kind: faultproxy.Internal, After: true, Count: 3}, nil},
		{"connection dropped after the write", faultproxy.Rule{Kind: faultproxy.Drop, After: true, Count: 3}, nil},
		// Each slow attempt costs the client's whole timeout, so one route is enough to show it.
		{"one answer too slow", faultproxy.Rule{Kind: faultproxy.Delay, Count: 1}, []string{"userInfo", "userGetToken"}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			r := start(t)
			c := r.Client(0)
			for _, call := range apicall.Available() {
				if len(k.only) > 0 && !slices.Contains(k.only, call.Route) {
					continue
				}
				r.prepare(c)
				r.settings(c, call)
				r.freshClient()
				before := r.proxy.Faults("")
				r.proxy.Set(k.rule)
				res := c.Post(t, call.Path(), call.Form(fixture))
				if res.Status != http.StatusOK || res.Code() != 200 {
					t.Errorf("%s: HTTP %d %s", call.Route, res.Status, res.Raw)
				}
				if n := r.proxy.Faults("") - before; n != k.rule.Count {
					t.Errorf("%s: %d faults injected, want %d", call.Route, n, k.rule.Count)
				}
			}
		})
	}
}

// When the faults outlast the retries, every route answers 1000 or 1050 without a word of what
// failed underneath, and the same call, repeated once DynamoDB is back, succeeds.
func TestExhaustedRetriesAnswerWithoutLeaking(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name string
		rule faultproxy.Rule
	}{
		{"throughput exceeded", faultproxy.Rule{Kind: faultproxy.Throughput}},
		{"internal error", faultproxy.Rule{Kind: faultproxy.Internal}},
		{"dropped connection", faultproxy.Rule{Kind: faultproxy.Drop}},
		{"answers lost after every write", faultproxy.Rule{Kind: faultproxy.Internal, After: true}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			r := start(t)
			c := r.Client(0)
			for _, call := range apicall.Available() {
				r.prepare(c)
				r.settings(c, call)
				r.freshClient()
				r.proxy.Set(k.rule)
				checkFailure(t, c.Post(t, call.Path(), call.Form(fixture)))
				r.Gateway.Wait()
				r.proxy.Clear()
				if res := c.Post(t, call.Path(), call.Form(fixture)); res.Status != http.StatusOK || res.Code() != 200 {
					t.Errorf("%s repeated after the fault: HTTP %d %s", call.Route, res.Status, res.Raw)
				}
			}
		})
	}
}

// The deployed retry setting: four attempts per DynamoDB call, then the error.
func TestFourAttemptsPerDynamoDBCall(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := r.Client(0)
	r.prepare(c)
	r.freshClient()
	r.proxy.Set(faultproxy.Rule{Op: "GetItem", Kind: faultproxy.Internal})
	checkFailure(t, c.Post(t, "/user/info.json", form("userId", fixture.A)))
	if n := r.proxy.Calls("GetItem"); n != 4 {
		t.Fatalf("info made %d GetItem attempts under a lasting fault, want 4", n)
	}
}

// In a long outage the SDK's retry budget runs dry and calls fail at the first attempt, so a
// struggling table is not hit four times as hard; once DynamoDB is back the same client (a warm
// Lambda container) serves at once.
func TestSustainedOutageStopsRetryingAndRecovers(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := r.Client(0)
	r.prepare(c)
	r.freshClient()
	r.proxy.Set(faultproxy.Rule{Op: "GetItem", Kind: faultproxy.Internal})
	single := false
	for i := 0; i < 60 && !single; i++ {
		before := r.proxy.Calls("GetItem")
		checkFailure(t, c.Post(t, "/user/info.json", form("userId", fixture.A)))
		single = r.proxy.Calls("GetItem")-before == 1
	}
	if !single {
		t.Fatal("after 60 failing calls the client still retries every call")
	}
	r.proxy.Clear()
	if res := c.Post(t, "/user/info.json", form("userId", fixture.A)); res.Code() != 200 {
		t.Fatalf("after the outage: HTTP %d %s", res.Status, res.Raw)
	}
}

// A DynamoDB that stops answering makes the call answer 1050, and in time: before the
// function's deadline, past which Lambda would stop it and API Gateway would answer for it.
func TestUnansweredDynamoDBAnswers1050BeforeTheDeadline(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := r.Client(0)
	r.prepare(c)
	r.freshClient()
	r.proxy.Set(faultproxy.Rule{Op: "GetItem", Kind: faultproxy.Delay, Delay: 30 * time.Second})
	res := c.Post(t, "/user/info.json", form("userId", fixture.A))
	checkFailure(t, res)
	if res.Code() != 1050 {
		t.Fatalf("answer = HTTP %d %s, want 1050", res.Status, res.Raw)
	}
}

// getToken in a development app writes the cap's registry, then the user. A fault between the
// two leaves a registry entry without a user; repeating the call completes it, and the user
// is counted once, however often the answer was lost.
func TestGetTokenRepairedAfterFaultBetweenWrites(t *testing.T) {
	t.Parallel()
	r := start(t, testenv.NewApp(apps.Development))
	c := r.Client(0)
	app := r.Apps[0].Key
	ctx := context.Background()

	for _, lostAnswer := range []bool{false, true} {
		user := fmt.Sprint("carol-", lostAnswer)
		r.freshClient()
		// Every write of the user's own item fails (or is applied with its answer lost).
		r.proxy.Set(faultproxy.Rule{Op: "UpdateItem", BodyContains: "#U#" + user + `"`, Kind: faultproxy.Internal, After: lostAnswer})
		checkFailure(t, c.Post(t, "/user/getToken.json", form("userId", user, "name", "Carol")))
		slots, err := r.direct.DevSlots(ctx, app)
		if err != nil || !slices.Contains(slots, user) {
			t.Fatalf("registry after the fault = %v, %v; the first write should have held", slots, err)
		}
		r.proxy.Clear()
		tok, _ := c.MustOK(t, "/user/getToken.json", form("userId", user, "name", "Carol")).Body["token"].(string)
		if _, _, err := r.Service.Users.VerifyToken(ctx, tok); err != nil {
			t.Fatalf("token of the repeated call: %v", err)
		}
	}
	slots, err := r.direct.DevSlots(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := r.direct.ListDevUsers(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 2 || len(listed) != 2 {
		t.Fatalf("registry %v and listed users %d; want each user once", slots, len(listed))
	}
	// The cap sees two users: 98 more fit, the 101st does not.
	for i := range users.DevUserCap - 2 {
		c.MustOK(t, "/user/getToken.json", form("userId", fmt.Sprint("u", i), "name", "n"))
	}
	if res := c.Post(t, "/user/getToken.json", form("userId", "one-too-many", "name", "n")); res.Code() != 2007 {
		t.Fatalf("past the cap: HTTP %d %s, want 2007", res.Status, res.Raw)
	}
}

// A deactivation that fails for one user of a batch leaves the others deactivated; the same
// call again deactivates the rest, and every user ends erased and listed once.
func TestDeactivateRepairedAfterFaultMidway(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := r.Client(0)
	app := r.Apps[0].Key
	ctx := context.Background()
	var ids []string
	for i := range 8 {
		id := fmt.Sprint("u", i)
		ids = append(ids, id)
		c.MustOK(t, "/user/getToken.json", form("userId", id, "name", "User "+id))
		if err := r.direct.SeedRelated(ctx, app, id, 30); err != nil {
			t.Fatal(err)
		}
	}
	r.proxy.Set(faultproxy.Rule{Op: "UpdateItem", BodyContains: `#U#u5"`, Kind: faultproxy.Throughput})
	checkFailure(t, c.Post(t, "/user/deactivate.json", form("userId", strings.Join(ids, ","))))
	if u, err := r.direct.GetUser(ctx, app, "u5"); err != nil || u.Deactivated() {
		t.Fatalf("u5 after its failed write = %+v, %v", u, err)
	}
	r.Gateway.Wait()
	r.proxy.Clear()
	c.MustOK(t, "/user/deactivate.json", form("userId", strings.Join(ids, ",")))
	r.Gateway.Wait()

	list := c.MustOK(t, "/user/deactivate/query.json", nil).Body["users"].([]any)
	if len(list) != len(ids) {
		t.Fatalf("deactivated list = %v, want each of %v once", list, ids)
	}
	for _, id := range ids {
		u, err := r.direct.GetUser(ctx, app, id)
		if err != nil || !u.Deactivated() || u.Name != "" || u.ErasePending != "" {
			t.Errorf("%s = %+v, %v; want deactivated, profile gone, erasure finished", id, u, err)
		}
		if left, err := r.direct.ItemsOf(ctx, app, id); err != nil || len(left) != 1 {
			t.Errorf("%s keeps %d items (%v), want the state item only", id, len(left), err)
		}
	}
}

// An erasure that DynamoDB interrupts midway finishes when it runs again: as Lambda's retry of
// the same job, and as a repeated deactivation.
func TestErasureInterruptedMidwayFinishesWhenRunAgain(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := r.Client(0)
	app := r.Apps[0].Key
	ctx := context.Background()
	const related = 1200

	for _, rerun := range []string{"the same job again", "deactivate again"} {
		t.Run(rerun, func(t *testing.T) {
			user := strings.ReplaceAll(rerun, " ", "-")
			c.MustOK(t, "/user/getToken.json", form("userId", user, "name", "Dora"))
			if err := r.direct.SeedRelated(ctx, app, user, related); err != nil {
				t.Fatal(err)
			}
			r.freshClient()
			// Five batches (125 items) go through, then every batch write fails.
			r.proxy.Set(faultproxy.Rule{Op: "BatchWriteItem", Skip: 5, Kind: faultproxy.Internal})
			op, _ := c.MustOK(t, "/user/deactivate.json", form("userId", user)).Body["operateId"].(string)
			r.Gateway.Wait()
			left, err := r.direct.ItemsOf(ctx, app, user)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) <= 1 || len(left) >= related+1 {
				t.Fatalf("%d items left after the interrupted erasure; want it stopped midway", len(left))
			}
			if u, _ := r.direct.GetUser(ctx, app, user); u == nil || u.ErasePending != op || !u.Deactivated() {
				t.Fatalf("state after the interruption = %+v; want deactivated with erasure %s pending", u, op)
			}
			r.proxy.Clear()
			r.freshClient()
			switch rerun {
			case "the same job again":
				if err := r.Service.Erasure.Handle(ctx, users.Erasure{App: app, Users: []string{user}, OperateID: op}); err != nil {
					t.Fatal(err)
				}
			default:
				c.MustOK(t, "/user/deactivate.json", form("userId", user))
				r.Gateway.Wait()
			}
			left, err = r.direct.ItemsOf(ctx, app, user)
			if err != nil || len(left) != 1 {
				t.Fatalf("after running again %d items are left (%v), want the state item only", len(left), err)
			}
			if u, _ := r.direct.GetUser(ctx, app, user); u == nil || u.ErasePending != "" || !u.Deactivated() {
				t.Fatalf("state after erasure = %+v; want deactivated, nothing pending", u)
			}
		})
	}
}

// With replay protection on, the nonce write whose answer was lost is repeated by the SDK, and
// that repeat is not taken for a replay: the request is served. A nonce write that keeps failing
// answers 1000, not 1004, and the same request sent again later is served, because the nonce was
// never recorded.
func TestNonceWriteUnderFaults(t *testing.T) {
	t.Parallel()
	r := startWith(t, func(c *service.Config) { c.NonceReplayProtection = true })
	c := r.Client(0)
	r.prepare(c)
	r.freshClient()
	calls := r.proxy.Calls("PutItem")
	r.proxy.Set(faultproxy.Rule{Op: "PutItem", Kind: faultproxy.Drop, After: true, Count: 1})
	if res := c.Post(t, "/user/info.json", form("userId", fixture.A)); res.Code() != 200 {
		t.Fatalf("after a lost answer to the nonce write: HTTP %d %s", res.Status, res.Raw)
	}
	if n := r.proxy.Calls("PutItem") - calls; r.proxy.Faults("PutItem") != 1 || n != 2 {
		t.Fatalf("nonce writes %d, faults %d; want the write, its lost answer, and the SDK's repeat", n, r.proxy.Faults("PutItem"))
	}

	r.freshClient()
	r.proxy.Set(faultproxy.Rule{Op: "PutItem", Kind: faultproxy.Internal})
	hs := c.SignedHeaders()
	post := func() testenv.Response {
		req, _ := http.NewRequest(http.MethodPost, r.URL+"/user/info.json", strings.NewReader("userId="+fixture.A))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hs {
			req.Header.Set(k, v)
		}
		return testenv.Do(t, c.HTTP, req)
	}
	checkFailure(t, post())
	r.proxy.Clear()
	if res := post(); res.Code() != 200 {
		t.Fatalf("the same request once DynamoDB is back: HTTP %d %s", res.Status, res.Raw)
	}
}

// The connection API under DynamoDB faults: a connect or a sendMessage that meets transient
// faults succeeds; when the faults last, the connect is refused (API Gateway's 500, nothing
// recorded) and sendMessage acks 1000 or 1050 without a word of what failed underneath.
func TestConnectionsUnderFaults(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := r.Client(0)
	r.prepare(c)
	tokA, _ := c.MustOK(t, "/user/getToken.json", form("userId", fixture.A, "name", "A")).Body["token"].(string)
	tokB, _ := c.MustOK(t, "/user/getToken.json", form("userId", fixture.B, "name", "B")).Body["token"].(string)
	app := r.Apps[0].Key
	ctx := context.Background()

	r.freshClient()
	r.proxy.Set(faultproxy.Rule{Kind: faultproxy.Internal, Count: 3})
	conn := r.MustDial(t, tokA)
	in := testenv.NewInbox(conn)
	r.MustDial(t, tokB)
	send := func(id string) map[string]any {
		testenv.WriteFrame(t, conn, map[string]string{"action": "sendMessage", "toUserId": fixture.B,
			"objectName": "RC:TxtMsg", "content": `{"content":"hi"}`, "clientMsgId": id})
		return in.Next(t, 15*time.Second)
	}
	r.freshClient()
	r.proxy.Set(faultproxy.Rule{Kind: faultproxy.Throughput, Count: 3})
	if ack := send("transient"); ack["code"] != float64(200) {
		t.Fatalf("sendMessage after three transient faults: %v", ack)
	}

	r.freshClient()
	r.proxy.Set(faultproxy.Rule{Kind: faultproxy.Internal})
	ack := send("lasting")
	if ack["code"] != float64(1000) && ack["code"] != float64(1050) {
		t.Fatalf("sendMessage under lasting faults: %v", ack)
	}
	raw, _ := json.Marshal(ack)
	for _, w := range leaks {
		if strings.Contains(strings.ToLower(string(raw)), w) {
			t.Errorf("the ack shows %q: %s", w, raw)
		}
	}
	before, err := r.direct.Connections(ctx, app, fixture.A, store.Strong)
	if err != nil {
		t.Fatal(err)
	}
	if _, status := r.Dial(t, tokA); status != http.StatusInternalServerError {
		t.Fatalf("connect under lasting faults answered HTTP %d, want 500", status)
	}
	if after, _ := r.direct.Connections(ctx, app, fixture.A, store.Strong); len(after) != len(before) {
		t.Fatalf("a refused connect was recorded: %d connections, then %d", len(before), len(after))
	}
	r.proxy.Clear()
	r.MustDial(t, tokA)
}
