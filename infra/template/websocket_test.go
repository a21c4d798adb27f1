package template

import (
	"fmt"
	"strings"
	"testing"

	"imusers/shared/routes"
)

// lambdaURI is how an API Gateway integration or authorizer names the function it invokes.
func lambdaURI(route string) any {
	return sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${" + logicalID(route) + ".Arn}/invocations")
}

// wsTargets returns, for each route of the connection API, its resource.
func wsTargets(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, r := range resourcesOfType(t, "AWS::ApiGatewayV2::Route") {
		if !same(at(r, "Properties", "ApiId"), ref(wsAPIID)) {
			t.Errorf("route %s belongs to %s, not the connection API", id, canon(at(r, "Properties", "ApiId")))
			continue
		}
		key := fmt.Sprint(at(r, "Properties", "RouteKey"))
		if out[key] != nil {
			t.Errorf("route key %s appears twice", key)
		}
		out[key] = r
	}
	return out
}

// TestWebSocketAPI keeps the connection API equal to the route table: one route per WebSocket
// function with its own integration and invoke permission, the token authorizer on $connect
// only, route selection on the frame's "action", a throttled stage, and two-way routes where the
// function answers the client.
func TestWebSocketAPI(t *testing.T) {
	api := resource(t, wsAPIID, "AWS::ApiGatewayV2::Api")
	if got := at(api, "Properties", "ProtocolType"); got != "WEBSOCKET" {
		t.Errorf("ProtocolType = %v, want WEBSOCKET", got)
	}
	if got := at(api, "Properties", "RouteSelectionExpression"); got != "$request.body.action" {
		t.Errorf("RouteSelectionExpression = %v, want $request.body.action", got)
	}

	var authorizer routes.Route
	want := map[string]routes.Route{}
	for _, r := range routes.All {
		switch r.Kind {
		case routes.WebSocket:
			want[r.RouteKey] = r
		case routes.Authorizer:
			if authorizer.Name != "" {
				t.Errorf("route table has two authorizers, %s and %s", authorizer.Name, r.Name)
			}
			authorizer = r
		}
	}
	if authorizer.Name == "" {
		t.Fatal("route table has no $connect authorizer")
	}

	authorizers := resourcesOfType(t, "AWS::ApiGatewayV2::Authorizer")
	if len(authorizers) != 1 {
		t.Fatalf("template has %d authorizers, want 1", len(authorizers))
	}
	var authzID string
	for id, a := range authorizers {
		authzID = id
		for key, w := range map[string]any{
			"ApiId":          ref(wsAPIID),
			"AuthorizerType": "REQUEST",
			"AuthorizerUri":  lambdaURI(authorizer.Name),
			"IdentitySource": []any{"route.request.querystring.token"},
		} {
			if got := at(a, "Properties", key); !same(got, w) {
				t.Errorf("authorizer %s: %s = %s, want %s", id, key, canon(got), canon(w))
			}
		}
	}

	integrations := resourcesOfType(t, "AWS::ApiGatewayV2::Integration")
	routeResponses := resourcesOfType(t, "AWS::ApiGatewayV2::RouteResponse")
	got := wsTargets(t)
	gotKeys, wantKeys := map[string]bool{}, map[string]bool{}
	for k := range got {
		gotKeys[k] = true
	}
	for k := range want {
		wantKeys[k] = true
	}
	diff(t, "connection API route keys", gotKeys, wantKeys)

	for key, r := range want {
		t.Run(r.Name, func(t *testing.T) {
			res := got[key]
			if res == nil {
				t.Fatalf("no route %s", key)
			}
			var routeID string
			for id, rr := range resourcesOfType(t, "AWS::ApiGatewayV2::Route") {
				if same(rr, res) {
					routeID = id
				}
			}
			target, _ := at(res, "Properties", "Target", "Fn::Sub").(string)
			integID, ok := strings.CutPrefix(target, "integrations/${")
			integID = strings.TrimSuffix(integID, "}")
			integ := integrations[integID]
			if !ok || integ == nil {
				t.Fatalf("Target = %s, want integrations/${<an integration of this template>}", canon(at(res, "Properties", "Target")))
			}
			for k, w := range map[string]any{"ApiId": ref(wsAPIID), "IntegrationType": "AWS_PROXY", "IntegrationUri": lambdaURI(r.Name)} {
				if g := at(integ, "Properties", k); !same(g, w) {
					t.Errorf("integration %s: %s = %s, want %s", integID, k, canon(g), canon(w))
				}
			}
			if key == "$connect" {
				if at(res, "Properties", "AuthorizationType") != "CUSTOM" || !same(at(res, "Properties", "AuthorizerId"), ref(authzID)) {
					t.Errorf("$connect must use the token authorizer: %s", canon(res["Properties"]))
				}
			} else if a := at(res, "Properties", "AuthorizationType"); a != "NONE" {
				// Only $connect can carry an authorizer; later routes get its context.
				t.Errorf("AuthorizationType = %v, want NONE", a)
			}
			// A route whose function answers the client (not $connect/$disconnect) is two-way.
			if !strings.HasPrefix(key, "$") {
				if at(res, "Properties", "RouteResponseSelectionExpression") != "$default" {
					t.Errorf("route %s: RouteResponseSelectionExpression = %v, want $default so the answer reaches the client", key, at(res, "Properties", "RouteResponseSelectionExpression"))
				}
				found := false
				for _, rr := range routeResponses {
					if same(at(rr, "Properties", "RouteId"), ref(routeID)) && at(rr, "Properties", "RouteResponseKey") == "$default" {
						found = true
					}
				}
				if !found {
					t.Errorf("route %s has no $default RouteResponse", key)
				}
			}
		})
	}

	// Every function API Gateway invokes may be invoked by it, from this API only.
	perms := resourcesOfType(t, "AWS::Lambda::Permission")
	for _, r := range append([]routes.Route{authorizer}, func() []routes.Route {
		var out []routes.Route
		for _, r := range want {
			out = append(out, r)
		}
		return out
	}()...) {
		ok := false
		for _, p := range perms {
			if !same(at(p, "Properties", "FunctionName"), ref(logicalID(r.Name))) {
				continue
			}
			src, _ := at(p, "Properties", "SourceArn", "Fn::Sub").(string)
			ok = at(p, "Properties", "Action") == "lambda:InvokeFunction" &&
				at(p, "Properties", "Principal") == "apigateway.amazonaws.com" &&
				strings.HasPrefix(src, "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${"+wsAPIID+"}/")
		}
		if !ok {
			t.Errorf("%s has no lambda:InvokeFunction permission for apigateway.amazonaws.com from the connection API", r.Name)
		}
	}

	stages := resourcesOfType(t, "AWS::ApiGatewayV2::Stage")
	found := false
	for id, st := range stages {
		if !same(at(st, "Properties", "ApiId"), ref(wsAPIID)) {
			continue
		}
		found = true
		if at(st, "Properties", "StageName") != wsStage {
			t.Errorf("stage %s: StageName = %v, want %s (the management endpoint and kick permissions name it)", id, at(st, "Properties", "StageName"), wsStage)
		}
		if at(st, "Properties", "AutoDeploy") != true {
			t.Errorf("stage %s: AutoDeploy = %v, want true (route changes must reach the stage)", id, at(st, "Properties", "AutoDeploy"))
		}
		limits := at(st, "Properties", "DefaultRouteSettings")
		if !same(at(limits, "ThrottlingRateLimit"), ref(routes.ConnectionRateParameter)) {
			t.Errorf("stage %s: ThrottlingRateLimit = %v, want the parameter %s", id, at(limits, "ThrottlingRateLimit"), routes.ConnectionRateParameter)
		}
		rate, _ := paramNumber(t, at(limits, "ThrottlingRateLimit"))
		if rate != routes.ConnectionDeployedRate {
			t.Errorf("stage %s: ThrottlingRateLimit defaults to %v, want %d", id, rate, routes.ConnectionDeployedRate)
		}
		if burst, ok := paramNumber(t, at(limits, "ThrottlingBurstLimit")); !ok || burst < rate {
			t.Errorf("stage %s: ThrottlingBurstLimit = %v, want at least the rate", id, at(limits, "ThrottlingBurstLimit"))
		}
	}
	if !found {
		t.Error("the connection API has no stage")
	}

	outs, _ := tmpl(t)["Outputs"].(map[string]any)
	if url := at(outs, "ConnectionApiUrl", "Value"); !same(url, sub("wss://${"+wsAPIID+"}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"+wsStage)) {
		t.Errorf("Outputs.ConnectionApiUrl = %s, want the connection API's wss URL", canon(url))
	}
}
