package dynamo

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"imusers/shared/awserr"
)

func ptr[T any](v T) *T { return &v }

func sv(v string) AttributeValue { return &AttributeValueMemberS{Value: v} }
func nv(v string) AttributeValue { return &AttributeValueMemberN{Value: v} }

// everyType holds one attribute of each DynamoDB type, nested ones included.
func everyType() map[string]AttributeValue {
	return map[string]AttributeValue{
		"s":     sv("héllo \"quoted\" \\ \n\t\x01 \u2028 😀"),
		"empty": sv(""),
		"n":     nv("-12.5e3"),
		"b":     &AttributeValueMemberB{Value: []byte{0, 1, 2, 0xfe, 0xff}},
		"t":     &AttributeValueMemberBOOL{Value: true},
		"f":     &AttributeValueMemberBOOL{Value: false},
		"null":  &AttributeValueMemberNULL{Value: true},
		"ss":    &AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":    &AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bs":    &AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"m": &AttributeValueMemberM{Value: map[string]AttributeValue{
			"inner": &AttributeValueMemberL{Value: []AttributeValue{sv("x"), nv("1"), &AttributeValueMemberM{Value: map[string]AttributeValue{}}}},
		}},
		"l":       &AttributeValueMemberL{Value: []AttributeValue{}},
		"ünïcode": sv("name"),
	}
}

func encodeRequest(t testing.TB, in request) []byte {
	t.Helper()
	var e encoder
	in.encode(&e)
	if e.err != nil {
		t.Fatalf("encode: %v", e.err)
	}
	return e.b
}

