package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
)

// Lambda's payload limits: an asynchronous invocation's event is queued, and so smaller.
const (
	maxSyncPayload  = 6 << 20
	maxAsyncPayload = 256 << 10
)

// invocationTarget recognises the Lambda Invoke API path,
// /2015-03-31/functions/{name}/invocations, and returns the function's name.
func invocationTarget(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/2015-03-31/functions/")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "/invocations")
	return name, ok && name != "" && !strings.Contains(name, "/")
}

// invoke serves Lambda's Invoke API: InvocationType Event answers 202 at once and runs the
// function in the background (as Lambda's asynchronous invocation does); RequestResponse runs
// it and returns its result. A deployed name such as "stack-eraseUsers" finds "eraseUsers".
func (g *Gateway) invoke(w http.ResponseWriter, r *http.Request, name string) {
	f, ok := g.byName[name]
	if !ok {
		if i := strings.LastIndex(name, "-"); i >= 0 {
			f, ok = g.byName[name[i+1:]]
		}
	}
	if !ok || r.Method != http.MethodPost {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		writeJSON(w, http.StatusNotFound, `{"Type":"User","message":"Function not found"}`)
		return
	}
	async := r.Header.Get("X-Amz-Invocation-Type") == "Event"
	limit := int64(maxSyncPayload)
	if async {
		limit = maxAsyncPayload
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil || int64(len(payload)) > limit {
		w.Header().Set("X-Amzn-ErrorType", "RequestTooLargeException")
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"Type":"User","message":"Request payload too large"}`)
		return
	}
	runFor := timeout(f.route.Kind)
	if async {
		g.inFlight.Add(1)
		go func() {
			defer g.inFlight.Done()
			ctx, cancel := context.WithTimeout(context.Background(), runFor)
			defer cancel()
			if _, err := f.invoke(ctx, payload); err != nil {
				g.log.Error("asynchronous invocation failed", "function", f.route.Name, "error", err.Error())
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), runFor)
	defer cancel()
	out, err := f.invoke(ctx, payload)
	if err == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// Lambda stops the function at its timeout and reports that, not what it answered late.
		err = ctx.Err()
	}
	if err != nil {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		writeJSON(w, http.StatusOK, `{"errorMessage":"function failed"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}
