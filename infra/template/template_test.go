package template

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"

	"imusers/infra/local/localenv"
	"imusers/shared/routes"
	"imusers/shared/service"
	"imusers/shared/store"
)

// root is the repository root, seen from this package's folder (where go test runs).
const root = "../.."

// Expected values that the design fixes rather than the code.
const (
	runtime      = "provided.al2023"
	architecture = "arm64"
	handler      = "bootstrap"
	// gatewayLimit is API Gateway's integration timeout: an HTTP function must answer before it.
	gatewayLimit = 30
	// wsGatewayLimit is the WebSocket API's integration timeout.
	wsGatewayLimit = 29

	tableID = "Table"
	apiID   = "ServerApi"
	// wsAPIID is the connection API (WebSocket) and wsStage the stage name that the management
	// endpoint and the kick permissions spell out.
	wsAPIID = "ConnectionApi"
	wsStage = "live"
)

// Every function reads the apps list from one SSM SecureString, so every role grants these two
// actions besides the route's own.
const (
	getParameter = "ssm:GetParameter"
	kmsDecrypt   = "kms:Decrypt"
)

// Resource and condition values as template.yaml must write them (in their long form, which the
// loader turns the short tags into).
var (
	tableArn     = getAtt(tableID, "Arn")
	indexArns    = sub("${" + tableID + ".Arn}/index/*")
	appsParamArn = sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${AppsParameterName}")
	ssmService   = sub("ssm.${AWS::Region}.amazonaws.com")
)

func getAtt(resource, attr string) any { return map[string]any{"Fn::GetAtt": []any{resource, attr}} }
func sub(s string) any                 { return map[string]any{"Fn::Sub": s} }
func ref(name string) any              { return map[string]any{"Ref": name} }

// functionPrefix and a route's name make the explicit name every function gets, so its log
// group and the ARNs others invoke it by are known without referring to the function; the
// functions read the prefix as IM_FUNCTION_PREFIX.
const functionPrefix = "${AWS::StackName}-"

func functionName(route string) any { return sub(functionPrefix + route) }

func functionArn(route string) any {
	return sub("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" + functionPrefix + route)
}

// defaultRoute is the route key of the HTTP API's $default route.
const defaultRoute = "$default"

// logicalID is the template resource of a route: userGetToken -> UserGetTokenFunction.
func logicalID(name string) string { return strings.ToUpper(name[:1]) + name[1:] + "Function" }

var (
	loadOnce sync.Once
	loaded   map[string]any
	loadErr  error
)

// tmpl returns template.yaml as plain maps, slices and scalars.
func tmpl(t *testing.T) map[string]any {
	t.Helper()
	loadOnce.Do(func() {
		var data []byte
		if data, loadErr = os.ReadFile(filepath.Join(root, "template.yaml")); loadErr != nil {
			return
		}
		var n yaml.Node
		if loadErr = yaml.Unmarshal(data, &n); loadErr != nil {
			return
		}
		var v any
		if v, loadErr = plain(&n); loadErr != nil {
			return
		}
		var ok bool
		if loaded, ok = v.(map[string]any); !ok {
			loadErr = fmt.Errorf("template.yaml is not a mapping")
		}
	})
	if loadErr != nil {
		t.Fatalf("load template.yaml: %v", loadErr)
	}
	return loaded
}

// plain turns a YAML node into maps, slices and scalars, rewriting CloudFormation's short tags
// into their long form (!Ref X -> {Ref: X}, !GetAtt A.B -> {Fn::GetAtt: [A, B]},
// !Sub s -> {Fn::Sub: s}), so both spellings compare the same.
func plain(n *yaml.Node) (any, error) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: expected one document", n.Line)
		}
		return plain(n.Content[0])
	}
	if n.Kind == yaml.AliasNode {
		return plain(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		fn := n.Tag[1:]
		bare := *n
		bare.Tag = ""
		if n.Kind == yaml.ScalarNode {
			bare.Tag = "!!str"
		}
		v, err := plain(&bare)
		if err != nil {
			return nil, err
		}
		switch fn {
		case "Ref", "Condition":
			return map[string]any{fn: v}, nil
		case "GetAtt":
			if s, ok := v.(string); ok {
				resource, attr, found := strings.Cut(s, ".")
				if !found {
					return nil, fmt.Errorf("line %d: !GetAtt %q has no attribute", n.Line, s)
				}
				v = []any{resource, attr}
			}
		}
		return map[string]any{"Fn::" + fn: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, k.Value)
			}
			v, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := plain(c)
			if err != nil {
				return nil, err
			}
			s[i] = v
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
}

