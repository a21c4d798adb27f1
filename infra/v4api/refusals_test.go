package v4api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"imusers/infra/apicall"
	"imusers/shared/apps"
	"imusers/shared/routes"
	"imusers/shared/testenv"
	"imusers/shared/testenv/v4client"
	"imusers/shared/wire/apierr"
	"imusers/shared/wire/jsonbody"
)

const jsonType = "application/json"

// wantError fails unless err is the contract's error with this status and code, its message
// naming what it should (when not "").
func wantError(t *testing.T, err error, status, code int, names string) {
	t.Helper()
	var e *v4client.Error
	if !errors.As(err, &e) || e.Status != status || e.Code != code || !strings.Contains(e.Message, names) || e.Message == "" {
		t.Fatalf("got %v, want HTTP %d code %d naming %q", err, status, code, names)
	}
}

// wrongType is a JSON value of another type than a field of kind k takes.
func wrongType(k jsonbody.Kind) any {
	switch k {
	case jsonbody.UserIDs, jsonbody.Strings, jsonbody.Choices:
		return "alice"
	case jsonbody.Integer:
		return "ten"
	case jsonbody.Object, jsonbody.AnyObject:
		return []string{"a"}
	}
	return 12
}

type refusal struct {
	name        string
	client      *v4client.Client
	contentType string
	body        any
	status      int
	code        int
	names       string
}

// Every v4 operation (each of its paths) answers what its document lists as 400, 401, 413 and
// 415 before any DynamoDB call, so nothing changes: a foreign App-Key, a bad signature, a form
// body, a body over 512 KiB, a body that is no JSON object, each field of the wrong JSON type,
// and each required field left out or null.
func TestEveryV4OperationRefusesBadRequests(t *testing.T) {
	s := testenv.StartStack(t)
	u := apicall.Users{A: "alice", B: "bob"}
	s.Client(0).Register(t, u.A)
	s.Client(0).Register(t, u.B)
	good := s.V4(0)
	foreign, forged := s.V4(0), s.V4(0)
	foreign.App = testenv.NewApp(apps.Development)
	forged.App.Secret = "not-the-secret"
	huge := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("a"), 512<<10)...), `"}`...)
	for _, c := range apicall.Available() {
		if c.V4 == nil {
			continue
		}
		r, _ := routes.ByName(c.Route)
		form := s.Service.V4Form(c.Route)
		for _, path := range r.V4 {
			t.Run(path, func(t *testing.T) {
				cases := []refusal{
					{"foreign app", foreign, jsonType, c.V4(u), http.StatusUnauthorized, apierr.AppKeyMismatch, ""},
					{"bad signature", forged, jsonType, c.V4(u), http.StatusUnauthorized, apierr.BadSignature, ""},
					{"form body", good, "application/x-www-form-urlencoded", []byte(c.Form(u).Encode()), http.StatusUnsupportedMediaType, apierr.BadParam, "Content-Type"},
					{"no content type", good, "", c.V4(u), http.StatusUnsupportedMediaType, apierr.BadParam, "Content-Type"},
					{"too large", good, jsonType, huge, http.StatusRequestEntityTooLarge, apierr.BodyTooLarge, "512 KiB"},
					{"array", good, jsonType, []byte(`[]`), http.StatusBadRequest, apierr.BadParam, "JSON object"},
					{"not JSON", good, jsonType, []byte(`{"userId":`), http.StatusBadRequest, apierr.BadParam, "JSON object"},
				}
				for _, f := range form.Fields {
					body := c.V4(u)
					body[f.Name] = wrongType(f.Kind)
					cases = append(cases, refusal{"wrong type of " + f.Name, good, jsonType, body, http.StatusBadRequest, apierr.BadParam, f.Name})
					if f.Required {
						body := c.V4(u)
						body[f.Name] = nil
						cases = append(cases, refusal{"null " + f.Name, good, jsonType, body, http.StatusBadRequest, apierr.BadParam, f.Name})
						delete(body, f.Name)
						cases = append(cases, refusal{"no " + f.Name, good, jsonType, body, http.StatusBadRequest, apierr.BadParam, f.Name})
					}
				}
				for _, tc := range cases {
					s.Calls.Reset()
					_, err := tc.client.Call(context.Background(), path, tc.contentType, tc.body)
					t.Run(tc.name, func(t *testing.T) { wantError(t, err, tc.status, tc.code, tc.names) })
					if n := s.Calls.Calls().Total(); n != 0 {
						t.Errorf("%s: %d DynamoDB calls for a refused request", tc.name, n)
					}
				}
			})
		}
	}
}

// A v4 request without a signature header is a 400/1002 naming it, as in v1.
func TestV4UnsignedRequest(t *testing.T) {
	s := testenv.StartStack(t)
	h := s.Client(0).SignedHeaders()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v4/user/get", strings.NewReader(`{"userId":"alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", jsonType)
	for _, k := range []string{"App-Key", "Nonce", "Timestamp"} {
		req.Header.Set(k, h[k])
	}
	r := testenv.Do(t, nil, req)
	if r.Status != http.StatusBadRequest || r.Code() != apierr.BadParam || !strings.Contains(r.Raw, "Signature") {
		t.Fatalf("got HTTP %d %s", r.Status, r.Raw)
	}
}

// Another method, or a path of no operation, answers as v1 does (404, 1002, naming the path);
// an uncleaned v4 path reaches its operation through the $default route.
func TestV4PathsAndMethods(t *testing.T) {
	s := testenv.StartStack(t)
	v4 := s.V4(0)
	s.Client(0).Register(t, "alice")
	_, err := v4.Call(ctx, "/v4/user/nothing", jsonType, map[string]any{"userId": "alice"})
	wantError(t, err, http.StatusNotFound, apierr.BadParam, "/v4/user/nothing")
	var got v4client.GetUserResult
	ok(t, v4.Post(ctx, "//v4/user/./get", jsonType, v4client.UserRequest{UserID: "alice"}, &got))
	if got.Name != "Name of alice" {
		t.Fatalf("the uncleaned path answered %+v", got)
	}
	req, err := http.NewRequest(http.MethodGet, s.URL+"/v4/user/get", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range s.Client(0).SignedHeaders() {
		req.Header.Set(k, v)
	}
	if r := testenv.Do(t, nil, req); r.Status != http.StatusNotFound || r.Code() != apierr.BadParam || !strings.Contains(r.Raw, "/v4/user/get") {
		t.Fatalf("GET answered HTTP %d %s", r.Status, r.Raw)
	}
}