// A request with one member per map has one encoding: the exact bytes DynamoDB receives.
func TestEncodeRequestExactly(t *testing.T) {
	for _, tc := range []struct {
		in   request
		want string
	}{
		{&GetItemInput{TableName: ptr("t"), Key: map[string]AttributeValue{"PK": sv("a")}, ConsistentRead: ptr(true),
			ProjectionExpression: ptr("#n"), ExpressionAttributeNames: map[string]string{"#n": "name"}, ReturnConsumedCapacity: ReturnConsumedCapacityTotal},
			`{"TableName":"t","Key":{"PK":{"S":"a"}},"ConsistentRead":true,"ProjectionExpression":"#n","ExpressionAttributeNames":{"#n":"name"},"ReturnConsumedCapacity":"TOTAL"}`},
		{&PutItemInput{TableName: ptr("t"), Item: map[string]AttributeValue{"n": nv("1")}, ConditionExpression: ptr("attribute_not_exists(PK)"),
			ReturnValues: ReturnValueAllOld, ReturnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailureAllOld},
			`{"TableName":"t","Item":{"n":{"N":"1"}},"ConditionExpression":"attribute_not_exists(PK)","ReturnValues":"ALL_OLD","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`},
		{&UpdateItemInput{TableName: ptr("t"), Key: map[string]AttributeValue{"PK": sv("a")}, UpdateExpression: ptr("SET v = :v"),
			ExpressionAttributeValues: map[string]AttributeValue{":v": &AttributeValueMemberBOOL{Value: false}}, ReturnValues: ReturnValueUpdatedNew},
			`{"TableName":"t","Key":{"PK":{"S":"a"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"BOOL":false}},"ReturnValues":"UPDATED_NEW"}`},
		{&DeleteItemInput{TableName: ptr("t"), Key: map[string]AttributeValue{"PK": sv("a")}, ExpressionAttributeNames: map[string]string{}, ExpressionAttributeValues: map[string]AttributeValue{}},
			`{"TableName":"t","Key":{"PK":{"S":"a"}}}`},
		{&QueryInput{TableName: ptr("t"), IndexName: ptr("GSI1"), KeyConditionExpression: ptr("PK = :p"), FilterExpression: ptr("x > :p"),
			ExpressionAttributeValues: map[string]AttributeValue{":p": &AttributeValueMemberB{Value: []byte("hi")}}, Limit: ptr(int32(-7)), ScanIndexForward: ptr(false),
			ExclusiveStartKey: map[string]AttributeValue{"PK": &AttributeValueMemberNULL{Value: true}}},
			`{"TableName":"t","IndexName":"GSI1","KeyConditionExpression":"PK = :p","FilterExpression":"x > :p","ExpressionAttributeValues":{":p":{"B":"aGk="}},"Limit":-7,"ScanIndexForward":false,"ExclusiveStartKey":{"PK":{"NULL":true}}}`},
		{&BatchGetItemInput{RequestItems: map[string]KeysAndAttributes{"t": {Keys: []map[string]AttributeValue{{"PK": sv("a")}, {"PK": sv("b")}}, ConsistentRead: ptr(true)}}, ReturnConsumedCapacity: ReturnConsumedCapacityIndexes},
			`{"RequestItems":{"t":{"Keys":[{"PK":{"S":"a"}},{"PK":{"S":"b"}}],"ConsistentRead":true}},"ReturnConsumedCapacity":"INDEXES"}`},
		{&BatchWriteItemInput{RequestItems: map[string][]WriteRequest{"t": {{PutRequest: &PutRequest{Item: map[string]AttributeValue{"L": &AttributeValueMemberL{Value: []AttributeValue{sv("x"), &AttributeValueMemberSS{Value: []string{"y"}}}}}}}, {DeleteRequest: &DeleteRequest{Key: map[string]AttributeValue{"BS": &AttributeValueMemberBS{Value: [][]byte{{0xff}, {}}}}}}}}},
			`{"RequestItems":{"t":[{"PutRequest":{"Item":{"L":{"L":[{"S":"x"},{"SS":["y"]}]}}}},{"DeleteRequest":{"Key":{"BS":{"BS":["/w==",""]}}}}]}}`},
		{(*GetItemInput)(nil), `{}`},
		{&BatchWriteItemInput{}, `{}`},
		{&QueryInput{ExpressionAttributeValues: map[string]AttributeValue{":m": &AttributeValueMemberM{}}}, `{"ExpressionAttributeValues":{":m":{"M":{}}}}`},
		{&QueryInput{ExpressionAttributeValues: map[string]AttributeValue{":n": &AttributeValueMemberNS{}}}, `{"ExpressionAttributeValues":{":n":{"NS":[]}}}`},
	} {
		got := string(encodeRequest(t, tc.in))
		if got != tc.want {
			t.Errorf("%T:\n got %s\nwant %s", tc.in, got, tc.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%T: not JSON: %s", tc.in, got)
		}
	}
}

// Strings reach DynamoDB as encoding/json would write them: escaped where JSON needs it, and
// text that is not UTF-8 as U+FFFD.
func TestEncodeStringsAsJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" backslash\\ slash/", "\x00\x1f\x7f", "\n\r\t\b\f", "é😀\u2028", "bad \xff\xfe utf-8", "\xed\xa0\x80 surrogate"} {
		b := appendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encodes as %s, not JSON: %v", s, b, err)
		}
		var want string
		std, _ := json.Marshal(s)
		_ = json.Unmarshal(std, &want)
		if back != want {
			t.Errorf("%q encodes as %s, which reads back as %q; encoding/json writes %s", s, b, back, std)
		}
		d := newDecoder(b)
		if got := d.str(); d.err != nil || got != back {
			t.Errorf("%s decodes to %q (%v), encoding/json to %q", b, got, d.err, back)
		}
	}
}

// A nil attribute value (or a typed nil) is an error before anything is sent.
func TestEncodeRefusesNilValues(t *testing.T) {
	for _, v := range []AttributeValue{nil, (*AttributeValueMemberS)(nil), (*AttributeValueMemberM)(nil), &AttributeValueMemberL{Value: []AttributeValue{nil}}} {
		var e encoder
		(&PutItemInput{Item: map[string]AttributeValue{"a": v}}).encode(&e)
		if !errors.Is(e.err, errNoValue) {
			t.Errorf("%#v: err %v, want errNoValue", v, e.err)
		}
		if !json.Valid(e.b) {
			t.Errorf("%#v: what was written is not JSON: %s", v, e.b)
		}
	}
}

