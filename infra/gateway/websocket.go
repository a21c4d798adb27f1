package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
)

// The WebSocket API's limits in API Gateway; a Gateway can be given shorter ones for tests.
const (
	DefaultIdleTimeout   = 10 * time.Minute
	DefaultMaxConnection = 2 * time.Hour
	// maxFrame is API Gateway's WebSocket frame and PostToConnection payload limit.
	maxFrame = 128 << 10
	wsStage  = "$default"
	wsAPIID  = "local"
)

// WebSocketPath is where the local gateway serves the connection API.
const WebSocketPath = "/ws"

// wsConn is one open client connection.
type wsConn struct {
	id          string
	conn        *websocket.Conn
	authorizer  map[string]any
	connectedAt time.Time
	sourceIP    string
	userAgent   string

	mu         sync.Mutex
	lastActive time.Time
	closing    bool

	// ready is closed once conn is set, or the upgrade failed (conn stays nil).
	ready chan struct{}
}

func (c *wsConn) touch() {
	c.mu.Lock()
	c.lastActive = time.Now()
	c.mu.Unlock()
}

// close starts closing the connection with a close frame; it returns at once, and the
// connection's read loop then sees the end and runs $disconnect.
func (c *wsConn) close(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	already := c.closing
	c.closing = true
	c.mu.Unlock()
	if !already {
		go func() {
			<-c.ready
			if c.conn != nil {
				c.conn.Close(code, reason)
			}
		}()
	}
}

// newConnectionID makes an id shaped like API Gateway's (16 characters, '=' padded).
func newConnectionID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}

// Connection IDs the local gateway has open.
type connTable struct {
	mu sync.Mutex
	m  map[string]*wsConn
	wg sync.WaitGroup // one per open connection, done after its $disconnect ran
}

func (t *connTable) add(c *wsConn) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]*wsConn{}
	}
	t.m[c.id] = c
	t.mu.Unlock()
}

func (t *connTable) get(id string) *wsConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[id]
}

func (t *connTable) remove(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

func (t *connTable) all() []*wsConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*wsConn, 0, len(t.m))
	for _, c := range t.m {
		out = append(out, c)
	}
	return out
}

// CloseConnections closes every open client connection and waits until each one's $disconnect
// has run.
func (g *Gateway) CloseConnections() {
	for _, c := range g.conns.all() {
		c.close(websocket.StatusGoingAway, "Going away")
	}
	g.conns.wg.Wait()
}

// serveWebSocket is the connection API: the $connect authorizer and route decide whether the
// upgrade is accepted, then each frame is routed on its "action" field, and the end of the
// connection, however it comes, runs $disconnect.
func (g *Gateway) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		writeJSON(w, http.StatusBadRequest, `{"message":"Bad Request"}`)
		return
	}
	// The authorizer's identity source: without it API Gateway refuses before any function runs.
	if r.URL.Query().Get("token") == "" {
		writeJSON(w, http.StatusUnauthorized, `{"message":"Unauthorized"}`)
		return
	}
	id := newConnectionID()
	now := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), httpTimeout)
	defer cancel()
	authz, status := g.authorize(ctx, r, id, now)
	if status != http.StatusOK {
		writeJSON(w, status, fmt.Sprintf(`{"message":%q}`, http.StatusText(status)))
		return
	}
	c := &wsConn{id: id, authorizer: authz, connectedAt: now, lastActive: now,
		sourceIP: sourceIP(r.RemoteAddr), userAgent: r.UserAgent(), ready: make(chan struct{})}
	resp, err := g.invokeWS(ctx, "$connect", g.wsEvent(c, r, "$connect", "CONNECT", ""))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal server error"}`)
		return
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		writeJSON(w, resp.StatusCode, fmt.Sprintf(`{"message":%q}`, http.StatusText(resp.StatusCode)))
		return
	}
	// As in API Gateway, the connection can be posted to as soon as the client holds it: it is
	// in the table before the upgrade answer goes out, and @connections waits until it is set.
	g.conns.wg.Add(1)
	g.conns.add(c)
	// Any origin: API Gateway does not check it; the token is the credential.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		g.conns.remove(c.id)
		close(c.ready)
		g.disconnect(c, r, websocket.StatusAbnormalClosure, "upgrade failed")
		g.conns.wg.Done()
		return
	}
	conn.SetReadLimit(maxFrame)
	c.conn = conn
	close(c.ready)
	g.serveFrames(c, r)
}

