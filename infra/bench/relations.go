package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

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
