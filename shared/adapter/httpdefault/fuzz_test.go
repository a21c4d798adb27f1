package httpdefault_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"imusers/shared/adapter/httpdefault"
	"imusers/shared/routes"
)

type recorded struct {
	Function string
	Payload  []byte
}

type recordingLambda struct{ calls []recorded }

func (l *recordingLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	l.calls = append(l.calls, recorded{aws.ToString(in.FunctionName), in.Payload})
	return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"statusCode":200,"body":"{\"code\":200}"}`)}, nil
}

// Whatever path arrives, the $default route never panics, answers a JSON body, and invokes
// nothing but the Server API function of the cleaned path, with that path in the event.
func FuzzFallback(f *testing.F) {
	for _, r := range routes.All {
		for _, p := range r.Paths() {
			f.Add(http.MethodPost, "/"+p)
			f.Add(http.MethodGet, p+"/")
		}
	}
	for _, p := range []string{"", "/", "//", "/..", "/user/../../x", "/user/info.json/.", "//user/%2e%2e/info.json",
		"/user/info.json\x00", "\xff\xfe", "/" + strings.Repeat("a/", 600), "/2015-03-31/functions/eraseUsers/invocations"} {
		f.Add(http.MethodPost, p)
	}
	lookup := func(p string) (string, bool) {
		r, ok := routes.ByPath(p)
		return r.Name, ok
	}
	fb := &httpdefault.Fallback{Lookup: lookup, Prefix: "stack-", Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}

	f.Fuzz(func(t *testing.T, method, raw string) {
		l := &recordingLambda{}
		fb := *fb
		fb.Functions = l
		ev := httpdefault.Event{RawPath: raw, RouteKey: httpdefault.Route}
		ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = method, raw
		resp, err := fb.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handle returned %v", err)
		}
		var body map[string]any
		if json.Unmarshal([]byte(resp.Body), &body) != nil || body["code"] == nil {
			t.Fatalf("body %q is not a JSON object with a code", resp.Body)
		}
		clean := httpdefault.CleanPath(raw)
		if len(l.calls) == 0 {
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("nothing invoked, yet HTTP %d", resp.StatusCode)
			}
			if r, ok := routes.ByPath(clean); ok && method == http.MethodPost && clean != raw {
				t.Fatalf("%q cleans to %s's path %q, yet nothing was invoked", raw, r.Name, clean)
			}
			return
		}
		if len(l.calls) > 1 || method != http.MethodPost || clean == raw {
			t.Fatalf("%s %q invoked %d times", method, raw, len(l.calls))
		}
		name, _ := strings.CutPrefix(l.calls[0].Function, "stack-")
		r, ok := routes.ByName(name)
		if !ok || r.Kind != routes.HTTP {
			t.Fatalf("%q invoked %q, which is not a Server API function", raw, name)
		}
		var sent httpdefault.Event
		if err := json.Unmarshal(l.calls[0].Payload, &sent); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(r.Paths(), sent.RawPath) || sent.RawPath != clean || sent.RouteKey != "POST "+clean ||
			sent.RequestContext.HTTP.Path != clean || sent.RequestContext.RouteKey != sent.RouteKey {
			t.Fatalf("%q forwarded as %q (%s) to %s", raw, sent.RawPath, sent.RouteKey, name)
		}
	})
}
