// Package gateway is the local stand-in for API Gateway (what `sam local start-api` would be):
// it serves every HTTP route of the route table on loopback, matched as API Gateway matches
// them (raw path and method; anything else goes to the $default route's function), turning
// each request into the payload-2.0 event API Gateway sends and each Lambda response back into
// HTTP; the connection API (WebSocket API) at /ws with its $connect authorizer and the
// Management API's @connections endpoint; and the Lambda Invoke endpoint that erasure and the
// $default function use, so the same client code runs locally and in AWS. Handlers run
// in-process through aws-lambda-go's own JSON boundary.
package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/assembly"
	"imusers/shared/routes"
)

// Limits API Gateway applies before any function runs.
const (
	maxPayload  = 10 << 20 // HTTP API payload limit
	httpTimeout = 10 * time.Second
	// defaultTimeout is the $default function's: it waits for the operation it forwards to.
	defaultTimeout = 15 * time.Second
	workerTimeout  = 5 * time.Minute
)

// defaultRouteKey is the route key of requests that no route matched.
const defaultRouteKey = "$default"

// timeout is a function's timeout, as template.yaml sets it.
func timeout(k routes.Kind) time.Duration {
	switch k {
	case routes.HTTP, routes.Page:
		return httpTimeout
	case routes.Default:
		return defaultTimeout
	}
	return workerTimeout
}

// Gateway serves the HTTP API, the connection API and the Lambda Invoke endpoint.
type Gateway struct {
	// IdleTimeout and MaxConnection close client connections as API Gateway does (10 minutes
	// without a frame from the client, 2 hours in all); set them before serving.
	IdleTimeout, MaxConnection time.Duration
	// DisconnectDelay holds each $disconnect back this long after its connection ended: API
	// Gateway runs it asynchronously, some time after a close (zero runs it at once).
	DisconnectDelay time.Duration

	byPath     map[string]function // path, exactly as routes match it -> function
	byName     map[string]function // route name -> function
	wsRoutes   map[string]function // WebSocket route key -> function
	authorizer *function           // the $connect authorizer
	fallback   *function           // the HTTP API's $default route
	pages      []function          // the GET routes of Kind Page
	conns      connTable
	log        *slog.Logger
	inFlight   sync.WaitGroup
	requests   atomicCounter
	throttle   throttle // route rate limits (throttle.go)
}

type function struct {
	route   routes.Route
	handler any // the function's Lambda handler
}

// invoke runs the function through aws-lambda-go's JSON boundary. Each invocation gets its own
// lambda.Handler: one handler's output buffer is reused between invocations (Lambda runs one
// at a time per instance), so sharing it between concurrent requests would mix their answers.
func (f function) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return lambda.NewHandler(f.handler).Invoke(withFunction(ctx, f.route.Name), payload)
}

// New builds a gateway over a service, one handler per function of the route table.
func New(svc *assembly.Service) (*Gateway, error) {
	g := &Gateway{IdleTimeout: DefaultIdleTimeout, MaxConnection: DefaultMaxConnection,
		byPath: map[string]function{}, byName: map[string]function{}, wsRoutes: map[string]function{}, log: svc.Log}
	g.throttle.apps = svc.Apps
	for _, r := range routes.All {
		h, err := svc.Handler(r.Name)
		if err != nil {
			return nil, err
		}
		f := function{route: r, handler: h}
		g.byName[r.Name] = f
		switch r.Kind {
		case routes.HTTP:
			for _, p := range r.Paths() {
				g.byPath[p] = f
			}
		case routes.WebSocket:
			g.wsRoutes[r.RouteKey] = f
		case routes.Authorizer:
			g.authorizer = &f
		case routes.Default:
			g.fallback = &f
		case routes.Page:
			g.pages = append(g.pages, f)
		}
	}
	return g, nil
}

