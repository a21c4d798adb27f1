package v4api

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"imusers/shared/api/call"
	"imusers/shared/assembly"
	"imusers/shared/routes"
	"imusers/shared/service"
	"imusers/shared/wire/jsonbody"
)

type node = map[string]any

// openAPI is docs/openapi-v4.yaml as plain maps.
func openAPI(t *testing.T) node {
	t.Helper()
	raw, err := os.ReadFile("../../docs/openapi-v4.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func at(n any, keys ...string) any {
	for _, k := range keys {
		m, ok := n.(node)
		if !ok {
			return nil
		}
		n = m[k]
	}
	return n
}

// resolve follows a local $ref.
func resolve(doc node, n any) any {
	ref, ok := at(n, "$ref").(string)
	if !ok {
		return n
	}
	return at(doc, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...)
}

func num(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return -1
}

// The document's paths are the route table's v4 paths, each on its function.
func TestOpenAPIPathsAreTheRouteTables(t *testing.T) {
	doc := openAPI(t)
	paths, _ := doc["paths"].(node)
	want := map[string]string{}
	for _, r := range routes.All {
		for _, p := range r.V4 {
			want[p] = r.Name
		}
	}
	if got, w := slices.Sorted(maps.Keys(paths)), slices.Sorted(maps.Keys(want)); !slices.Equal(got, w) {
		t.Fatalf("document paths %v, route table v4 paths %v", got, w)
	}
	for p, fn := range want {
		if got := at(paths, p, "post", "x-function"); got != fn {
			t.Errorf("%s: x-function %v, the route table serves it with %s", p, got, fn)
		}
	}
}

// Each operation's request schema is its v4 form's fields, and its answers are the form's: the
// result schema is what the form's answer writes, field by field.
func TestOpenAPIOperationsAreTheV4Forms(t *testing.T) {
	doc := openAPI(t)
	s := assembly.New(service.Config{Table: "t"}, assembly.Deps{})
	for _, r := range routes.All {
		for _, p := range r.V4 {
			t.Run(p, func(t *testing.T) {
				op := at(doc, "paths", p, "post")
				checkRequest(t, doc, at(op, "requestBody", "content", "application/json", "schema"), s.V4Form(r.Name))
				checkResponses(t, doc, at(op, "responses"), s.V4Form(r.Name))
			})
		}
	}
}

func checkRequest(t *testing.T, doc node, schema any, f *call.V4Form) {
	props, _ := at(schema, "properties").(node)
	var names, required []string
	for _, fd := range f.Fields {
		names = append(names, fd.Name)
		if fd.Required {
			required = append(required, fd.Name)
		}
		if err := sameField(resolve(doc, props[fd.Name]), doc, fd); err != nil {
			t.Errorf("%s: %v", fd.Name, err)
		}
	}
	if got := slices.Sorted(maps.Keys(props)); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Errorf("request properties %v, v4 form fields %v", got, names)
	}
	var gotReq []string
	for _, v := range listOf(at(schema, "required")) {
		gotReq = append(gotReq, fmt.Sprint(v))
	}
	if !slices.Equal(slices.Sorted(slices.Values(gotReq)), slices.Sorted(slices.Values(required))) {
		t.Errorf("required %v, v4 form requires %v", gotReq, required)
	}
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

// sameField reports how a property's schema differs from the field's declaration.
func sameField(p any, doc node, fd jsonbody.Field) error {
	want := map[string]int64{}
	var typ string
	switch fd.Kind {
	case jsonbody.String:
		typ, want["maxLength"] = "string", fd.Max
		if fd.Name == "pageToken" { // bounded only by the body limit
			delete(want, "maxLength")
		}
	case jsonbody.UserID:
		typ, want["maxLength"], want["minLength"] = "string", fd.Max, 1
	case jsonbody.UserIDs:
		typ, want["maxItems"], want["minItems"] = "array", fd.Max, 1
		if err := sameField(resolve(doc, at(p, "items")), doc, jsonbody.ID(fd.Name, fd.Param)); err != nil {
			return fmt.Errorf("items: %w", err)
		}
	case jsonbody.Integer:
		typ, want["minimum"], want["maximum"] = "integer", fd.Min, fd.Max
	case jsonbody.Strings:
		typ, want["maxItems"] = "array", fd.Max
		items := resolve(doc, at(p, "items"))
		if at(items, "type") != "string" || num(at(items, "minLength")) != 1 {
			return fmt.Errorf("items %v, declared non-empty strings", items)
		}
	case jsonbody.AnyObject:
		typ = "object"
	case jsonbody.Choice:
		typ = "string"
		if err := sameChoices(at(p, "enum"), fd); err != nil {
			return err
		}
	case jsonbody.Choices:
		typ, want["minItems"] = "array", 1
		if err := sameChoices(at(resolve(doc, at(p, "items")), "enum"), fd); err != nil {
			return fmt.Errorf("items: %w", err)
		}
	case jsonbody.Object:
		typ, want["maxProperties"] = "object", fd.Max
		if got := num(at(p, "propertyNames", "maxLength")); got != int64(fd.KeyMax) {
			return fmt.Errorf("key maxLength %d, declared %d", got, fd.KeyMax)
		}
		if got := num(at(p, "additionalProperties", "maxLength")); got != int64(fd.ValueMax) {
			return fmt.Errorf("value maxLength %d, declared %d", got, fd.ValueMax)
		}
	}
	if got := at(p, "type"); got != typ {
		return fmt.Errorf("type %v, declared %s", got, typ)
	}
	for k, v := range want {
		if got := num(at(p, k)); got != v {
			return fmt.Errorf("%s %d, declared %d", k, got, v)
		}
	}
	return nil
}

// sameChoices reports how an enum differs from the JSON values the field takes.
func sameChoices(enum any, fd jsonbody.Field) error {
	var got []string
	for _, v := range listOf(enum) {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		got = append(got, string(b))
	}
	if want := slices.Sorted(maps.Keys(fd.Choices)); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		return fmt.Errorf("enum %v, declared %v", got, want)
	}
	return nil
}

