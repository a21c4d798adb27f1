package main

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/infra/bench/stats"
	"imusers/infra/local/localenv"
	"imusers/shared/routes"
	"imusers/shared/store"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func keyAV(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{store.AttrPK: s(pk), store.AttrSK: s(sk)}
}

// A small profile whose figures are easy to follow by hand.
var testProfile = profile{
	Connections: 1_000, MessagesPerSec: 100, GetTokenPerSec: 50, BlockCallsPerSec: 10, UsersPerBlock: 4,
	ConnectsPerSec: 20, DeactivationsPerSec: 2, PingEverySec: 100,
	Busiest:           busiestUser{Connections: 5, MessagesInPerSec: 10, ListChangesPerSec: 3},
	DevGetTokenPerSec: 7, DynamoDBMs: 10, OtherAWSMs: 20, ErasurePasses: 2,
}

var testLimits = awsLimits{PartitionRCU: 30, PartitionWCU: 10, TableRRU: 400, TableWRU: 400, APIGatewayRPS: 100, NewConnections: 5, LambdaConcurrency: 10}

func op(route, variant string, read, write float64, items itemUse) opResult {
	return opResult{Route: route, Variant: variant, Samples: 10, ReadCU: read, WriteCU: write, Items: items}
}

func testOps() []opResult {
	send := op("wsSendMessage", "", 4, 0, itemUse{
		Kinds:    map[string]units{store.KindSettings: {Read: 1}, store.KindPresence: {Read: 1}, store.KindProfile: {Read: 2}},
		Items:    map[string]float64{store.KindSettings: 1, store.KindPresence: 1, store.KindProfile: 2},
		Touching: map[string]float64{store.KindSettings: 1, store.KindPresence: 1, store.KindProfile: 1},
	})
	send.Posts, send.Calls.Mean = 1, 1
	presence := itemUse{Kinds: map[string]units{store.KindPresence: {Write: 1}}, Items: map[string]float64{store.KindPresence: 1}, Touching: map[string]float64{store.KindPresence: 1}}
	ping := op("wsPing", pingStale, 0, 1, presence)
	freshPing := op("wsPing", pingFresh, 0, 0, itemUse{})
	connect := op("wsConnect", "", 1, 1, presence)
	block := op("userBlock", "", 1, 2, itemUse{
		Kinds:    map[string]units{store.KindBan: {Write: 1}},
		Items:    map[string]float64{store.KindBan: 1},
		Touching: map[string]float64{store.KindBan: 1},
		Indexes:  map[string]float64{partBanShard: 2},
	})
	friend := op("friendAdd", "", 0, 8, itemUse{
		Kinds:    map[string]units{store.KindFriendCounter: {Write: 4}},
		Items:    map[string]float64{store.KindFriendCounter: 2},
		Touching: map[string]float64{store.KindFriendCounter: 1},
		Indexes:  map[string]float64{partLists: 6},
	})
	erase := op("eraseUsers", "", 10, 10, itemUse{})
	erase.Calls.Mean, erase.Own = 2, stats.Summary{P50: 5}
	dev := op("userGetToken", "development app", 0, 2, itemUse{Kinds: map[string]units{store.KindDevRegistry: {Write: 1}},
		Items: map[string]float64{store.KindDevRegistry: 1}, Touching: map[string]float64{store.KindDevRegistry: 1}})
	return []opResult{send, ping, freshPing, connect, block, friend, erase, dev}
}