// Every attribute type survives encoding and decoding unchanged.
func TestEveryTypeRoundTrip(t *testing.T) {
	want := everyType()
	var e encoder
	e.open()
	e.field("Item")
	e.attrs(want)
	e.close()
	var out GetItemOutput
	if err := decode(e.b, &out); err != nil {
		t.Fatalf("decode %s: %v", e.b, err)
	}
	if !reflect.DeepEqual(out.Item, want) {
		t.Fatalf("round trip:\n got %s\nwant %s", show(out.Item), show(want))
	}
}

// Answers as DynamoDB writes them, read into the outputs.
func TestDecodeAnswers(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want answer
	}{
		{`{}`, &GetItemOutput{}},
		{` {"Item": {"PK":{"S":"a"}, "n" : {"N":"1"}} , "ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5}} `,
			&GetItemOutput{Item: map[string]AttributeValue{"PK": sv("a"), "n": nv("1")}, ConsumedCapacity: &ConsumedCapacity{TableName: ptr("t"), CapacityUnits: ptr(0.5)}}},
		{`{"Item":null,"Unknown":[1,{"x":[true,false,null,-0.5e-3,"\u00e9"]}]}`, &GetItemOutput{}},
		{`{"Attributes":{"a":{"SS":["x","y"]}},"ItemCollectionMetrics":{"ItemCollectionKey":{"PK":{"S":"a"}},"SizeEstimateRangeGB":[0,1]}}`,
			&PutItemOutput{Attributes: map[string]AttributeValue{"a": &AttributeValueMemberSS{Value: []string{"x", "y"}}}}},
		{`{"Attributes":{"a":{"BOOL":true}},"ConsumedCapacity":{"TableName":"t","CapacityUnits":1,"WriteCapacityUnits":1}}`,
			&UpdateItemOutput{Attributes: map[string]AttributeValue{"a": &AttributeValueMemberBOOL{Value: true}}, ConsumedCapacity: &ConsumedCapacity{TableName: ptr("t"), CapacityUnits: ptr(1.0), WriteCapacityUnits: ptr(1.0)}}},
		{`{"Attributes":{"b":{"B":"AAEC"}}}`, &DeleteItemOutput{Attributes: map[string]AttributeValue{"b": &AttributeValueMemberB{Value: []byte{0, 1, 2}}}}},
		{`{"Count":2,"Items":[{"a":{"N":"1"}},{"a":{"N":"2"}}],"LastEvaluatedKey":{"PK":{"S":"p"},"SK":{"S":"s"}},"ScannedCount":3,
		  "ConsumedCapacity":{"TableName":"t","CapacityUnits":2,"Table":{"CapacityUnits":1},"GlobalSecondaryIndexes":{"GSI1":{"CapacityUnits":1,"ReadCapacityUnits":1}},"LocalSecondaryIndexes":{}}}`,
			&QueryOutput{Count: 2, ScannedCount: 3, Items: []map[string]AttributeValue{{"a": nv("1")}, {"a": nv("2")}},
				LastEvaluatedKey: map[string]AttributeValue{"PK": sv("p"), "SK": sv("s")},
				ConsumedCapacity: &ConsumedCapacity{TableName: ptr("t"), CapacityUnits: ptr(2.0), Table: &Capacity{CapacityUnits: ptr(1.0)},
					GlobalSecondaryIndexes: map[string]Capacity{"GSI1": {CapacityUnits: ptr(1.0), ReadCapacityUnits: ptr(1.0)}}, LocalSecondaryIndexes: map[string]Capacity{}}}},
		{`{"Count":0,"Items":[],"ScannedCount":0}`, &QueryOutput{Items: []map[string]AttributeValue{}}},
		{`{"Responses":{"t":[{"PK":{"S":"a"}}],"u":[]},"UnprocessedKeys":{"t":{"Keys":[{"PK":{"S":"b"}}],"ConsistentRead":true,"ProjectionExpression":"#a","ExpressionAttributeNames":{"#a":"a"},"AttributesToGet":["x"]}},
		  "ConsumedCapacity":[{"TableName":"t","CapacityUnits":1.5},{"TableName":"u","CapacityUnits":0}]}`,
			&BatchGetItemOutput{
				Responses:        map[string][]map[string]AttributeValue{"t": {{"PK": sv("a")}}, "u": {}},
				UnprocessedKeys:  map[string]KeysAndAttributes{"t": {Keys: []map[string]AttributeValue{{"PK": sv("b")}}, ConsistentRead: ptr(true), ProjectionExpression: ptr("#a"), ExpressionAttributeNames: map[string]string{"#a": "a"}}},
				ConsumedCapacity: []ConsumedCapacity{{TableName: ptr("t"), CapacityUnits: ptr(1.5)}, {TableName: ptr("u"), CapacityUnits: ptr(0.0)}}}},
		{`{"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"PK":{"S":"a"}}}},{"DeleteRequest":{"Key":{"PK":{"S":"b"}}}}]},"ConsumedCapacity":[{"TableName":"t","CapacityUnits":2}]}`,
			&BatchWriteItemOutput{UnprocessedItems: map[string][]WriteRequest{"t": {{PutRequest: &PutRequest{Item: map[string]AttributeValue{"PK": sv("a")}}}, {DeleteRequest: &DeleteRequest{Key: map[string]AttributeValue{"PK": sv("b")}}}}},
				ConsumedCapacity: []ConsumedCapacity{{TableName: ptr("t"), CapacityUnits: ptr(2.0)}}}},
		{`{"UnprocessedItems":{}}`, &BatchWriteItemOutput{UnprocessedItems: map[string][]WriteRequest{}}},
	} {
		got := reflect.New(reflect.TypeOf(tc.want).Elem()).Interface().(answer)
		if err := decode([]byte(tc.raw), got); err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.raw, show(got), show(tc.want))
		}
	}
}

