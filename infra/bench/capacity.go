package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"imusers/shared/routes"
	"imusers/shared/store"
)

// profile is the load one deployment is designed for: design.md's figures ("Judge performance
// in AWS terms"), then what the capacity model assumes about how that load falls on single
// items and how long AWS's own round trips take. Every row of the model is computed from these
// and from what the run measured per operation.
type profile struct {
	RegisteredUsers  float64 `json:"registeredUsers"`
	Connections      float64 `json:"concurrentConnections"`
	MessagesPerSec   float64 `json:"directMessagesPerSecond"`
	GetTokenPerSec   float64 `json:"getTokenPerSecond"`
	BlockCallsPerSec float64 `json:"blockCallsPerSecond"`
	UsersPerBlock    float64 `json:"usersPerBlockCall"`
	ConnectsPerSec   float64 `json:"reconnectStormConnectsPerSecond"`

	// DeactivationsPerSec is issue 10's figure for the erasure it starts.
	DeactivationsPerSec float64 `json:"deactivationsPerSecond"`
	// PingEverySec: clients ping inside API Gateway's 10-minute idle limit.
	PingEverySec float64 `json:"pingEverySeconds"`
	// Busiest is the one user whose items take the most: every connection of it reconnects in
	// the storm's same second, it receives messages at its own rate, and an App Server changes
	// its lists (friends added) at its own rate.
	Busiest busiestUser `json:"busiestUser"`
	// DevGetTokenPerSec is a development app's registration rate: its getToken route's throttle
	// at the platform's published limit.
	DevGetTokenPerSec float64 `json:"developmentGetTokenPerSecond"`
	// Round trips inside an AWS region, as a function waits for them: a DynamoDB call, and a
	// Management API post or a Lambda Invoke.
	DynamoDBMs float64 `json:"dynamodbRoundTripMs"`
	OtherAWSMs float64 `json:"otherAwsRoundTripMs"`
	// ErasureHoldSec is how long an erasure keeps its instance waiting before the final sweep.
	ErasureHoldSec float64 `json:"erasureHoldSeconds"`
}

type busiestUser struct {
	Connections       float64 `json:"connections"`
	MessagesInPerSec  float64 `json:"messagesReceivedPerSecond"`
	ListChangesPerSec float64 `json:"listChangesPerSecond"`
}

// designProfile is the profile the report judges.
var designProfile = profile{
	RegisteredUsers: 10_000_000, Connections: 1_000_000, MessagesPerSec: 20_000, GetTokenPerSec: 5_000,
	BlockCallsPerSec: 100, UsersPerBlock: 20, ConnectsPerSec: 50_000,
	DeactivationsPerSec: 100, PingEverySec: 540,
	Busiest:           busiestUser{Connections: 20, MessagesInPerSec: 100, ListChangesPerSec: 20},
	DevGetTokenPerSec: 200, DynamoDBMs: 10, OtherAWSMs: 20, ErasureHoldSec: 15,
}

// awsLimits are AWS's documented limits the model sets the demand against. Adjustable ones
// may be raised through Service Quotas; the others are fixed.
type awsLimits struct {
	PartitionRCU      float64 `json:"partitionReadUnitsPerSecond"`
	PartitionWCU      float64 `json:"partitionWriteUnitsPerSecond"`
	TableRRU          float64 `json:"tableReadRequestUnitsPerSecond"`
	TableWRU          float64 `json:"tableWriteRequestUnitsPerSecond"`
	APIGatewayRPS     float64 `json:"apiGatewayRequestsPerSecond"`
	NewConnections    float64 `json:"newWebSocketConnectionsPerSecond"`
	LambdaConcurrency float64 `json:"lambdaConcurrentExecutions"`
}

var defaultLimits = awsLimits{
	PartitionRCU: 3_000, PartitionWCU: 1_000, TableRRU: 40_000, TableWRU: 40_000,
	APIGatewayRPS: 10_000, NewConnections: 500, LambdaConcurrency: 1_000,
}