// Wait blocks until every asynchronous invocation started so far has finished.
func (g *Gateway) Wait() { g.inFlight.Wait() }

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ok := invocationTarget(r.URL.Path); ok {
		g.invoke(w, r, name)
		return
	}
	if r.URL.Path == WebSocketPath {
		g.serveWebSocket(w, r)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/@connections/"); ok && id != "" {
		g.manageConnection(w, r, id)
		return
	}
	// As in API Gateway, a route matches its raw path only: an uncleaned path
	// ("//user/x.json") is the $default function's to serve, through the same Lambda Invoke
	// call it makes in AWS.
	f, ok := g.byPath[r.URL.Path]
	routeKey, proxy := "POST "+r.URL.Path, ""
	if !ok || r.Method != http.MethodPost {
		ok = false
	}
	if !ok && r.Method == http.MethodGet {
		f, routeKey, proxy, ok = g.page(r.URL.Path)
	}
	if !ok {
		if g.fallback == nil {
			writeJSON(w, http.StatusNotFound, `{"message":"Not Found"}`)
			return
		}
		f = *g.fallback
	}
	if g.throttled(w, r, f.route) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, `{"message":"Bad Request"}`)
		return
	}
	if len(body) > maxPayload {
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"Request Entity Too Large"}`)
		return
	}
	ev := g.event(r, f.route, body)
	if f.route.Kind == routes.Page {
		ev.RouteKey, ev.RequestContext.RouteKey = routeKey, routeKey
		if proxy != "" {
			ev.PathParameters = map[string]string{"proxy": proxy}
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	limit := timeout(f.route.Kind)
	ctx, cancel := context.WithTimeout(r.Context(), limit)
	defer cancel()
	out, err := f.invoke(ctx, payload)
	if err == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// Lambda stops a function at its timeout whatever it was about to answer, and API
		// Gateway answers for it; a function must answer before its deadline.
		err = fmt.Errorf("function timed out after %s", limit)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err == nil {
		err = json.Unmarshal(out, &resp)
	}
	if err != nil {
		g.log.Error("function failed", "function", f.route.Name, "error", err.Error())
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	writeResponse(w, resp)
}

// page matches a GET path against the Page routes as API Gateway's HTTP API does: a route's
// path exactly or with one final slash (its routes take none, and serve both), or a greedy
// "{proxy+}" as one or more segments after its prefix. It returns the route key matched and
// what the greedy variable took.
func (g *Gateway) page(p string) (f function, routeKey, proxy string, ok bool) {
	for _, f := range g.pages {
		for _, pattern := range f.route.Paths() {
			if prefix, greedy := strings.CutSuffix(pattern, "{proxy+}"); greedy {
				if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" {
					return f, "GET " + pattern, rest, true
				}
			} else if p == pattern || p == pattern+"/" {
				return f, "GET " + pattern, "", true
			}
		}
	}
	return function{}, "", "", false
}

// event builds the payload-2.0 event API Gateway would send for r.
func (g *Gateway) event(r *http.Request, route routes.Route, body []byte) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		// API Gateway lowercases names and joins repeated headers with commas.
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	now := time.Now()
	// The route matched is the path itself (the operation's path, an alias or a v4 path).
	routeKey := "POST " + r.URL.Path
	if route.Kind == routes.Default {
		routeKey = defaultRouteKey
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        r.URL.Path,
		RawQueryString: r.URL.RawQuery,
		Headers:        headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID:  "000000000000",
			APIID:      "local",
			DomainName: r.Host,
			RequestID:  fmt.Sprintf("local-%d", g.requests.next()),
			RouteKey:   routeKey,
			Stage:      "$default",
			Time:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto,
				SourceIP: sourceIP(r.RemoteAddr), UserAgent: r.UserAgent(),
			},
		},
	}
	// API Gateway hands text bodies over as they are and everything else base64-encoded; form
	// bodies count as binary there.
	if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
		ev.Body = string(body)
	} else if len(body) > 0 {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev
}

func isText(contentType string) bool {
	ct := strings.ToLower(contentType)
	return strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json")
}

func sourceIP(remote string) string {
	if i := strings.LastIndex(remote, ":"); i > 0 {
		return strings.Trim(remote[:i], "[]")
	}
	return remote
}

func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			w.WriteHeader(status)
			_, _ = w.Write(b)
			return
		}
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, resp.Body)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

type atomicCounter struct {
	mu sync.Mutex
	n  int64
}

func (c *atomicCounter) next() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}