// What is not DynamoDB's JSON is an error that says where, and nothing of what was there.
func TestDecodeRefusesMalformedAnswers(t *testing.T) {
	for _, raw := range []string{
		``, ` `, `null`, `[]`, `{`, `{"Item"}`, `{"Item":}`, `{"Item":{},}`, `{,"Item":{}}`, `{"Item":{}}x`, `{"Item":{}} {}`,
		`{"Item":{"a":{}}}`, `{"Item":{"a":{"S":"x","N":"1"}}}`, `{"Item":{"a":{"X":"secret-value"}}}`, `{"Item":{"a":{"S":1}}}`,
		`{"Item":{"a":{"N":null}}}`, `{"Item":{"a":null}}`, `{"Item":{"a":{"B":"not base64!"}}}`, `{"Item":{"a":{"BOOL":"true"}}}`,
		`{"Item":{"a":{"S":"unterminated}}}`, `{"Item":{"a":{"S":"bad \x escape"}}}`, `{"Item":{"a":{"S":"\u12"}}}`,
		"{\"Item\":{\"a\":{\"S\":\"raw \x01 control\"}}}", `{"Item":{"a":{"L":[{"S":"x"},]}}}`, `{"Item":{"a":{"SS":["x" "y"]}}}`,
		`{"ConsumedCapacity":{"CapacityUnits":1e999}}`, `{"ConsumedCapacity":{"CapacityUnits":01}}`, `{"ConsumedCapacity":{"CapacityUnits":-}}`,
		`{"ConsumedCapacity":{"CapacityUnits":1.}}`, `{"ConsumedCapacity":{"CapacityUnits":.5}}`, `{"ConsumedCapacity":{"CapacityUnits":1e}}`,
		`{"ConsumedCapacity":{"CapacityUnits":NaN}}`, `{"ConsumedCapacity":{"CapacityUnits":0x10}}`, `{"X":tru}`, `{"X":nul}`, `{"X":"a":1}`,
		// Deeper than DynamoDB's 32 levels of attribute values.
		`{"Item":` + nested(60) + `}`,
		`{"X":` + strings.Repeat(`[`, 1000000) + `}`,
	} {
		err := decode([]byte(raw), &GetItemOutput{})
		var se *syntaxError
		if !errors.As(err, &se) {
			t.Errorf("%.60q: err %v, want a syntax error", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "secret") || se.offset < 0 || se.offset > len(raw) {
			t.Errorf("%.60q: error %q", raw, err)
		}
	}
	// Counts must be whole 32-bit numbers.
	for _, raw := range []string{`{"Count":1.5}`, `{"Count":4294967296}`, `{"ScannedCount":"1"}`} {
		if err := decode([]byte(raw), &QueryOutput{}); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
	// A batch's ConsumedCapacity is a list.
	if err := decode([]byte(`{"ConsumedCapacity":{"TableName":"t"}}`), &BatchGetItemOutput{}); err == nil {
		t.Error("a batch answer with one ConsumedCapacity object: no error")
	}
}

// nested is an attribute map nested levels deep: {"a":{"M":{"a":{"M":…{}}}}}.
func nested(levels int) string {
	return strings.Repeat(`{"a":{"M":`, levels) + `{}` + strings.Repeat(`}}`, levels)
}

// DynamoDB nests attribute values up to 32 levels; such an item is read.
func TestDecodeDeepestItem(t *testing.T) {
	var out GetItemOutput
	if err := decode([]byte(`{"Item":`+nested(32)+`}`), &out); err != nil {
		t.Fatal(err)
	}
	m, levels := out.Item, 0
	for len(m) > 0 {
		m = m["a"].(*AttributeValueMemberM).Value
		levels++
	}
	if levels != 32 {
		t.Fatalf("read %d levels, want 32", levels)
	}
}

// JSON escapes of every kind decode as encoding/json decodes them.
func TestDecodeStringsAsEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`"plain"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u00E9"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`, `"\ud83dx"`, `"\ud83d\u0041"`,
		`"\ud83d\ud83d\ude00"`, "\"bad \xff utf-8\"", "\"bad \xff\\n escaped\"", "\"\xed\xa0\x80\"", `""`, "\"é😀\"",
	} {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		d := newDecoder([]byte(raw))
		if got := d.str(); d.err != nil || got != want || d.i != len(raw) {
			t.Errorf("%s: got %q (%v), encoding/json %q", raw, got, d.err, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	res := func(status int) *http.Response { return &http.Response{StatusCode: status, Header: http.Header{}} }
	raw := `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"PK":{"S":"a"},"v":{"N":"3"}}}`
	err := decodeError("dynamodb PutItem", res(400), []byte(raw))
	var ccf *ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("got %T %v, want a ConditionalCheckFailedException", err, err)
	}
	if ccf.Message == nil || *ccf.Message != "The conditional request failed" || !reflect.DeepEqual(ccf.Item, map[string]AttributeValue{"PK": sv("a"), "v": nv("3")}) {
		t.Errorf("got %+v", ccf)
	}
	if got := err.Error(); got != "dynamodb PutItem: ConditionalCheckFailedException: The conditional request failed" {
		t.Errorf("error text %q", got)
	}

	// Without ReturnValuesOnConditionCheckFailure there is no item, and the message key may be capitalised.
	err = decodeError("dynamodb PutItem", res(400), []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"no"}`))
	if !errors.As(err, &ccf) || ccf.Item != nil || *ccf.Message != "no" {
		t.Errorf("got %v", err)
	}

	// An item that cannot be read is not taken for no item.
	err = decodeError("dynamodb PutItem", res(400), []byte(`{"__type":"x#ConditionalCheckFailedException","Item":{"PK":{"Q":"a"}}}`))
	var ae *awserr.Error
	if errors.As(err, &ccf) || !errors.As(err, &ae) || ae.ErrorCode() != conditionFailed {
		t.Errorf("unreadable item: got %T %v", err, err)
	}

	for _, tc := range []struct {
		status      int
		raw, code   string
		wantMessage string
	}{
		{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}`, "ProvisionedThroughputExceededException", "slow down"},
		{400, `{"__type":"com.amazon.coral.validate#ValidationException","Message":"bad key"}`, "ValidationException", "bad key"},
		{500, `{"__type":"com.amazon.coral.service#InternalFailure"}`, "InternalFailure", ""},
		{503, `<html>not json</html>`, "", ""},
	} {
		err := decodeError("dynamodb Query", res(tc.status), []byte(tc.raw))
		if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || ae.HTTPStatusCode() != tc.status || ae.Message != tc.wantMessage {
			t.Errorf("%s: got %#v", tc.raw, err)
		}
	}
}

