package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/routes"
	"imusers/shared/store"
)

// nonceVariant is the scenario that records request nonces, as replay protection does.
const nonceVariant = "nonce record (replay protection on)"

// scenario measures one operation: its round trips, capacity and latency. Adding an
// operation to the benchmark is adding one entry to scenarios (and, for load, to loadTargets).
type scenario struct {
	route   string   // the function's name in routes.All ("" for code paths that are not a route)
	also    []string // further functions the measured call runs (an authorizer, say)
	variant string   // what distinguishes several entries of one route
	via     string   // how the call reaches the function
	budget  budget
	samples int // measured calls; 0 means the run's default
	// invocations is how many functions one measured call runs through the gateway (0 means 1);
	// handshake marks a WebSocket call that is a connect, not a frame on an open connection.
	invocations int
	handshake   bool
	// receiverHops is how many requests the function makes to the webhook receiver on loopback:
	// each is a hop like the call's own, subtracted from the service's time as that is.
	receiverHops int
	env          apps.Environment // of the app the scenario gets to itself (production when empty)
	setup        func(ctx context.Context, e *env, app apps.App) (step, error)
}

// step is one call of a scenario. prepare builds the state the i-th call needs and cleanup
// undoes what must not linger into the next measurement; neither is timed nor counted. run is
// the call that is measured.
type step struct {
	prepare func(ctx context.Context, i int) error
	run     func(ctx context.Context, i int) error
	cleanup func(ctx context.Context, i int) error
}

// budget is an operation's allowance of DynamoDB round trips; calls 0 means none is stated.
// reads and writes, when not -1, bound the two kinds separately.
type budget struct {
	calls, reads, writes int
	rule                 string // where the budget is written down
}

func noBudget(why string) budget      { return budget{0, -1, -1, why} }
func calls(n int, rule string) budget { return budget{n, -1, -1, rule} }
func readsWrites(r, w int, rule string) budget {
	return budget{r + w, r, w, rule}
}

// How calls reach the function.
const (
	viaGateway   = "HTTP API (local gateway)"
	viaInvoke    = "Lambda Invoke (local gateway)"
	viaWebSocket = "WebSocket API (local gateway)"
	viaHandler   = "Lambda handler in-process"
	viaInProcess = "in-process"
)