// demand is one measured operation at the profile's rate.
type demand struct {
	route, variant string
	rate           func(profile) float64 // calls per second
	// scale multiplies the measured units: the profile's call carries this many of the
	// measured call's items (a block of 20 users against the measured block of one).
	scale func(profile) float64
	// busiest is the calls per second that reach the busiest user's own items.
	busiest func(profile) float64
	// requests is the API Gateway requests the call itself is (a $disconnect or an erasure is none).
	requests float64
}

// The two kinds of ping: one that writes the connection's last-seen time, at most every
// store.SeenRefresh, and one that comes sooner and writes nothing.
const (
	pingStale = "ping 3 minutes or more after the connection's last write"
	pingFresh = "ping within 3 minutes of the connection's last write"
)

// writingPings and freshPings are one connection's pings of each kind per second.
func writingPings(p profile) float64 {
	return 1 / max(p.PingEverySec, store.SeenRefresh.Seconds())
}
func freshPings(p profile) float64 { return 1/p.PingEverySec - writingPings(p) }

func once(profile) float64 { return 1 }
func zero(profile) float64 { return 0 }

// demands is the profile as operations; every measured figure the model uses comes through here.
var demands = []demand{
	{route: "wsSendMessage", rate: func(p profile) float64 { return p.MessagesPerSec }, scale: once,
		busiest: func(p profile) float64 { return p.Busiest.MessagesInPerSec }, requests: 1},
	{route: "wsPing", variant: pingStale, rate: func(p profile) float64 { return p.Connections * writingPings(p) }, scale: once,
		busiest: func(p profile) float64 { return p.Busiest.Connections * writingPings(p) }, requests: 1},
	{route: "wsPing", variant: pingFresh, rate: func(p profile) float64 { return p.Connections * freshPings(p) }, scale: once,
		busiest: func(p profile) float64 { return p.Busiest.Connections * freshPings(p) }, requests: 1},
	{route: "wsConnect", rate: func(p profile) float64 { return p.ConnectsPerSec }, scale: once,
		busiest: func(p profile) float64 { return p.Busiest.Connections }, requests: 1},
	{route: "wsDisconnect", rate: func(p profile) float64 { return p.ConnectsPerSec }, scale: once,
		busiest: func(p profile) float64 { return p.Busiest.Connections }},
	{route: "userGetToken", variant: "production app", rate: func(p profile) float64 { return p.GetTokenPerSec }, scale: once, busiest: zero, requests: 1},
	{route: "userBlock", rate: func(p profile) float64 { return p.BlockCallsPerSec }, scale: func(p profile) float64 { return p.UsersPerBlock }, busiest: zero, requests: 1},
	{route: "userDeactivate", rate: func(p profile) float64 { return p.DeactivationsPerSec }, scale: once, busiest: zero, requests: 1},
	{route: "eraseUsers", rate: func(p profile) float64 { return p.DeactivationsPerSec }, scale: once, busiest: zero},
	{route: "friendAdd", rate: func(p profile) float64 { return p.Busiest.ListChangesPerSec }, scale: once,
		busiest: func(p profile) float64 { return p.Busiest.ListChangesPerSec }, requests: 1},
}

// capacityRow is one figure of the model against its limit.
type capacityRow struct {
	What    string  `json:"what"`
	Need    float64 `json:"need"`
	Unit    string  `json:"unit"`
	Limit   float64 `json:"limit"`
	Limited string  `json:"limitIs"` // what the limit is, and whether it can be raised
	Verdict string  `json:"verdict"` // pass or fail
	Note    string  `json:"note,omitempty"`
}

type capacityModel struct {
	Profile    profile       `json:"profile"`
	Limits     awsLimits     `json:"limits"`
	Deployment deployment    `json:"deployment"`
	Rows       []capacityRow `json:"rows"`
	// Missing names the operations of the profile the run did not measure.
	Missing []string `json:"notMeasured,omitempty"`
}

// measured pairs each demand with the run's result for it.
type measured struct {
	demand
	op opResult
}