// show prints an answer or an item as DynamoDB JSON, for failure messages.
func show(v any) string {
	e := encoder{b: []byte{}}
	switch v := v.(type) {
	case roundTripper:
		v.encodeAnswer(&e)
	case map[string]AttributeValue:
		if v == nil {
			return "nil"
		}
		e.attrs(v)
	default:
		return fmt.Sprintf("%#v", v)
	}
	return string(e.b)
}

// Answers are re-written by the encodeAnswer methods below, so that fuzzing can check that
// whatever decodes reads the same once written again. DynamoDB's answers keep empty maps and
// lists, so these write every member that is not nil.

type roundTripper interface {
	answer
	encodeAnswer(*encoder)
}

func (e *encoder) keep(name string, m map[string]AttributeValue) {
	if m != nil {
		e.field(name)
		e.attrs(m)
	}
}

func (e *encoder) keepItems(name string, list []map[string]AttributeValue) {
	if list != nil {
		e.field(name)
		e.items(list)
	}
}

func (e *encoder) keepNames(name string, m map[string]string) {
	if m != nil {
		e.field(name)
		e.open()
		for k, v := range m {
			e.field(k)
			e.b = appendString(e.b, v)
		}
		e.close()
	}
}

func (e *encoder) float(name string, f *float64) {
	if f != nil {
		e.field(name)
		e.b = strconv.AppendFloat(e.b, *f, 'g', -1, 64)
	}
}

