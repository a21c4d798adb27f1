package dynamo

import (
	"encoding/base64"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Answers are read by hand as well, in one pass over the bytes: a page of a hundred items is
// thousands of attribute values, each an object whose one member names its type, which
// encoding/json could only reach through a RawMessage or an Unmarshaler per value, reading
// every byte twice or more. The reader is strict about JSON (what it accepts, encoding/json
// accepts too) and lenient about DynamoDB: members it does not know are skipped.

// maxDepth bounds the nesting of an answer, so a hostile one cannot exhaust the stack.
// DynamoDB nests attribute values at most 32 deep, two JSON levels each, inside a few levels
// of answer.
const maxDepth = 100

// syntaxError is an answer that is not the JSON DynamoDB sends. It says where and what was
// expected, never what was found: an answer holds the service's data.
type syntaxError struct {
	offset   int    // of the byte where reading stopped
	expected string // what should have been there
}

func (e *syntaxError) Error() string {
	return "the answer is not DynamoDB JSON: expected " + e.expected + " at byte " + strconv.Itoa(e.offset)
}

// decoder reads one answer. The first error ends it: every method does nothing afterwards and
// the loops stop, so callers check err once, at the end.
//
// Strings are read as parts of one copy of the whole answer (text), rather than one copy
// each: a page of a hundred items has a thousand names and values, and their allocations
// were most of the decoding time. Keeping any of them keeps the whole text alive (at most
// maxAnswer); the service drops answers with their request, so it never pays for that.
type decoder struct {
	b     []byte
	text  string // b's bytes, as a string
	i     int
	err   error
	depth int
	// first is set when an object or array was just opened: its first member has no comma.
	first bool
	// span is where in b the string read last starts, or -1 if it had escapes resolved into
	// scratch.
	span    int
	scratch []byte
	// ss and ns are allocated in blocks, as strings and numbers are most values.
	ss []AttributeValueMemberS
	ns []AttributeValueMemberN
	// hint is the size of the last item read, for sizing the next one's map.
	hint int
}

func newDecoder(raw []byte) *decoder {
	return &decoder{b: raw, text: string(raw)}
}

// decode reads raw into out, which must be its whole answer.
func decode(raw []byte, out answer) error {
	d := newDecoder(raw)
	out.decode(d)
	if d.err == nil {
		d.ws()
		if d.i < len(d.b) {
			d.fail("the end of the answer")
		}
	}
	return d.err
}

// answer is an output that reads itself from a decoder.
type answer interface{ decode(*decoder) }

func (d *decoder) fail(expected string) {
	if d.err == nil {
		d.err = &syntaxError{offset: d.i, expected: expected}
	}
}

func (d *decoder) ws() {
	i := d.i
	for i < len(d.b) {
		switch d.b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			d.i = i
			return
		}
	}
	d.i = i
}

// peek is the next byte after white space, 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// open enters an object ('{') or an array ('[').
func (d *decoder) open(c byte) bool {
	if d.err != nil {
		return false
	}
	if d.peek() != c {
		if c == '{' {
			d.fail("an object")
		} else {
			d.fail("an array")
		}
		return false
	}
	d.i++
	d.depth++
	if d.depth > maxDepth {
		d.fail("less nesting")
		return false
	}
	d.first = true
	return true
}

// more reports whether the open object or array (ended by end) has another member, and
// consumes the comma before it, or the end.
//
//	if d.open('{') {
//		for d.more('}') { name := d.key(); … }
//	}
func (d *decoder) more(end byte) bool {
	if d.err != nil {
		return false
	}
	c := d.peek()
	if c == end {
		d.i++
		d.depth--
		d.first = false
		return false
	}
	if !d.first {
		if c != ',' {
			d.fail("',' or the end of the object or array")
			return false
		}
		d.i++
	}
	d.first = false
	return true
}

// null consumes a JSON null, if one comes next.
func (d *decoder) null() bool {
	if d.err == nil && d.peek() == 'n' {
		d.literal("null")
		return true
	}
	return false
}