// capacity computes the model from the operations measured.
func capacity(p profile, l awsLimits, t deployment, ops []opResult) capacityModel {
	m := capacityModel{Profile: p, Limits: l, Deployment: t}
	var ms []measured
	for _, d := range demands {
		op, ok := find(ops, d.route, d.variant)
		if !ok {
			m.Missing = append(m.Missing, d.route)
			continue
		}
		ms = append(ms, measured{d, op})
	}
	dev, _ := find(ops, "userGetToken", "development app")
	nonce, _ := find(ops, "", nonceVariant)

	sum := func(f func(measured) float64) float64 {
		var s float64
		for _, x := range ms {
			s += f(x)
		}
		return s
	}
	at := func(x measured) float64 { return x.rate(p) * x.scale(p) }
	rru := sum(func(x measured) float64 { return at(x) * x.op.ReadCU })
	wru := sum(func(x measured) float64 { return at(x) * x.op.WriteCU })
	m.add(adjustable("table read request units", rru, "RRU/s", l.TableRRU, "on-demand table maximum, adjustable"))
	m.add(adjustable("table write request units", wru, "WRU/s", l.TableWRU, "on-demand table maximum, adjustable"))
	for _, part := range []string{partBanShard, partDeactShard, partLists, partFriendsAsc} {
		w := sum(func(x measured) float64 { return at(x) * x.op.Items.Indexes[part] })
		m.add(adjustable(part+": write request units, all partitions", w, "WRU/s", l.TableWRU, "on-demand index maximum, adjustable"))
	}

	// The hottest item or partition of each kind.
	perApp := func(kind string) (float64, float64) {
		r := sum(func(x measured) float64 { return at(x) * x.op.Items.perItem(kind).Read })
		w := sum(func(x measured) float64 { return at(x) * x.op.Items.perItem(kind).Write })
		return r, w
	}
	busiest := func(kinds ...string) (float64, float64) {
		var r, w float64
		for _, k := range kinds {
			r += sum(func(x measured) float64 { return x.busiest(p) * x.op.Items.perItem(k).Read })
			w += sum(func(x measured) float64 { return x.busiest(p) * x.op.Items.perItem(k).Write })
		}
		return r, w
	}
	r, w := perApp(store.KindSettings)
	m.hot("settings item (one per app, read by client messages)", r, w, l)
	r, w = busiest(store.KindPresence)
	m.hot("presence item of the busiest user", r, w, l)
	r, w = busiest(store.KindFriendCounter, store.KindListCounter)
	m.hot("list counter of the busiest user", r, w, l)
	// A list change writes both sides' lists (friends): one user's index partition takes its share.
	for _, part := range []string{partLists, partFriendsAsc} {
		w := sum(func(x measured) float64 { return x.busiest(p) * x.op.Items.Indexes[part] / max(1, sides(x.op)) })
		m.hot(part+": the busiest user's partition", 0, w, l)
	}
	for _, part := range []string{partBanShard, partDeactShard} {
		w := sum(func(x measured) float64 { return at(x) * x.op.Items.Indexes[part] }) / store.IndexShards
		m.hot(fmt.Sprintf("%s: each of its %d shards", part, store.IndexShards), 0, w, l)
	}
	reg := dev.Items.perItem(store.KindDevRegistry)
	m.hot("development registry (one per development app, at its getToken throttle)", p.DevGetTokenPerSec*reg.Read, p.DevGetTokenPerSec*reg.Write, l)
	n := nonce.Items.perItem(store.KindNonce)
	m.hot("nonce item (one per request; a replay meets the same item)", n.Read, n.Write, l)

	// API Gateway, new connections, Lambda.
	reqs := sum(func(x measured) float64 { return x.rate(p) * (x.requests + x.op.Posts + x.op.Closes) })
	m.add(adjustable("API Gateway requests (HTTP, WebSocket messages, @connections)", reqs, "requests/s", l.APIGatewayRPS, "account quota per Region, adjustable"))
	m.add(adjustable("new WebSocket connections", p.ConnectsPerSec, "connects/s", l.NewConnections, "account quota per Region, adjustable"))
	m.lambda(p, l, t, ms)

	// The template's throttles against the rate the profile sends through them.
	ws := sum(func(x measured) float64 {
		if r, ok := routes.ByName(x.route); ok && r.Kind == routes.WebSocket && x.requests > 0 {
			return x.rate(p)
		}
		return 0
	})
	m.add(fixed("WebSocket stage throttle ($connect, ping, sendMessage)", ws, "requests/s", t.WebSocket, "template.yaml, ConnectionApiStage"))
	for _, x := range ms {
		if r, ok := routes.ByName(x.route); ok && r.Kind == routes.HTTP {
			m.add(fixed("HTTP API throttle of "+r.Path, x.rate(p), "requests/s", t.forPath(r.Path), "template.yaml, ServerApi"))
		}
	}
	return m
}

