package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// jsonNames lists the members encoding/json fills in a struct type.
func jsonNames(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// The hand-written readers know every member of aws-lambda-go's types: one it did not know
// would be skipped rather than left to encoding/json.
func TestEventMembers(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		have []string
	}{
		{reflect.TypeFor[events.APIGatewayV2HTTPRequest](), eventMembers},
		{reflect.TypeFor[events.APIGatewayV2HTTPRequestContext](), contextMembers},
		{reflect.TypeFor[events.APIGatewayV2HTTPRequestContextHTTPDescription](), httpMembers},
		{reflect.TypeFor[events.APIGatewayV2HTTPRequestContextAuthentication](), authenticationMembers},
		{reflect.TypeFor[events.APIGatewayV2HTTPRequestContextAuthenticationClientCert](), certMembers},
		{reflect.TypeFor[events.APIGatewayV2HTTPRequestContextAuthenticationClientCertValidity](), validityMembers},
		{reflect.TypeFor[events.APIGatewayV2HTTPResponse](), responseMembers},
	} {
		if want := jsonNames(c.typ); !slices.Equal(c.have, want) {
			t.Errorf("%s: members %v, the type has %v", c.typ, c.have, want)
		}
	}
}

// gatewayEvent is an event as API Gateway sends it for a signed form POST.
const gatewayEvent = `{"version":"2.0","routeKey":"POST /user/checkOnline/batch.json","rawPath":"/user/checkOnline/batch.json","rawQueryString":"",` +
	`"headers":{"accept-encoding":"gzip","app-key":"app-1","content-length":"26","content-type":"application/x-www-form-urlencoded","host":"abc.execute-api.us-east-1.amazonaws.com","nonce":"8f3a","signature":"0123456789abcdef","timestamp":"1800000000","user-agent":"rc-server-sdk-java/3.4.0","x-amzn-trace-id":"Root=1-6789-0123","x-forwarded-for":"203.0.113.7","x-forwarded-port":"443","x-forwarded-proto":"https"},` +
	`"requestContext":{"accountId":"123456789012","apiId":"abc","domainName":"abc.execute-api.us-east-1.amazonaws.com","domainPrefix":"abc","http":{"method":"POST","path":"/user/checkOnline/batch.json","protocol":"HTTP/1.1","sourceIp":"203.0.113.7","userAgent":"rc-server-sdk-java/3.4.0"},"requestId":"JKJaXmPLvHcESHA=","routeKey":"POST /user/checkOnline/batch.json","stage":"$default","time":"26/Nov/2026:09:00:00 +0000","timeEpoch":1800000000000},` +
	`"body":"dXNlcklkPW1hbnktMCUyQ21hbnktMQ==","isBase64Encoded":true}`

var eventSeeds = []string{
	gatewayEvent,
	`{"headers":{"Content-Type":"text/plain"},"body":"a \"quoted\" \\ body \u00e9 \ud83d\ude42 \u2028","isBase64Encoded":false,"cookies":["a=1","b=2"],"queryStringParameters":{"q":"1"},"pathParameters":{},"stageVariables":{"s":"v"}}`,
	`{"headers":{"x-request-id":"req-1"},"requestContext":{"requestId":"r","authorizer":{"jwt":{"claims":{"sub":"u"},"scopes":["a"]}}}}`,
	`{"Body":"case","headers":{}}`,
	`{"body":"a","body":"b"}`,
	`{"headers":{"a":"1"},"headers":{"b":"2"}}`,
	`{"headers":{"a":null}}`,
	`{"requestContext":{"timeEpoch":1.5}}`,
	`{"requestContext":{"timeEpoch":"1"}}`,
	`{"body":null}`,
	`{"unknown":[1,{"x":[true,false,null]},"s"],"isBase64Encoded":false} trailing`,
	`{"version":2}`,
	`null`, `[]`, `"event"`, `{`, ``, ` {"body":"x"}`, `{"cookies":[]}`, `{"cookies":null}`,
	`{"requestContext":{"http":{"method":"GET","Method":"POST"}}}`,
	`{"requestContext":{"authentication":{"clientCert":{"clientCertPem":"-----BEGIN","issuerDN":"CN=ca","serialNumber":"1","subjectDN":"CN=me","validity":{"notAfter":"a","notBefore":"b"}}}}}`,
	`{"requestContext":{"authentication":{"clientCert":null}},"authorizer":null}`,
	"{\"headers\":{\"bad\":\"\xff\"}}",
}

// FuzzDecodeEvent holds DecodeEvent to aws-lambda-go's decoding of the event.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, gotErr := DecodeEvent(payload)
		var want Event
		wantErr := json.NewDecoder(strings.NewReader(string(payload))).Decode(&want)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("DecodeEvent(%q): error %v, encoding/json: %v", payload, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeEvent(%q) =\n%#v\nencoding/json:\n%#v", payload, got, want)
		}
	})
}

// The events API Gateway sends are read by hand, not left to encoding/json.
func TestEventReadByHand(t *testing.T) {
	for _, s := range eventSeeds[:2] {
		if _, ok := readEvent([]byte(s)); !ok {
			t.Errorf("event left to encoding/json: %s", s)
		}
	}
	if _, ok := readResponse([]byte(`{"statusCode":200,"headers":{"Content-Type":"application/json; charset=utf-8"},"multiValueHeaders":null,"body":"{\"code\":200}","cookies":null}`)); !ok {
		t.Error("response left to encoding/json")
	}
}

