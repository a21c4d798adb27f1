package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/httpevent/httpeventtest"
	"imusers/shared/api/call"
	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
	"imusers/shared/wire/jsonbody"
	"imusers/shared/wire/signature"
)

const (
	appKey    = "testapp"
	appSecret = "test-secret-value"
	route     = "userGetToken"
)

var now = time.UnixMilli(1408710653000)

func newServer(t testing.TB, logTo io.Writer) *Server {
	t.Helper()
	reg, err := apps.NewRegistry([]apps.App{{Key: appKey, Secret: appSecret}})
	if err != nil {
		t.Fatal(err)
	}
	return &Server{Apps: reg, Window: 5 * time.Minute, Now: func() time.Time { return now },
		Log: slog.New(slog.NewJSONHandler(logTo, nil))}
}

// signedEvent is the test app's request, signed at now.
func signedEvent(body string) Event { return httpeventtest.Signed(appKey, appSecret, now, body) }

// mustNotRun is a handler for requests that must be refused before any work.
func mustNotRun(t *testing.T) call.Handler {
	return func(context.Context, *call.Request) (any, error) {
		t.Error("handler ran")
		return nil, nil
	}
}

func TestSuccessBody(t *testing.T) {
	s := newServer(t, io.Discard)
	var seen *call.Request
	op := func(ctx context.Context, r *call.Request) (any, error) {
		seen = r
		id := r.Params.UserID("userId")
		name := r.Params.RequiredText("name", 64)
		if err := r.Params.Err(); err != nil {
			return nil, err
		}
		return map[string]any{"userId": id, "token": "tok-" + name}, nil
	}
	resp := s.Serve(context.Background(), route, op, signedEvent("userId=u1&name=Ann"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if !strings.HasPrefix(resp.Body, `{"code":200,`) {
		t.Errorf("body %q does not start with a numeric code 200", resp.Body)
	}
	var got struct {
		Code   any    `json:"code"`
		UserID string `json:"userId"`
		Token  string `json:"token"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Code != float64(200) || got.UserID != "u1" || got.Token != "tok-Ann" {
		t.Errorf("body %s", resp.Body)
	}
	if seen == nil || seen.App.Key != appKey || seen.App.Secret != appSecret {
		t.Errorf("handler saw app %v", seen)
	}
	for k := range resp.Headers {
		if strings.EqualFold(k, "X-Code") {
			t.Errorf("internal header %s leaked into the response", k)
		}
	}
}

func TestSuccessWithoutFields(t *testing.T) {
	s := newServer(t, io.Discard)
	for name, out := range map[string]any{"nil": nil, "empty struct": struct{}{}, "empty map": map[string]int{}} {
		op := func(context.Context, *call.Request) (any, error) { return out, nil }
		resp := s.Serve(context.Background(), route, op, signedEvent(""))
		if resp.StatusCode != 200 || resp.Body != `{"code":200}` {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
}

// A handler whose result is not a JSON object is a bug on our side: 1000, never a half body.
func TestSuccessThatIsNotAnObject(t *testing.T) {
	s := newServer(t, io.Discard)
	for name, out := range map[string]any{
		"slice":         []string{"a"},
		"string":        "ok",
		"nil pointer":   (*struct{ A int })(nil),
		"unmarshalable": map[string]any{"f": func() {}},
	} {
		t.Run(name, func(t *testing.T) {
			op := func(context.Context, *call.Request) (any, error) { return out, nil }
			resp := s.Serve(context.Background(), route, op, signedEvent(""))
			if msg := httpeventtest.WantError(t, resp, 500, apierr.Internal); msg != "internal error" {
				t.Errorf("message %q", msg)
			}
		})
	}
}

func TestSignatureFailures(t *testing.T) {
	s := newServer(t, io.Discard)
	for _, tc := range []struct {
		name   string
		edit   func(h map[string]string)
		status int
		code   int
	}{
		{"missing signature", func(h map[string]string) { delete(h, "signature") }, 400, apierr.BadParam},
		{"missing app key", func(h map[string]string) { delete(h, "app-key") }, 400, apierr.BadParam},
		{"unknown app key", func(h map[string]string) { h["app-key"] = "nobody" }, 401, apierr.AppKeyMismatch},
		{"bad signature", func(h map[string]string) { h["signature"] = strings.Repeat("0", 40) }, 401, apierr.BadSignature},
		{"stale timestamp", func(h map[string]string) {
			ts := fmt.Sprint(now.Add(-time.Hour).UnixMilli())
			h["timestamp"], h["signature"] = ts, signature.Sign(appSecret, "14314", ts)
		}, 401, apierr.BadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := signedEvent("userId=a")
			tc.edit(ev.Headers)
			httpeventtest.WantError(t, s.Serve(context.Background(), route, mustNotRun(t), ev), tc.status, tc.code)
		})
	}
}

// API Gateway lowercases header names, but a local gateway or a test client may not.
func TestHeadersInAnyCase(t *testing.T) {
	s := newServer(t, io.Discard)
	ev := signedEvent("")
	h := map[string]string{}
	for k, v := range ev.Headers {
		h["RC-"+strings.ToUpper(k)] = v
	}
	ev.Headers = h
	ran := false
	op := func(context.Context, *call.Request) (any, error) { ran = true; return nil, nil }
	resp := s.Serve(context.Background(), route, op, ev)
	if resp.StatusCode != 200 || !ran {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
}

func TestBodyEncodings(t *testing.T) {
	s := newServer(t, io.Discard)
	echo := func(ctx context.Context, r *call.Request) (any, error) {
		ids := r.Params.UserIDs("userId", 20)
		if err := r.Params.Err(); err != nil {
			return nil, err
		}
		return map[string]any{"users": ids}, nil
	}
	for _, tc := range []struct {
		name string
		body string
		b64  bool
	}{
		{"plain", "userId=a,b&userId=c", false},
		{"base64", base64.StdEncoding.EncodeToString([]byte("userId=a,b&userId=c")), true},
		{"plain leading &", "&userId=a%2Cb&&userId=c", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := signedEvent(tc.body)
			ev.IsBase64Encoded = tc.b64
			resp := s.Serve(context.Background(), route, echo, ev)
			if resp.StatusCode != 200 || resp.Body != `{"code":200,"users":["a","b","c"]}` {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
		})
	}

	ev := signedEvent("userId=a")
	ev.IsBase64Encoded = true
	httpeventtest.WantError(t, s.Serve(context.Background(), route, mustNotRun(t), ev), 400, apierr.BadParam)

	ev = signedEvent("name=%zz")
	httpeventtest.WantError(t, s.Serve(context.Background(), route, mustNotRun(t), ev), 400, apierr.BadParam)

	ev = signedEvent("userId=a&userId=b")
	single := func(ctx context.Context, r *call.Request) (any, error) {
		r.Params.UserID("userId")
		return nil, r.Params.Err()
	}
	if msg := httpeventtest.WantError(t, s.Serve(context.Background(), route, single, ev), 400, apierr.BadParam); !strings.Contains(msg, "userId") {
		t.Errorf("message %q does not name userId", msg)
	}
}

// An oversize body is refused before any work, even before the signature is looked at.
func TestOversizeBody(t *testing.T) {
	s := newServer(t, io.Discard)
	big := "name=" + strings.Repeat("x", form.MaxBody)
	for _, tc := range []struct {
		name string
		body string
		b64  bool
	}{
		{"plain just over", big[:form.MaxBody+1], false},
		{"plain far over", big + big, false},
		{"base64 just over", base64.StdEncoding.EncodeToString([]byte(big[:form.MaxBody+1])), true},
		{"base64 far over", base64.StdEncoding.EncodeToString([]byte(big + big)), true},
		{"base64 flagged but not base64", big + big, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := signedEvent(tc.body)
			ev.IsBase64Encoded = tc.b64
			delete(ev.Headers, "signature")
			httpeventtest.WantError(t, s.Serve(context.Background(), route, mustNotRun(t), ev), http.StatusRequestEntityTooLarge, 1005)
		})
	}
	// Exactly 512 KiB is still served, plain or base64.
	for _, b64 := range []bool{false, true} {
		body := big[:form.MaxBody]
		if b64 {
			body = base64.StdEncoding.EncodeToString([]byte(body))
		}
		ev := signedEvent(body)
		ev.IsBase64Encoded = b64
		op := func(ctx context.Context, r *call.Request) (any, error) {
			return map[string]int{"n": len(r.Params.Bytes("name", form.MaxBody))}, r.Params.Err()
		}
		resp := s.Serve(context.Background(), route, op, ev)
		if want := fmt.Sprintf(`{"code":200,"n":%d}`, form.MaxBody-5); resp.Body != want {
			t.Errorf("base64 %v: %d %.200s", b64, resp.StatusCode, resp.Body)
		}
	}
}

// TestJSONBodies: a body sent as application/json reaches the operation whole, with no form
// parameters, signed and limited like a form; any other type is read as a form.
func TestJSONBodies(t *testing.T) {
	s := newServer(t, io.Discard)
	body := `{"userId":"u1","tags":["a&b=c"]}`
	for _, tc := range []struct{ contentType, json string }{
		{"application/json", body},
		{"Application/JSON; charset=utf-8", body},
		{"application/x-www-form-urlencoded", ""},
		{"", ""},
	} {
		ev := signedEvent(body)
		ev.Headers["content-type"] = tc.contentType
		var seen *call.Request
		resp := s.Serve(context.Background(), route, func(_ context.Context, r *call.Request) (any, error) {
			seen = r
			return nil, nil
		}, ev)
		if resp.StatusCode != http.StatusOK || seen == nil || string(seen.JSON) != tc.json {
			t.Fatalf("%q: status %d, operation saw %+v", tc.contentType, resp.StatusCode, seen)
		}
		// Read as a form, the body has a parameter "b" (from "&b=c").
		if asForm := tc.json == ""; seen.Params.Has("b") != asForm {
			t.Errorf("%q: form parameter b present = %v, want %v", tc.contentType, !asForm, asForm)
		}
	}
	ev := signedEvent(`{"userId":"u1"}`)
	ev.Headers["content-type"] = "application/json"
	ev.Headers["signature"] = signature.Sign("not-the-secret", "14314", ev.Headers["timestamp"])
	httpeventtest.WantError(t, s.Serve(context.Background(), route, mustNotRun(t), ev), http.StatusUnauthorized, 1004)
	ev = signedEvent(`"` + strings.Repeat("x", form.MaxBody) + `"`)
	ev.Headers["content-type"] = "application/json"
	httpeventtest.WantError(t, s.Serve(context.Background(), route, mustNotRun(t), ev), http.StatusRequestEntityTooLarge, 1005)
}

func TestRequestIDEchoed(t *testing.T) {
	s := newServer(t, io.Discard)
	ok := func(context.Context, *call.Request) (any, error) { return nil, nil }
	boom := func(context.Context, *call.Request) (any, error) { panic("boom") }
	for _, tc := range []struct {
		name   string
		op     call.Handler
		header string
		sign   bool
	}{
		{"success", ok, "x-request-id", true},
		{"error", ok, "x-request-id", false},
		{"panic", boom, "x-request-id", true},
		{"header in another case", ok, "X-Request-Id", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := signedEvent("")
			if !tc.sign {
				delete(ev.Headers, "signature")
			}
			ev.Headers[tc.header] = "req-123"
			resp := s.Serve(context.Background(), route, tc.op, ev)
			if got := resp.Headers["X-Request-ID"]; got != "req-123" {
				t.Errorf("X-Request-ID = %q (status %d)", got, resp.StatusCode)
			}
		})
	}
	resp := s.Serve(context.Background(), route, ok, signedEvent(""))
	if _, has := resp.Headers["X-Request-ID"]; has {
		t.Error("X-Request-ID set on a request that had none")
	}
}

// A store fault must reach the caller as a bare 1000: its text can name tables, keys or AWS
// request ids.
func TestOpaqueErrorIsInternal(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(t, &logs)
	storeErr := fmt.Errorf("put user: %w", errors.New("operation error DynamoDB: UpdateItem, ValidationException: table im-users-prod key APP#testapp"))
	op := func(context.Context, *call.Request) (any, error) { return nil, storeErr }
	resp := s.Serve(context.Background(), route, op, signedEvent("userId=a"))
	if msg := httpeventtest.WantError(t, resp, 500, apierr.Internal); msg != "internal error" {
		t.Errorf("message %q, want %q", msg, "internal error")
	}
	for _, leak := range []string{"DynamoDB", "ValidationException", "im-users-prod", "APP#"} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("body %q shows %q", resp.Body, leak)
		}
	}
	// The operator still gets the cause, in the log.
	if !strings.Contains(logs.String(), "ValidationException") {
		t.Errorf("log does not carry the cause:\n%s", logs.String())
	}
}

func TestPanicIsInternal(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(t, &logs)
	for name, op := range map[string]call.Handler{
		"string panic": func(context.Context, *call.Request) (any, error) { panic("secret detail") },
		"nil map":      func(context.Context, *call.Request) (any, error) { var m map[string]int; m["x"] = 1; return nil, nil },
		"error panic":  func(context.Context, *call.Request) (any, error) { panic(errors.New("secret detail")) },
	} {
		t.Run(name, func(t *testing.T) {
			resp := s.Serve(context.Background(), route, op, signedEvent(""))
			if msg := httpeventtest.WantError(t, resp, 500, apierr.Internal); msg != "internal error" {
				t.Errorf("message %q", msg)
			}
			if strings.Contains(resp.Body, "secret detail") || strings.Contains(resp.Body, "goroutine") {
				t.Errorf("body %q shows the panic", resp.Body)
			}
		})
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) {
		t.Errorf("panic was not logged:\n%s", logs.String())
	}
}

type netTimeout struct{}

func (netTimeout) Error() string   { return "dial tcp 10.0.0.1:443: i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

func TestTimeouts(t *testing.T) {
	s := newServer(t, io.Discard)
	for name, err := range map[string]error{
		"deadline":         context.DeadlineExceeded,
		"wrapped deadline": fmt.Errorf("get user: %w", context.DeadlineExceeded),
		"net timeout":      fmt.Errorf("send: %w", netTimeout{}),
	} {
		t.Run(name, func(t *testing.T) {
			op := func(context.Context, *call.Request) (any, error) { return nil, err }
			resp := s.Serve(context.Background(), route, op, signedEvent(""))
			msg := httpeventtest.WantError(t, resp, http.StatusGatewayTimeout, apierr.Timeout)
			if strings.Contains(msg, "10.0.0.1") {
				t.Errorf("message %q shows the cause", msg)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	s := newServer(t, io.Discard)
	for _, tc := range []struct {
		err    error
		status int
		code   int
		msg    string
	}{
		{apierr.Missing("userId"), 400, 1002, "userId is required"},
		{fmt.Errorf("wrapped: %w", apierr.TooMany("userId", 20)), 400, 1005, "userId"},
		{apierr.New(apierr.RateLimited, "slow down"), 429, 1008, "slow down"},
		{fmt.Errorf("%w: u1", users.ErrUnknownUser), 404, apierr.UnknownUser, "u1"},
		{fmt.Errorf("%w: u2", users.ErrDeactivated), 403, apierr.UserDeactivated, "u2"},
		{users.ErrBlocked, 403, apierr.UserBlocked, "blocked"},
		{users.ErrCapReached, 403, 2007, "100"},
		{users.ErrDevOnly, 401, 1007, "development"},
		{users.ErrBadToken, 401, apierr.BadToken, "token"},
		{context.Canceled, 500, 1000, "internal error"},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			op := func(context.Context, *call.Request) (any, error) { return nil, tc.err }
			msg := httpeventtest.WantError(t, s.Serve(context.Background(), route, op, signedEvent("")), tc.status, tc.code)
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q does not contain %q", msg, tc.msg)
			}
			if got := call.ToAPIError(tc.err); got.Code != tc.code || got.Status != apierr.StatusOf(tc.code) {
				t.Errorf("ToAPIError = %d/%d", got.Code, got.Status)
			}
		})
	}
}

// One JSON line per request, carrying the request and the app, never a secret.
func TestRequestLogLine(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(t, &logs)
	ev := signedEvent("userId=a")
	ev.Headers["x-request-id"] = "req-9"
	ev.RequestContext.RequestID = "aws-1"
	s.Serve(context.Background(), route, func(context.Context, *call.Request) (any, error) {
		return nil, apierr.Missing("name")
	}, ev)
	line := httpeventtest.LogLine(t, logs.String())
	for k, want := range map[string]any{"route": route, "app": appKey, "requestId": "req-9", "awsRequestId": "aws-1", "status": float64(400), "code": float64(1002)} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %v", k, line[k], want)
		}
	}
	for _, secret := range []string{appSecret, ev.Headers["signature"]} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log shows %q", secret)
		}
	}
}

func TestLambdaNeverFails(t *testing.T) {
	s := newServer(t, io.Discard)
	h := s.Lambda(route, func(context.Context, *call.Request) (any, error) { panic("x") }, nil)
	resp, err := h(context.Background(), signedEvent(""))
	if err != nil {
		t.Fatalf("Lambda returned error %v; API Gateway would answer 502", err)
	}
	httpeventtest.WantError(t, resp, 500, apierr.Internal)
}

// FuzzLambda feeds any event bytes to the handler as the Lambda runtime does (aws-lambda-go's
// encoding/json in and out): every event that decodes gets a response with a status and a JSON
// body carrying a code, and only bytes that are no event fail the invocation.
func FuzzLambda(f *testing.F) {
	for _, ev := range []Event{signedEvent("userId=a"), signedEvent(""), {}} {
		b, err := json.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"headers":{"App-Key":"testapp"},"body":"%zz","isBase64Encoded":true}`))
	f.Add([]byte(`{"headers":null,"requestContext":{"authorizer":{"lambda":{"k":1}}}}`))
	f.Add([]byte(`[]`))
	s := newServer(f, io.Discard)
	h := lambda.NewHandler(s.Lambda(route, func(_ context.Context, r *call.Request) (any, error) {
		return map[string]string{"userId": r.Params.UserID("userId")}, r.Params.Err()
	}, nil))
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			var ev Event
			if json.Unmarshal(payload, &ev) == nil {
				t.Fatalf("Invoke(%q) failed on an event that decodes: %v", payload, err)
			}
			return
		}
		var resp Response
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
			t.Fatalf("Invoke(%q) = %s, not a response (%v)", payload, out, err)
		}
		httpeventtest.Decode(t, resp) // a JSON object with a numeric code
	})
}