func (d *decoder) literal(lit string) {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return
	}
	d.fail(lit)
}

// key reads a member's name and the colon after it. The bytes are valid until the next call.
func (d *decoder) key() []byte {
	k := d.strBytes()
	d.colon()
	return k
}

// name reads an attribute's name and the colon after it.
func (d *decoder) name() string {
	s := d.str()
	d.colon()
	return s
}

func (d *decoder) str() string {
	b := d.strBytes()
	if d.err != nil {
		return ""
	}
	if d.span >= 0 {
		return d.text[d.span : d.span+len(b)]
	}
	return string(b)
}

// strBytes reads a JSON string. Unless it had escapes or bytes that are not UTF-8 (which
// become U+FFFD, as with encoding/json), the result is a slice of the answer starting at
// d.span; otherwise it is d.scratch, and d.span is -1. Either way it is valid until the next
// call.
func (d *decoder) strBytes() []byte {
	if d.err != nil {
		return nil
	}
	if d.peek() != '"' {
		d.fail("a string")
		return nil
	}
	start := d.i + 1
	i, b := start, d.b
	ascii := true
	for i < len(b) {
		c := b[i]
		// Most bytes are printable ASCII other than '"' and '\\'.
		if c-0x20 < 0x60 && c != '"' && c != '\\' {
			i++
			continue
		}
		switch {
		case c == '"':
			s := b[start:i]
			if !ascii && !utf8.Valid(s) {
				d.i = start
				return d.slowStr()
			}
			d.i = i + 1
			d.span = start
			return s
		case c == '\\':
			d.i = start
			return d.slowStr()
		case c < 0x20:
			d.i = i
			d.fail("no control character in a string")
			return nil
		}
		ascii = false
		i++
	}
	d.i = i
	d.fail("the end of the string")
	return nil
}

// slowStr reads the rest of a string from d.i, resolving escapes into d.scratch.
func (d *decoder) slowStr() []byte {
	d.span = -1
	out := d.scratch[:0]
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			d.scratch = out
			return out
		case c < 0x20:
			d.fail("no control character in a string")
			return nil
		case c < utf8.RuneSelf && c != '\\':
			out = append(out, c)
			d.i++
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(d.b[d.i:])
			// A byte that is not UTF-8 decodes as RuneError, size 1, and is written as U+FFFD.
			out = utf8.AppendRune(out, r)
			d.i += size
		default: // a backslash
			if d.i+1 >= len(d.b) {
				d.fail("an escape")
				return nil
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := d.hex4()
				if d.err != nil {
					return nil
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						r2 = d.hex4()
						if d.err != nil {
							return nil
						}
						if utf16.DecodeRune(r, r2) == utf8.RuneError {
							// Not a pair: the lone half is U+FFFD, the next escape read anew.
							d.i = save
							r2 = -1
						}
					}
					if r2 < 0 {
						r = utf8.RuneError
					} else {
						r = utf16.DecodeRune(r, r2)
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				d.i--
				d.fail("a valid escape")
				return nil
			}
		}
	}
	d.fail("the end of the string")
	return nil
}

// hex4 reads the four hex digits of a \u escape.
func (d *decoder) hex4() rune {
	if len(d.b)-d.i < 4 {
		d.fail("four hex digits")
		return 0
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			d.fail("four hex digits")
			return 0
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r
}

// number reads a JSON number and returns its text.
func (d *decoder) number() []byte {
	if d.err != nil {
		return nil
	}
	d.ws()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.digits() == 0:
		d.fail("a number")
		return nil
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			d.fail("a digit")
			return nil
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			d.fail("a digit")
			return nil
		}
	}
	return d.b[start:d.i]
}