// echo answers with everything it read from the event, so that any difference in reading or
// writing shows in the bytes.
func echo(_ context.Context, ev Event) (Response, error) {
	if ev.RawPath == "/fail" {
		return Response{}, errors.New("handler failed")
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return Response{}, err
	}
	var multi map[string][]string
	if ev.QueryStringParameters != nil {
		multi = map[string][]string{}
		for k, v := range ev.QueryStringParameters {
			multi[k] = []string{v, k + v}
		}
	}
	return Response{StatusCode: len(ev.Body), Headers: ev.Headers, MultiValueHeaders: multi, Body: ev.Body + string(body),
		IsBase64Encoded: ev.IsBase64Encoded, Cookies: ev.Cookies}, nil
}

// FuzzInvoke holds LambdaHandler.Invoke to aws-lambda-go's own handling of the same function:
// the same bytes out, or the same error.
func FuzzInvoke(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"rawPath":"/fail"}`))
	ours := LambdaHandler(echo)
	// What aws-lambda-go does with a function that is not a lambda.Handler: reflection.
	theirs := lambda.NewHandler(func(ctx context.Context, ev Event) (Response, error) { return echo(ctx, ev) })
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, gotErr := ours.Invoke(ctx, payload)
		want, wantErr := theirs.Invoke(ctx, payload)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("Invoke(%q): error %v, aws-lambda-go: %v", payload, gotErr, wantErr)
		}
		if string(got) != string(want) {
			t.Fatalf("Invoke(%q) =\n%s\naws-lambda-go:\n%s", payload, got, want)
		}
	})
}

var responseSeeds = []string{
	`{"statusCode":200,"headers":{"Content-Type":"application/json; charset=utf-8","X-Request-ID":"r"},"multiValueHeaders":null,"body":"{\"code\":200,\"users\":[{\"userId\":\"a\",\"status\":\"1\"}]}","cookies":null}`,
	`{"statusCode":413,"headers":null,"multiValueHeaders":{"Set":["a","b"],"E":[]},"body":"<&>\u2028","isBase64Encoded":true,"cookies":["c=1"]}`,
	`{"statusCode":200} `, `{"statusCode":200} x`, `{"statusCode":2.0}`, `{"StatusCode":200}`, `{"body":"a","body":"b"}`,
	`{"multiValueHeaders":{"a":null}}`, `null`, `{}`, `{"extra":{"deep":[1,2]}}`,
}

// FuzzDecodeResponse holds DecodeResponse to json.Unmarshal.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range responseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, gotErr := DecodeResponse(payload)
		var want Response
		wantErr := json.Unmarshal(payload, &want)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("DecodeResponse(%q): error %v, json.Unmarshal: %v", payload, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeResponse(%q) =\n%#v\njson.Unmarshal:\n%#v", payload, got, want)
		}
	})
}

// FuzzInvokeEvent is FuzzInvoke over well-formed events whose strings are anything.
func FuzzInvokeEvent(f *testing.F) {
	f.Add("x-request-id", "req-1", "dXNlcklkPWE=", true, int64(1800000000000))
	f.Add("Content-Type", "text/plain; charset=utf-8", "a \"b\" <c> & \u2028 \xff é 🙂 \x00", false, int64(-1))
	ours := LambdaHandler(echo)
	theirs := lambda.NewHandler(func(ctx context.Context, ev Event) (Response, error) { return echo(ctx, ev) })
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, name, value, body string, b64 bool, epoch int64) {
		payload, err := json.Marshal(events.APIGatewayV2HTTPRequest{
			Version: "2.0", RawPath: value, Headers: map[string]string{name: value, "host": body}, Cookies: []string{name, value},
			QueryStringParameters: map[string]string{value: name}, Body: body, IsBase64Encoded: b64,
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: name, TimeEpoch: epoch,
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: value, UserAgent: body}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := readEvent(payload); !ok {
			t.Fatalf("well-formed event left to encoding/json: %s", payload)
		}
		got, gotErr := ours.Invoke(ctx, payload)
		want, wantErr := theirs.Invoke(ctx, payload)
		if (gotErr == nil) != (wantErr == nil) || string(got) != string(want) {
			t.Fatalf("Invoke(%s) =\n%s, %v\naws-lambda-go:\n%s, %v", payload, got, gotErr, want, wantErr)
		}
	})
}

// headerLookup answers as header does, with its shortcut only where no name needs folding.
func TestHeaderLookup(t *testing.T) {
	maps := []map[string]string{
		nil,
		{"app-key": "a", "nonce": "n", "rc-nonce": "r"},
		{"App-Key": "a", "nonce": "n"},
		{"app-\u212aey": "kelvin", "nonce": "n"}, // KELVIN SIGN folds to k
		{"RC-NONCE": "r"},
	}
	for _, h := range maps {
		for _, name := range []string{"app-key", "nonce", "rc-nonce", "x-request-id"} {
			if got, want := headerLookup(h)(name), header(h, name); got != want {
				t.Errorf("headerLookup(%v)(%q) = %q, header gives %q", h, name, got, want)
			}
		}
	}
}