func (e *encoder) capacity(c *Capacity) {
	e.open()
	e.float("CapacityUnits", c.CapacityUnits)
	e.float("ReadCapacityUnits", c.ReadCapacityUnits)
	e.float("WriteCapacityUnits", c.WriteCapacityUnits)
	e.close()
}

func (e *encoder) capacities(name string, m map[string]Capacity) {
	if m != nil {
		e.field(name)
		e.open()
		for k, c := range m {
			e.field(k)
			e.capacity(&c)
		}
		e.close()
	}
}

func (e *encoder) consumed(c *ConsumedCapacity) {
	e.open()
	e.str("TableName", c.TableName)
	e.float("CapacityUnits", c.CapacityUnits)
	e.float("ReadCapacityUnits", c.ReadCapacityUnits)
	e.float("WriteCapacityUnits", c.WriteCapacityUnits)
	if c.Table != nil {
		e.field("Table")
		e.capacity(c.Table)
	}
	e.capacities("GlobalSecondaryIndexes", c.GlobalSecondaryIndexes)
	e.capacities("LocalSecondaryIndexes", c.LocalSecondaryIndexes)
	e.close()
}

func (e *encoder) oneConsumed(c *ConsumedCapacity) {
	if c != nil {
		e.field("ConsumedCapacity")
		e.consumed(c)
	}
}

func (e *encoder) consumedList(list []ConsumedCapacity) {
	if list != nil {
		e.field("ConsumedCapacity")
		e.b = append(e.b, '[')
		for i := range list {
			e.elem()
			e.consumed(&list[i])
		}
		e.b = append(e.b, ']')
	}
}

func (out *GetItemOutput) encodeAnswer(e *encoder) {
	e.open()
	e.keep("Item", out.Item)
	e.oneConsumed(out.ConsumedCapacity)
	e.close()
}

func (out *PutItemOutput) encodeAnswer(e *encoder) {
	e.open()
	e.keep("Attributes", out.Attributes)
	e.oneConsumed(out.ConsumedCapacity)
	e.close()
}

func (out *UpdateItemOutput) encodeAnswer(e *encoder) {
	e.open()
	e.keep("Attributes", out.Attributes)
	e.oneConsumed(out.ConsumedCapacity)
	e.close()
}

func (out *DeleteItemOutput) encodeAnswer(e *encoder) {
	e.open()
	e.keep("Attributes", out.Attributes)
	e.oneConsumed(out.ConsumedCapacity)
	e.close()
}

