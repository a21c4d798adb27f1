package dynamo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/infra/local/localenv"
	"imusers/shared/dynamo"
	"imusers/shared/testenv"
)

// local is a client of the test dynalite, the SDK's client of it and a fresh table.
func local(t *testing.T) (*dynamo.Client, *dynamodb.Client, string) {
	t.Helper()
	sdk := testenv.Client(t)
	table := testenv.NewTable(t, sdk)
	c, err := dynamo.New(aws.Config{Region: localenv.Region, Credentials: localenv.Credentials()}, testenv.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	return c, sdk, table
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func s(v string) dynamo.AttributeValue { return &dynamo.AttributeValueMemberS{Value: v} }
func n(v string) dynamo.AttributeValue { return &dynamo.AttributeValueMemberN{Value: v} }

func key(pk, sk string) map[string]dynamo.AttributeValue {
	return map[string]dynamo.AttributeValue{"PK": s(pk), "SK": s(sk)}
}

// Every action once, each reading what the one before wrote.
func TestEveryActionRoundTrip(t *testing.T) {
	c, _, table := local(t)
	ctx := ctxT(t)

	it := key("u#1", "#PROFILE")
	it["name"] = s("Ann")
	it["age"] = n("41")
	if _, err := c.PutItem(ctx, &dynamo.PutItemInput{TableName: &table, Item: it}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	got, err := c.GetItem(ctx, &dynamo.GetItemInput{TableName: &table, Key: key("u#1", "#PROFILE"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if !reflect.DeepEqual(got.Item, it) {
		t.Fatalf("GetItem: got %v, want %v", got.Item, it)
	}
	up, err := c.UpdateItem(ctx, &dynamo.UpdateItemInput{
		TableName:                 &table,
		Key:                       key("u#1", "#PROFILE"),
		UpdateExpression:          aws.String("SET age = age + :one"),
		ExpressionAttributeValues: map[string]dynamo.AttributeValue{":one": n("1")},
		ReturnValues:              dynamo.ReturnValueUpdatedNew,
	})
	if err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	if want := map[string]dynamo.AttributeValue{"age": n("42")}; !reflect.DeepEqual(up.Attributes, want) {
		t.Fatalf("UpdateItem: got %v, want %v", up.Attributes, want)
	}
	q, err := c.Query(ctx, &dynamo.QueryInput{
		TableName:                 &table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]dynamo.AttributeValue{":pk": s("u#1")},
	})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if q.Count != 1 || len(q.Items) != 1 || !reflect.DeepEqual(q.Items[0]["age"], n("42")) {
		t.Fatalf("Query: got %+v", q)
	}
	w, err := c.BatchWriteItem(ctx, &dynamo.BatchWriteItemInput{RequestItems: map[string][]dynamo.WriteRequest{table: {
		{PutRequest: &dynamo.PutRequest{Item: key("u#2", "#PROFILE")}},
		{DeleteRequest: &dynamo.DeleteRequest{Key: key("u#1", "#PROFILE")}},
	}}})
	if err != nil {
		t.Fatalf("BatchWriteItem: %v", err)
	}
	if len(w.UnprocessedItems) != 0 {
		t.Fatalf("BatchWriteItem left %v", w.UnprocessedItems)
	}
	b, err := c.BatchGetItem(ctx, &dynamo.BatchGetItemInput{RequestItems: map[string]dynamo.KeysAndAttributes{table: {
		Keys: []map[string]dynamo.AttributeValue{key("u#1", "#PROFILE"), key("u#2", "#PROFILE")},
	}}})
	if err != nil {
		t.Fatalf("BatchGetItem: %v", err)
	}
	if got := b.Responses[table]; len(got) != 1 || !reflect.DeepEqual(got[0], key("u#2", "#PROFILE")) {
		t.Fatalf("BatchGetItem: got %v", b.Responses)
	}
	d, err := c.DeleteItem(ctx, &dynamo.DeleteItemInput{TableName: &table, Key: key("u#2", "#PROFILE"), ReturnValues: dynamo.ReturnValueAllOld})
	if err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	if !reflect.DeepEqual(d.Attributes, key("u#2", "#PROFILE")) {
		t.Fatalf("DeleteItem: got %v", d.Attributes)
	}
	gone, err := c.GetItem(ctx, &dynamo.GetItemInput{TableName: &table, Key: key("u#2", "#PROFILE"), ConsistentRead: aws.Bool(true)})
	if err != nil || gone.Item != nil {
		t.Fatalf("GetItem after delete: %v, %v", gone, err)
	}
	_, err = c.PutItem(ctx, &dynamo.PutItemInput{TableName: &table, Item: key("u#2", "#PROFILE"), ConditionExpression: aws.String("attribute_exists(PK)")})
	var ccf *dynamo.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("conditional put: got %v, want a ConditionalCheckFailedException", err)
	}
}

// everyType holds one attribute of each DynamoDB type, nested ones included, and strings that
// need escaping in JSON.
func everyType(pk string) map[string]dynamo.AttributeValue {
	it := key(pk, "#ALL")
	for k, v := range map[string]dynamo.AttributeValue{
		"s":    s("héllo \"quoted\" \\ \n\t\x01 \u2028 😀 </script>"),
		"n":    n("-12.5"),
		"big":  n("12345678901234567890123456789012345678"),
		"b":    &dynamo.AttributeValueMemberB{Value: []byte{0, 1, 2, 0xfe, 0xff}},
		"t":    &dynamo.AttributeValueMemberBOOL{Value: true},
		"f":    &dynamo.AttributeValueMemberBOOL{Value: false},
		"null": &dynamo.AttributeValueMemberNULL{Value: true},
		"ss":   &dynamo.AttributeValueMemberSS{Value: []string{"a", "b\"c"}},
		"ns":   &dynamo.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bs":   &dynamo.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"m": &dynamo.AttributeValueMemberM{Value: map[string]dynamo.AttributeValue{
			"inner": &dynamo.AttributeValueMemberL{Value: []dynamo.AttributeValue{s("x"), n("1"), &dynamo.AttributeValueMemberM{Value: map[string]dynamo.AttributeValue{}}}},
			"ünï":   &dynamo.AttributeValueMemberNULL{Value: true},
		}},
		"l":      &dynamo.AttributeValueMemberL{Value: []dynamo.AttributeValue{}},
		"empty":  s(""),
		"name é": s("attribute names are strings too"),
	} {
		it[k] = v
	}
	return it
}

// toSDK and fromSDK convert between this package's attribute values and the SDK's.
func toSDK(v dynamo.AttributeValue) types.AttributeValue {
	switch v := v.(type) {
	case *dynamo.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: v.Value}
	case *dynamo.AttributeValueMemberN:
		return &types.AttributeValueMemberN{Value: v.Value}
	case *dynamo.AttributeValueMemberB:
		return &types.AttributeValueMemberB{Value: v.Value}
	case *dynamo.AttributeValueMemberBOOL:
		return &types.AttributeValueMemberBOOL{Value: v.Value}
	case *dynamo.AttributeValueMemberNULL:
		return &types.AttributeValueMemberNULL{Value: v.Value}
	case *dynamo.AttributeValueMemberSS:
		return &types.AttributeValueMemberSS{Value: v.Value}
	case *dynamo.AttributeValueMemberNS:
		return &types.AttributeValueMemberNS{Value: v.Value}
	case *dynamo.AttributeValueMemberBS:
		return &types.AttributeValueMemberBS{Value: v.Value}
	case *dynamo.AttributeValueMemberM:
		return &types.AttributeValueMemberM{Value: toSDKItem(v.Value)}
	case *dynamo.AttributeValueMemberL:
		list := []types.AttributeValue{}
		for _, x := range v.Value {
			list = append(list, toSDK(x))
		}
		return &types.AttributeValueMemberL{Value: list}
	}
	panic(fmt.Sprintf("no SDK type for %T", v))
}

func toSDKItem(m map[string]dynamo.AttributeValue) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{}
	for k, v := range m {
		out[k] = toSDK(v)
	}
	return out
}

