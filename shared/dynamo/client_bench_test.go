package dynamo_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/dynamo"
)

// replay answers every request with one body, as DynamoDB would (with its X-Amz-Crc32),
// without a network: what is measured is the client's own work.
type replay struct{ body []byte }

func (r replay) Do(req *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, req.Body)
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(r.body)), 10))
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(r.body)), ContentLength: int64(len(r.body)), Request: req}, nil
}

// batchGetAnswer is a BatchGetItem answer of 100 user items, as the store writes them.
func batchGetAnswer() []byte {
	var b bytes.Buffer
	b.WriteString(`{"Responses":{"imusers-prod":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"PK":{"S":"app#k7Xq2mPz#u#user-%06d"},"SK":{"S":"#PROFILE"},"name":{"S":"Player Nº %d — “quoted”"},`+
			`"portrait":{"S":"https://cdn.example.com/portraits/%d.png"},"createdAt":{"N":"1767225600123"},"notBefore":{"N":"1767225600"},`+
			`"GSI1PK":{"S":"app#k7Xq2mPz#dev"},"GSI1SK":{"S":"1767225600123#user-%d"},"ids":{"SS":["device-a","device-b"]},"online":{"BOOL":%t}}`,
			i, i, i, i, i%2 == 0)
	}
	b.WriteString(`]},"UnprocessedKeys":{},"ConsumedCapacity":[{"TableName":"imusers-prod","CapacityUnits":50}]}`)
	return b.Bytes()
}

// A whole BatchGetItem call of 100 keys (encoding, signing, checking and decoding the
// answer), by this client and, for comparison, by the SDK's.
func BenchmarkBatchGetItem100(b *testing.B) {
	raw := batchGetAnswer()
	cfg := testConfig(quickRetries)
	cfg.HTTPClient = replay{raw}
	ctx := context.Background()

	b.Run("dynamo", func(b *testing.B) {
		c, err := dynamo.New(cfg, "https://dynamodb.eu-west-1.amazonaws.com/")
		if err != nil {
			b.Fatal(err)
		}
		keys := make([]map[string]dynamo.AttributeValue, 100)
		for i := range keys {
			keys[i] = map[string]dynamo.AttributeValue{"PK": s(fmt.Sprintf("app#k7Xq2mPz#u#user-%06d", i)), "SK": s("#PROFILE")}
		}
		in := &dynamo.BatchGetItemInput{RequestItems: map[string]dynamo.KeysAndAttributes{"imusers-prod": {Keys: keys, ConsistentRead: aws.Bool(true)}}}
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.BatchGetItem(ctx, in)
			if err != nil || len(out.Responses["imusers-prod"]) != 100 {
				b.Fatal(out, err)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		c := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("https://dynamodb.eu-west-1.amazonaws.com/") })
		keys := make([]map[string]types.AttributeValue, 100)
		for i := range keys {
			keys[i] = map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: fmt.Sprintf("app#k7Xq2mPz#u#user-%06d", i)}, "SK": &types.AttributeValueMemberS{Value: "#PROFILE"}}
		}
		in := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"imusers-prod": {Keys: keys, ConsistentRead: aws.Bool(true)}}}
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.BatchGetItem(ctx, in)
			if err != nil || len(out.Responses["imusers-prod"]) != 100 {
				b.Fatal(out, err)
			}
		}
	})
}