func (out *QueryOutput) encodeAnswer(e *encoder) {
	e.open()
	e.keepItems("Items", out.Items)
	e.field("Count")
	e.b = strconv.AppendInt(e.b, int64(out.Count), 10)
	e.field("ScannedCount")
	e.b = strconv.AppendInt(e.b, int64(out.ScannedCount), 10)
	e.keep("LastEvaluatedKey", out.LastEvaluatedKey)
	e.oneConsumed(out.ConsumedCapacity)
	e.close()
}

func (out *BatchGetItemOutput) encodeAnswer(e *encoder) {
	e.open()
	if out.Responses != nil {
		e.field("Responses")
		e.open()
		for table, list := range out.Responses {
			e.keepItems(table, list)
			if list == nil {
				e.field(table)
				e.b = append(e.b, "null"...)
			}
		}
		e.close()
	}
	if out.UnprocessedKeys != nil {
		e.field("UnprocessedKeys")
		e.open()
		for table, k := range out.UnprocessedKeys {
			e.field(table)
			e.open()
			e.keepItems("Keys", k.Keys)
			e.boolean("ConsistentRead", k.ConsistentRead)
			e.str("ProjectionExpression", k.ProjectionExpression)
			e.keepNames("ExpressionAttributeNames", k.ExpressionAttributeNames)
			e.close()
		}
		e.close()
	}
	e.consumedList(out.ConsumedCapacity)
	e.close()
}

func (out *BatchWriteItemOutput) encodeAnswer(e *encoder) {
	e.open()
	if out.UnprocessedItems != nil {
		e.field("UnprocessedItems")
		e.open()
		for table, list := range out.UnprocessedItems {
			e.field(table)
			if list == nil {
				e.b = append(e.b, "null"...)
				continue
			}
			e.b = append(e.b, '[')
			for _, w := range list {
				e.elem()
				e.open()
				if w.PutRequest != nil {
					e.field("PutRequest")
					e.open()
					e.keep("Item", w.PutRequest.Item)
					e.close()
				}
				if w.DeleteRequest != nil {
					e.field("DeleteRequest")
					e.open()
					e.keep("Key", w.DeleteRequest.Key)
					e.close()
				}
				e.close()
			}
			e.b = append(e.b, ']')
		}
		e.close()
	}
	e.consumedList(out.ConsumedCapacity)
	e.close()
}

var answerKinds = []func() roundTripper{
	func() roundTripper { return new(GetItemOutput) },
	func() roundTripper { return new(PutItemOutput) },
	func() roundTripper { return new(UpdateItemOutput) },
	func() roundTripper { return new(DeleteItemOutput) },
	func() roundTripper { return new(QueryOutput) },
	func() roundTripper { return new(BatchGetItemOutput) },
	func() roundTripper { return new(BatchWriteItemOutput) },
}

// answerSeeds are answers of every shape, as DynamoDB (and dynalite) write them.
var answerSeeds = []string{
	`{}`,
	`{"Item":{"PK":{"S":"app#u1"},"SK":{"S":"#PROFILE"},"n":{"N":"42"},"b":{"B":"AAE="},"t":{"BOOL":true},"z":{"NULL":true},"ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]},"bs":{"BS":["AQ=="]},"m":{"M":{"x":{"L":[{"S":"y"},{"N":"-1.5e3"}]}}},"l":{"L":[]}},"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5}}`,
	`{"Attributes":{"age":{"N":"42"}},"ConsumedCapacity":{"TableName":"t","CapacityUnits":1,"Table":{"CapacityUnits":1},"GlobalSecondaryIndexes":{"GSI1":{"CapacityUnits":1}}}}`,
	`{"Count":2,"Items":[{"PK":{"S":"a"}},{"PK":{"S":"b"}}],"LastEvaluatedKey":{"PK":{"S":"b"},"SK":{"S":"x"}},"ScannedCount":2}`,
	`{"Responses":{"t":[{"PK":{"S":"a\u00e9\n"}}]},"UnprocessedKeys":{"t":{"Keys":[{"PK":{"S":"b"}}],"ConsistentRead":true,"ProjectionExpression":"#a","ExpressionAttributeNames":{"#a":"a"}}},"ConsumedCapacity":[{"TableName":"t","CapacityUnits":1.5,"ReadCapacityUnits":1.5}]}`,
	`{"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"PK":{"S":"a"}}}},{"DeleteRequest":{"Key":{"PK":{"S":"b"}}}}]},"ConsumedCapacity":[{"TableName":"t","CapacityUnits":2}]}`,
	`{"Item":null,"ItemCollectionMetrics":{"ItemCollectionKey":{"PK":{"S":"a"}},"SizeEstimateRangeGB":[0,1e0]}}`,
}