func (d *decoder) digits() int {
	n := 0
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

func (d *decoder) int32() int32 {
	start := d.i
	t := d.number()
	if d.err != nil {
		return 0
	}
	n, err := strconv.ParseInt(string(t), 10, 32)
	if err != nil {
		d.i = start
		d.fail("a 32-bit whole number")
	}
	return int32(n)
}

func (d *decoder) float() *float64 {
	if d.null() {
		return nil
	}
	start := d.i
	t := d.number()
	if d.err != nil {
		return nil
	}
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil {
		d.i = start
		d.fail("a number within float64's range")
		return nil
	}
	return &f
}

func (d *decoder) boolean() bool {
	if d.err != nil {
		return false
	}
	switch d.peek() {
	case 't':
		d.literal("true")
		return true
	case 'f':
		d.literal("false")
	default:
		d.fail("true or false")
	}
	return false
}

func (d *decoder) optBool() *bool {
	if d.null() {
		return nil
	}
	v := d.boolean()
	return &v
}

func (d *decoder) optStr() *string {
	if d.null() {
		return nil
	}
	s := d.str()
	return &s
}

// skip reads a value of any kind and drops it.
func (d *decoder) skip() {
	switch d.peek() {
	case '{':
		if d.open('{') {
			for d.more('}') {
				d.key()
				d.skip()
			}
		}
	case '[':
		if d.open('[') {
			for d.more(']') {
				d.skip()
			}
		}
	case '"':
		d.strBytes()
	case 't':
		d.literal("true")
	case 'f':
		d.literal("false")
	case 'n':
		d.literal("null")
	default:
		d.number()
	}
}

// value reads one attribute value: an object with one member, named for its type. Lists and
// sets are never nil, empty or not, as with the SDK.
func (d *decoder) value() AttributeValue {
	if !d.open('{') {
		return nil
	}
	if !d.more('}') {
		d.fail("an attribute value's type")
		return nil
	}
	var v AttributeValue
	switch string(d.key()) {
	case "S":
		v = d.newS(d.str())
	case "N":
		v = d.newN(d.str())
	case "B":
		v = &AttributeValueMemberB{Value: d.base64()}
	case "BOOL":
		v = &AttributeValueMemberBOOL{Value: d.boolean()}
	case "NULL":
		v = &AttributeValueMemberNULL{Value: d.boolean()}
	case "SS":
		v = &AttributeValueMemberSS{Value: d.strings()}
	case "NS":
		v = &AttributeValueMemberNS{Value: d.strings()}
	case "BS":
		list := [][]byte{}
		if d.open('[') {
			for d.more(']') {
				list = append(list, d.base64())
			}
		}
		v = &AttributeValueMemberBS{Value: list}
	case "M":
		v = &AttributeValueMemberM{Value: d.attrs(0)}
	case "L":
		list := []AttributeValue{}
		if d.open('[') {
			for d.more(']') {
				list = append(list, d.value())
			}
		}
		v = &AttributeValueMemberL{Value: list}
	default:
		d.fail("an attribute type (S, N, B, BOOL, NULL, SS, NS, BS, M or L)")
		return nil
	}
	if d.more('}') {
		d.fail("one type for an attribute value")
	}
	if d.err != nil {
		return nil
	}
	return v
}

func (d *decoder) newS(s string) *AttributeValueMemberS {
	if len(d.ss) == 0 {
		d.ss = make([]AttributeValueMemberS, 32)
	}
	v := &d.ss[0]
	d.ss = d.ss[1:]
	v.Value = s
	return v
}

func (d *decoder) newN(s string) *AttributeValueMemberN {
	if len(d.ns) == 0 {
		d.ns = make([]AttributeValueMemberN, 16)
	}
	v := &d.ns[0]
	d.ns = d.ns[1:]
	v.Value = s
	return v
}

func (d *decoder) base64() []byte {
	s := d.strBytes()
	if d.err != nil {
		return nil
	}
	p := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(p, s)
	if err != nil {
		d.fail("base64")
		return nil
	}
	return p[:n]
}

func (d *decoder) strings() []string {
	list := []string{}
	if d.open('[') {
		for d.more(']') {
			list = append(list, d.str())
		}
	}
	return list
}

// attrs reads an attribute map, made with room for hint attributes.
func (d *decoder) attrs(hint int) map[string]AttributeValue {
	if !d.open('{') {
		return nil
	}
	m := make(map[string]AttributeValue, hint)
	for d.more('}') {
		name := d.name()
		m[name] = d.value()
	}
	return m
}

// item reads an item, a key or a set of attributes: absent when null.
func (d *decoder) item() map[string]AttributeValue {
	if d.null() {
		return nil
	}
	m := d.attrs(d.hint)
	// Items of one answer tend to have the same attributes; the hint is bounded so a hostile
	// answer cannot make it allocate much for nothing.
	d.hint = min(len(m), 64)
	return m
}

func (d *decoder) items() []map[string]AttributeValue {
	if d.null() {
		return nil
	}
	list := []map[string]AttributeValue{}
	if d.open('[') {
		for d.more(']') {
			list = append(list, d.item())
		}
	}
	return list
}

func (d *decoder) names() map[string]string {
	if d.null() || !d.open('{') {
		return nil
	}
	m := map[string]string{}
	for d.more('}') {
		k := d.str()
		d.colon()
		m[k] = d.str()
	}
	return m
}

func (d *decoder) capacity(c *Capacity) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		switch string(d.key()) {
		case "CapacityUnits":
			c.CapacityUnits = d.float()
		case "ReadCapacityUnits":
			c.ReadCapacityUnits = d.float()
		case "WriteCapacityUnits":
			c.WriteCapacityUnits = d.float()
		default:
			d.skip()
		}
	}
}

