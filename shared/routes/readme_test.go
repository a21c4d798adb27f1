package routes_test

import (
	"os"
	"strings"
	"testing"

	"imusers/shared/routes"
)

// Every Server API path is documented in the README's operations table, and every documented
// .json path is served.
func TestReadmeDocumentsEveryRoute(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range routes.All {
		if r.Kind != routes.HTTP {
			continue
		}
		for _, p := range r.Paths() {
			served[p] = true
			if !strings.Contains(string(readme), "`"+p+"`") {
				t.Errorf("README does not document %s", p)
			}
		}
	}
	for _, field := range strings.Split(string(readme), "`") {
		if strings.HasPrefix(field, "/") && strings.HasSuffix(field, ".json") && !strings.HasPrefix(field, "//") && !served[field] {
			t.Errorf("README documents %s, which no route serves", field)
		}
	}
}