// at walks nested maps by key; it returns nil where the path does not exist.
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// canon renders a value for comparison and messages (map keys sorted).
func canon(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func same(a, b any) bool { return canon(a) == canon(b) }

// list accepts what IAM and SAM accept as a list: one value or a sequence.
func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// paramNumber is a number, or a reference to a parameter read at its default.
func paramNumber(t *testing.T, v any) (float64, bool) {
	if name, ok := at(v, "Ref").(string); ok {
		v = at(tmpl(t), "Parameters", name, "Default")
	}
	return number(v)
}

// diff reports what one set has that the other lacks, both ways.
func diff[K comparable](t *testing.T, what string, got, want map[K]bool) {
	t.Helper()
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, fmt.Sprint(k))
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, fmt.Sprint(k))
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("%s: missing %v", what, missing)
	}
	if len(extra) > 0 {
		t.Errorf("%s: not expected %v", what, extra)
	}
}

func setOf[K comparable](ks ...K) map[K]bool {
	s := make(map[K]bool, len(ks))
	for _, k := range ks {
		s[k] = true
	}
	return s
}

// resourcesOfType returns the template's resources of one type, by logical ID.
func resourcesOfType(t *testing.T, typ string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	res, ok := tmpl(t)["Resources"].(map[string]any)
	if !ok {
		t.Fatal("template.yaml has no Resources")
	}
	for id, r := range res {
		m, ok := r.(map[string]any)
		if !ok {
			t.Fatalf("resource %s is not a mapping", id)
		}
		if m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

// resource returns one resource, checking its type.
func resource(t *testing.T, id, typ string) map[string]any {
	t.Helper()
	r, ok := at(tmpl(t), "Resources", id).(map[string]any)
	if !ok {
		t.Fatalf("template.yaml has no resource %s", id)
	}
	if r["Type"] != typ {
		t.Fatalf("resource %s has type %v, want %s", id, r["Type"], typ)
	}
	return r
}

// function returns a route's function resource; the caller's test fails if it is absent.
func function(t *testing.T, r routes.Route) map[string]any {
	t.Helper()
	return resource(t, logicalID(r.Name), "AWS::Serverless::Function")
}

// setting is a function property as deployed: its own value, or else the Globals one.
func setting(t *testing.T, fn map[string]any, key string) any {
	t.Helper()
	if v := at(fn, "Properties", key); v != nil {
		return v
	}
	return at(tmpl(t), "Globals", "Function", key)
}

// eraseFunction is the route that the deactivate and delete calls start: the one the service
// invokes when IM_ERASE_FUNCTION is not set, which the template must also name explicitly.
func eraseFunction(t *testing.T) routes.Route {
	t.Helper()
	cfg, err := service.ConfigFromEnv(func(k string) string {
		if k == "IM_TABLE" {
			return "table"
		}
		return ""
	})
	if err != nil {
		t.Fatalf("default configuration: %v", err)
	}
	r, ok := routes.ByName(cfg.EraseFunction)
	if !ok {
		t.Fatalf("the default erasure function %q is not in the route table", cfg.EraseFunction)
	}
	if r.Kind != routes.Worker {
		t.Fatalf("the erasure function %q is of kind %q, want %q", r.Name, r.Kind, routes.Worker)
	}
	return r
}

func TestFunctionsMatchFoldersAndRouteTable(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	folders := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			folders[e.Name()] = true
		}
	}
	inTable, wantIDs := map[string]bool{}, map[string]bool{}
	for _, r := range routes.All {
		if inTable[r.Name] {
			t.Errorf("route table lists %s twice", r.Name)
		}
		inTable[r.Name] = true
		wantIDs[logicalID(r.Name)] = true
	}
	diff(t, "route table against the folders under functions/", inTable, folders)
	gotIDs := map[string]bool{}
	for id := range resourcesOfType(t, "AWS::Serverless::Function") {
		gotIDs[id] = true
	}
	diff(t, "template functions against the route table", gotIDs, wantIDs)
	if n := len(resourcesOfType(t, "AWS::Lambda::Function")); n > 0 {
		t.Errorf("template declares %d AWS::Lambda::Function resources; every function is an AWS::Serverless::Function of the route table", n)
	}
}