func (d *decoder) capacities() map[string]Capacity {
	if d.null() || !d.open('{') {
		return nil
	}
	m := map[string]Capacity{}
	for d.more('}') {
		name := d.str()
		d.colon()
		var c Capacity
		d.capacity(&c)
		m[name] = c
	}
	return m
}

func (d *decoder) consumedCapacity(c *ConsumedCapacity) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		switch string(d.key()) {
		case "TableName":
			c.TableName = d.optStr()
		case "CapacityUnits":
			c.CapacityUnits = d.float()
		case "ReadCapacityUnits":
			c.ReadCapacityUnits = d.float()
		case "WriteCapacityUnits":
			c.WriteCapacityUnits = d.float()
		case "Table":
			if !d.null() {
				c.Table = new(Capacity)
				d.capacity(c.Table)
			}
		case "GlobalSecondaryIndexes":
			c.GlobalSecondaryIndexes = d.capacities()
		case "LocalSecondaryIndexes":
			c.LocalSecondaryIndexes = d.capacities()
		default:
			d.skip()
		}
	}
}

// oneCapacity reads the ConsumedCapacity of a single-item call or a Query.
func (d *decoder) oneCapacity() *ConsumedCapacity {
	if d.null() {
		return nil
	}
	c := new(ConsumedCapacity)
	d.consumedCapacity(c)
	return c
}

// capacityList reads the ConsumedCapacity of a batch: one per table.
func (d *decoder) capacityList() []ConsumedCapacity {
	if d.null() {
		return nil
	}
	list := []ConsumedCapacity{}
	if d.open('[') {
		for d.more(']') {
			var c ConsumedCapacity
			d.consumedCapacity(&c)
			list = append(list, c)
		}
	}
	return list
}

func (d *decoder) keysAndAttributes(k *KeysAndAttributes) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		switch string(d.key()) {
		case "Keys":
			k.Keys = d.items()
		case "ConsistentRead":
			k.ConsistentRead = d.optBool()
		case "ProjectionExpression":
			k.ProjectionExpression = d.optStr()
		case "ExpressionAttributeNames":
			k.ExpressionAttributeNames = d.names()
		default:
			d.skip()
		}
	}
}

