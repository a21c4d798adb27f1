package abuse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/testenv"
	"imusers/shared/wire/signature"
)

var form = testenv.Form

// header is one header line as sent, name spelled exactly so.
type header struct{ name, value string }

// signed returns the four signature headers for app key and secret, with prefix before each
// name ("" or "RC-").
func signed(prefix, key, secret, nonce, ts string) []header {
	return []header{
		{prefix + "App-Key", key}, {prefix + "Nonce", nonce}, {prefix + "Timestamp", ts},
		{prefix + "Signature", signature.Sign(secret, nonce, ts)},
	}
}

// send posts body to path with exactly the headers given: names keep their spelling and a name
// given twice goes out twice.
func send(t *testing.T, base, path, contentType, body string, headers []header) testenv.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		req.Header[h.name] = append(req.Header[h.name], h.value)
	}
	return testenv.Do(t, &http.Client{}, req)
}

// sendQuiet is send for goroutines other than the test's: it returns the answer's code, -1
// when there is none.
func sendQuiet(base, path, body string, headers []header) int {
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		return -1
	}
	req.Header.Set("Content-Type", formType)
	for _, h := range headers {
		req.Header[h.name] = append(req.Header[h.name], h.value)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	var out struct {
		Code int `json:"code"`
	}
	if json.NewDecoder(res.Body).Decode(&out) != nil {
		return -1
	}
	return out.Code
}

const formType = "application/x-www-form-urlencoded"

// expect checks the status and code of an answer.
func expect(t *testing.T, what string, r testenv.Response, status, code int) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Errorf("%s: HTTP %d %s; want HTTP %d code %d", what, r.Status, r.Raw, status, code)
	}
}

// snapshot renders every item of the table whose key belongs to app, one canonical line each,
// sorted, read straight from dynalite.
func snapshot(t *testing.T, table, app string) []string {
	t.Helper()
	return scan(t, table, func(pk string) bool { return owns(app, pk) })
}

// owns reports whether a rendered partition key belongs to app.
func owns(app, pk string) bool {
	return strings.HasPrefix(pk, `"A#`+app+`#`) || pk == `"A#`+app+`"`
}

// scan renders the items whose rendered partition key keep accepts.
func scan(t *testing.T, table string, keep func(pk string) bool) []string {
	t.Helper()
	db := testenv.Client(t)
	var lines []string
	var start map[string]types.AttributeValue
	for {
		out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			if keep(render(it["PK"])) {
				lines = append(lines, render(&types.AttributeValueMemberM{Value: it}))
			}
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	slices.Sort(lines)
	return lines
}

// render prints an attribute value with map keys and sets sorted.
func render(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("%q", v.Value)
	case *types.AttributeValueMemberN:
		return "N" + v.Value
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint(v.Value)
	case *types.AttributeValueMemberNULL:
		return "null"
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B%x", v.Value)
	case *types.AttributeValueMemberSS:
		s := slices.Clone(v.Value)
		slices.Sort(s)
		return fmt.Sprintf("SS%q", s)
	case *types.AttributeValueMemberNS:
		s := slices.Clone(v.Value)
		slices.Sort(s)
		return fmt.Sprintf("NS%v", s)
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		keys := make([]string, 0, len(v.Value))
		for k := range v.Value {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%q:%s", k, render(v.Value[k]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case nil:
		return "<nil>"
	}
	return fmt.Sprintf("%T", v)
}
