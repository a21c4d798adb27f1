package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"imusers/shared/apps"
)

// ids is n userIds with a prefix.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	return out
}

// registerAll registers every user.
func (e *env) registerAll(ctx context.Context, app apps.App, users ...string) error {
	for _, u := range users {
		if _, err := e.register(ctx, app, u); err != nil {
			return err
		}
	}
	return nil
}

// inBatches posts a list-taking route for users, max at a time.
func (e *env) inBatches(ctx context.Context, app apps.App, route, param string, users []string, max int, extra url.Values) error {
	for len(users) > 0 {
		n := min(max, len(users))
		form := url.Values{param: {strings.Join(users[:n], ",")}}
		for k, v := range extra {
			form[k] = v
		}
		if _, err := e.post(ctx, app, route, form); err != nil {
			return err
		}
		users = users[n:]
	}
	return nil
}

// listScenarios are the add, remove and query of one of a user's lists (blocklist, whitelist).
func listScenarios(list, param, add, remove, query string) []scenario {
	return []scenario{
		{route: add, variant: "1 user, not yet listed", via: viaGateway,
			budget: calls(5, "README: list add or remove, 2 batched reads (the count, then the entries); when something changes, 1 count update, 1 batch write, 1 mark update"),
			setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
				if err := e.registerAll(ctx, app, "owner", "target"); err != nil {
					return step{}, err
				}
				form := url.Values{"userId": {"owner"}, param: {"target"}}
				// Taken off the list first, so that every measured add changes something.
				return step{
					prepare: func(ctx context.Context, _ int) error { _, err := e.post(ctx, app, remove, form); return err },
					run:     e.call(app, add, func(int) url.Values { return form }),
				}, nil
			}},
		{route: remove, variant: "1 listed user", via: viaGateway,
			budget: calls(5, "README: list add or remove, 2 batched reads (the count, then the entries); when something changes, 1 count update, 1 batch write, 1 mark update"),
			setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
				if err := e.registerAll(ctx, app, "owner", "target"); err != nil {
					return step{}, err
				}
				form := url.Values{"userId": {"owner"}, param: {"target"}}
				return step{
					prepare: func(ctx context.Context, _ int) error { _, err := e.post(ctx, app, add, form); return err },
					run:     e.call(app, remove, func(int) url.Values { return form }),
				}, nil
			}},
		{route: query, variant: "page of 50 from 100 entries", via: viaGateway,
			budget: calls(1, "design.md, README: a "+list+" page, one Query"),
			setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
				targets := ids(list+"-t", 100)
				if err := e.registerAll(ctx, app, append(targets, "owner")...); err != nil {
					return step{}, err
				}
				if err := e.inBatches(ctx, app, add, param, targets, 20, url.Values{"userId": {"owner"}}); err != nil {
					return step{}, err
				}
				return step{run: e.call(app, query, func(int) url.Values { return url.Values{"userId": {"owner"}, "size": {"50"}} })}, nil
			}},
	}
}