// Each seed is an answer of some action, so fuzzing starts from answers that decode.
func TestAnswerSeedsDecode(t *testing.T) {
	for _, raw := range answerSeeds {
		decoded := 0
		for _, kind := range answerKinds {
			if decode([]byte(raw), kind()) == nil {
				decoded++
			}
		}
		if decoded == 0 {
			t.Errorf("no output reads %s", raw)
		}
	}
}

// Whatever an answer holds, decoding it never panics, accepts only JSON, and a decoded answer
// written again decodes to the same value.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, kind := range answerKinds {
			out := kind()
			if decode(raw, out) != nil {
				continue
			}
			if !json.Valid(raw) {
				t.Fatalf("%T accepted what is not JSON: %q", out, raw)
			}
			e := encoder{b: []byte{}}
			out.encodeAnswer(&e)
			if e.err != nil {
				t.Fatalf("%T: a decoded answer does not encode: %v", out, e.err)
			}
			again := kind()
			if err := decode(e.b, again); err != nil {
				t.Fatalf("%T: %q decoded, was written as %q, which does not decode: %v", out, raw, e.b, err)
			}
			if !reflect.DeepEqual(out, again) {
				t.Fatalf("%T: %q decoded as\n%s\nwritten as %q, decoded as\n%s", out, raw, show(out), e.b, show(again))
			}
		}
	})
}

// Whatever an error answer holds, reading it never panics and gives one short line that names
// the call; its code, message and item, written again, read the same.
func FuzzDecodeError(f *testing.F) {
	f.Add([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"PK":{"S":"a"},"v":{"N":"1"}}}`))
	f.Add([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"x"}`))
	f.Add([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`))
	f.Add([]byte(`{"__type":"com.amazon.coral.validate#ValidationException","Message":"One or more parameter values were invalid"}`))
	f.Add([]byte(`{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"\u00e9\n"}`))
	f.Add([]byte(`<html>Service Unavailable</html>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		res := &http.Response{StatusCode: 400, Header: http.Header{}}
		err := decodeError("dynamodb PutItem", res, raw)
		msg := err.Error()
		if !strings.HasPrefix(msg, "dynamodb PutItem: ") || strings.ContainsAny(msg, "\r\n") || len(msg) > 600 || !utf8.ValidString(msg) {
			t.Fatalf("error %q is not one short line naming the call", msg)
		}
		var body []byte
		var ccf *ConditionalCheckFailedException
		var ae *awserr.Error
		switch {
		case errors.As(err, &ccf):
			e := encoder{b: []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"`)}
			e.str("message", ccf.Message)
			e.keep("Item", ccf.Item)
			e.close()
			body = e.b
		case errors.As(err, &ae):
			if ae.Cause != nil {
				return // a failed condition whose item could not be read
			}
			e := encoder{b: []byte{'{'}}
			if ae.Code != "" {
				e.enum("__type", "com.amazonaws.dynamodb.v20120810#"+ae.Code)
			}
			e.enum("message", ae.Message)
			e.close()
			body = e.b
		default:
			t.Fatalf("%T %v is neither kind of error", err, err)
		}
		again := decodeError("dynamodb PutItem", res, body)
		if !reflect.DeepEqual(unwrapAll(again), unwrapAll(err)) {
			t.Fatalf("%q read as %#v (item %s), written as %q, read as %#v", raw, unwrapAll(err), show(ccfItem(err)), body, unwrapAll(again))
		}
	})
}

// unwrapAll is the error's innermost value, for comparing.
func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

func ccfItem(err error) map[string]AttributeValue {
	var ccf *ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item
	}
	return nil
}