// authorize runs the $connect authorizer: 200 with its context, or the status API Gateway
// answers (401 for an "Unauthorized" error, 403 for a Deny, 500 for anything else).
func (g *Gateway) authorize(ctx context.Context, r *http.Request, id string, now time.Time) (map[string]any, int) {
	if g.authorizer == nil {
		return map[string]any{}, http.StatusOK
	}
	headers, multi := wsHeaders(r)
	query, multiQuery := queryParams(r)
	ev := map[string]any{
		"type":                            "REQUEST",
		"methodArn":                       fmt.Sprintf("arn:aws:execute-api:local:000000000000:%s/%s/$connect", wsAPIID, wsStage),
		"headers":                         headers,
		"multiValueHeaders":               multi,
		"queryStringParameters":           query,
		"multiValueQueryStringParameters": multiQuery,
		"stageVariables":                  map[string]string{},
		"requestContext": map[string]any{
			"routeKey": "$connect", "eventType": "CONNECT", "extendedRequestId": id,
			"requestTime": now.UTC().Format("02/Jan/2006:15:04:05 -0700"), "messageDirection": "IN",
			"stage": wsStage, "connectedAt": now.UnixMilli(), "requestTimeEpoch": now.UnixMilli(),
			"identity":  map[string]string{"sourceIp": sourceIP(r.RemoteAddr), "userAgent": r.UserAgent()},
			"requestId": fmt.Sprintf("local-%d", g.requests.next()), "domainName": r.Host,
			"connectionId": id, "apiId": wsAPIID,
		},
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, http.StatusInternalServerError
	}
	out, err := g.authorizer.invoke(ctx, payload)
	if err != nil {
		if err.Error() == "Unauthorized" {
			return nil, http.StatusUnauthorized
		}
		g.log.Error("authorizer failed", "function", g.authorizer.route.Name, "error", err.Error())
		return nil, http.StatusInternalServerError
	}
	var resp events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		g.log.Error("authorizer answered an unreadable policy", "function", g.authorizer.route.Name, "error", err.Error())
		return nil, http.StatusInternalServerError
	}
	allowed := false
	for _, s := range resp.PolicyDocument.Statement {
		switch s.Effect {
		case "Deny":
			return nil, http.StatusForbidden
		case "Allow":
			allowed = true
		}
	}
	if !allowed {
		return nil, http.StatusForbidden
	}
	// API Gateway hands later events the context with the principal added.
	authz := map[string]any{"principalId": resp.PrincipalID}
	for k, v := range resp.Context {
		authz[k] = v
	}
	return authz, http.StatusOK
}

// serveFrames routes the client's frames until the connection ends, then runs $disconnect.
func (g *Gateway) serveFrames(c *wsConn, r *http.Request) {
	idle := time.AfterFunc(g.IdleTimeout, func() { c.close(websocket.StatusGoingAway, "Going away") })
	maxAge := time.AfterFunc(g.MaxConnection, func() { c.close(websocket.StatusGoingAway, "Going away") })
	defer idle.Stop()
	defer maxAge.Stop()
	code, reason := websocket.StatusNoStatusRcvd, ""
	for {
		typ, data, err := c.conn.Read(context.Background())
		if err != nil {
			if s := websocket.CloseStatus(err); s != -1 {
				code = s
				var ce websocket.CloseError
				if errors.As(err, &ce) {
					reason = ce.Reason
				}
			} else {
				code, reason = websocket.StatusAbnormalClosure, "connection lost"
			}
			break
		}
		idle.Reset(g.IdleTimeout)
		c.touch()
		g.route(c, r, typ, data)
	}
	c.conn.CloseNow()
	g.conns.remove(c.id)
	g.disconnect(c, r, code, reason)
	g.conns.wg.Done()
}

// route runs the function of the frame's action, sending its answer (if any) back as a frame.
// A frame that names no known action gets API Gateway's answer for a missing route.
func (g *Gateway) route(c *wsConn, r *http.Request, typ websocket.MessageType, data []byte) {
	var frame struct {
		Action string `json:"action"`
	}
	_ = json.Unmarshal(data, &frame)
	reqID := fmt.Sprintf("local-%d", g.requests.next())
	ctx, cancel := context.WithTimeout(context.Background(), httpTimeout)
	defer cancel()
	if _, ok := g.wsRoutes[frame.Action]; !ok || strings.HasPrefix(frame.Action, "$") {
		g.sendError(ctx, c, "Forbidden", reqID)
		return
	}
	body := string(data)
	ev := g.wsEvent(c, r, frame.Action, "MESSAGE", body)
	ev.RequestContext.RequestID = reqID
	if typ == websocket.MessageBinary {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(data), true
	}
	resp, err := g.invokeWS(ctx, frame.Action, ev)
	if err != nil {
		g.sendError(ctx, c, "Internal server error", reqID)
		return
	}
	if resp.Body != "" {
		_ = c.conn.Write(ctx, websocket.MessageText, []byte(resp.Body))
	}
}

func (g *Gateway) sendError(ctx context.Context, c *wsConn, message, reqID string) {
	b, _ := json.Marshal(map[string]string{"message": message, "connectionId": c.id, "requestId": reqID})
	_ = c.conn.Write(ctx, websocket.MessageText, b)
}

