package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// gatewayProbe is a call the gateway probes make: the small one is a userInfo call (one
// GetItem, a small answer), the large one an online check of 100 users (the Server API's
// largest request and one of its largest answers, a status for each), so the gateway's part
// can be read at each call's own size of bodies.
type gatewayProbe struct {
	route, path string
	form        url.Values
}

var (
	smallGatewayProbe = gatewayProbe{"userInfo", "/user/info.json", url.Values{"userId": {"baseline"}}}
	largeGatewayProbe = gatewayProbe{"userCheckOnlineBatch", "/user/checkOnline/batch.json",
		url.Values{"userId": {strings.Join(probeUsers(100), ",")}}}
)

// probeUsers are n distinct user ids: the service answers a repeated id once, so a list of one
// id repeated would make a large request with a one-status answer.
func probeUsers(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-user-%04d", i)
	}
	return ids
}

// gatewayProbes returns the two measurements whose difference is the local gateway's own work
// (see gatewayCost): the same signed call through the gateway's ServeHTTP and straight into the
// function's Lambda handler, each less the time its DynamoDB call took; bytes is set to the
// call's request and answer bodies as the gateway carries them.
func (e *env) gatewayProbes(probe gatewayProbe, bytes *int) (through, alone func(context.Context) (time.Duration, error), err error) {
	fn, err := e.handler(probe.route)
	if err != nil {
		return nil, nil, err
	}
	form := probe.form
	request := func(ctx context.Context) (*http.Request, error) {
		req, err := signedRequest(ctx, "http://127.0.0.1", e.base, probe.path, form)
		if err != nil {
			return nil, err
		}
		req.RemoteAddr = "127.0.0.1:40000"
		return req, nil
	}
	through = func(ctx context.Context) (time.Duration, error) {
		req, err := request(ctx)
		if err != nil {
			return 0, err
		}
		rec := httptest.NewRecorder()
		e.meter.reset()
		start := time.Now()
		e.gw.ServeHTTP(rec, req)
		took := time.Since(start) - e.meter.usage().Outside
		if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, `"code":200`) {
			return 0, fmt.Errorf("through the gateway: HTTP %d %s", rec.Code, body)
		}
		*bytes = len(form.Encode()) + rec.Body.Len()
		return took, nil
	}
	alone = func(ctx context.Context) (time.Duration, error) {
		req, err := request(ctx)
		if err != nil {
			return 0, err
		}
		payload, err := httpEvent(req)
		if err != nil {
			return 0, err
		}
		// Lambda hands every invocation a deadline, as the gateway does.
		ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		e.meter.reset()
		start := time.Now()
		out, err := fn.Invoke(ictx, payload)
		took := time.Since(start) - e.meter.usage().Outside
		if err != nil {
			return 0, err
		}
		var resp events.APIGatewayV2HTTPResponse
		if json.Unmarshal(out, &resp) != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"code":200`) {
			return 0, fmt.Errorf("function alone answered %s", out)
		}
		return took, nil
	}
	return through, alone, nil
}

// httpEvent is the payload-2.0 event API Gateway sends for a form POST, as the local gateway
// builds it: lowercased headers, the form body base64-encoded (API Gateway treats it as
// binary), the request context filled in.
func httpEvent(req *http.Request) ([]byte, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	headers := map[string]string{"host": req.Host, "user-agent": "Go-http-client/1.1",
		"content-length": fmt.Sprint(len(body)), "accept-encoding": "gzip"}
	for k, vs := range req.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	now := time.Now()
	routeKey := "POST " + req.URL.Path
	return json.Marshal(events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: req.URL.Path, Headers: headers,
		Body: base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "000000000000", APIID: "local", DomainName: req.Host, RequestID: "probe-" + randomID(),
			RouteKey: routeKey, Stage: "$default", Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: req.Method, Path: req.URL.Path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "Go-http-client/1.1",
			},
		},
	})
}
