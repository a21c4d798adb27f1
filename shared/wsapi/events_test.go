package wsapi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/apps"
	"imusers/shared/lambdaapp"
	"imusers/shared/service"
	"imusers/shared/testenv"
)

// TestSampleEvents runs the sample events of the connection API's functions and of the ban and
// presence calls (functions/<name>/events, which the Lambda emulator tests also send) through
// the same JSON boundary, against the documented local app, so they stay valid events.
func TestSampleEvents(t *testing.T) {
	local := apps.App{Key: "local-app-key", Secret: "local-app-secret", Environment: apps.Development}
	s := testenv.StartStackWith(t, testenv.Options{Apps: []apps.App{local}, Configure: func(c *service.Config) { c.SignatureWindow = 0 }})
	// The sample token was issued at 2026-01-01T00:00:00Z, after alice registered.
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	if err := s.Service.Store.Register(context.Background(), local.Key, "alice", "Alice", "", issued-1000, false); err != nil {
		t.Fatal(err)
	}
	run := func(name string) map[string]any {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(testenv.Root(), "functions", name, "events", "*.json"))
		if len(files) == 0 {
			t.Fatalf("%s has no sample events", name)
		}
		h, err := lambdaapp.Handler(s.Service, name)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		out, err := lambda.NewHandler(h).Invoke(context.Background(), payload)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s answered %s", name, out)
		}
		return m
	}
	authz := run("wsAuthorize")
	if st := authz["policyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any); st["Effect"] != "Allow" || authz["context"].(map[string]any)["user"] != "alice" {
		t.Fatalf("authorizer sample answered %v", authz)
	}
	if r := run("wsConnect"); r["statusCode"] != float64(200) {
		t.Fatalf("connect sample answered %v", r)
	}
	conns, err := s.Service.Store.Connections(context.Background(), local.Key, "alice")
	if err != nil || len(conns) != 1 {
		t.Fatalf("connect sample recorded %v, %v", conns, err)
	}
	if r := run("wsPing"); r["statusCode"] != float64(200) || r["body"] != `{"type":"pong"}` {
		t.Fatalf("ping sample answered %v", r)
	}
	if r := run("wsDisconnect"); r["statusCode"] != float64(200) {
		t.Fatalf("disconnect sample answered %v", r)
	}
	if conns, _ := s.Service.Store.Connections(context.Background(), local.Key, "alice"); len(conns) != 0 {
		t.Fatalf("disconnect sample left %v", conns)
	}
	for _, name := range []string{"userBlock", "userUnblock", "userBlockQuery", "userCheckOnline", "userCheckOnlineBatch"} {
		r := run(name)
		var body map[string]any
		if err := json.Unmarshal([]byte(r["body"].(string)), &body); err != nil || r["statusCode"] != float64(200) || body["code"] != float64(200) {
			t.Fatalf("%s sample answered %v", name, r)
		}
	}
}
