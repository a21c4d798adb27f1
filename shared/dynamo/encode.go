package dynamo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
)

// A request body is written by hand, straight into one byte slice: DynamoDB's JSON has few
// shapes, and encoding/json would spend its time on reflection and on the interface behind
// every attribute value.

// errNoValue is a nil attribute value (or one of a type the package does not know): DynamoDB
// has nothing to read in its place, so the request is not sent.
var errNoValue = errors.New("an attribute value is nil")

// encoder appends DynamoDB JSON to b. The first error it meets is kept in err, and the
// request is then not sent.
type encoder struct {
	b   []byte
	err error
}

// open and close write an object's braces; field writes the next member's name.
func (e *encoder) open()  { e.b = append(e.b, '{') }
func (e *encoder) close() { e.b = append(e.b, '}') }

func (e *encoder) field(name string) {
	if e.b[len(e.b)-1] != '{' {
		e.b = append(e.b, ',')
	}
	e.b = appendString(e.b, name)
	e.b = append(e.b, ':')
}

// elem starts the next element of an array.
func (e *encoder) elem() {
	if e.b[len(e.b)-1] != '[' {
		e.b = append(e.b, ',')
	}
}

func (e *encoder) str(name string, v *string) {
	if v != nil {
		e.field(name)
		e.b = appendString(e.b, *v)
	}
}

func (e *encoder) enum(name, v string) {
	if v != "" {
		e.field(name)
		e.b = appendString(e.b, v)
	}
}

func (e *encoder) boolean(name string, v *bool) {
	if v != nil {
		e.field(name)
		e.b = strconv.AppendBool(e.b, *v)
	}
}

func (e *encoder) int32(name string, v *int32) {
	if v != nil {
		e.field(name)
		e.b = strconv.AppendInt(e.b, int64(*v), 10)
	}
}

// names writes ExpressionAttributeNames, left out when empty (DynamoDB refuses an empty map).
func (e *encoder) names(name string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	e.field(name)
	e.open()
	for k, v := range m {
		e.field(k)
		e.b = appendString(e.b, v)
	}
	e.close()
}

// item writes an attribute map under name, left out when empty (DynamoDB refuses an empty
// Key, Item or ExpressionAttributeValues).
func (e *encoder) item(name string, m map[string]AttributeValue) {
	if len(m) > 0 {
		e.field(name)
		e.attrs(m)
	}
}

// attrs writes an attribute map, empty or not.
func (e *encoder) attrs(m map[string]AttributeValue) {
	e.open()
	for k, v := range m {
		e.field(k)
		e.value(v)
	}
	e.close()
}

func (e *encoder) items(list []map[string]AttributeValue) {
	e.b = append(e.b, '[')
	for _, m := range list {
		e.elem()
		e.attrs(m)
	}
	e.b = append(e.b, ']')
}

// value writes one attribute value as DynamoDB's one-member object: {"S":"…"}, {"M":{…}}, ….
func (e *encoder) value(v AttributeValue) {
	switch v := v.(type) {
	case *AttributeValueMemberS:
		if v != nil {
			e.b = appendString(append(e.b, `{"S":`...), v.Value)
			e.close()
			return
		}
	case *AttributeValueMemberN:
		if v != nil {
			e.b = appendString(append(e.b, `{"N":`...), v.Value)
			e.close()
			return
		}
	case *AttributeValueMemberB:
		if v != nil {
			e.b = appendBase64(append(e.b, `{"B":`...), v.Value)
			e.close()
			return
		}
	case *AttributeValueMemberBOOL:
		if v != nil {
			e.b = strconv.AppendBool(append(e.b, `{"BOOL":`...), v.Value)
			e.close()
			return
		}
	case *AttributeValueMemberNULL:
		if v != nil {
			e.b = strconv.AppendBool(append(e.b, `{"NULL":`...), v.Value)
			e.close()
			return
		}
	case *AttributeValueMemberSS:
		if v != nil {
			e.b = append(e.b, `{"SS":`...)
			e.strings(v.Value)
			e.close()
			return
		}
	case *AttributeValueMemberNS:
		if v != nil {
			e.b = append(e.b, `{"NS":`...)
			e.strings(v.Value)
			e.close()
			return
		}
	case *AttributeValueMemberBS:
		if v != nil {
			e.b = append(e.b, `{"BS":[`...)
			for i, x := range v.Value {
				if i > 0 {
					e.b = append(e.b, ',')
				}
				e.b = appendBase64(e.b, x)
			}
			e.b = append(e.b, "]}"...)
			return
		}
	case *AttributeValueMemberM:
		if v != nil {
			e.b = append(e.b, `{"M":`...)
			e.attrs(v.Value)
			e.close()
			return
		}
	case *AttributeValueMemberL:
		if v != nil {
			e.b = append(e.b, `{"L":[`...)
			for _, x := range v.Value {
				e.elem()
				e.value(x)
			}
			e.b = append(e.b, "]}"...)
			return
		}
	}
	if e.err == nil {
		e.err = errNoValue
	}
	// Something valid stands in its place, so what follows is still well-formed; the request
	// is not sent anyway.
	e.b = append(e.b, `{"NULL":true}`...)
}

func (e *encoder) strings(list []string) {
	e.b = append(e.b, '[')
	for i, s := range list {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendString(e.b, s)
	}
	e.b = append(e.b, ']')
}