func FuzzServe(f *testing.F) {
	f.Add("userId=a,b&userId=c", false, true, "", "", "req-1", "")
	f.Add(base64.StdEncoding.EncodeToString([]byte("userId=a&mode=panic")), true, true, "", "", "", "")
	f.Add("mode=opaque", false, true, "X-Request-ID", "r", "", "")
	f.Add("mode=timeout", false, true, "", "", "", "")
	f.Add("mode=apierr&name=x", false, true, "", "", "", "")
	f.Add("userId=a&userId=b&mode=one", false, true, "", "", "", "")
	f.Add("%zz", false, false, "App-Key", appKey, "", "")
	f.Add("not base64!", true, true, "", "", "", "")
	f.Add("", false, false, "rc-signature", "00", "x", "1408710653")
	f.Add("userId=a", false, true, "Timestamp", "1", "", "1")
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	reg, err := apps.NewRegistry([]apps.App{{Key: appKey, Secret: appSecret}})
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{Apps: reg, Window: 5 * time.Minute, Now: func() time.Time { return now }, Log: log}

	// op exercises every way a handler can end, chosen by the body.
	op := func(ctx context.Context, r *call.Request) (any, error) {
		mode := r.Params.Text("mode", 16)
		switch mode {
		case "panic":
			panic("handler panic")
		case "opaque":
			return nil, errors.New("dynamodb: secret table")
		case "timeout":
			return nil, context.DeadlineExceeded
		case "apierr":
			return nil, apierr.Malformed("name", "bad")
		case "one":
			r.Params.UserID("userId")
		default:
			r.Params.UserIDs("userId", 20)
		}
		if err := r.Params.Err(); err != nil {
			return nil, err
		}
		return map[string]string{"mode": mode}, nil
	}

	f.Fuzz(func(t *testing.T, body string, b64, sign bool, hName, hValue, reqID, ts string) {
		ev := Event{Body: body, IsBase64Encoded: b64, Headers: map[string]string{}}
		if sign {
			if ts == "" {
				ts = fmt.Sprint(now.UnixMilli())
			}
			ev.Headers = signedEvent("").Headers
			ev.Headers["timestamp"] = ts
			ev.Headers["signature"] = signature.Sign(appSecret, ev.Headers["nonce"], ts)
		}
		if hName != "" {
			ev.Headers[hName] = hValue
		}
		if reqID != "" {
			ev.Headers["x-request-id"] = reqID
		}
		resp := s.Serve(context.Background(), route, op, ev)

		var got struct {
			Code *json.Number `json:"code"`
		}
		dec := json.NewDecoder(strings.NewReader(resp.Body))
		dec.UseNumber()
		if err := dec.Decode(&got); err != nil || got.Code == nil {
			t.Fatalf("body %q is not a JSON object with a code: %v", resp.Body, err)
		}
		code, err := got.Code.Int64()
		if err != nil {
			t.Fatalf("code %q is not an integer", *got.Code)
		}
		wantStatus := apierr.StatusOf(int(code))
		if code == 1005 && resp.StatusCode == http.StatusRequestEntityTooLarge {
			wantStatus = http.StatusRequestEntityTooLarge
		}
		if resp.StatusCode != wantStatus {
			t.Fatalf("code %d with status %d", code, resp.StatusCode)
		}
		if code == apierr.OK && !strings.HasPrefix(resp.Body, `{"code":200`) {
			t.Fatalf("success body %q", resp.Body)
		}
		if strings.Contains(resp.Body, "secret table") || strings.Contains(resp.Body, "handler panic") {
			t.Fatalf("body %q shows an internal error's text", resp.Body)
		}
		onlyID := reqID
		for k, v := range ev.Headers {
			if strings.EqualFold(k, "x-request-id") {
				if k != "x-request-id" && v != reqID {
					onlyID = "" // two spellings: which one wins is not specified
				}
			}
		}
		if onlyID != "" && resp.Headers["X-Request-ID"] != onlyID {
			t.Fatalf("X-Request-ID %q not echoed (got %q)", onlyID, resp.Headers["X-Request-ID"])
		}
	})
}