func row(t *testing.T, m capacityModel, prefix string) capacityRow {
	t.Helper()
	for _, r := range m.Rows {
		if strings.HasPrefix(r.What, prefix) {
			return r
		}
	}
	t.Fatalf("no row %q in %+v", prefix, m.Rows)
	return capacityRow{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// The model's arithmetic, worked by hand for the small profile.
func TestCapacityArithmetic(t *testing.T) {
	tr := deployment{HTTP: map[string]float64{"POST /user/block.json": 5}, HTTPDefault: 100, WebSocket: 50,
		Reserved: map[string]float64{"eraseUsers": 20, "wsSendMessage": 5}}
	m := capacity(testProfile, testLimits, tr, testOps())

	// Reads: 100 messages × 4 + 20 connects × 1 + 10 blocks × 4 users × 1 + 2 erasures × 10.
	if r := row(t, m, "table read"); !near(r.Need, 400+20+40+20) || r.Verdict != "pass" || r.Note != "raise to 480" {
		t.Errorf("table reads: %+v", r)
	}
	// Pings come every 100 s, but a connection's last-seen is written every SeenRefresh (180 s)
	// at most: 1,000/180 of the 10 pings/s write.
	writingPings := 1_000 / store.SeenRefresh.Seconds()
	// Writes: the writing pings × 1 + 20 connects × 1 + 10 × 4 × 2 + 3 friend adds × 8 + 2 × 10.
	if r := row(t, m, "table write"); !near(r.Need, writingPings+144) || r.Note != "" {
		t.Errorf("table writes: %+v", r)
	}
	// Settings: every message reads it once: 100 RCU/s against 30.
	if r := row(t, m, "settings item"); !near(r.Need, 100.0/30) || r.Verdict != "fail" {
		t.Errorf("settings: %+v", r)
	}
	// Busiest presence: 10 messages/s read it (10 RCU), 5/180 pings and 5 connects write it.
	if r := row(t, m, "presence item"); !near(r.Need, (5+5/store.SeenRefresh.Seconds())/10) || r.Verdict != "pass" || r.Note != "10 RCU/s, 5 WCU/s" {
		t.Errorf("presence: %+v", r)
	}
	// Busiest list counter: 3 changes/s × 2 WCU (4 over two sides' counters).
	if r := row(t, m, "list counter"); !near(r.Need, 6.0/10) {
		t.Errorf("list counter: %+v", r)
	}
	// The list index partition takes its side's half of 6 WCU per change: 9 WCU/s.
	if r := row(t, m, partLists+": the busiest"); !near(r.Need, 9.0/10) {
		t.Errorf("list index: %+v", r)
	}
	// Ban shards: 10 calls × 4 users × 2 WCU over the shards.
	if r := row(t, m, partBanShard+": each"); !near(r.Need, 80.0/store.IndexShards/10) {
		t.Errorf("ban shard: %+v", r)
	}
	if r := row(t, m, "development registry"); !near(r.Need, 7.0/10) {
		t.Errorf("registry: %+v", r)
	}
	// Requests: 100 messages × (1 + 1 post) + 10 pings + 20 connects + 10 blocks (+ 3 friend adds).
	if r := row(t, m, "API Gateway"); !near(r.Need, 200+10+20+10+3) || r.Note != "raise to 250" {
		t.Errorf("API Gateway: %+v", r)
	}
	if r := row(t, m, "new WebSocket"); !near(r.Need, 20) || r.Note != "raise to 20" {
		t.Errorf("connects: %+v", r)
	}
	// Concurrency: erasures run twice, 2/s × 2 × (2 × 10 ms + 5 ms), within their 20 reserved;
	// messages 100/s × (10 + 20 ms) within their 5; the account holds both reservations, 100
	// unreserved, and the others' need (none in these figures).
	if r := row(t, m, "Lambda concurrency of eraseUsers"); !near(r.Need, 2*2*0.025) || r.Limit != 20 || r.Verdict != "pass" {
		t.Errorf("erasure's concurrency: %+v", r)
	}
	if r := row(t, m, "Lambda concurrency of wsSendMessage"); !near(r.Need, 100*0.03) || r.Verdict != "pass" {
		t.Errorf("messages' concurrency: %+v", r)
	}
	if r := row(t, m, "Lambda concurrent executions"); !near(r.Need, 20+5+100) || r.Note != "raise to 130" {
		t.Errorf("account concurrency: %+v", r)
	}
	// Through the WebSocket stage: messages, pings and connects, not disconnects.
	if r := row(t, m, "WebSocket stage"); !near(r.Need, 130) || r.Limit != 50 || r.Verdict != "fail" {
		t.Errorf("WebSocket throttle: %+v", r)
	}
	if r := row(t, m, "HTTP API throttle of /user/block.json"); r.Limit != 5 || r.Verdict != "fail" {
		t.Errorf("block throttle: %+v", r)
	}
	if strings.Join(m.Missing, ",") != "wsDisconnect,userGetToken,userDeactivate" {
		t.Errorf("missing: %v", m.Missing)
	}
	var b bytes.Buffer
	m.markdown(&b)
	if !strings.Contains(b.String(), "## 5. Capacity at scale") || !strings.Contains(b.String(), "| settings item (one per app, read by client messages) | 3.33 × partition limit | 1.00 |") {
		t.Errorf("markdown:\n%s", b.String())
	}
}

func TestRoundUpAndThousands(t *testing.T) {
	for v, want := range map[float64]string{480: "480", 160_001: "170000", 1_234: "1300", 9: "9"} {
		if got := roundUp(v); got != want {
			t.Errorf("roundUp(%v) = %s, want %s", v, got, want)
		}
	}
	if got := n0(1_234_567); got != "1,234,567" {
		t.Errorf("n0 = %s", got)
	}
}

// A write's units go to the kinds of the items it touched, and to the index partitions the
// items have copies in: twice where the write moves the item's place (a ban's end time).
func TestItemUseBooksKindsAndIndexes(t *testing.T) {
	var u itemUse
	ban := keyAV("A#a#U#alice", "#BAN")
	u.book(batchWriteTouches(&dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {
		{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			store.AttrPK: s("A#a#U#alice"), store.AttrSK: s("#BAN"), "GSI3PK": s("A#a#BAN#1"), "GSI3SK": s("1"),
		}}},
		{DeleteRequest: &types.DeleteRequest{Key: keyAV("A#a#U#alice", "FR#bob")}},
	}}}), true, 4)
	if k := u.Kinds[store.KindBan]; k.Write != 2 || u.Items[store.KindBan] != 1 {
		t.Errorf("ban: %+v, %v items", k, u.Items[store.KindBan])
	}
	if u.Indexes[partBanShard] != 4 || u.Indexes[partLists] != 2 || u.Indexes[partFriendsAsc] != 2 || len(u.Indexes) != 3 {
		t.Errorf("indexes: %v", u.Indexes)
	}
	// The same item read again counts once; an update names its attributes through aliases.
	if u.Touching[store.KindBan] != 1 || u.Touching[store.KindFriendEntry] != 1 {
		t.Errorf("calls touching: %v", u.Touching)
	}
	u.book([]touch{{key: ban}}, false, 1)
	if u.Items[store.KindBan] != 1 || u.perItem(store.KindBan) != (units{Read: 1, Write: 2}) {
		t.Errorf("ban per item: %+v", u.perItem(store.KindBan))
	}
	up := updateTouch(&dynamodb.UpdateItemInput{Key: keyAV("A#a#U#bob", "#PROFILE"),
		UpdateExpression:         aws.String("SET #d = :d, GSI2PK = :p, GSI2SK = if_not_exists(GSI2SK, :s)"),
		ExpressionAttributeNames: map[string]string{"#d": "deactivatedAt"}})
	if got := up[0].indexWrites(); len(got) != 1 || got[partDeactShard] != 2 {
		t.Errorf("deactivation's index writes: %v (names %v)", got, up[0].names)
	}
	if got := (touch{key: keyAV("A#a#U#bob", "PRESENCE")}).indexWrites(); len(got) != 0 {
		t.Errorf("presence has no index copy: %v", got)
	}
	// A friend counter's update writes both friend indexes only when it moves the total (or
	// sets the index keys), and each copy, its keys and total, costs one unit however large the
	// item; an update of marks and the change number alone writes no index. An update of a
	// friend entry writes the friend indexes only when it changes an attribute they project.
	var c itemUse
	reserve := updateTouch(&dynamodb.UpdateItemInput{Key: keyAV("A#a#U#bob", "FR"),
		UpdateExpression:         aws.String("SET #v = :next, #t = if_not_exists(#t, :zero) + :d, #0 = :0"),
		ExpressionAttributeNames: map[string]string{"#t": "total", "#v": "ver", "#0": "m#alice"}})
	confirm := updateTouch(&dynamodb.UpdateItemInput{Key: keyAV("A#a#U#bob", "FR"),
		UpdateExpression: aws.String("REMOVE #0"), ExpressionAttributeNames: map[string]string{"#0": "m#alice"}})
	c.book(reserve, true, 6)
	c.book(confirm, true, 6)
	if c.Indexes[partLists] != 1 || c.Indexes[partFriendsAsc] != 1 || len(c.Indexes) != 2 || c.Kinds[store.KindFriendCounter].Write != 12 {
		t.Errorf("a counter's reserve and confirm of 6 units each: index units %v, counter %+v", c.Indexes, c.Kinds[store.KindFriendCounter])
	}
	marksOnly := updateTouch(&dynamodb.UpdateItemInput{Key: keyAV("A#a#U#bob", "FR"),
		UpdateExpression:         aws.String("SET #v = :next, #0 = :0"),
		ExpressionAttributeNames: map[string]string{"#v": "ver", "#0": "m#alice"}})
	if got := marksOnly[0].indexWrites(); len(got) != 0 {
		t.Errorf("a counter's reserve of marks alone writes indexes: %v", got)
	}
	remark := updateTouch(&dynamodb.UpdateItemInput{Key: keyAV("A#a#U#bob", "FR#alice"),
		UpdateExpression: aws.String("SET #0 = :0"), ExpressionAttributeNames: map[string]string{"#0": "remarkName"}})
	if got := remark[0].indexWrites(); len(got) != 2 || got[partLists] != 1 || got[partFriendsAsc] != 1 {
		t.Errorf("a remark's index writes: %v", got)
	}
	touchOnly := updateTouch(&dynamodb.UpdateItemInput{Key: keyAV("A#a#U#bob", "FR#alice"),
		UpdateExpression: aws.String("SET #0 = :0"), ExpressionAttributeNames: map[string]string{"#0": "other"}})
	if got := touchOnly[0].indexWrites(); len(got) != 0 {
		t.Errorf("an update of an unprojected attribute writes indexes: %v", got)
	}
}