// clientListScenarios are the frames a connected client sends about its own blocklist; each is
// measured from sending the frame to reading its result on the same connection.
func clientListScenarios() []scenario {
	const twin = "README: the client's own blocklist, as its Server API twin: "
	// toggle measures one of add and remove, the other undoing it before each call.
	toggle := func(measured, undo string) func(ctx context.Context, e *env, app apps.App) (step, error) {
		return func(ctx context.Context, e *env, app apps.App) (step, error) {
			o, err := e.newListOwner(ctx, app)
			if err != nil {
				return step{}, err
			}
			return step{
				prepare: func(ctx context.Context, _ int) error {
					_, err := o.send(ctx, map[string]any{"action": undo, "userId": "target"})
					return err
				},
				run: func(ctx context.Context, _ int) error {
					_, err := o.frame(ctx, map[string]any{"action": measured, "userId": "target"})
					return err
				},
			}, nil
		}
	}
	changes := calls(5, twin+"add or remove, 2 batched reads (the user's profile and ban and the list's count, then the entry); when something changes, 1 count update, 1 batch write, 1 mark update")
	return []scenario{
		{route: "wsAddToBlocklist", variant: "1 user, not yet listed", via: viaWebSocket, budget: changes,
			setup: toggle("addToBlocklist", "removeFromBlocklist")},
		{route: "wsRemoveFromBlocklist", variant: "1 listed user", via: viaWebSocket, budget: changes,
			setup: toggle("removeFromBlocklist", "addToBlocklist")},
		{route: "wsCheckBlocked", variant: "1 listed user", via: viaWebSocket,
			budget: readsWrites(1, 0, twin+"checkBlocked, 1 batched read (the user's profile and ban, the entry)"),
			setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
				o, err := e.newListOwner(ctx, app)
				if err != nil {
					return step{}, err
				}
				if _, err := o.send(ctx, map[string]any{"action": "addToBlocklist", "userId": "target"}); err != nil {
					return step{}, err
				}
				return step{prepare: o.renew, run: func(ctx context.Context, _ int) error {
					res, err := o.frame(ctx, map[string]any{"action": "checkBlocked", "userId": "target"})
					if err == nil && res["blocked"] != true {
						err = fmt.Errorf("checkBlocked answered %v for a listed user", res)
					}
					return err
				}}, nil
			}},
		{route: "wsGetBlocklist", variant: "page of 50 from 100 entries", via: viaWebSocket,
			budget: calls(1, twin+"getBlocklist, 1 Query"),
			setup: func(ctx context.Context, e *env, app apps.App) (step, error) {
				o, err := e.newListOwner(ctx, app)
				if err != nil {
					return step{}, err
				}
				if err := e.inBatches(ctx, app, "userBlacklistAdd", "blackUserId", ids("listed-", 100), 20, url.Values{"userId": {"owner"}}); err != nil {
					return step{}, err
				}
				return step{prepare: o.renew, run: func(ctx context.Context, _ int) error {
					res, err := o.frame(ctx, map[string]any{"action": "getBlocklist", "size": 50})
					if page, _ := res["userIds"].([]any); err == nil && len(page) != 50 {
						err = fmt.Errorf("getBlocklist answered %d users, want 50", len(page))
					}
					return err
				}}, nil
			}},
	}
}

// listOwner is the connected user "owner" whose frames name the registered user "target". Its
// connection is opened again before it is a minute old, so no measured frame is the one that
// refreshes the connection's last-seen time (a client frame writes it when it may be
// store.SeenRefresh old): the measured calls are the frames' own.
type listOwner struct {
	e      *env
	app    apps.App
	token  string
	conn   *websocket.Conn
	opened time.Time
}

func (e *env) newListOwner(ctx context.Context, app apps.App) (*listOwner, error) {
	tok, err := e.register(ctx, app, "owner")
	if err != nil {
		return nil, err
	}
	if _, err := e.register(ctx, app, "target"); err != nil {
		return nil, err
	}
	o := &listOwner{e: e, app: app, token: tok}
	return o, o.renew(ctx, 0)
}

// renew opens the connection, or opens a new one once the last is a minute old (closing the
// last and waiting for its $disconnect, which must not land in a measurement).
func (o *listOwner) renew(ctx context.Context, _ int) error {
	if o.conn != nil && time.Since(o.opened) < time.Minute {
		return nil
	}
	if err := o.e.closeAndWait(ctx, o.conn, o.app, "owner"); err != nil {
		return err
	}
	c, err := o.e.dial(ctx, o.token)
	if err != nil {
		return err
	}
	o.conn, o.opened = c, time.Now()
	return nil
}

// send renews the connection when due and sends one frame (for a step's prepare).
func (o *listOwner) send(ctx context.Context, frame map[string]any) (map[string]any, error) {
	if err := o.renew(ctx, 0); err != nil {
		return nil, err
	}
	return o.frame(ctx, frame)
}

// frame sends one blocklist frame and reads its result, which must be a 200 for the same action.
func (o *listOwner) frame(ctx context.Context, frame map[string]any) (map[string]any, error) {
	res, err := exchange(ctx, o.conn, frame, "result")
	if err != nil {
		return nil, err
	}
	if code, _ := res["code"].(float64); code != 200 || res["action"] != frame["action"] {
		return nil, fmt.Errorf("%s answered %v", frame["action"], res)
	}
	return res, nil
}
