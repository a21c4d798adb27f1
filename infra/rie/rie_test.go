package rie_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"imusers/infra/local/localenv"
	"imusers/infra/rie"
	"imusers/shared/domain/webhooks"
	"imusers/shared/routes"
	"imusers/shared/testenv"
)

var update = flag.Bool("update", false, "rewrite functions/*/events/*.json from the sample table")

func root(t testing.TB) string {
	t.Helper()
	r, err := localenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSampleEvents keeps functions/*/events in step with the sample table: every function of
// the route table has a success and an error event, and every file is what the table says.
func TestSampleEvents(t *testing.T) {
	dir := root(t)
	want := map[string][]byte{}
	for _, s := range samples {
		data, err := json.MarshalIndent(s.event, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want[s.path()] = append(data, '\n')
	}
	for _, r := range routes.All {
		var ok, bad bool
		for _, s := range samples {
			if s.fn == r.Name {
				ok, bad = ok || s.success(), bad || !s.success()
			}
		}
		if !ok || !bad {
			t.Errorf("%s needs a success and an error sample event in the sample table", r.Name)
		}
	}
	for _, s := range samples {
		if _, ok := routes.ByName(s.fn); !ok {
			t.Errorf("%s is a sample event of %s, which is not in the route table", s.path(), s.fn)
		}
	}
	for fn, deps := range rie.Setup {
		for _, name := range append([]string{fn}, deps...) {
			if _, ok := routes.ByName(name); !ok {
				t.Errorf("rie.Setup names %s, which is not in the route table", name)
			}
		}
	}
	if *update {
		for p, data := range want {
			full := filepath.Join(dir, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "functions", "*", "events", "*.json"))
	for _, f := range files {
		p, _ := filepath.Rel(dir, f)
		if _, ok := want[filepath.ToSlash(p)]; !ok {
			if *update {
				_ = os.Remove(f)
				continue
			}
			t.Errorf("%s is not in the sample table: add it there (or remove the file)", p)
		}
	}
	for p, data := range want {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s differs from the sample table: run go test ./infra/rie -run TestSampleEvents -update", p)
		}
	}
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// bootstraps builds every function once for the whole test binary.
func bootstraps(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imusers-rie-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		buildErr = rie.Build(ctx, root(t), dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// TestFunctionsUnderEmulator runs every function's real bootstrap under aws-lambda-rie, over
// dynalite and a fresh table, with each of its sample events.
func TestFunctionsUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every function")
	}
	emulator, err := rie.Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := root(t)
	build := bootstraps(t)
	endpoint := testenv.Endpoint(t)
	db := testenv.Client(t)
	for _, r := range routes.All {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			aws, err := rie.StartAWS()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(aws.Close)
			var logs testenv.SyncBuffer
			stack := &rie.Stack{RIE: emulator, BuildDir: build, Output: &logs,
				Env: rie.Environment{DynamoDB: endpoint, AWS: aws.URL, Table: testenv.NewTable(t, db)}}
			t.Cleanup(func() {
				stack.Stop()
				if t.Failed() {
					t.Logf("emulator and function output:\n%s", logs.String())
				}
			})
			ctx := context.Background()
			token, err := rie.Prepare(ctx, stack, dir, r.Name)
			if err != nil {
				t.Fatal(err)
			}
			aws.Reset()
			for _, s := range samples {
				if s.fn != r.Name {
					continue
				}
				t.Run(s.name, func(t *testing.T) {
					event, err := os.ReadFile(filepath.Join(dir, s.path()))
					if err != nil {
						t.Fatal(err)
					}
					res, err := stack.Invoke(ctx, r.Name, rie.WithToken(event, token), time.Minute)
					if err != nil {
						t.Fatal(err)
					}
					s.check(t, outcome{res: res, calls: aws.Calls()})
					aws.Reset()
				})
			}
		})
	}
}

// outcome is what one invocation led to.
type outcome struct {
	res   rie.Result
	calls []rie.Call
}

type bodyCheck func(t *testing.T, o outcome, body map[string]any)

// answers expects an API Gateway response with this HTTP status and JSON "code".
func answers(status, code int, more ...bodyCheck) func(*testing.T, outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(o.res.Body, &resp); err != nil || o.res.Status != 200 {
			t.Fatalf("emulator answered HTTP %d %s", o.res.Status, o.res.Body)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatalf("body is not a JSON object: %q", resp.Body)
		}
		if resp.StatusCode != status || body["code"] != float64(code) {
			t.Fatalf("got statusCode %d, body %s; want statusCode %d, code %d", resp.StatusCode, resp.Body, status, code)
		}
		for _, c := range more {
			c(t, o, body)
		}
	}
}

func field(name string, want any) bodyCheck {
	return func(t *testing.T, _ outcome, body map[string]any) {
		t.Helper()
		if !reflect.DeepEqual(body[name], want) {
			t.Errorf("%s = %#v, want %#v", name, body[name], want)
		}
	}
}

// inResult runs checks on a v4 answer's result object.
func inResult(checks ...bodyCheck) bodyCheck {
	return func(t *testing.T, o outcome, body map[string]any) {
		t.Helper()
		result, ok := body["result"].(map[string]any)
		if !ok {
			t.Fatalf("no result object in %v", body)
		}
		for _, c := range checks {
			c(t, o, result)
		}
	}
}

func nonEmpty(name string) bodyCheck {
	return func(t *testing.T, _ outcome, body map[string]any) {
		t.Helper()
		if s, _ := body[name].(string); s == "" {
			t.Errorf("%s = %#v, want a non-empty string", name, body[name])
		}
	}
}

// listed expects body[name] to be a list of objects whose key fields are values, in order.
func listed(name, key string, values ...string) bodyCheck {
	return func(t *testing.T, _ outcome, body map[string]any) {
		t.Helper()
		list, _ := body[name].([]any)
		var got []string
		for _, e := range list {
			m, _ := e.(map[string]any)
			s, _ := m[key].(string)
			got = append(got, s)
		}
		if !slices.Equal(got, values) {
			t.Errorf("%s[].%s = %q, want %q", name, key, got, values)
		}
	}
}

// eventsQueued expects exactly one asynchronous invocation of the webhook delivery function,
// with one event of type typ about the sample user.
func eventsQueued(typ string) bodyCheck {
	return func(t *testing.T, o outcome, _ map[string]any) {
		t.Helper()
		if len(o.calls) != 1 {
			t.Fatalf("AWS calls = %+v, want one Lambda Invoke", o.calls)
		}
		c := o.calls[0]
		if c.Function != "webhookDeliver" || c.InvocationType != "Event" {
			t.Errorf("invoked %q as %q, want webhookDeliver as Event", c.Function, c.InvocationType)
		}
		var b webhooks.Batch
		if err := json.Unmarshal(c.Body, &b); err != nil {
			t.Fatalf("batch %s: %v", c.Body, err)
		}
		if b.App != localenv.AppKey || len(b.Events) != 1 || b.Events[0].Type != typ || b.Events[0].Data.UserID != sampleUser || b.Events[0].ID == "" {
			t.Errorf("batch = %s, want one %s event of %s", c.Body, typ, sampleUser)
		}
	}
}

// erasureQueued expects exactly one asynchronous invocation of the erasure function with a
// job for the sample user, under the response's operateId when the response has one.
func erasureQueued(operateIDInBody bool) bodyCheck {
	return func(t *testing.T, o outcome, body map[string]any) {
		t.Helper()
		if len(o.calls) != 1 {
			t.Fatalf("AWS calls = %+v, want one Lambda Invoke", o.calls)
		}
		c := o.calls[0]
		if c.Function != "eraseUsers" || c.InvocationType != "Event" {
			t.Errorf("invoked %q as %q, want eraseUsers as Event", c.Function, c.InvocationType)
		}
		var job struct {
			App       string   `json:"app"`
			Users     []string `json:"users"`
			OperateID string   `json:"operateId"`
		}
		if err := json.Unmarshal(c.Body, &job); err != nil {
			t.Fatalf("job %s: %v", c.Body, err)
		}
		if job.App != localenv.AppKey || !slices.Equal(job.Users, []string{sampleUser}) || job.OperateID == "" {
			t.Errorf("job = %+v, want app %s, users [%s] and an operateId", job, localenv.AppKey, sampleUser)
		}
		if operateIDInBody && job.OperateID != body["operateId"] {
			t.Errorf("job operateId %q, response operateId %v", job.OperateID, body["operateId"])
		}
	}
}

// forwards expects the $default route to have invoked fn synchronously, once, with the event
// rewritten to the cleaned path, and to answer with the stand-in's response unchanged.
func forwards(fn, path string) func(*testing.T, outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		var got, want events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(o.res.Body, &got); err != nil || o.res.Status != 200 {
			t.Fatalf("emulator answered HTTP %d %s", o.res.Status, o.res.Body)
		}
		if err := json.Unmarshal([]byte(rie.OperationAnswer), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("answered %s, want the invoked function's answer unchanged: %s", o.res.Body, rie.OperationAnswer)
		}
		if len(o.calls) != 1 {
			t.Fatalf("AWS calls = %+v, want one Lambda Invoke", o.calls)
		}
		c := o.calls[0]
		if c.Function != rie.FunctionPrefix+fn || c.InvocationType != "RequestResponse" {
			t.Errorf("invoked %q as %q, want %s%s as RequestResponse", c.Function, c.InvocationType, rie.FunctionPrefix, fn)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(c.Body, &ev); err != nil {
			t.Fatalf("forwarded event %s: %v", c.Body, err)
		}
		if ev.RawPath != path || ev.RouteKey != "POST "+path || ev.RequestContext.HTTP.Path != path || ev.RequestContext.RouteKey != "POST "+path {
			t.Errorf("forwarded rawPath %q routeKey %q, requestContext path %q routeKey %q; want %s and POST %s",
				ev.RawPath, ev.RouteKey, ev.RequestContext.HTTP.Path, ev.RequestContext.RouteKey, path, path)
		}
		if ev.Body == "" || ev.Headers["app-key"] != localenv.AppKey || ev.RequestContext.RequestID != "sample-httpDefault" {
			t.Errorf("forwarded event lost the request's body, headers or id: %s", c.Body)
		}
	}
}

func noCalls(t *testing.T, o outcome, _ map[string]any) {
	t.Helper()
	if len(o.calls) != 0 {
		t.Errorf("AWS calls = %+v, want none", o.calls)
	}
}

// servesFile expects a console answer of this status and content type, with the page's
// security headers, and no AWS call.
func servesFile(status int, contentType string) func(*testing.T, outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(o.res.Body, &resp); err != nil || o.res.Status != 200 {
			t.Fatalf("emulator answered HTTP %d %s", o.res.Status, o.res.Body)
		}
		if resp.StatusCode != status || resp.Headers["Content-Type"] != contentType {
			t.Fatalf("got statusCode %d, Content-Type %q; want %d, %q", resp.StatusCode, resp.Headers["Content-Type"], status, contentType)
		}
		if !strings.HasPrefix(resp.Headers["Content-Security-Policy"], "default-src 'self'") || resp.Headers["X-Content-Type-Options"] != "nosniff" {
			t.Errorf("headers %v lack the page's Content-Security-Policy or nosniff", resp.Headers)
		}
		if len(o.calls) != 0 {
			t.Errorf("AWS calls = %+v, want none", o.calls)
		}
	}
}

// workerSucceeds expects an asynchronous worker's null result.
func workerSucceeds(t *testing.T, o outcome) {
	t.Helper()
	if o.res.Status != 200 || strings.TrimSpace(string(o.res.Body)) != "null" {
		t.Fatalf("emulator answered HTTP %d %s, want null", o.res.Status, o.res.Body)
	}
}

// functionFails expects the function to return an error, reported as Lambda reports it: an
// errorType and errorMessage (equal to message, when given).
func functionFails(message string) func(*testing.T, outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		var e struct {
			Message string `json:"errorMessage"`
			Type    string `json:"errorType"`
		}
		if err := json.Unmarshal(o.res.Body, &e); err != nil || e.Type == "" || e.Message == "" {
			t.Fatalf("emulator answered HTTP %d %s, want a function error", o.res.Status, o.res.Body)
		}
		if message != "" && e.Message != message {
			t.Errorf("errorMessage = %q, want %q", e.Message, message)
		}
	}
}

// authorizes expects an authorizer policy for the sample user with this effect.
func authorizes(effect string) func(*testing.T, outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		var resp struct {
			PrincipalID    string `json:"principalId"`
			PolicyDocument struct {
				Statement []struct{ Effect string }
			} `json:"policyDocument"`
			Context map[string]any `json:"context"`
		}
		if err := json.Unmarshal(o.res.Body, &resp); err != nil || len(resp.PolicyDocument.Statement) != 1 {
			t.Fatalf("emulator answered HTTP %d %s, want a policy", o.res.Status, o.res.Body)
		}
		if resp.PrincipalID != sampleUser || resp.PolicyDocument.Statement[0].Effect != effect ||
			resp.Context["app"] != localenv.AppKey || resp.Context["user"] != sampleUser {
			t.Errorf("policy %s, want %s for %s of %s", o.res.Body, effect, sampleUser, localenv.AppKey)
		}
	}
}

// wsAnswers expects a WebSocket route's response with this status and body.
func wsAnswers(status int, body string) func(*testing.T, outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(o.res.Body, &resp); err != nil || o.res.Status != 200 {
			t.Fatalf("emulator answered HTTP %d %s", o.res.Status, o.res.Body)
		}
		if resp.StatusCode != status || resp.Body != body {
			t.Errorf("got statusCode %d body %q, want %d %q", resp.StatusCode, resp.Body, status, body)
		}
	}
}

// acks expects the sendMessage route's ack frame with this code, echoing clientMsgID, with a
// msgId exactly when the message was accepted; nothing is posted to any connection (the sample
// recipient has none open).
func acks(code int, clientMsgID string) func(*testing.T, outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(o.res.Body, &resp); err != nil || o.res.Status != 200 || resp.StatusCode != 200 {
			t.Fatalf("emulator answered HTTP %d %s", o.res.Status, o.res.Body)
		}
		var ack struct {
			Type, ClientMsgID, MsgID string
			Code                     int
		}
		if err := json.Unmarshal([]byte(resp.Body), &ack); err != nil {
			t.Fatalf("ack %q is not a JSON object", resp.Body)
		}
		if ack.Type != "ack" || ack.Code != code || ack.ClientMsgID != clientMsgID || (ack.MsgID != "") != (code == 200) {
			t.Errorf("ack %s, want code %d for %s with a msgId only on success", resp.Body, code, clientMsgID)
		}
		if len(o.calls) != 0 {
			t.Errorf("AWS calls = %+v, want none", o.calls)
		}
	}
}