func fromSDK(v types.AttributeValue) dynamo.AttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return &dynamo.AttributeValueMemberS{Value: v.Value}
	case *types.AttributeValueMemberN:
		return &dynamo.AttributeValueMemberN{Value: v.Value}
	case *types.AttributeValueMemberB:
		return &dynamo.AttributeValueMemberB{Value: v.Value}
	case *types.AttributeValueMemberBOOL:
		return &dynamo.AttributeValueMemberBOOL{Value: v.Value}
	case *types.AttributeValueMemberNULL:
		return &dynamo.AttributeValueMemberNULL{Value: v.Value}
	case *types.AttributeValueMemberSS:
		return &dynamo.AttributeValueMemberSS{Value: v.Value}
	case *types.AttributeValueMemberNS:
		return &dynamo.AttributeValueMemberNS{Value: v.Value}
	case *types.AttributeValueMemberBS:
		return &dynamo.AttributeValueMemberBS{Value: v.Value}
	case *types.AttributeValueMemberM:
		return &dynamo.AttributeValueMemberM{Value: fromSDKItem(v.Value)}
	case *types.AttributeValueMemberL:
		list := []dynamo.AttributeValue{}
		for _, x := range v.Value {
			list = append(list, fromSDK(x))
		}
		return &dynamo.AttributeValueMemberL{Value: list}
	}
	panic(fmt.Sprintf("no type for the SDK's %T", v))
}