// FuzzServeV4 sends any JSON body with any content type, signed, to a v4 path: every answer is
// the contract's JSON with the status its code travels with (415 for a body that is not JSON),
// a success is {"code":0,…}, and no internal error's text shows.
func FuzzServeV4(f *testing.F) {
	f.Add(`{"userIds":["a","b"],"mode":"x","n":"12"}`, "application/json")
	f.Add(`{"userIds":["a"],"mode":"panic"}`, "application/json; charset=utf-8")
	f.Add(`{"userIds":["a"],"mode":"opaque"}`, "application/json")
	f.Add(`{"userIds":["a"],"mode":"apierr"}`, "application/json")
	f.Add(`{"userIds":["a"],"mode":"mismatch"}`, "application/json")
	f.Add(`{"userIds":"a"}`, "application/json")
	f.Add(`userIds=a`, "application/x-www-form-urlencoded")
	f.Add(`[1]`, "")
	s := newServer(f, io.Discard)
	v4 := &call.V4Form{
		Fields: []jsonbody.Field{jsonbody.IDs("userIds", "userId", 20), jsonbody.Text("mode", "mode", 16), jsonbody.Int("n", "count", 0, 99)},
		Answer: call.Answer(func(m map[string]string) any { return m }),
	}
	var wire call.Wire // of the last request the operation saw
	op := func(ctx context.Context, r *call.Request) (any, error) {
		wire = r.Wire
		r.Params.UserIDs("userId", 20)
		r.Params.Int("count", 0, 99, 0)
		switch mode := r.Params.Text("mode", 16); mode {
		case "panic":
			panic("handler panic")
		case "opaque":
			return nil, errors.New("dynamodb: secret table")
		case "apierr":
			return nil, apierr.Malformed("userId", "bad")
		case "mismatch":
			return []string{"not the answer's type"}, nil
		default:
			return map[string]string{"mode": mode}, r.Params.Err()
		}
	}
	h := s.Lambda(route, op, v4)
	f.Fuzz(func(t *testing.T, body, contentType string) {
		ev := signedEvent(body)
		ev.RawPath = "/v4/user/x"
		ev.Headers["content-type"] = contentType
		wire = call.V4
		resp, err := h(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if wire != call.V4 {
			t.Fatal("a v4 path served as v1")
		}
		var got struct {
			Code *int `json:"code"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || got.Code == nil {
			t.Fatalf("body %q is not a JSON object with a code", resp.Body)
		}
		want := apierr.StatusOf(*got.Code)
		switch {
		case *got.Code == 0:
			want = http.StatusOK
			if !strings.HasPrefix(resp.Body, `{"code":0`) {
				t.Fatalf("success body %q", resp.Body)
			}
		case *got.Code == apierr.BadParam && resp.StatusCode == http.StatusUnsupportedMediaType:
			want = resp.StatusCode
		case *got.Code == apierr.BodyTooLarge && resp.StatusCode == http.StatusRequestEntityTooLarge:
			want = resp.StatusCode
		}
		if resp.StatusCode != want {
			t.Fatalf("code %d with status %d", *got.Code, resp.StatusCode)
		}
		if strings.Contains(resp.Body, "secret table") || strings.Contains(resp.Body, "handler panic") || strings.Contains(resp.Body, "not the answer") {
			t.Fatalf("body %q shows an internal error's text", resp.Body)
		}
		if strings.Contains(resp.Body, `"userId is`) {
			t.Fatalf("body %q names the v1 parameter, not the v4 field", resp.Body)
		}
	})
}