func TestFunctionsRuntimeAndBuild(t *testing.T) {
	var workerTimeout, httpTimeout, defaultTimeout float64
	for _, r := range routes.All {
		t.Run(r.Name, func(t *testing.T) {
			fn := function(t, r)
			for key, want := range map[string]any{
				"Runtime":       runtime,
				"Architectures": []any{architecture},
				"Handler":       handler,
				"CodeUri":       ".",
				"FunctionName":  functionName(r.Name),
			} {
				if got := setting(t, fn, key); !same(got, want) {
					t.Errorf("%s = %s, want %s", key, canon(got), canon(want))
				}
			}
			if got := at(fn, "Metadata", "BuildMethod"); got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %v, want makefile (SAM then runs make build-%s)", got, logicalID(r.Name))
			}
			if mem, ok := number(setting(t, fn, "MemorySize")); !ok || mem < 128 {
				t.Errorf("MemorySize = %v, want a number of at least 128", setting(t, fn, "MemorySize"))
			}
			timeout, ok := number(setting(t, fn, "Timeout"))
			if !ok || timeout <= 0 {
				t.Fatalf("Timeout = %v, want a positive number", setting(t, fn, "Timeout"))
			}
			switch r.Kind {
			case routes.HTTP, routes.Page:
				if timeout >= gatewayLimit {
					t.Errorf("Timeout = %v s; an HTTP function must answer within API Gateway's %d s", timeout, gatewayLimit)
				}
				httpTimeout = max(httpTimeout, timeout)
			case routes.Worker:
				workerTimeout = max(workerTimeout, timeout)
			case routes.Default:
				if timeout >= gatewayLimit {
					t.Errorf("Timeout = %v s; the $default function must answer within API Gateway's %d s", timeout, gatewayLimit)
				}
				defaultTimeout = max(defaultTimeout, timeout)
			case routes.WebSocket, routes.Authorizer:
				if timeout >= wsGatewayLimit {
					t.Errorf("Timeout = %v s; a connection API function must answer within API Gateway's %d s", timeout, wsGatewayLimit)
				}
			}
		})
	}
	if workerTimeout > 0 && workerTimeout <= httpTimeout {
		t.Errorf("worker timeout %v s is not longer than the HTTP functions' %v s", workerTimeout, httpTimeout)
	}
	// The $default function waits for the operation it forwards to.
	if defaultTimeout > 0 && defaultTimeout <= httpTimeout {
		t.Errorf("$default function timeout %v s is not longer than the HTTP functions' %v s", defaultTimeout, httpTimeout)
	}
}

