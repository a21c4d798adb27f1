// Package shared holds no code of its own: its folders are the service's layers, and this test
// keeps the imports between them flowing one way, Lambda adapter → operations → domain rules →
// store → AWS SDK, with the AWS-facing packages (shared/aws) implementing what the domain defines.
package shared

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "imusers/shared/"

// layerOf names the layer of a package under shared/, by its folder; "" for a package that
// belongs to none (a new folder: give it a place here).
func layerOf(pkg string) string {
	rel, ok := strings.CutPrefix(pkg, module)
	if !ok {
		return "outside"
	}
	top, _, _ := strings.Cut(rel, "/")
	switch top {
	case "adapter", "api", "domain", "store", "aws", "wire":
		return top
	case "apps", "parallel":
		return "base"
	case "routes", "service", "lambdaapp", "assembly", "testenv":
		return "wiring"
	}
	return ""
}

// mayImport is the rule, once: the layers each layer's non-test code may import besides its
// own. Code outside shared/ (the standard library, the SDK, infra/) is not ruled here.
var mayImport = map[string][]string{
	// Lambda events in, operations (and the rules of the WebSocket routes) out.
	"adapter": {"api", "domain", "wire", "base"},
	// Operations: parameters in, the contract's answer out.
	"api": {"domain", "wire", "base"},
	// Rules; what they need from AWS is an interface of their own.
	"domain": {"store", "wire", "base"},
	// DynamoDB, through the SDK's client.
	"store": {"base"},
	// The domain's interfaces, implemented over the SDK's clients.
	"aws": {"domain", "base"},
	// The platform's form, signature and error codes.
	"wire": {"base"},
	// The apps and the bounded runner, which every layer uses.
	"base": {},
	// Configuration and wiring build it all.
	"wiring": {"adapter", "api", "domain", "store", "aws", "wire", "base"},
}

// allowed reports whether from's non-test code may import to, and why not.
func allowed(from, to string) (bool, string) {
	lf, lt := layerOf(from), layerOf(to)
	switch {
	case lf == "":
		return false, from + " belongs to no layer"
	case lt == "outside" || lt == lf:
		return true, ""
	case lt == "":
		return false, to + " belongs to no layer"
	case slices.Contains(mayImport[lf], lt):
		return true, ""
	}
	return false, lf + " may not import " + lt
}

func TestRuleRefusesImportsAgainstTheFlow(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"imusers/shared/adapter/wsapi", "imusers/shared/api/call", true},
		{"imusers/shared/domain/messages", "imusers/shared/domain/users", true},
		{"imusers/shared/aws/connections", "imusers/shared/domain/users", true},
		{"imusers/shared/wire/signature", "imusers/shared/apps", true},
		{"imusers/shared/domain/users", "github.com/aws/aws-sdk-go-v2/aws", true},
		{"imusers/shared/api/userapi", "imusers/shared/adapter/httpapi", false},
		{"imusers/shared/adapter/wsapi", "imusers/shared/store", false},
		{"imusers/shared/api/relationapi", "imusers/shared/store", false},
		{"imusers/shared/domain/messages", "imusers/shared/aws/connections", false},
		{"imusers/shared/store", "imusers/shared/domain/users", false},
		{"imusers/shared/wire/form", "imusers/shared/domain/messages", false},
		{"imusers/shared/parallel", "imusers/shared/wire/apierr", false},
		{"imusers/shared/aws/connections", "imusers/shared/api/call", false},
		{"imusers/shared/newthing", "imusers/shared/apps", false},
	} {
		if ok, _ := allowed(tc.from, tc.to); ok != tc.ok {
			t.Errorf("%s → %s allowed = %v, want %v", tc.from, tc.to, ok, tc.ok)
		}
	}
}

// TestImportsFlowOneWay reads the import graph of shared/'s non-test code from go list.
func TestImportsFlowOneWay(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.Command(goTool, "list", "-json=ImportPath,Imports", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		if layerOf(p.ImportPath) == "" {
			t.Errorf("%s belongs to no layer: give its folder one in layerOf", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if ok, why := allowed(p.ImportPath, imp); !ok {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, why)
			}
		}
	}
	if seen < 20 {
		t.Errorf("go list found only %d packages under shared/", seen)
	}
}
