package dynamo_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

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