// scenarios is the table of everything the benchmark measures; the lists' add, remove and query
// are built alike for the blocklist and the whitelist (relations.go).
var scenarios = append(append(append([]scenario{
	{route: "userGetToken", variant: "development app", via: viaGateway, env: apps.Development,
		budget: calls(2, "design.md: register at most two calls, the second only where the development cap applies"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			// Twenty users in turn keep the app under its 100-user cap; the cap's registry write
			// happens on every call all the same.
			return step{run: e.call(app, "userGetToken", func(i int) url.Values {
				return url.Values{"userId": {fmt.Sprint("gt-", i%20)}, "name": {fmt.Sprint("Name ", i)}, "portraitUri": {"https://img.example/p.png"}}
			})}, nil
		}},
	{route: "userGetToken", variant: "production app", via: viaGateway,
		budget: calls(1, "issue 2: getToken 1 call for production apps"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			return step{run: e.call(app, "userGetToken", func(i int) url.Values {
				return url.Values{"userId": {fmt.Sprint("gt-", i)}, "name": {"New user"}}
			})}, nil
		}},
	{route: "userTokenExpire", variant: "1 user", via: viaGateway,
		budget: noBudget("none stated (one batched existence read, then one write per user)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "expire"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userTokenExpire", func(int) url.Values {
				return url.Values{"userId": {"expire"}, "time": {fmt.Sprint(time.Now().UnixMilli())}}
			})}, nil
		}},
	{route: "userInfo", via: viaGateway,
		budget: calls(1, "design.md, issue 2: get info one call"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "info"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userInfo", func(int) url.Values { return url.Values{"userId": {"info"}} })}, nil
		}},
	{route: "userRefresh", via: viaGateway,
		budget: calls(1, "issue 2: refresh 1 call"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "refresh"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userRefresh", func(i int) url.Values {
				return url.Values{"userId": {"refresh"}, "name": {fmt.Sprint("Renamed ", i)}}
			})}, nil
		}},
	{route: "userDeactivate", variant: "1 user", via: viaGateway,
		budget: noBudget("none stated (one batched existence read, then one write per user; erasure is started asynchronously)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			return step{
				prepare: func(ctx context.Context, i int) error {
					_, err := e.register(ctx, app, fmt.Sprint("deact-", i))
					return err
				},
				run: e.call(app, "userDeactivate", func(i int) url.Values { return url.Values{"userId": {fmt.Sprint("deact-", i)}} }),
			}, nil
		}},
	{route: "userDeactivateQuery", variant: "page 1 of 50, 30 deactivated", via: viaGateway,
		budget: noBudget("none stated (design.md's one call per page names the blocklist, whitelist and friend lists; this index is sharded in 8)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			ids := make([]string, 30)
			for i := range ids {
				ids[i] = fmt.Sprint("listed-", i)
				if _, err := e.register(ctx, app, ids[i]); err != nil {
					return step{}, err
				}
			}
			if _, err := e.post(ctx, app, "userDeactivate", url.Values{"userId": {strings.Join(ids, ",")}}); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userDeactivateQuery", func(int) url.Values { return url.Values{"pageNo": {"1"}, "pageSize": {"50"}} })}, nil
		}},
	{route: "userReactivate", variant: "1 user", via: viaGateway,
		budget: noBudget("none stated (one batched existence read, then one write per user)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			return step{
				prepare: func(ctx context.Context, i int) error {
					id := fmt.Sprint("react-", i)
					if _, err := e.register(ctx, app, id); err != nil {
						return err
					}
					_, err := e.post(ctx, app, "userDeactivate", url.Values{"userId": {id}})
					return err
				},
				run: e.call(app, "userReactivate", func(i int) url.Values { return url.Values{"userId": {fmt.Sprint("react-", i)}} }),
			}, nil
		}},
	{route: "userQuery", variant: "page 1 of 20", via: viaGateway, env: apps.Development,
		budget: noBudget("none stated (one Query of the app's at most 100 users)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			for i := range 20 {
				if _, err := e.register(ctx, app, fmt.Sprint("gt-", i)); err != nil {
					return step{}, err
				}
			}
			return step{run: e.call(app, "userQuery", func(int) url.Values { return url.Values{"page": {"1"}, "pageSize": {"20"}, "order": {"1"}} })}, nil
		}},
	{route: "userDelusers", variant: "1 user", via: viaGateway, env: apps.Development,
		budget: noBudget("none stated (registry read, one batch delete per 25 users, registry write)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			return step{
				prepare: func(ctx context.Context, i int) error {
					_, err := e.register(ctx, app, fmt.Sprint("del-", i))
					return err
				},
				run: e.call(app, "userDelusers", func(i int) url.Values { return url.Values{"userId": {fmt.Sprint("del-", i)}} }),
			}, nil
		}},
	{route: "eraseUsers", variant: "1 user with 50 related items", via: viaInvoke, samples: 40,
		budget: noBudget("none stated (one Query per 500 items, one batch delete per 25, one write to finish)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			id := func(i int) string { return fmt.Sprint("erase-", i) }
			return step{
				prepare: func(ctx context.Context, i int) error {
					if _, err := e.register(ctx, app, id(i)); err != nil {
						return err
					}
					if err := e.fixtures.SeedRelated(ctx, app.Key, id(i), 50); err != nil {
						return err
					}
					return e.fixtures.Deactivate(ctx, app.Key, id(i), time.Now().UnixMilli(), "bench")
				},
				run: func(ctx context.Context, i int) error {
					return e.invoke(ctx, "eraseUsers", users.Erasure{App: app.Key, Users: []string{id(i)}, OperateID: "bench"})
				},
			}, nil
		}},
	{route: "userBlock", variant: "1 user, offline", via: viaGateway,
		budget: readsWrites(2, 1, "README: 1 batched read of the users, ⌈N/25⌉ batch writes, 1 batched read of their connections (read after the ban is written, so a connect racing the block is closed)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "blocked"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userBlock", func(int) url.Values { return url.Values{"userId": {"blocked"}, "minute": {"10"}} })}, nil
		}},
	{route: "userUnblock", variant: "1 user", via: viaGateway,
		budget: calls(2, "README: one batched read, ⌈N/25⌉ batch writes"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "unblocked"); err != nil {
				return step{}, err
			}
			return step{
				prepare: func(ctx context.Context, _ int) error {
					_, err := e.post(ctx, app, "userBlock", url.Values{"userId": {"unblocked"}, "minute": {"10"}})
					return err
				},
				run: e.call(app, "userUnblock", func(int) url.Values { return url.Values{"userId": {"unblocked"}} }),
			}, nil
		}},
	{route: "userBlockQuery", variant: "page 1 of 50, 30 bans", via: viaGateway,
		budget: calls(store.IndexShards, "README: one query per index shard (8) per page"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			var ids []string
			for i := range 30 {
				ids = append(ids, fmt.Sprint("banned-", i))
				if _, err := e.register(ctx, app, ids[i]); err != nil {
					return step{}, err
				}
			}
			for _, batch := range [][]string{ids[:20], ids[20:]} {
				if _, err := e.post(ctx, app, "userBlock", url.Values{"userId": {strings.Join(batch, ",")}, "minute": {"60"}}); err != nil {
					return step{}, err
				}
			}
			return step{run: e.call(app, "userBlockQuery", func(int) url.Values { return url.Values{"page": {"1"}, "size": {"50"}} })}, nil
		}},
	{route: "userCheckOnline", variant: "user with an open connection", via: viaGateway,
		budget: calls(1, "design.md, issue 3: check online one call"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.online(ctx, app, "present"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userCheckOnline", func(int) url.Values { return url.Values{"userId": {"present"}} })}, nil
		}},
	{route: "userCheckOnlineBatch", variant: "100 users, 10 online", via: viaGateway,
		budget: calls(1, "issue 3: batch checkOnline one batched read per 100 users"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			ids := make([]string, 100)
			for i := range ids {
				ids[i] = fmt.Sprint("many-", i)
				if i < 10 {
					if err := e.online(ctx, app, ids[i]); err != nil {
						return step{}, err
					}
				} else if _, err := e.register(ctx, app, ids[i]); err != nil {
					return step{}, err
				}
			}
			return step{run: e.call(app, "userCheckOnlineBatch", func(int) url.Values { return url.Values{"userId": {strings.Join(ids, ",")}} })}, nil
		}},
	{route: "userSummary", variant: "online, muted user", via: viaGateway,
		budget: calls(1, "the console's user screen: the user's own items in one batched read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.online(ctx, app, "summarized"); err != nil {
				return step{}, err
			}
			// Muted rather than banned: a ban would close the connection.
			if _, err := e.post(ctx, app, "userChatFbSet", url.Values{"userId": {"summarized"}, "state": {"1"}, "type": {"PERSON"}}); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userSummary", func(int) url.Values { return url.Values{"userId": {"summarized"}} })}, nil
		}},
	{route: "userChatFbSet", variant: "1 user, not yet muted", via: viaGateway,
		budget: readsWrites(1, 1, "README: mute of N users, ⌈N/100⌉ batched reads of the users, ⌈N/25⌉ batch writes"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "muted"); err != nil {
				return step{}, err
			}
			form := func(state string) url.Values {
				return url.Values{"userId": {"muted"}, "state": {state}, "type": {"PERSON"}}
			}
			return step{
				prepare: func(ctx context.Context, _ int) error {
					_, err := e.post(ctx, app, "userChatFbSet", form("0"))
					return err
				},
				run: e.call(app, "userChatFbSet", func(int) url.Values { return form("1") }),
			}, nil
		}},
	{route: "userChatFbQuerylist", variant: "page of 20 from 30 muted users", via: viaGateway,
		budget: calls(store.IndexShards, "README: the muted list, one query per index shard (8)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			muted := ids("muted-", 30)
			if err := e.registerAll(ctx, app, muted...); err != nil {
				return step{}, err
			}
			if err := e.inBatches(ctx, app, "userChatFbSet", "userId", muted, 100, url.Values{"state": {"1"}, "type": {"PERSON"}}); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userChatFbQuerylist", func(int) url.Values { return url.Values{"num": {"20"}, "type": {"PERSON"}} })}, nil
		}},
	{route: "wsConnect", also: []string{"wsAuthorize"}, variant: "handshake: $connect authorizer + $connect", via: viaWebSocket, invocations: 2, handshake: true,
		budget: readsWrites(1, 1, "design.md, issue 3: connect one read (token, user state, ban) plus the write that records the connection"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			tok, err := e.register(ctx, app, "connecting")
			if err != nil {
				return step{}, err
			}
			var open *websocket.Conn
			return step{
				run: func(ctx context.Context, _ int) (err error) {
					open, err = e.dial(ctx, tok)
					return err
				},
				// Closing runs $disconnect asynchronously: it must be over before the next
				// measurement starts counting.
				cleanup: func(ctx context.Context, _ int) error {
					defer func() { open = nil }()
					return e.closeAndWait(ctx, open, app, "connecting")
				},
			}, nil
		}},
	{route: "wsPing", variant: pingFresh, via: viaWebSocket,
		budget: noBudget("README: no call within 3 minutes of the connection's last write"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			tok, err := e.register(ctx, app, "pinging")
			if err != nil {
				return step{}, err
			}
			c, err := e.dial(ctx, tok)
			if err != nil {
				return step{}, err
			}
			return step{run: func(ctx context.Context, _ int) error {
				_, err := exchange(ctx, c, map[string]string{"action": "ping"}, "pong")
				return err
			}}, nil
		}},
	{route: "wsPing", variant: pingStale, via: viaHandler,
		budget: readsWrites(0, 1, "README: a ping 3 minutes or more after the connection's last write, one write"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "pinging"); err != nil {
				return step{}, err
			}
			h, err := e.handler("wsPing")
			if err != nil {
				return step{}, err
			}
			// A connection each call, opened long enough ago that its ping writes.
			connID := func(i int) string { return fmt.Sprint("bench-ping-", i) }
			var payload []byte
			return step{
				prepare: func(ctx context.Context, i int) (err error) {
					ev := connectionEvent("ping", "MESSAGE", connID(i), app, "pinging")
					ev.RequestContext.ConnectedAt -= (store.SeenRefresh + time.Minute).Milliseconds()
					if payload, err = json.Marshal(ev); err != nil {
						return err
					}
					return e.fixtures.Connect(ctx, app.Key, "pinging", connID(i), ev.RequestContext.ConnectedAt)
				},
				run: func(ctx context.Context, i int) error {
					out, err := h.Invoke(ctx, payload)
					if err == nil && !strings.Contains(string(out), "pong") {
						err = fmt.Errorf("ping answered %s", out)
					}
					return err
				},
				// A user's recorded connections are capped: each goes after its ping.
				cleanup: func(ctx context.Context, i int) error {
					return e.fixtures.Disconnect(ctx, app.Key, "pinging", connID(i))
				},
			}, nil
		}},
	{route: "wsDisconnect", variant: "$disconnect of a recorded connection", via: viaHandler,
		budget: readsWrites(0, 1, "README: disconnect one write"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "leaving"); err != nil {
				return step{}, err
			}
			h, err := e.handler("wsDisconnect")
			if err != nil {
				return step{}, err
			}
			connID := func(i int) string { return fmt.Sprint("bench-conn-", i) }
			// API Gateway builds the event: it is ready before the function's time starts.
			var payload []byte
			return step{
				prepare: func(ctx context.Context, i int) (err error) {
					if payload, err = json.Marshal(connectionEvent("$disconnect", "DISCONNECT", connID(i), app, "leaving")); err != nil {
						return err
					}
					return e.fixtures.Connect(ctx, app.Key, "leaving", connID(i), time.Now().UnixMilli())
				},
				run: func(ctx context.Context, i int) error {
					out, err := h.Invoke(ctx, payload)
					if err == nil && !strings.Contains(string(out), `"statusCode":200`) {
						err = fmt.Errorf("$disconnect answered %s", out)
					}
					return err
				},
			}, nil
		}},
	{route: "userProfileSet", variant: "one key changed", via: viaGateway,
		budget: readsWrites(1, 1, "README: profile set, 1 batched read and 1 conditional write"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.registerAll(ctx, app, "owner"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userProfileSet", func(i int) url.Values {
				return url.Values{"userId": {"owner"}, "userProfile": {fmt.Sprintf(`{"name":"Nick %d","level":2}`, i)}, "userExtProfile": {`{"ext_city":"bj"}`}}
			})}, nil
		}},
	{route: "userProfileClean", variant: "1 user with a profile", via: viaGateway,
		budget: readsWrites(1, 1, "README: profile clean of N, 1 batched read and 1 write per user that has a profile"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.registerAll(ctx, app, "owner"); err != nil {
				return step{}, err
			}
			return step{
				prepare: func(ctx context.Context, _ int) error {
					_, err := e.post(ctx, app, "userProfileSet", url.Values{"userId": {"owner"}, "userProfile": {`{"name":"Nick"}`}})
					return err
				},
				run: e.call(app, "userProfileClean", func(int) url.Values { return url.Values{"userId": {"owner"}} }),
			}, nil
		}},
	{route: "userProfileQuery", variant: "page 1 of 20, 30 profiles", via: viaGateway,
		budget: readsWrites(store.IndexShards+1, 0, "README: profile list, 1 Query per index shard (8) per 1,000 keys reached, then 1 batched read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			users := ids("p", 30)
			if err := e.registerAll(ctx, app, users...); err != nil {
				return step{}, err
			}
			for _, u := range users {
				if _, err := e.post(ctx, app, "userProfileSet", url.Values{"userId": {u}, "userProfile": {`{"name":"Nick","level":2}`}}); err != nil {
					return step{}, err
				}
			}
			return step{run: e.call(app, "userProfileQuery", func(int) url.Values { return url.Values{"page": {"1"}, "size": {"20"}} })}, nil
		}},
	{route: "userProfileBatchQuery", variant: "20 users", via: viaGateway,
		budget: calls(1, "README: profile batch query, 1 batched read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			users := ids("p", 20)
			if err := e.registerAll(ctx, app, users...); err != nil {
				return step{}, err
			}
			for _, u := range users {
				if _, err := e.post(ctx, app, "userProfileSet", url.Values{"userId": {u}, "userProfile": {`{"name":"Nick"}`}}); err != nil {
					return step{}, err
				}
			}
			return step{run: e.call(app, "userProfileBatchQuery", func(int) url.Values { return url.Values{"userId": {strings.Join(users, ",")}} })}, nil
		}},
	{route: "userTagSet", variant: "1 user, 2 tags", via: viaGateway,
		budget: readsWrites(1, 1, "README: tag set, 1 batched read and 1 batch write"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.registerAll(ctx, app, "owner"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userTagSet", func(i int) url.Values { return url.Values{"userId": {"owner"}, "tags": {"bj", fmt.Sprint("t", i)}} })}, nil
		}},
	{route: "userTagBatchSet", variant: "100 users", via: viaGateway,
		budget: readsWrites(1, 4, "README: tag batch set of N, ⌈N/100⌉ batched reads and ⌈N/25⌉ batch writes"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			users := ids("t", 100)
			if err := e.registerAll(ctx, app, users...); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userTagBatchSet", func(i int) url.Values {
				return url.Values{"userIds": {strings.Join(users, ",")}, "tags": {"vip", fmt.Sprint("t", i)}}
			})}, nil
		}},
	{route: "userTagsGet", variant: "50 users", via: viaGateway,
		budget: calls(1, "README: tag get, 1 batched read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			users := ids("t", 50)
			if err := e.registerAll(ctx, app, users...); err != nil {
				return step{}, err
			}
			if _, err := e.post(ctx, app, "userTagBatchSet", url.Values{"userIds": {strings.Join(users, ",")}, "tags": {"vip"}}); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userTagsGet", func(int) url.Values { return url.Values{"userIds": {strings.Join(users, ",")}} })}, nil
		}},
	{route: "userWhitesettingSet", variant: "1 user", via: viaGateway,
		budget: calls(2, "README: whitesetting set of N, 1 batched read and N updates"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.registerAll(ctx, app, "owner"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userWhitesettingSet", func(i int) url.Values {
				return url.Values{"userId": {"owner"}, "whiteSetting": {fmt.Sprint(i % 2)}}
			})}, nil
		}},
	{route: "userWhitesettingQuery", variant: "20 users", via: viaGateway,
		budget: calls(1, "README: whitesetting query, 1 batched read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			users := ids("u", 20)
			if err := e.registerAll(ctx, app, users...); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "userWhitesettingQuery", func(int) url.Values { return url.Values{"userId": {strings.Join(users, ",")}} })}, nil
		}},
	{route: "friendAdd", variant: "direct add of a new friend", via: viaGateway,
		budget: calls(7, "README: 2 batched reads; when something changes, 2 count updates, 1 batch write, 2 mark updates"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.registerAll(ctx, app, "owner"); err != nil {
				return step{}, err
			}
			return step{
				prepare: func(ctx context.Context, i int) error { return e.registerAll(ctx, app, fmt.Sprint("f-", i)) },
				run: e.call(app, "friendAdd", func(i int) url.Values {
					return url.Values{"userId": {"owner"}, "targetId": {fmt.Sprint("f-", i)}, "optType": {"1"}}
				}),
			}, nil
		}},
	{route: "friendDelete", variant: "1 friend", via: viaGateway,
		budget: calls(7, "README: of N, ⌈(2+N)/100⌉ + ⌈2N/100⌉ batched reads, 2 updates per user whose count changes, ⌈2N/25⌉ batch writes (N=1)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.registerAll(ctx, app, "owner", "friend"); err != nil {
				return step{}, err
			}
			return step{
				prepare: func(ctx context.Context, _ int) error {
					_, err := e.post(ctx, app, "friendAdd", url.Values{"userId": {"owner"}, "targetId": {"friend"}, "optType": {"1"}})
					return err
				},
				run: e.call(app, "friendDelete", func(int) url.Values { return url.Values{"userId": {"owner"}, "targetIds": {"friend"}} }),
			}, nil
		}},
	{route: "friendClean", variant: "5 friends", via: viaGateway,
		budget: noBudget("none stated"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			friends := ids("f-", 5)
			if err := e.registerAll(ctx, app, append(friends, "owner")...); err != nil {
				return step{}, err
			}
			return step{
				prepare: func(ctx context.Context, _ int) error {
					for _, f := range friends {
						if _, err := e.post(ctx, app, "friendAdd", url.Values{"userId": {"owner"}, "targetId": {f}, "optType": {"1"}}); err != nil {
							return err
						}
					}
					return nil
				},
				run: e.call(app, "friendClean", func(int) url.Values { return url.Values{"userId": {"owner"}} }),
			}, nil
		}},
	{route: "friendProfileSet", variant: "remark name", via: viaGateway,
		budget: noBudget("none stated"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.registerAll(ctx, app, "owner", "friend"); err != nil {
				return step{}, err
			}
			if _, err := e.post(ctx, app, "friendAdd", url.Values{"userId": {"owner"}, "targetId": {"friend"}, "optType": {"1"}}); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "friendProfileSet", func(i int) url.Values {
				return url.Values{"userId": {"owner"}, "targetId": {"friend"}, "remarkName": {fmt.Sprint("Remark ", i)}}
			})}, nil
		}},
	{route: "friendGet", variant: "page of 50 from 60 friends", via: viaGateway,
		budget: calls(1, "design.md, README: a friend page, one Query (the count heads the index as its keys and total)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			friends := ids("f-", 60)
			if err := e.registerAll(ctx, app, append(friends, "owner")...); err != nil {
				return step{}, err
			}
			for _, f := range friends {
				if _, err := e.post(ctx, app, "friendAdd", url.Values{"userId": {"owner"}, "targetId": {f}, "optType": {"1"}}); err != nil {
					return step{}, err
				}
			}
			return step{run: e.call(app, "friendGet", func(int) url.Values { return url.Values{"userId": {"owner"}, "size": {"50"}} })}, nil
		}},
	{route: "friendCheck", variant: "10 users, 5 friends", via: viaGateway,
		budget: calls(1, "README: 1 batched read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			others := ids("o-", 10)
			if err := e.registerAll(ctx, app, append(others, "owner")...); err != nil {
				return step{}, err
			}
			for _, f := range others[:5] {
				if _, err := e.post(ctx, app, "friendAdd", url.Values{"userId": {"owner"}, "targetId": {f}, "optType": {"1"}}); err != nil {
					return step{}, err
				}
			}
			return step{run: e.call(app, "friendCheck", func(int) url.Values { return url.Values{"userId": {"owner"}, "targetIds": {strings.Join(others, ",")}} })}, nil
		}},
	{route: "friendPermissionSet", variant: "1 user", via: viaGateway,
		budget: calls(2, "README: permission set of N, 1 batched read and N updates"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.registerAll(ctx, app, "owner"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "friendPermissionSet", func(i int) url.Values {
				return url.Values{"userIds": {"owner"}, "permissionType": {fmt.Sprint(1 + i%3)}}
			})}, nil
		}},
	{route: "friendPermissionGet", variant: "20 users", via: viaGateway,
		budget: calls(1, "README: permission query, 1 batched read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			users := ids("u", 20)
			if err := e.registerAll(ctx, app, users...); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "friendPermissionGet", func(int) url.Values { return url.Values{"userIds": {strings.Join(users, ",")}} })}, nil
		}},
	{route: "appSettingSet", via: viaGateway,
		budget: calls(1, "README: /app/setting/*, 1"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			return step{run: e.call(app, "appSettingSet", func(i int) url.Values { return url.Values{"friendsOnlyDirectMessages": {fmt.Sprint(i % 2)}} })}, nil
		}},
	{route: "appSettingQuery", via: viaGateway,
		budget: calls(1, "README: /app/setting/*, 1"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			return step{run: e.call(app, "appSettingQuery", func(int) url.Values { return url.Values{} })}, nil
		}},
	{route: "appWebhookReplay", variant: "1 dead-lettered event", via: viaGateway,
		budget: readsWrites(1, 1, "README: replay, 1 query and ⌈2n/25⌉ batch writes"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			return step{
				// One event in the dead-letter store before each call, which the call queues again.
				prepare: func(ctx context.Context, i int) error {
					now := time.Now()
					ev, err := json.Marshal(webhooks.Event{ID: fmt.Sprint("dead-", i), Type: webhooks.Banned, Time: now.UnixMilli(), Data: webhooks.Data{UserID: "banned"}})
					if err != nil {
						return err
					}
					return e.fixtures.PutWebhookDead(ctx, store.WebhookDelivery{App: app.Key, ID: fmt.Sprint("dead-", i), Event: string(ev),
						Attempts: 7, First: now.Add(-24 * time.Hour).UnixMilli(), Status: 503}, now)
				},
				run: e.call(app, "appWebhookReplay", func(int) url.Values { return url.Values{} }),
			}, nil
		}},
	{route: "appWebhookTest", variant: "delivered to the app's receiver", via: viaGateway, receiverHops: 1,
		budget: readsWrites(1, 0, "README: the test event, 1 GetItem (the settings), then the one request to the receiver"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.useReceiver(ctx, app); err != nil {
				return step{}, err
			}
			return e.received(e.call(app, "appWebhookTest", func(int) url.Values { return url.Values{} })), nil
		}},
	{route: "webhookDeliver", variant: "1 event, delivered", via: viaInvoke, receiverHops: 1,
		budget: readsWrites(1, 0, "README: the delivery function reads the settings, one GetItem per batch"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if err := e.useReceiver(ctx, app); err != nil {
				return step{}, err
			}
			return e.received(func(ctx context.Context, i int) error {
				ev := webhooks.Event{ID: fmt.Sprint("ev-", i), Type: webhooks.Banned, Time: time.Now().UnixMilli(), Data: webhooks.Data{UserID: "banned", Minute: 10}}
				return e.invoke(ctx, "webhookDeliver", webhooks.Batch{App: app.Key, Events: []webhooks.Event{ev}})
			}), nil
		}},
	{route: "wsSendMessage", variant: "to a connected user, ack to the sender", via: viaWebSocket,
		budget: readsWrites(1, 1, "design.md, issue 4: the send-permission check for one direct message, one batched read; README: a client frame writes its connection's last-seen time when it is 3 minutes old, as a ping does"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			p, err := e.connectPair(ctx, app, "sender", "recipient")
			if err != nil {
				return step{}, err
			}
			return step{run: p.send}, nil
		}},
	{route: "messagePrivatePublish", variant: "1 connected recipient", via: viaGateway,
		budget: readsWrites(1, 0, "design.md, issue 4: the send-permission check for one direct message, one batched read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.connectPair(ctx, app, "server-sender", "recipient"); err != nil {
				return step{}, err
			}
			return step{run: e.call(app, "messagePrivatePublish", func(int) url.Values {
				return url.Values{"fromUserId": {"server-sender"}, "toUserId": {"recipient"}, "objectName": {"RC:TxtMsg"}, "content": {textMessage}}
			})}, nil
		}},
	{route: "httpDefault", also: []string{"userInfo"}, variant: "uncleaned path //user/info.json, forwarded to userInfo", via: viaGateway,
		budget: readsWrites(1, 0, "design.md: get info one call; the $default function adds none (it invokes userInfo)"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			if _, err := e.register(ctx, app, "info"); err != nil {
				return step{}, err
			}
			return step{run: func(ctx context.Context, _ int) error {
				req, err := signedRequest(ctx, e.url, app, "//user/info.json", url.Values{"userId": {"info"}})
				if err != nil {
					return err
				}
				return e.check(req)
			}}, nil
		}},
	{route: "console", variant: "GET /console/app.js (the console's largest file)", via: viaGateway,
		budget: noBudget("README, Console: the console's function reads no table"),
		setup: func(ctx context.Context, e *env, _ apps.App) (step, error) {
			return step{run: func(ctx context.Context, _ int) error {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/console/app.js", nil)
				if err != nil {
					return err
				}
				start := time.Now()
				res, err := e.http.Do(req)
				if err != nil {
					return err
				}
				defer res.Body.Close()
				raw, err := io.ReadAll(res.Body)
				if err != nil {
					return err
				}
				e.exchanged = httpExchange{took: time.Since(start), bytes: len(raw)}
				if res.StatusCode != http.StatusOK {
					return &apiError{res.StatusCode, string(raw)}
				}
				return nil
			}}, nil
		}},
	{route: "", variant: "token verification (users.VerifyToken)", via: viaInProcess,
		budget: readsWrites(1, 0, "design.md, issue 2: token verification one read"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			tok, err := e.register(ctx, app, "verify")
			if err != nil {
				return step{}, err
			}
			return step{run: func(ctx context.Context, _ int) error {
				_, _, err := e.svc.Users.VerifyToken(ctx, tok)
				return err
			}}, nil
		}},
	{route: "", variant: nonceVariant, via: viaInProcess,
		budget: readsWrites(0, 1, "README: replay protection costs one more DynamoDB write per call"),
		setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
			st := store.New(e.calls, e.table)
			return step{run: func(ctx context.Context, i int) error {
				now := time.Now()
				fresh, err := st.UseNonce(ctx, app.Key, fmt.Sprint("bench-", now.UnixNano(), "-", i), "bench", now, now.Add(10*time.Minute))
				if err == nil && !fresh {
					err = fmt.Errorf("a fresh nonce was taken for a replay")
				}
				return err
			}}, nil
		}},
},
	listScenarios("blocklist", "blackUserId", "userBlacklistAdd", "userBlacklistRemove", "userBlacklistQuery")...),
	listScenarios("whitelist", "whiteUserId", "userWhitelistAdd", "userWhitelistRemove", "userWhitelistQuery")...),
	clientListScenarios()...)

// call is a run step that posts a signed form to a route of the Server API.
func (e *env) call(app apps.App, route string, form func(i int) url.Values) func(context.Context, int) error {
	r, ok := routes.ByName(route)
	return func(ctx context.Context, i int) error {
		if !ok {
			return fmt.Errorf("no route %q", route)
		}
		req, err := signedRequest(ctx, e.url, app, r.Path, form(i))
		if err != nil {
			return err
		}
		return e.check(req)
	}
}

// invoke calls a function synchronously through the gateway's Lambda Invoke endpoint, as
// `aws lambda invoke` would.
func (e *env) invoke(ctx context.Context, function string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/2015-03-31/functions/"+function+"/invocations", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	req.Header.Set("X-Amz-Invocation-Type", "RequestResponse")
	res, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Amz-Function-Error") != "" {
		return fmt.Errorf("invoke %s: HTTP %d %s", function, res.StatusCode, res.Header.Get("X-Amz-Function-Error"))
	}
	return nil
}