func fromSDKItem(m map[string]types.AttributeValue) map[string]dynamo.AttributeValue {
	if m == nil {
		return nil
	}
	out := map[string]dynamo.AttributeValue{}
	for k, v := range m {
		out[k] = fromSDK(v)
	}
	return out
}

// sortSets orders set members, whose order DynamoDB does not keep.
func sortSets(m map[string]dynamo.AttributeValue) map[string]dynamo.AttributeValue {
	for _, v := range m {
		switch v := v.(type) {
		case *dynamo.AttributeValueMemberSS:
			slices.Sort(v.Value)
		case *dynamo.AttributeValueMemberNS:
			slices.Sort(v.Value)
		case *dynamo.AttributeValueMemberBS:
			slices.SortFunc(v.Value, bytes.Compare)
		case *dynamo.AttributeValueMemberM:
			sortSets(v.Value)
		}
	}
	return m
}

// Every attribute type written by this client reads back the same through the SDK's client,
// and the other way round: both speak the same JSON.
func TestEveryTypeAgainstTheSDK(t *testing.T) {
	c, sdk, table := local(t)
	ctx := ctxT(t)

	mine := everyType("u#mine")
	if _, err := c.PutItem(ctx, &dynamo.PutItemInput{TableName: &table, Item: mine}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	got, err := sdk.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: toSDKItem(key("u#mine", "#ALL")), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("SDK GetItem: %v", err)
	}
	if back := sortSets(fromSDKItem(got.Item)); !reflect.DeepEqual(back, sortSets(everyType("u#mine"))) {
		t.Errorf("written here, read by the SDK:\n got %v\nwant %v", back, everyType("u#mine"))
	}

	if _, err := sdk.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: toSDKItem(everyType("u#sdk"))}); err != nil {
		t.Fatalf("SDK PutItem: %v", err)
	}
	read, err := c.GetItem(ctx, &dynamo.GetItemInput{TableName: &table, Key: key("u#sdk", "#ALL"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if back := sortSets(read.Item); !reflect.DeepEqual(back, sortSets(everyType("u#sdk"))) {
		t.Errorf("written by the SDK, read here:\n got %v\nwant %v", back, everyType("u#sdk"))
	}

	// Each type alone, as a key condition's value and as an update's value.
	for name, v := range everyType("") {
		if name == "PK" || name == "SK" {
			continue
		}
		_, err := c.UpdateItem(ctx, &dynamo.UpdateItemInput{
			TableName: &table, Key: key("u#one", name),
			UpdateExpression:          aws.String("SET #v = :v"),
			ExpressionAttributeNames:  map[string]string{"#v": "value"},
			ExpressionAttributeValues: map[string]dynamo.AttributeValue{":v": v},
		})
		if err != nil {
			t.Fatalf("UpdateItem %s: %v", name, err)
		}
		got, err := sdk.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: toSDKItem(key("u#one", name)), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		want := sortSets(map[string]dynamo.AttributeValue{"v": v})["v"]
		if back := sortSets(map[string]dynamo.AttributeValue{"v": fromSDK(got.Item["value"])})["v"]; !reflect.DeepEqual(back, want) {
			t.Errorf("%s: the SDK reads %#v, want %#v", name, back, want)
		}
	}
}

// A write whose condition fails is a ConditionalCheckFailedException and changes nothing.
// (dynalite 4 ignores ReturnValuesOnConditionCheckFailure, so the item DynamoDB would send
// with it is tested against a stand-in: TestDoesNotRetryRefusals.)
func TestConditionFailure(t *testing.T) {
	c, _, table := local(t)
	ctx := ctxT(t)
	it := key("u#1", "#PROFILE")
	it["v"] = n("7")
	if _, err := c.PutItem(ctx, &dynamo.PutItemInput{TableName: &table, Item: it}); err != nil {
		t.Fatal(err)
	}
	cond := aws.String("attribute_not_exists(PK)")
	for name, call := range map[string]func(dynamo.ReturnValuesOnConditionCheckFailure) error{
		"PutItem": func(r dynamo.ReturnValuesOnConditionCheckFailure) error {
			_, err := c.PutItem(ctx, &dynamo.PutItemInput{TableName: &table, Item: key("u#1", "#PROFILE"), ConditionExpression: cond, ReturnValuesOnConditionCheckFailure: r})
			return err
		},
		"UpdateItem": func(r dynamo.ReturnValuesOnConditionCheckFailure) error {
			_, err := c.UpdateItem(ctx, &dynamo.UpdateItemInput{TableName: &table, Key: key("u#1", "#PROFILE"), UpdateExpression: aws.String("SET v = :v"),
				ExpressionAttributeValues: map[string]dynamo.AttributeValue{":v": n("8")}, ConditionExpression: cond, ReturnValuesOnConditionCheckFailure: r})
			return err
		},
		"DeleteItem": func(r dynamo.ReturnValuesOnConditionCheckFailure) error {
			_, err := c.DeleteItem(ctx, &dynamo.DeleteItemInput{TableName: &table, Key: key("u#1", "#PROFILE"), ConditionExpression: cond, ReturnValuesOnConditionCheckFailure: r})
			return err
		},
	} {
		for _, r := range []dynamo.ReturnValuesOnConditionCheckFailure{"", dynamo.ReturnValuesOnConditionCheckFailureNone, dynamo.ReturnValuesOnConditionCheckFailureAllOld} {
			var ccf *dynamo.ConditionalCheckFailedException
			if err := call(r); !errors.As(err, &ccf) {
				t.Errorf("%s (%q): got %v, want a ConditionalCheckFailedException", name, r, err)
			}
		}
	}
	got, err := c.GetItem(ctx, &dynamo.GetItemInput{TableName: &table, Key: key("u#1", "#PROFILE"), ConsistentRead: aws.Bool(true)})
	if err != nil || !reflect.DeepEqual(got.Item, it) {
		t.Errorf("after failed writes: %v, %v", got, err)
	}
}

// Each ReturnValues gives what DynamoDB documents.
func TestReturnValues(t *testing.T) {
	c, _, table := local(t)
	ctx := ctxT(t)
	start := key("u#1", "#PROFILE")
	start["a"], start["b"] = n("1"), s("keep")
	put, err := c.PutItem(ctx, &dynamo.PutItemInput{TableName: &table, Item: start, ReturnValues: dynamo.ReturnValueAllOld})
	if err != nil || put.Attributes != nil {
		t.Fatalf("first put, ALL_OLD: %v, %v", put, err)
	}
	again := key("u#1", "#PROFILE")
	again["a"], again["b"] = n("2"), s("keep")
	put, err = c.PutItem(ctx, &dynamo.PutItemInput{TableName: &table, Item: again, ReturnValues: dynamo.ReturnValueAllOld})
	if err != nil || !reflect.DeepEqual(put.Attributes, start) {
		t.Fatalf("second put, ALL_OLD: %v, %v", put, err)
	}
	after := key("u#1", "#PROFILE")
	after["a"], after["b"] = n("3"), s("keep")
	for _, tc := range []struct {
		rv   dynamo.ReturnValue
		want map[string]dynamo.AttributeValue
	}{
		{dynamo.ReturnValueNone, nil},
		{"", nil},
		{dynamo.ReturnValueAllOld, again},
		{dynamo.ReturnValueUpdatedOld, map[string]dynamo.AttributeValue{"a": n("2")}},
		{dynamo.ReturnValueAllNew, after},
		{dynamo.ReturnValueUpdatedNew, map[string]dynamo.AttributeValue{"a": n("3")}},
	} {
		if _, err := c.PutItem(ctx, &dynamo.PutItemInput{TableName: &table, Item: again}); err != nil {
			t.Fatal(err)
		}
		up, err := c.UpdateItem(ctx, &dynamo.UpdateItemInput{TableName: &table, Key: key("u#1", "#PROFILE"), UpdateExpression: aws.String("ADD a :one"),
			ExpressionAttributeValues: map[string]dynamo.AttributeValue{":one": n("1")}, ReturnValues: tc.rv})
		if err != nil || !reflect.DeepEqual(up.Attributes, tc.want) {
			t.Errorf("UpdateItem %q: got %v (%v), want %v", tc.rv, up, err, tc.want)
		}
	}
	del, err := c.DeleteItem(ctx, &dynamo.DeleteItemInput{TableName: &table, Key: key("u#1", "#PROFILE"), ReturnValues: dynamo.ReturnValueAllOld})
	if err != nil || !reflect.DeepEqual(del.Attributes, after) {
		t.Errorf("DeleteItem ALL_OLD: got %v (%v)", del, err)
	}
	del, err = c.DeleteItem(ctx, &dynamo.DeleteItemInput{TableName: &table, Key: key("u#1", "#PROFILE"), ReturnValues: dynamo.ReturnValueAllOld})
	if err != nil || del.Attributes != nil {
		t.Errorf("DeleteItem of nothing: got %v (%v)", del, err)
	}
}

// A partition read page by page, on the table and on an index, in both orders.
func TestQueryPages(t *testing.T) {
	c, _, table := local(t)
	ctx := ctxT(t)
	var writes []dynamo.WriteRequest
	for i := range 7 {
		it := key("u#1", fmt.Sprintf("f#%02d", i))
		it["GSI1PK"], it["GSI1SK"] = s("dev"), s(fmt.Sprintf("%02d", 10-i))
		writes = append(writes, dynamo.WriteRequest{PutRequest: &dynamo.PutRequest{Item: it}})
	}
	if _, err := c.BatchWriteItem(ctx, &dynamo.BatchWriteItemInput{RequestItems: map[string][]dynamo.WriteRequest{table: writes}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		index   *string
		cond    string
		pk      string
		forward bool
		want    []string // SK of each item, in order
	}{
		{nil, "PK = :pk AND begins_with(SK, :f)", "u#1", true, []string{"f#00", "f#01", "f#02", "f#03", "f#04", "f#05", "f#06"}},
		{nil, "PK = :pk AND begins_with(SK, :f)", "u#1", false, []string{"f#06", "f#05", "f#04", "f#03", "f#02", "f#01", "f#00"}},
		{aws.String("GSI1"), "GSI1PK = :pk", "dev", true, []string{"f#06", "f#05", "f#04", "f#03", "f#02", "f#01", "f#00"}},
	} {
		values := map[string]dynamo.AttributeValue{":pk": s(tc.pk)}
		if tc.index == nil {
			values[":f"] = s("f#")
		}
		var got []string
		var start map[string]dynamo.AttributeValue
		pages := 0
		for {
			out, err := c.Query(ctx, &dynamo.QueryInput{
				TableName: &table, IndexName: tc.index, KeyConditionExpression: &tc.cond, ExpressionAttributeValues: values,
				Limit: aws.Int32(3), ScanIndexForward: &tc.forward, ExclusiveStartKey: start, ReturnConsumedCapacity: dynamo.ReturnConsumedCapacityIndexes,
			})
			if err != nil {
				t.Fatalf("page %d: %v", pages, err)
			}
			pages++
			if out.Count != int32(len(out.Items)) || out.ScannedCount != out.Count {
				t.Errorf("page %d: Count %d, ScannedCount %d, %d items", pages, out.Count, out.ScannedCount, len(out.Items))
			}
			if cc := out.ConsumedCapacity; cc == nil || aws.ToString(cc.TableName) != table || aws.ToFloat64(cc.CapacityUnits) <= 0 {
				t.Errorf("page %d: ConsumedCapacity %+v", pages, cc)
			} else if tc.index != nil {
				// INDEXES: the index's share is named.
				if gsi, ok := cc.GlobalSecondaryIndexes["GSI1"]; !ok || aws.ToFloat64(gsi.CapacityUnits) <= 0 {
					t.Errorf("page %d: no GSI1 in ConsumedCapacity %+v", pages, cc)
				}
			}
			for _, it := range out.Items {
				got = append(got, it["SK"].(*dynamo.AttributeValueMemberS).Value)
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			if _, ok := out.LastEvaluatedKey["PK"]; !ok {
				t.Fatalf("LastEvaluatedKey %v has no PK", out.LastEvaluatedKey)
			}
			start = out.LastEvaluatedKey
		}
		if !slices.Equal(got, tc.want) || pages != 3 {
			t.Errorf("index %v, forward %v: %v in %d pages, want %v in 3", aws.ToString(tc.index), tc.forward, got, pages, tc.want)
		}
	}
}

// A batch reads several keys (some absent) and reports the capacity it consumed; a batch
// write puts and deletes together.
func TestBatches(t *testing.T) {
	c, sdk, table := local(t)
	ctx := ctxT(t)
	var puts []dynamo.WriteRequest
	for i := range 25 {
		it := key(fmt.Sprintf("u#%02d", i), "#PROFILE")
		it["i"] = n(fmt.Sprint(i))
		puts = append(puts, dynamo.WriteRequest{PutRequest: &dynamo.PutRequest{Item: it}})
	}
	w, err := c.BatchWriteItem(ctx, &dynamo.BatchWriteItemInput{RequestItems: map[string][]dynamo.WriteRequest{table: puts}, ReturnConsumedCapacity: dynamo.ReturnConsumedCapacityTotal})
	if err != nil || len(w.UnprocessedItems) != 0 {
		t.Fatalf("BatchWriteItem puts: %v, %v", w, err)
	}
	if len(w.ConsumedCapacity) != 1 || aws.ToString(w.ConsumedCapacity[0].TableName) != table || aws.ToFloat64(w.ConsumedCapacity[0].CapacityUnits) < 25 {
		t.Errorf("BatchWriteItem ConsumedCapacity %+v", w.ConsumedCapacity)
	}
	mixed := []dynamo.WriteRequest{
		{DeleteRequest: &dynamo.DeleteRequest{Key: key("u#00", "#PROFILE")}},
		{DeleteRequest: &dynamo.DeleteRequest{Key: key("u#01", "#PROFILE")}},
		{PutRequest: &dynamo.PutRequest{Item: key("u#99", "#PROFILE")}},
	}
	if _, err := c.BatchWriteItem(ctx, &dynamo.BatchWriteItemInput{RequestItems: map[string][]dynamo.WriteRequest{table: mixed}}); err != nil {
		t.Fatalf("BatchWriteItem puts and deletes: %v", err)
	}
	scan, err := sdk.Scan(ctx, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	if err != nil || scan.Count != 24 {
		t.Fatalf("after the mixed batch the SDK counts %d items (%v), want 24", scan.Count, err)
	}

	keys := []map[string]dynamo.AttributeValue{key("u#00", "#PROFILE"), key("u#02", "#PROFILE"), key("u#03", "#PROFILE"), key("u#99", "#PROFILE"), key("nobody", "#PROFILE")}
	b, err := c.BatchGetItem(ctx, &dynamo.BatchGetItemInput{
		RequestItems:           map[string]dynamo.KeysAndAttributes{table: {Keys: keys, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("PK, #i"), ExpressionAttributeNames: map[string]string{"#i": "i"}}},
		ReturnConsumedCapacity: dynamo.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		t.Fatalf("BatchGetItem: %v", err)
	}
	var got []string
	for _, it := range b.Responses[table] {
		if _, hasSK := it["SK"]; hasSK {
			t.Errorf("item %v is not projected", it)
		}
		got = append(got, it["PK"].(*dynamo.AttributeValueMemberS).Value)
		if pk := it["PK"].(*dynamo.AttributeValueMemberS).Value; pk != "u#99" && !reflect.DeepEqual(it["i"], n(strings.TrimLeft(strings.TrimPrefix(pk, "u#"), "0"))) && pk != "u#00" {
			t.Errorf("item %v", it)
		}
	}
	slices.Sort(got)
	if want := []string{"u#02", "u#03", "u#99"}; !slices.Equal(got, want) {
		t.Errorf("BatchGetItem read %v, want %v", got, want)
	}
	if len(b.UnprocessedKeys) != 0 {
		t.Errorf("UnprocessedKeys %v", b.UnprocessedKeys)
	}
	if len(b.ConsumedCapacity) != 1 || aws.ToString(b.ConsumedCapacity[0].TableName) != table || aws.ToFloat64(b.ConsumedCapacity[0].CapacityUnits) <= 0 {
		t.Errorf("BatchGetItem ConsumedCapacity %+v", b.ConsumedCapacity)
	}
}

// DynamoDB's refusals arrive as errors with its code: a missing table, a malformed request.
func TestRefusals(t *testing.T) {
	c, _, table := local(t)
	ctx := ctxT(t)
	var ae *dynamo.Error
	_, err := c.GetItem(ctx, &dynamo.GetItemInput{TableName: aws.String("no-such-table"), Key: key("a", "b")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" || ae.HTTPStatusCode() != 400 {
		t.Errorf("missing table: %#v", err)
	}
	_, err = c.GetItem(ctx, &dynamo.GetItemInput{TableName: &table, Key: map[string]dynamo.AttributeValue{"PK": n("1")}})
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("bad key: %#v", err)
	}
	_, err = c.Query(ctx, nil)
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("empty Query: %#v", err)
	}
}