// find is the result of the scenario of route (and variant, when one is named).
func find(ops []opResult, route, variant string) (opResult, bool) {
	for _, o := range ops {
		if o.Route == route && (variant == "" || o.Variant == variant) && o.Samples > 0 {
			return o, true
		}
	}
	return opResult{}, false
}

// sides is how many users' lists one call changed: one counter each.
func sides(o opResult) float64 {
	return o.Items.Items[store.KindFriendCounter] + o.Items.Items[store.KindListCounter]
}

// busySeconds is how long one call keeps a Lambda instance in AWS: each function it runs, its
// DynamoDB calls and other AWS calls at in-region round trips, and its own measured time; an
// erasure also waits out its hold before the final sweep.
func busySeconds(p profile, route string, o opResult) float64 {
	ms := o.Calls.Mean*p.DynamoDBMs + (o.Posts+o.Closes+o.Invokes)*p.OtherAWSMs + o.Own.P50
	if route == "eraseUsers" {
		ms += p.ErasureHoldSec * 1000
	}
	return ms / 1000
}

// lambda adds the rows of Lambda concurrency: each reserved function's need against its
// reservation, and the account's: every reservation, the need of the functions without one, and
// the 100 instances Lambda keeps unreserved.
func (m *capacityModel) lambda(p profile, l awsLimits, t deployment, ms []measured) {
	need := map[string]float64{}
	for _, x := range ms {
		// A call through several functions (the authorizer and $connect) is booked on the first
		// with a reservation, else on its own route.
		fn := x.route
		for _, f := range append([]string{x.route}, x.op.Also...) {
			if t.Reserved[f] > 0 {
				fn = f
				break
			}
		}
		need[fn] += x.rate(p) * busySeconds(p, x.route, x.op)
	}
	account := float64(unreservedFloor)
	for _, fn := range slices.Sorted(maps.Keys(need)) {
		r, ok := t.Reserved[fn]
		if !ok {
			account += need[fn]
			continue
		}
		m.add(fixed(fmt.Sprintf("Lambda concurrency of %s", fn), need[fn], "instances", r, "its reserved concurrency, "+profileEnvironment+" in samconfig.toml"))
	}
	for _, r := range t.Reserved {
		account += r
	}
	m.add(adjustable("Lambda concurrent executions (reservations, the rest's need and 100 unreserved)", account, "instances", l.LambdaConcurrency, "account quota per Region, adjustable"))
}

// unreservedFloor is the concurrency Lambda keeps out of reservations.
const unreservedFloor = 100

func (m *capacityModel) add(r capacityRow) { m.Rows = append(m.Rows, r) }

// hot adds the row of one item or partition: its reads and writes against a partition's limits.
func (m *capacityModel) hot(what string, read, write float64, l awsLimits) {
	need := math.Max(read/l.PartitionRCU, write/l.PartitionWCU)
	m.add(capacityRow{
		What: what, Need: need, Unit: "× partition limit", Limit: 1,
		Limited: fmt.Sprintf("%s RCU and %s WCU per partition, fixed", n0(l.PartitionRCU), n0(l.PartitionWCU)),
		Verdict: verdict(need <= 1),
		Note:    fmt.Sprintf("%.0f RCU/s, %.0f WCU/s", read, write),
	})
}