func (g *Gateway) disconnect(c *wsConn, r *http.Request, code websocket.StatusCode, reason string) {
	time.Sleep(g.DisconnectDelay)
	ctx, cancel := context.WithTimeout(context.Background(), httpTimeout)
	defer cancel()
	ev := g.wsEvent(c, r, "$disconnect", "DISCONNECT", "")
	ev.RequestContext.DisconnectStatusCode = int64(code)
	ev.RequestContext.DisconnectReason = &reason
	ev.QueryStringParameters, ev.MultiValueQueryStringParameters = nil, nil
	if _, err := g.invokeWS(ctx, "$disconnect", ev); err != nil {
		g.log.Error("$disconnect failed", "connectionId", c.id, "error", err.Error())
	}
}

// wsEvent builds the event API Gateway sends a WebSocket route's integration.
func (g *Gateway) wsEvent(c *wsConn, r *http.Request, routeKey, eventType, body string) events.APIGatewayWebsocketProxyRequest {
	now := time.Now()
	ev := events.APIGatewayWebsocketProxyRequest{
		Body: body,
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{
			RouteKey: routeKey, EventType: eventType, MessageDirection: "IN",
			ExtendedRequestID: fmt.Sprintf("local-%d", g.requests.next()),
			RequestTime:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"), RequestTimeEpoch: now.UnixMilli(),
			Stage: wsStage, ConnectedAt: c.connectedAt.UnixMilli(),
			Identity:  events.APIGatewayRequestIdentity{SourceIP: c.sourceIP, UserAgent: c.userAgent},
			RequestID: fmt.Sprintf("local-%d", g.requests.next()), DomainName: r.Host,
			ConnectionID: c.id, APIID: wsAPIID, Authorizer: c.authorizer,
		},
	}
	if eventType == "CONNECT" {
		ev.Headers, ev.MultiValueHeaders = wsHeaders(r)
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = queryParams(r)
	}
	return ev
}

// invokeWS runs a WebSocket route's function through the Lambda JSON boundary.
func (g *Gateway) invokeWS(ctx context.Context, routeKey string, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	var resp events.APIGatewayProxyResponse
	f, ok := g.wsRoutes[routeKey]
	if !ok {
		// A route without an integration simply succeeds, as in API Gateway.
		return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return resp, err
	}
	out, err := f.invoke(ctx, payload)
	if err == nil {
		err = json.Unmarshal(out, &resp)
	}
	if err != nil {
		g.log.Error("function failed", "function", f.route.Name, "error", err.Error())
		return resp, err
	}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	return resp, nil
}

func wsHeaders(r *http.Request) (map[string]string, map[string][]string) {
	single, multi := map[string]string{}, map[string][]string{}
	for k, vs := range r.Header {
		single[k] = strings.Join(vs, ",")
		multi[k] = vs
	}
	single["Host"], multi["Host"] = r.Host, []string{r.Host}
	return single, multi
}

func queryParams(r *http.Request) (map[string]string, map[string][]string) {
	q := r.URL.Query()
	if len(q) == 0 {
		return nil, nil
	}
	single, multi := map[string]string{}, map[string][]string{}
	for k, vs := range q {
		single[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	return single, multi
}

// manageConnection is the Management API's @connections endpoint: POST sends a frame, DELETE
// closes the connection, GET describes it; an unknown (or closed) connection is 410 Gone.
func (g *Gateway) manageConnection(w http.ResponseWriter, r *http.Request, id string) {
	c := g.conns.get(id)
	if c != nil {
		select {
		case <-c.ready:
		case <-r.Context().Done():
			return
		}
	}
	if c == nil || c.conn == nil {
		w.Header().Set("X-Amzn-ErrorType", "GoneException")
		writeJSON(w, http.StatusGone, `{"message":null}`)
		return
	}
	switch r.Method {
	case http.MethodPost:
		data, err := io.ReadAll(io.LimitReader(r.Body, maxFrame+1))
		if err != nil || len(data) > maxFrame {
			w.Header().Set("X-Amzn-ErrorType", "PayloadTooLargeException")
			writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"Payload too large"}`)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := c.conn.Write(ctx, websocket.MessageText, data); err != nil {
			w.Header().Set("X-Amzn-ErrorType", "GoneException")
			writeJSON(w, http.StatusGone, `{"message":null}`)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		c.close(websocket.StatusNormalClosure, "")
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet:
		c.mu.Lock()
		last := c.lastActive
		c.mu.Unlock()
		b, _ := json.Marshal(map[string]any{
			"connectedAt":  c.connectedAt.UTC().Format(time.RFC3339Nano),
			"lastActiveAt": last.UTC().Format(time.RFC3339Nano),
			"identity":     map[string]string{"sourceIp": c.sourceIP, "userAgent": c.userAgent},
		})
		writeJSON(w, http.StatusOK, string(b))
	default:
		writeJSON(w, http.StatusMethodNotAllowed, `{"message":"Method Not Allowed"}`)
	}
}