func checkResponses(t *testing.T, doc node, responses any, f *call.V4Form) {
	for _, status := range []string{"200", "400", "401", "413", "415"} {
		if at(responses, status) == nil {
			t.Errorf("no %s answer", status)
		}
	}
	ok := resolve(doc, at(responses, "200"))
	result := at(ok, "content", "application/json", "schema", "properties", "result")
	if (result != nil) != (f.Answer != nil) {
		t.Errorf("200 answer has a result: %v; the v4 form answers one: %v", result != nil, f.Answer != nil)
	}
	shape, err := call.ResultShape(f)
	if err != nil {
		t.Fatal(err)
	}
	if shape != nil && result != nil {
		for _, diff := range sameShape(doc, result, reflect.TypeOf(shape), "result") {
			t.Error(diff)
		}
	}
}

var rawJSON = reflect.TypeFor[json.RawMessage]()

// sameShape lists how schema differs from what encoding/json writes for a value of type ty:
// JSON types, and for objects their properties and which are always written (required).
func sameShape(doc node, schema any, ty reflect.Type, where string) []string {
	schema = resolve(doc, schema)
	for ty.Kind() == reflect.Pointer {
		ty = ty.Elem()
	}
	var typ string
	switch {
	case ty == rawJSON:
		typ = "object" // every raw value the v4 forms write is an object
	case ty.Kind() == reflect.String:
		typ = "string"
	case ty.Kind() >= reflect.Int && ty.Kind() <= reflect.Uint64:
		typ = "integer"
	case ty.Kind() == reflect.Bool:
		typ = "boolean"
	case ty.Kind() == reflect.Slice:
		typ = "array"
	case ty.Kind() == reflect.Map, ty.Kind() == reflect.Struct:
		typ = "object"
	}
	if got := at(schema, "type"); got != typ {
		return []string{fmt.Sprintf("%s: type %v, the v4 form writes %s (%s)", where, got, typ, ty)}
	}
	switch {
	case ty == rawJSON:
	case ty.Kind() == reflect.Slice:
		return sameShape(doc, at(schema, "items"), ty.Elem(), where+"[]")
	case ty.Kind() == reflect.Map:
		return nil
	case ty.Kind() == reflect.Struct:
		return sameProperties(doc, schema, ty, where)
	}
	return nil
}

func sameProperties(doc node, schema any, ty reflect.Type, where string) []string {
	props, _ := at(schema, "properties").(node)
	var diffs, names, always []string
	for i := range ty.NumField() {
		fd := ty.Field(i)
		name, opts, _ := strings.Cut(fd.Tag.Get("json"), ",")
		if !fd.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = fd.Name
		}
		names = append(names, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
		if p, ok := props[name]; ok {
			diffs = append(diffs, sameShape(doc, p, fd.Type, where+"."+name)...)
		}
	}
	if got := slices.Sorted(maps.Keys(props)); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		diffs = append(diffs, fmt.Sprintf("%s: properties %v, the v4 form writes %v", where, got, names))
	}
	var required []string
	for _, v := range listOf(at(schema, "required")) {
		required = append(required, fmt.Sprint(v))
	}
	if !slices.Equal(slices.Sorted(slices.Values(required)), slices.Sorted(slices.Values(always))) {
		diffs = append(diffs, fmt.Sprintf("%s: required %v, the v4 form always writes %v", where, required, always))
	}
	return diffs
}

// Each function's main hands serverapi its operation's own v4 form (the operation's method
// name after V4), and nil when its route has no v4 paths, so the deployed function serves
// exactly the v4 paths the route table gives it.
func TestEachMainServesItsOperationsV4Form(t *testing.T) {
	handler := regexp.MustCompile(`serverapi\.Handler\(b, reg, st, api\.(\w+), (nil|\w+\.V4(\w+))\)`)
	for _, r := range routes.All {
		if r.Kind != routes.HTTP {
			continue
		}
		src, err := os.ReadFile("../../functions/" + r.Name + "/main.go")
		if err != nil {
			t.Fatal(err)
		}
		m := handler.FindStringSubmatch(string(src))
		switch {
		case m == nil:
			t.Errorf("%s: main does not start serverapi.Handler(b, reg, st, api.<Op>, <v4 form or nil>)", r.Name)
		case len(r.V4) == 0 && m[2] != "nil":
			t.Errorf("%s: no v4 paths, but main hands in %s", r.Name, m[2])
		case len(r.V4) > 0 && m[3] != m[1]:
			t.Errorf("%s: serves api.%s with the v4 form %s", r.Name, m[1], m[2])
		}
	}
}
