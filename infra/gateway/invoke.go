package gateway

import (
	"context"
	"io"
	"net/http"
	"strings"

	"imusers/shared/routes"
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
	payload, err := io.ReadAll(io.LimitReader(r.Body, 256<<10+1))
	if err != nil || len(payload) > 256<<10 {
		w.Header().Set("X-Amzn-ErrorType", "RequestTooLargeException")
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"Type":"User","message":"Request payload too large"}`)
		return
	}
	timeout := httpTimeout
	if f.route.Kind != routes.HTTP {
		timeout = workerTimeout
	}
	if r.Header.Get("X-Amz-Invocation-Type") == "Event" {
		g.inFlight.Add(1)
		go func() {
			defer g.inFlight.Done()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if _, err := f.invoke(ctx, payload); err != nil {
				g.log.Error("asynchronous invocation failed", "function", f.route.Name, "error", err.Error())
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	out, err := f.invoke(ctx, payload)
	if err != nil {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		writeJSON(w, http.StatusOK, `{"errorMessage":"function failed"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}