func (d *decoder) writeRequests() []WriteRequest {
	if d.null() {
		return nil
	}
	list := []WriteRequest{}
	if !d.open('[') {
		return nil
	}
	for d.more(']') {
		var w WriteRequest
		if d.open('{') {
			for d.more('}') {
				switch string(d.key()) {
				case "PutRequest":
					if !d.null() {
						w.PutRequest = new(PutRequest)
						d.request("Item", &w.PutRequest.Item)
					}
				case "DeleteRequest":
					if !d.null() {
						w.DeleteRequest = new(DeleteRequest)
						d.request("Key", &w.DeleteRequest.Key)
					}
				default:
					d.skip()
				}
			}
		}
		list = append(list, w)
	}
	return list
}

// request reads a PutRequest or DeleteRequest: an object whose member field is an item.
func (d *decoder) request(field string, m *map[string]AttributeValue) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		if string(d.key()) == field {
			*m = d.item()
		} else {
			d.skip()
		}
	}
}

// The answers: each output's members by their API names; the rest (ItemCollectionMetrics,
// …) is skipped.

func (out *GetItemOutput) decode(d *decoder) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		switch string(d.key()) {
		case "Item":
			out.Item = d.item()
		case "ConsumedCapacity":
			out.ConsumedCapacity = d.oneCapacity()
		default:
			d.skip()
		}
	}
}

// decodeWrite reads the answer of PutItem, UpdateItem and DeleteItem, which have one shape.
func decodeWrite(d *decoder, attrs *map[string]AttributeValue, c **ConsumedCapacity) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		switch string(d.key()) {
		case "Attributes":
			*attrs = d.item()
		case "ConsumedCapacity":
			*c = d.oneCapacity()
		default:
			d.skip()
		}
	}
}

func (out *PutItemOutput) decode(d *decoder) {
	decodeWrite(d, &out.Attributes, &out.ConsumedCapacity)
}

func (out *UpdateItemOutput) decode(d *decoder) {
	decodeWrite(d, &out.Attributes, &out.ConsumedCapacity)
}

func (out *DeleteItemOutput) decode(d *decoder) {
	decodeWrite(d, &out.Attributes, &out.ConsumedCapacity)
}

func (out *QueryOutput) decode(d *decoder) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		switch string(d.key()) {
		case "Items":
			out.Items = d.items()
		case "Count":
			out.Count = d.int32()
		case "ScannedCount":
			out.ScannedCount = d.int32()
		case "LastEvaluatedKey":
			out.LastEvaluatedKey = d.item()
		case "ConsumedCapacity":
			out.ConsumedCapacity = d.oneCapacity()
		default:
			d.skip()
		}
	}
}

func (out *BatchGetItemOutput) decode(d *decoder) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		switch string(d.key()) {
		case "Responses":
			if d.null() || !d.open('{') {
				continue
			}
			out.Responses = map[string][]map[string]AttributeValue{}
			for d.more('}') {
				table := d.str()
				d.colon()
				out.Responses[table] = d.items()
			}
		case "UnprocessedKeys":
			if d.null() || !d.open('{') {
				continue
			}
			out.UnprocessedKeys = map[string]KeysAndAttributes{}
			for d.more('}') {
				table := d.str()
				d.colon()
				var k KeysAndAttributes
				d.keysAndAttributes(&k)
				out.UnprocessedKeys[table] = k
			}
		case "ConsumedCapacity":
			out.ConsumedCapacity = d.capacityList()
		default:
			d.skip()
		}
	}
}

func (out *BatchWriteItemOutput) decode(d *decoder) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		switch string(d.key()) {
		case "UnprocessedItems":
			if d.null() || !d.open('{') {
				continue
			}
			out.UnprocessedItems = map[string][]WriteRequest{}
			for d.more('}') {
				table := d.str()
				d.colon()
				out.UnprocessedItems[table] = d.writeRequests()
			}
		case "ConsumedCapacity":
			out.ConsumedCapacity = d.capacityList()
		default:
			d.skip()
		}
	}
}

// colon reads the ':' after a member name read with str.
func (d *decoder) colon() {
	if d.err == nil {
		if d.peek() != ':' {
			d.fail("':'")
			return
		}
		d.i++
	}
}