func (e *encoder) keysAndAttributes(k *KeysAndAttributes) {
	e.open()
	if len(k.Keys) > 0 {
		e.field("Keys")
		e.items(k.Keys)
	}
	e.boolean("ConsistentRead", k.ConsistentRead)
	e.str("ProjectionExpression", k.ProjectionExpression)
	e.names("ExpressionAttributeNames", k.ExpressionAttributeNames)
	e.close()
}

func (e *encoder) writeRequests(list []WriteRequest) {
	e.b = append(e.b, '[')
	for i := range list {
		e.elem()
		w := &list[i]
		e.open()
		if w.PutRequest != nil {
			e.field("PutRequest")
			e.open()
			e.item("Item", w.PutRequest.Item)
			e.close()
		}
		if w.DeleteRequest != nil {
			e.field("DeleteRequest")
			e.open()
			e.item("Key", w.DeleteRequest.Key)
			e.close()
		}
		e.close()
	}
	e.b = append(e.b, ']')
}

// The request bodies: each input's members under their API names, nil and empty ones left out.
// A nil input is an empty request, as with the SDK; DynamoDB answers it with a ValidationException.

func (in *GetItemInput) encode(e *encoder) {
	if in == nil {
		in = &GetItemInput{}
	}
	e.open()
	e.str("TableName", in.TableName)
	e.item("Key", in.Key)
	e.boolean("ConsistentRead", in.ConsistentRead)
	e.str("ProjectionExpression", in.ProjectionExpression)
	e.names("ExpressionAttributeNames", in.ExpressionAttributeNames)
	e.enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.close()
}

func (in *PutItemInput) encode(e *encoder) {
	if in == nil {
		in = &PutItemInput{}
	}
	e.open()
	e.str("TableName", in.TableName)
	e.item("Item", in.Item)
	e.str("ConditionExpression", in.ConditionExpression)
	e.names("ExpressionAttributeNames", in.ExpressionAttributeNames)
	e.item("ExpressionAttributeValues", in.ExpressionAttributeValues)
	e.enum("ReturnValues", string(in.ReturnValues))
	e.enum("ReturnValuesOnConditionCheckFailure", string(in.ReturnValuesOnConditionCheckFailure))
	e.enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.close()
}

func (in *UpdateItemInput) encode(e *encoder) {
	if in == nil {
		in = &UpdateItemInput{}
	}
	e.open()
	e.str("TableName", in.TableName)
	e.item("Key", in.Key)
	e.str("UpdateExpression", in.UpdateExpression)
	e.str("ConditionExpression", in.ConditionExpression)
	e.names("ExpressionAttributeNames", in.ExpressionAttributeNames)
	e.item("ExpressionAttributeValues", in.ExpressionAttributeValues)
	e.enum("ReturnValues", string(in.ReturnValues))
	e.enum("ReturnValuesOnConditionCheckFailure", string(in.ReturnValuesOnConditionCheckFailure))
	e.enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.close()
}

func (in *DeleteItemInput) encode(e *encoder) {
	if in == nil {
		in = &DeleteItemInput{}
	}
	e.open()
	e.str("TableName", in.TableName)
	e.item("Key", in.Key)
	e.str("ConditionExpression", in.ConditionExpression)
	e.names("ExpressionAttributeNames", in.ExpressionAttributeNames)
	e.item("ExpressionAttributeValues", in.ExpressionAttributeValues)
	e.enum("ReturnValues", string(in.ReturnValues))
	e.enum("ReturnValuesOnConditionCheckFailure", string(in.ReturnValuesOnConditionCheckFailure))
	e.enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.close()
}

func (in *QueryInput) encode(e *encoder) {
	if in == nil {
		in = &QueryInput{}
	}
	e.open()
	e.str("TableName", in.TableName)
	e.str("IndexName", in.IndexName)
	e.str("KeyConditionExpression", in.KeyConditionExpression)
	e.str("FilterExpression", in.FilterExpression)
	e.str("ProjectionExpression", in.ProjectionExpression)
	e.names("ExpressionAttributeNames", in.ExpressionAttributeNames)
	e.item("ExpressionAttributeValues", in.ExpressionAttributeValues)
	e.boolean("ConsistentRead", in.ConsistentRead)
	e.int32("Limit", in.Limit)
	e.boolean("ScanIndexForward", in.ScanIndexForward)
	e.item("ExclusiveStartKey", in.ExclusiveStartKey)
	e.enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.close()
}

func (in *BatchGetItemInput) encode(e *encoder) {
	if in == nil {
		in = &BatchGetItemInput{}
	}
	e.open()
	if len(in.RequestItems) > 0 {
		e.field("RequestItems")
		e.open()
		for table, k := range in.RequestItems {
			e.field(table)
			e.keysAndAttributes(&k)
		}
		e.close()
	}
	e.enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.close()
}

func (in *BatchWriteItemInput) encode(e *encoder) {
	if in == nil {
		in = &BatchWriteItemInput{}
	}
	e.open()
	if len(in.RequestItems) > 0 {
		e.field("RequestItems")
		e.open()
		for table, list := range in.RequestItems {
			e.field(table)
			e.writeRequests(list)
		}
		e.close()
	}
	e.enum("ReturnConsumedCapacity", string(in.ReturnConsumedCapacity))
	e.close()
}

// appendString appends s as a JSON string, as encoding/json writes it (text that is not UTF-8
// becomes U+FFFD: DynamoDB accepts only UTF-8) but for '<', '>' and '&', which JSON does not
// need escaped.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendBase64 appends p as a JSON string in standard, padded base64: the form of B and BS.
func appendBase64(b, p []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, p)
	return append(b, '"')
}