// adjustable judges a need against a quota that can be raised: it passes either way, naming the
// increase to ask for when the need is above the default.
func adjustable(what string, need float64, unit string, limit float64, is string) capacityRow {
	r := capacityRow{What: what, Need: need, Unit: unit, Limit: limit, Limited: is, Verdict: "pass"}
	if need > limit {
		r.Note = fmt.Sprintf("raise to %s", roundUp(need))
	}
	return r
}

// fixed judges a need against a limit that holds as deployed.
func fixed(what string, need float64, unit string, limit float64, is string) capacityRow {
	return capacityRow{What: what, Need: need, Unit: unit, Limit: limit, Limited: is, Verdict: verdict(need <= limit)}
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}

// roundUp rounds a quota to ask for up to two significant figures.
func roundUp(v float64) string {
	if v <= 0 {
		return "0"
	}
	step := math.Pow(10, math.Floor(math.Log10(v))-1)
	return fmt.Sprintf("%.0f", math.Ceil(v/step)*step)
}

// markdown writes the section "Capacity at scale".
func (c *capacityModel) markdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	pr := c.Profile
	p("\n\n## 5. Capacity at scale\n\n")
	p("What one deployment needs from AWS at design.md's load profile, computed from what this run measured per operation (round trips, the capacity units DynamoDB reported, by item kind and index partition, frames posted and connections closed through the Management API, Lambda invocations) and set against AWS's documented limits and what template.yaml sets (throttles, reserved concurrency), with the parameters of samconfig.toml's `%s` environment. An adjustable quota above its default is a pass that names the increase to ask for (docs/deploy.md lists them); a fixed limit or a setting of ours that the profile exceeds is a fail.\n\n", profileEnvironment)
	p("Profile: %s registered users, %s concurrent connections, %s direct messages/s, %s getToken/s, blocks of %s users at %s calls/s, a reconnect storm of %s connects/s (design.md). The model's own assumptions: %s deactivations/s (issue 10), each erasure holding its instance %s s; clients ping every %s s; the busiest user has %s connections that all reconnect in the storm's same second, receives %s messages/s and has %s list changes/s; a development app registers at %s/s; in-region round trips of %s ms per DynamoDB call and %s ms per Management API or Lambda call. Every app's load falls on one deployment (one stack per app environment, docs/deploy.md).\n\n",
		n0(pr.RegisteredUsers), n0(pr.Connections), n0(pr.MessagesPerSec), n0(pr.GetTokenPerSec), n0(pr.UsersPerBlock), n0(pr.BlockCallsPerSec), n0(pr.ConnectsPerSec),
		n0(pr.DeactivationsPerSec), n0(pr.ErasureHoldSec), n0(pr.PingEverySec), n0(pr.Busiest.Connections), n0(pr.Busiest.MessagesInPerSec), n0(pr.Busiest.ListChangesPerSec),
		n0(pr.DevGetTokenPerSec), n0(pr.DynamoDBMs), n0(pr.OtherAWSMs))
	p("| need | at the profile | limit | the limit | verdict | |\n|---|---|---|---|---|---|\n")
	for _, r := range c.Rows {
		p("| %s | %s %s | %s | %s | %s | %s |\n", r.What, n2(r.Need), r.Unit, n2(r.Limit), r.Limited, mark(r.Verdict), r.Note)
	}
	if len(c.Missing) > 0 {
		p("\nNot measured in this run, so left out of every row: %s.\n", strings.Join(c.Missing, ", "))
	}
}

// n0 writes a count with thousands separators; n2 a figure with two decimals below 100.
func n0(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func n2(v float64) string {
	if math.Abs(v) < 100 {
		return fmt.Sprintf("%.2f", v)
	}
	return n0(v)
}
