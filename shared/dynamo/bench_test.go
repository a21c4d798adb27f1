package dynamo

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"
)

// benchKey is the key of one of the users a batch reads (checkOnline, userBlock, …).
func benchKey(i int) map[string]AttributeValue {
	return map[string]AttributeValue{
		"PK": sv(fmt.Sprintf("app#k7Xq2mPz#u#user-%06d", i)),
		"SK": sv("#PROFILE"),
	}
}

// benchUser is a user item as the store writes it.
func benchUser(i int) map[string]AttributeValue {
	it := benchKey(i)
	it["name"] = sv(fmt.Sprintf("Player Nº %d — “quoted”", i))
	it["portrait"] = sv("https://cdn.example.com/portraits/" + strconv.Itoa(i) + ".png")
	it["createdAt"] = nv("1767225600123")
	it["notBefore"] = nv("1767225600")
	it["GSI1PK"] = sv("app#k7Xq2mPz#dev")
	it["GSI1SK"] = sv("1767225600123#user-" + strconv.Itoa(i))
	it["ids"] = &AttributeValueMemberSS{Value: []string{"device-a", "device-b"}}
	it["online"] = &AttributeValueMemberBOOL{Value: i%2 == 0}
	return it
}

func batchGetInput() *BatchGetItemInput {
	keys := make([]map[string]AttributeValue, 100)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	return &BatchGetItemInput{RequestItems: map[string]KeysAndAttributes{
		"imusers-prod": {Keys: keys, ConsistentRead: ptr(true)},
	}}
}

func batchGetAnswer() []byte {
	items := make([]map[string]AttributeValue, 100)
	for i := range items {
		items[i] = benchUser(i)
	}
	out := &BatchGetItemOutput{
		Responses:        map[string][]map[string]AttributeValue{"imusers-prod": items},
		UnprocessedKeys:  map[string]KeysAndAttributes{},
		ConsumedCapacity: []ConsumedCapacity{{TableName: ptr("imusers-prod"), CapacityUnits: ptr(50.0)}},
	}
	e := encoder{b: []byte{}}
	out.encodeAnswer(&e)
	return e.b
}

func BenchmarkEncodeBatchGet100(b *testing.B) {
	in := batchGetInput()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		e := encoder{b: make([]byte, 0, 1024)}
		in.encode(&e)
		size = len(e.b)
	}
	b.SetBytes(int64(size))
}

func BenchmarkDecodeBatchGet100(b *testing.B) {
	raw := batchGetAnswer()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var out BatchGetItemOutput
		if err := decode(raw, &out); err != nil {
			b.Fatal(err)
		}
		if len(out.Responses["imusers-prod"]) != 100 {
			b.Fatal("not 100 items")
		}
	}
}

// The benchmark's answer is what DynamoDB would send, and reads back as the items written.
func TestBenchmarkAnswerReadsBack(t *testing.T) {
	var out BatchGetItemOutput
	if err := decode(batchGetAnswer(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.Responses["imusers-prod"]
	if len(got) != 100 {
		t.Fatalf("%d items", len(got))
	}
	for i, it := range got {
		if !reflect.DeepEqual(it, benchUser(i)) {
			t.Fatalf("item %d: %s", i, show(it))
		}
	}
}
