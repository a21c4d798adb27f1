package apierr_test

import (
	"fmt"
	"os"
	"regexp"
	"testing"

	"imusers/shared/wire/apierr"
)

// The README's error-code table is for App Server authors; it must say what the code does.
func TestReadmeErrorTableMatches(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\| (\d{3,4}) \| (\d{3}) \| (.+?) \|$`).FindAllStringSubmatch(string(readme), -1)
	documented := map[string]string{}
	for _, r := range rows {
		documented[r[1]] = r[2] + " " + r[3]
	}
	for _, row := range apierr.Table {
		code := fmt.Sprint(row.Code)
		want := fmt.Sprintf("%d %s", row.Status, row.Meaning)
		if documented[code] != want {
			t.Errorf("README row for %s = %q, want %q", code, documented[code], want)
		}
		delete(documented, code)
	}
	for code := range documented {
		t.Errorf("README documents code %s, which apierr.Table does not have", code)
	}
}