func TestMakefileBuildsEveryFunction(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatalf("SAM builds every function with make build-<LogicalId>: %v", err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^build-([A-Za-z0-9]+Function)\s*:`).FindAllStringSubmatch(string(data), -1) {
		targets[m[1]] = true
	}
	want := map[string]bool{}
	for _, r := range routes.All {
		want[logicalID(r.Name)] = true
	}
	diff(t, "Makefile build-<LogicalId> targets against the template's functions", targets, want)
}

func TestEnvironment(t *testing.T) {
	erase := eraseFunction(t)
	want := map[string]any{
		"IM_TABLE":                    ref(tableID),
		"IM_APPS_PARAMETER":           ref("AppsParameterName"),
		"IM_SIGNATURE_WINDOW_SECONDS": ref("SignatureWindowSeconds"),
		"IM_NONCE_REPLAY_PROTECTION":  ref("NonceReplayProtection"),
		"IM_ERASE_FUNCTION":           functionName(erase.Name),
		"IM_WEBHOOK_FUNCTION":         functionName("webhookDeliver"),
		"IM_FUNCTION_PREFIX":          sub(functionPrefix),
		"IM_WS_MANAGEMENT_ENDPOINT":   sub("https://${" + wsAPIID + "}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + wsStage),
		// The Go runtime's collector: no cycle in a cold start, the heap bounded below MemorySize.
		"GOGC":       "400",
		"GOMEMLIMIT": "192MiB",
	}
	got, _ := at(tmpl(t), "Globals", "Function", "Environment", "Variables").(map[string]any)
	diff(t, "Globals environment variables", setOf(slices.Collect(maps.Keys(got))...), setOf(slices.Collect(maps.Keys(want))...))
	for k, w := range want {
		if g, ok := got[k]; ok && !same(g, w) {
			t.Errorf("%s = %s, want %s", k, canon(g), canon(w))
		}
	}
	// One environment for all keeps every function configured alike; a per-function override
	// is where a stale value would hide.
	for _, r := range routes.All {
		if env := at(function(t, r), "Properties", "Environment"); env != nil {
			t.Errorf("%s sets its own Environment %s; configuration belongs in Globals", r.Name, canon(env))
		}
		if mem := at(function(t, r), "Properties", "MemorySize"); mem != nil {
			t.Errorf("%s sets its own MemorySize %s; GOMEMLIMIT in Globals is sized for the Globals one", r.Name, canon(mem))
		}
	}
	if mem, ok := number(at(tmpl(t), "Globals", "Function", "MemorySize")); !ok || mem < 256 {
		t.Errorf("Globals MemorySize = %v, want at least 256 MB: GOMEMLIMIT=192MiB must leave room for the binary, stacks and buffers", at(tmpl(t), "Globals", "Function", "MemorySize"))
	}
	if def, _ := at(tmpl(t), "Parameters", "AppsParameterName", "Default").(string); !strings.HasPrefix(def, "/") {
		t.Errorf("AppsParameterName default %q must start with '/' (the policies build its ARN as parameter<name>)", def)
	}
	if def, ok := number(at(tmpl(t), "Parameters", "SignatureWindowSeconds", "Default")); !ok || def != 300 {
		t.Errorf("SignatureWindowSeconds default = %v, want 300", at(tmpl(t), "Parameters", "SignatureWindowSeconds", "Default"))
	}
}

// httpEvents returns a function's HttpApi events as "METHOD path" ($default for an event with
// neither, which SAM makes the API's $default route), checking each one's API.
func httpEvents(t *testing.T, fn map[string]any) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	events, _ := at(fn, "Properties", "Events").(map[string]any)
	for name, e := range events {
		typ := at(e, "Type")
		if typ == "Schedule" {
			continue // TestSchedules
		}
		if typ != "HttpApi" {
			t.Errorf("event %s has type %v; functions are started by the HTTP API, a schedule or by Lambda invocation only", name, typ)
			continue
		}
		if api := at(e, "Properties", "ApiId"); !same(api, ref(apiID)) {
			t.Errorf("event %s: ApiId = %s, want %s", name, canon(api), canon(ref(apiID)))
		}
		if v := at(e, "Properties", "PayloadFormatVersion"); v != nil && v != "2.0" {
			t.Errorf("event %s: PayloadFormatVersion = %v, want 2.0", name, v)
		}
		method, path := at(e, "Properties", "Method"), at(e, "Properties", "Path")
		route := fmt.Sprintf("%v %v", method, path)
		switch {
		case method == nil && path == nil:
			route = defaultRoute
		case method == nil || path == nil:
			t.Errorf("event %s has a Method or a Path but not both", name)
		}
		if out[route] {
			t.Errorf("route %s appears twice", route)
		}
		out[route] = true
	}
	return out
}

// Each function runs on the schedule its route names, and no other; the local twin runs the
// same rate (infra/local).
func TestSchedules(t *testing.T) {
	for _, r := range routes.All {
		got := map[string]bool{}
		events, _ := at(function(t, r), "Properties", "Events").(map[string]any)
		for name, e := range events {
			if at(e, "Type") != "Schedule" {
				continue
			}
			rate, _ := at(e, "Properties", "Schedule").(string)
			got[rate] = true
			if enabled := at(e, "Properties", "Enabled"); enabled != nil && enabled != true {
				t.Errorf("%s: schedule %s is not enabled", r.Name, name)
			}
		}
		want := map[string]bool{}
		if r.Schedule != "" {
			want[r.Schedule] = true
		}
		diff(t, r.Name+" schedules", got, want)
	}
}

func TestHTTPRoutes(t *testing.T) {
	all, want := map[string]bool{}, map[string]bool{}
	for _, r := range routes.All {
		t.Run(r.Name, func(t *testing.T) {
			got := httpEvents(t, function(t, r))
			mine := map[string]bool{}
			switch r.Kind {
			case routes.HTTP:
				for _, p := range r.Paths() {
					mine["POST "+p] = true
				}
			case routes.Default:
				mine[defaultRoute] = true
			case routes.Page:
				for _, p := range r.Paths() {
					mine["GET "+p] = true
				}
			}
			diff(t, "HTTP routes", got, mine)
			for k := range got {
				if all[k] {
					t.Errorf("route %s is served by two functions", k)
				}
				all[k] = true
			}
			maps.Copy(want, mine)
		})
	}
	diff(t, "HTTP routes of the whole API", all, want)
}

func TestThrottling(t *testing.T) {
	api := resource(t, apiID, "AWS::Serverless::HttpApi")
	settings, _ := at(api, "Properties", "RouteSettings").(map[string]any)
	want := map[string]int{}
	param := map[string]string{} // route key -> the parameter its rate is
	for _, r := range routes.All {
		if r.Kind != routes.HTTP && r.Kind != routes.Default && r.Kind != routes.Page {
			continue
		}
		if r.RateLimit <= 0 {
			t.Errorf("route table: %s has no RateLimit", r.Name)
		}
		rate := r.RateLimit
		if r.RateParameter != "" {
			rate = r.DeployedRate
		}
		if r.Kind == routes.Default {
			want[defaultRoute] = rate
		}
		method := "POST "
		if r.Kind == routes.Page {
			method = "GET "
		}
		for _, p := range r.Paths() {
			if p != "" {
				want[method+p] = rate
				param[method+p] = r.RateParameter
			}
		}
	}
	diff(t, "RouteSettings keys", setOf(slices.Collect(maps.Keys(settings))...), setOf(slices.Collect(maps.Keys(want))...))
	for key, rate := range want {
		s, ok := settings[key]
		if !ok {
			continue
		}
		if p := param[key]; p != "" && !same(at(s, "ThrottlingRateLimit"), ref(p)) {
			t.Errorf("%s: ThrottlingRateLimit = %v, want the route's RateParameter %s", key, at(s, "ThrottlingRateLimit"), p)
		}
		if got, ok := paramNumber(t, at(s, "ThrottlingRateLimit")); !ok || got != float64(rate) {
			t.Errorf("%s: ThrottlingRateLimit = %v, want the route's rate %d", key, at(s, "ThrottlingRateLimit"), rate)
		}
		if burst, ok := paramNumber(t, at(s, "ThrottlingBurstLimit")); !ok || burst < float64(rate) {
			t.Errorf("%s: ThrottlingBurstLimit = %v, want at least the rate %d", key, at(s, "ThrottlingBurstLimit"), rate)
		}
	}
	for _, k := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
		if v, ok := number(at(api, "Properties", "DefaultRouteSettings", k)); !ok || v <= 0 {
			t.Errorf("DefaultRouteSettings.%s = %v, want a positive number", k, at(api, "Properties", "DefaultRouteSettings", k))
		}
	}
}

// policyGrants returns, for one function, each action it is allowed and the resources it is
// allowed on (canonical form), failing on anything but plain inline Allow statements.
func policyGrants(t *testing.T, fn map[string]any, mayBeEmpty bool) map[string]map[string]bool {
	t.Helper()
	grants := map[string]map[string]bool{}
	policies := list(at(fn, "Properties", "Policies"))
	if len(policies) == 0 && !mayBeEmpty {
		t.Fatal("no Policies: SAM would create a role without the function's permissions")
	}
	for i, p := range policies {
		m, ok := p.(map[string]any)
		if !ok || len(m) != 1 || m["Statement"] == nil {
			t.Errorf("policy %d is %s; use only inline Statement policies (managed policies and SAM policy templates grant more than the route needs)", i, canon(p))
			continue
		}
		for _, s := range list(m["Statement"]) {
			if at(s, "Effect") != "Allow" {
				t.Errorf("statement %s: Effect must be Allow", canon(s))
			}
			for _, k := range []string{"NotAction", "NotResource", "Principal", "NotPrincipal"} {
				if at(s, k) != nil {
					t.Errorf("statement %s uses %s", canon(s), k)
				}
			}
			for _, a := range list(at(s, "Action")) {
				name, ok := a.(string)
				if !ok {
					t.Errorf("statement %s: action %s is not a string", canon(s), canon(a))
					continue
				}
				if grants[name] == nil {
					grants[name] = map[string]bool{}
				}
				for _, res := range list(at(s, "Resource")) {
					grants[name][canon(res)] = true
				}
			}
		}
	}
	return grants
}

func TestPoliciesGrantExactlyTheRouteActions(t *testing.T) {
	wantResources := map[string][]any{
		routes.GetItem:        {tableArn},
		routes.PutItem:        {tableArn},
		routes.UpdateItem:     {tableArn},
		routes.DeleteItem:     {tableArn},
		routes.BatchGetItem:   {tableArn},
		routes.BatchWriteItem: {tableArn},
		routes.Query:          {tableArn, indexArns},
		// Kicks only: send the last frame and close, on this API's stage.
		routes.ManageConnections: {
			sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${" + wsAPIID + "}/" + wsStage + "/POST/@connections/*"),
			sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${" + wsAPIID + "}/" + wsStage + "/DELETE/@connections/*"),
		},
		getParameter: {appsParamArn},
		kmsDecrypt:   {sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*")},
	}
	// The $default function invokes exactly the Server API functions: not the worker, not itself.
	var operations []any
	for _, r := range routes.All {
		if r.Kind == routes.HTTP {
			operations = append(operations, functionArn(r.Name))
		}
	}
	for _, r := range routes.All {
		t.Run(r.Name, func(t *testing.T) {
			fn := function(t, r)
			// Only the functions that read the apps' secrets may read their parameter.
			actions := slices.Clone(r.Actions)
			if r.LoadsApps() {
				actions = append(actions, getParameter, kmsDecrypt)
			}
			grants := policyGrants(t, fn, len(actions) == 0)
			want := setOf(actions...)
			diff(t, "actions", setOf(slices.Collect(maps.Keys(grants))...), want)
			for action := range want {
				res, ok := wantResources[action]
				if action == routes.Invoke {
					res, ok = invoked(r, operations), true
				}
				if !ok {
					t.Errorf("this test does not know which resource %s belongs on; teach it", action)
					continue
				}
				if got := grants[action]; got != nil {
					w := map[string]bool{}
					for _, v := range res {
						w[canon(v)] = true
					}
					diff(t, action+" resources", got, w)
				}
			}
			checkKMSCondition(t, fn)
		})
	}
}

// invoked are the functions a route may invoke: those it names, or for the $default route the
// Server API's operations.
func invoked(r routes.Route, operations []any) []any {
	if r.Kind == routes.Default {
		return operations
	}
	var out []any
	for _, name := range r.Invokes {
		out = append(out, functionArn(name))
	}
	return out
}

// checkKMSCondition requires kms:Decrypt to be usable only through SSM, for the apps parameter.
func checkKMSCondition(t *testing.T, fn map[string]any) {
	t.Helper()
	for _, p := range list(at(fn, "Properties", "Policies")) {
		for _, s := range list(at(p, "Statement")) {
			if !slices.ContainsFunc(list(at(s, "Action")), func(a any) bool { return a == kmsDecrypt }) {
				continue
			}
			eq := at(s, "Condition", "StringEquals")
			if got := at(eq, "kms:ViaService"); !same(got, ssmService) {
				t.Errorf("kms:Decrypt condition kms:ViaService = %s, want %s", canon(got), canon(ssmService))
			}
			if got := at(eq, "kms:EncryptionContext:PARAMETER_ARN"); !same(got, appsParamArn) {
				t.Errorf("kms:Decrypt condition kms:EncryptionContext:PARAMETER_ARN = %s, want %s", canon(got), canon(appsParamArn))
			}
		}
	}
}

// TestNoWildcardActions looks at every Action in the template, not only the functions' policies.
func TestNoWildcardActions(t *testing.T) {
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if k == "Action" || k == "NotAction" {
					for _, a := range list(c) {
						if s, ok := a.(string); !ok || strings.Contains(s, "*") {
							t.Errorf("%s.%s: action %s is a wildcard or not a plain name", path, k, canon(a))
						}
					}
				}
				walk(path+"."+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), c)
			}
		}
	}
	walk("template", tmpl(t))
}

// templateKeys and storeKeys render a key schema in order, as "name:HASH,name:RANGE".
func templateKeys(v any) string {
	var ks []string
	for _, k := range list(v) {
		ks = append(ks, fmt.Sprintf("%v:%v", at(k, "AttributeName"), at(k, "KeyType")))
	}
	return strings.Join(ks, ",")
}

func storeKeys(in []types.KeySchemaElement) string {
	var ks []string
	for _, k := range in {
		ks = append(ks, fmt.Sprintf("%s:%s", aws.ToString(k.AttributeName), k.KeyType))
	}
	return strings.Join(ks, ",")
}

func TestTableMatchesStoreSchema(t *testing.T) {
	in := localenv.CreateTableInput("table")
	props, _ := resource(t, tableID, "AWS::DynamoDB::Table")["Properties"].(map[string]any)

	if got := props["BillingMode"]; got != string(in.BillingMode) {
		t.Errorf("BillingMode = %v, want %s", got, in.BillingMode)
	}
	if name := props["TableName"]; name != nil {
		t.Errorf("TableName = %v; leave it to CloudFormation so several stacks can share an account", name)
	}

	gotAttrs, wantAttrs := map[string]bool{}, map[string]bool{}
	for _, a := range list(props["AttributeDefinitions"]) {
		gotAttrs[fmt.Sprintf("%v:%v", at(a, "AttributeName"), at(a, "AttributeType"))] = true
	}
	for _, a := range in.AttributeDefinitions {
		wantAttrs[fmt.Sprintf("%s:%s", aws.ToString(a.AttributeName), a.AttributeType)] = true
	}
	diff(t, "AttributeDefinitions", gotAttrs, wantAttrs)

	if got, want := templateKeys(props["KeySchema"]), storeKeys(in.KeySchema); got != want {
		t.Errorf("KeySchema = %s, want %s", got, want)
	}

	gotGSI, wantGSI := map[string]bool{}, map[string]bool{}
	for _, g := range list(props["GlobalSecondaryIndexes"]) {
		var projected []string
		for _, a := range list(at(g, "Projection", "NonKeyAttributes")) {
			projected = append(projected, fmt.Sprint(a))
		}
		slices.Sort(projected)
		gotGSI[fmt.Sprintf("%v %s %v %v", at(g, "IndexName"), templateKeys(at(g, "KeySchema")), at(g, "Projection", "ProjectionType"), projected)] = true
		if at(g, "ProvisionedThroughput") != nil {
			t.Errorf("index %v has settings the store schema does not: %s", at(g, "IndexName"), canon(g))
		}
	}
	for _, g := range in.GlobalSecondaryIndexes {
		projected := slices.Sorted(slices.Values(g.Projection.NonKeyAttributes))
		wantGSI[fmt.Sprintf("%s %s %s %v", *g.IndexName, storeKeys(g.KeySchema), g.Projection.ProjectionType, projected)] = true
	}
	diff(t, "GlobalSecondaryIndexes", gotGSI, wantGSI)

	// store.Indexes is what the code queries by name; the schema above is built from it, but a
	// direct check names the culprit if the two ever part.
	gotNames := map[string]bool{}
	for _, g := range list(props["GlobalSecondaryIndexes"]) {
		gotNames[fmt.Sprint(at(g, "IndexName"))] = true
	}
	wantNames := map[string]bool{}
	for _, ix := range store.Indexes {
		wantNames[ix.Name] = true
	}
	diff(t, "index names against store.Indexes", gotNames, wantNames)

	if n := len(list(props["LocalSecondaryIndexes"])); n != len(in.LocalSecondaryIndexes) {
		t.Errorf("template has %d local secondary indexes, the store schema %d", n, len(in.LocalSecondaryIndexes))
	}
	if got := at(props, "TimeToLiveSpecification", "AttributeName"); got != store.AttrTTL {
		t.Errorf("TTL attribute = %v, want %s", got, store.AttrTTL)
	}
	if got := at(props, "TimeToLiveSpecification", "Enabled"); got != true {
		t.Errorf("TTL Enabled = %v, want true", got)
	}
	if got := at(props, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"); got != true {
		t.Errorf("point-in-time recovery = %v, want true", got)
	}
}

// checkRetention requires a log group to expire its events.
func checkRetention(t *testing.T, id string, lg map[string]any) {
	t.Helper()
	ret := at(lg, "Properties", "RetentionInDays")
	if n, ok := number(ret); ok && n > 0 {
		return
	}
	if name, ok := at(ret, "Ref").(string); ok && at(tmpl(t), "Parameters", name) != nil {
		return
	}
	t.Errorf("log group %s: RetentionInDays = %s, want a number of days or a template parameter", id, canon(ret))
}

func TestLogGroups(t *testing.T) {
	groups := resourcesOfType(t, "AWS::Logs::LogGroup")
	for id, lg := range groups {
		checkRetention(t, id, lg)
	}
	for _, r := range routes.All {
		t.Run(r.Name, func(t *testing.T) {
			fn := function(t, r)
			id, _ := at(fn, "Properties", "LoggingConfig", "LogGroup", "Ref").(string)
			lg, ok := groups[id]
			if !ok {
				t.Fatalf("LoggingConfig.LogGroup = %s, want a reference to an AWS::Logs::LogGroup", canon(at(fn, "Properties", "LoggingConfig", "LogGroup")))
			}
			if got, want := at(lg, "Properties", "LogGroupName"), sub("/aws/lambda/${AWS::StackName}-"+r.Name); !same(got, want) {
				t.Errorf("log group %s: LogGroupName = %s, want %s", id, canon(got), canon(want))
			}
		})
	}
	api := resource(t, apiID, "AWS::Serverless::HttpApi")
	dest, _ := at(api, "Properties", "AccessLogSettings", "DestinationArn", "Fn::GetAtt").([]any)
	if len(dest) != 2 || groups[fmt.Sprint(dest[0])] == nil || dest[1] != "Arn" {
		t.Errorf("HTTP API access logs go to %s, want !GetAtt <a log group of this template>.Arn",
			canon(at(api, "Properties", "AccessLogSettings", "DestinationArn")))
	}
	if at(api, "Properties", "AccessLogSettings", "Format") == nil {
		t.Error("HTTP API access logs have no Format")
	}
}

func TestErasureInvocation(t *testing.T) {
	erase := eraseFunction(t)
	fn := function(t, erase)
	cfg := at(fn, "Properties", "EventInvokeConfig")
	if n, ok := number(at(cfg, "MaximumRetryAttempts")); !ok || n != 2 {
		t.Errorf("EventInvokeConfig.MaximumRetryAttempts = %v, want 2", at(cfg, "MaximumRetryAttempts"))
	}
	onFailure := at(cfg, "DestinationConfig", "OnFailure")
	if got := at(onFailure, "Type"); got != "SQS" {
		t.Errorf("OnFailure.Type = %v, want SQS", got)
	}
	queues := resourcesOfType(t, "AWS::SQS::Queue")
	dest, _ := at(onFailure, "Destination", "Fn::GetAtt").([]any)
	if len(dest) != 2 || queues[fmt.Sprint(dest[0])] == nil || dest[1] != "Arn" {
		t.Errorf("OnFailure.Destination = %s, want !GetAtt <a queue of this template>.Arn", canon(at(onFailure, "Destination")))
	}
	// Whoever may start erasures needs a route that names the action; the worker itself is
	// among them, because it continues long jobs in a new invocation.
	if !slices.Contains(erase.Actions, routes.InvokeErasure) {
		t.Errorf("route table: %s does not list %s, but it continues its own jobs", erase.Name, routes.InvokeErasure)
	}
}

func TestOutputs(t *testing.T) {
	outs, _ := tmpl(t)["Outputs"].(map[string]any)
	if got := at(outs, "TableName", "Value"); !same(got, ref(tableID)) {
		t.Errorf("Outputs.TableName = %s, want %s", canon(got), canon(ref(tableID)))
	}
	url, _ := at(outs, "ServerApiUrl", "Value", "Fn::Sub").(string)
	if !strings.HasPrefix(url, "https://${"+apiID+"}.execute-api.") {
		t.Errorf("Outputs.ServerApiUrl = %s, want the HTTP API's https URL", canon(at(outs, "ServerApiUrl", "Value")))
	}
}

// TestLoaderTurnsShortTagsIntoLongForm keeps the comparisons above honest: a tag the loader
// mangled would make both sides of a check wrong together.
func TestLoaderTurnsShortTagsIntoLongForm(t *testing.T) {
	src := `
a: !Ref Table
b: !GetAtt Table.Arn
c: !Sub "${AWS::StackName}-x"
d: !Join [",", [x, !Ref y]]
e: {"Fn::GetAtt": [Table, Arn]}
f: 3
`
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	got, err := plain(&n)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a": ref("Table"),
		"b": getAtt("Table", "Arn"),
		"c": sub("${AWS::StackName}-x"),
		"d": map[string]any{"Fn::Join": []any{",", []any{"x", ref("y")}}},
		"e": getAtt("Table", "Arn"),
		"f": 3,
	}
	if !same(got, want) {
		t.Errorf("plain = %s\nwant %s", canon(got), canon(want))
	}
}

// The functions the load profile must never starve (the authorizer, clients' messages) and the
// one that must not starve them (erasure) reserve concurrency through a parameter each, which
// reserves none at its default so the stack deploys into an account at default quotas.
func TestReservedConcurrency(t *testing.T) {
	for name, param := range map[string]string{
		"wsAuthorize":   "AuthorizerReservedConcurrency",
		"wsSendMessage": "SendMessageReservedConcurrency",
		"eraseUsers":    "ErasureReservedConcurrency",
	} {
		fn := resource(t, logicalID(name), "AWS::Serverless::Function")
		cond := strings.TrimSuffix(param, "Concurrency")
		want := map[string]any{"Fn::If": []any{cond, ref(param), ref("AWS::NoValue")}}
		if got := at(fn, "Properties", "ReservedConcurrentExecutions"); !same(got, want) {
			t.Errorf("%s: ReservedConcurrentExecutions = %s, want %s", name, canon(got), canon(want))
		}
		if def, ok := number(at(tmpl(t), "Parameters", param, "Default")); !ok || def != 0 {
			t.Errorf("%s: default %v, want 0 (no reservation)", param, at(tmpl(t), "Parameters", param, "Default"))
		}
		wantCond := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref(param), 0}}}}
		if got := at(tmpl(t), "Conditions", cond); !same(got, wantCond) {
			t.Errorf("condition %s = %s, want %s", cond, canon(got), canon(wantCond))
		}
	}
}