func TestParseDeployment(t *testing.T) {
	tmpl := []byte(`
Globals:
  Function:
    Environment:
      Variables:
        IM_TABLE: !Ref Table
        GOMEMLIMIT: 192MiB
        GOGC: "400"
Parameters:
  MessageRate:
    Type: Number
    Default: 25000
  TokenRate:
    Type: Number
    Default: 200
  Reserved:
    Type: Number
    Default: 0
Resources:
  ServerApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefaultRouteSettings:
        ThrottlingRateLimit: 100
      RouteSettings:
        "POST /user/getToken.json":
          ThrottlingRateLimit: !Ref TokenRate
  ConnectionApiStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      DefaultRouteSettings:
        ThrottlingRateLimit:
          Ref: MessageRate
  WsSendMessageFunction:
    Type: AWS::Serverless::Function
    Properties:
      ReservedConcurrentExecutions: !If [IsReserved, !Ref Reserved, !Ref AWS::NoValue]
  UserInfoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 3
`)
	d, err := parseDeployment(tmpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.forPath("/user/getToken.json") != 200 || d.forPath("/user/info.json") != 100 || d.WebSocket != 25000 || len(d.Reserved) != 0 {
		t.Errorf("at the defaults: %+v", d)
	}
	if !slices.Equal(d.GoRuntime, []string{"GOGC=400", "GOMEMLIMIT=192MiB"}) {
		t.Errorf("Go runtime settings %q, want GOGC and GOMEMLIMIT of the Globals environment, not IM_TABLE", d.GoRuntime)
	}
	if n := deployedGOGC(d.GoRuntime); n != 400 {
		t.Errorf("deployed GOGC %d, want 400", n)
	}
	if n := deployedGOGC([]string{"GOGC=off", "GOMEMLIMIT=1GiB"}); n != 0 {
		t.Errorf("GOGC=off read as %d, want 0 (the benchmark keeps the runtime's default)", n)
	}
	cfg := []byte(`
[default.deploy.parameters]
parameter_overrides = "TokenRate=1"
[scale.deploy.parameters]
stack_name = "x"
parameter_overrides = "TokenRate=5000 Reserved=70"
`)
	d, err = parseDeployment(tmpl, overrides(cfg, "scale"))
	if err != nil {
		t.Fatal(err)
	}
	if d.forPath("/user/getToken.json") != 5000 || d.Reserved["wsSendMessage"] != 70 || len(d.Reserved) != 1 {
		t.Errorf("with the overrides: %+v", d)
	}
	if _, err := parseDeployment([]byte("Resources: {}\n"), nil); err == nil {
		t.Error("a template without throttles was read without an error")
	}
}

// The throttles the model reads off template.yaml are the route table's, and the profile's
// environment reserves concurrency for the authorizer, messages and erasure.
func TestThrottlesOfTheTemplate(t *testing.T) {
	root, err := localenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := readDeployment(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes.All {
		want := r.RateLimit
		if r.RateParameter != "" {
			want = r.DeployedRate
		}
		if r.Kind == routes.HTTP && tr.forPath(r.Path) != float64(want) {
			t.Errorf("%s: template throttle %v, route table %d", r.Path, tr.forPath(r.Path), want)
		}
	}
	if tr.WebSocket != routes.ConnectionDeployedRate {
		t.Errorf("connection API throttle %v, want %d", tr.WebSocket, routes.ConnectionDeployedRate)
	}
	if len(tr.Reserved) != 3 || tr.Reserved["wsAuthorize"] <= 0 || tr.Reserved["wsSendMessage"] <= 0 || tr.Reserved["eraseUsers"] <= 0 {
		t.Errorf("reserved concurrency in %s: %v", profileEnvironment, tr.Reserved)
	}
}

// An item read by one call in ten (settings a message's instance keeps) takes a tenth of a
// read per call; two counters written by every call take half the call's units each.
func TestPerItemOverCalls(t *testing.T) {
	var sum itemUse
	for i := range 10 {
		var one itemUse
		if i == 0 {
			one.book([]touch{{key: keyAV("A#a", "#SETTINGS")}}, false, 1)
		}
		one.book([]touch{{key: keyAV("A#a#U#x", "FR")}, {key: keyAV("A#a#U#y", "FR")}}, true, 4)
		sum.add(one, 1)
	}
	per := perCall(sum, 10)
	if got := per.perItem(store.KindSettings); !near(got.Read, 0.1) {
		t.Errorf("settings per call: %+v", got)
	}
	if got := per.perItem(store.KindFriendCounter); !near(got.Write, 2) {
		t.Errorf("a counter per call: %+v", got)
	}
}
