package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"imusers/shared/rawjson"
)

// LambdaHandler is a Server API function's Lambda handler. aws-lambda-go calls its Invoke
// with the event's bytes and sends back the bytes it returns, so the event is read and the
// response written here, by hand, rather than by aws-lambda-go's reflection over the event and
// response types: for the calls with large bodies that was a fifth of the function's time.
// The bytes are the same either way (FuzzInvoke holds them to it).
type LambdaHandler func(context.Context, Event) (Response, error)

// Invoke serves one invocation, as the Lambda runtime makes it.
func (h LambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ev, err := DecodeEvent(payload)
	if err != nil {
		return nil, err
	}
	resp, err := h(ctx, ev)
	if err != nil {
		return nil, err
	}
	return AppendResponse(nil, resp), nil
}

// DecodeEvent reads an event as aws-lambda-go would (json.Decoder into the event type): the
// events API Gateway sends are read by hand, anything unusual (a member in another case, a
// repeated member, a value of another type, an authorizer's context) by encoding/json.
func DecodeEvent(payload []byte) (Event, error) {
	if ev, ok := readEvent(payload); ok {
		return ev, nil
	}
	var ev Event
	err := json.NewDecoder(bytes.NewReader(payload)).Decode(&ev)
	return ev, err
}

// The members of the event types that encoding/json fills (eventFieldsTest checks them
// against the types). A member that matches one only case-insensitively is left to
// encoding/json, which takes it for that field.
var (
	eventMembers   = []string{"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers", "queryStringParameters", "pathParameters", "requestContext", "stageVariables", "body", "isBase64Encoded"}
	contextMembers = []string{"routeKey", "accountId", "stage", "requestId", "authorizer", "apiId", "domainName", "domainPrefix", "time", "timeEpoch", "http", "authentication"}
	httpMembers    = []string{"method", "path", "protocol", "sourceIp", "userAgent"}
	// requestContext.authentication, with a client certificate when the API uses mutual TLS
	authenticationMembers = []string{"clientCert"}
	certMembers           = []string{"clientCertPem", "issuerDN", "serialNumber", "subjectDN", "validity"}
	validityMembers       = []string{"notAfter", "notBefore"}
)

// member returns the index of name among members, or -1 for a name encoding/json ignores; a
// name it would match case-insensitively fails r.
func member(r *rawjson.Reader, members []string, name string) int {
	for i, m := range members {
		if name == m {
			return i
		}
	}
	for _, m := range members {
		if strings.EqualFold(name, m) {
			r.Fail()
		}
	}
	return -1
}

// once fails r when the member at index i came before: encoding/json merges repeated objects.
func once(r *rawjson.Reader, seen *uint64, i int) {
	if *seen&(1<<i) != 0 {
		r.Fail()
	}
	*seen |= 1 << i
}

// readEvent reads the event by hand; false when it is not the plain JSON object of strings,
// maps, lists, numbers, booleans and nulls that API Gateway sends.
func readEvent(payload []byte) (Event, bool) {
	var ev Event
	r := rawjson.NewReader(payload)
	if r.Peek() != rawjson.Object {
		return ev, false
	}
	readObject(r, eventMembers, func(name string) {
		switch name {
		case "version":
			ev.Version = str(r)
		case "routeKey":
			ev.RouteKey = str(r)
		case "rawPath":
			ev.RawPath = str(r)
		case "rawQueryString":
			ev.RawQueryString = str(r)
		case "cookies":
			ev.Cookies = readStrings(r)
		case "headers":
			ev.Headers = readStringMap(r)
		case "queryStringParameters":
			ev.QueryStringParameters = readStringMap(r)
		case "pathParameters":
			ev.PathParameters = readStringMap(r)
		case "requestContext":
			readContext(r, &ev.RequestContext)
		case "stageVariables":
			ev.StageVariables = readStringMap(r)
		case "body":
			ev.Body = str(r)
		case "isBase64Encoded":
			ev.IsBase64Encoded = boolean(r)
		}
	})
	// aws-lambda-go's decoder stops after the event: whatever follows is never looked at.
	return ev, r.Err() == nil
}

// readObject reads an object (or null) of the given members: read reads the value of each
// member, once, and members encoding/json would not fill are skipped.
func readObject(r *rawjson.Reader, members []string, read func(name string)) {
	if null(r) {
		return
	}
	var seen uint64
	for name := range r.Members() {
		i := member(r, members, name)
		if i < 0 {
			r.Skip()
			continue
		}
		once(r, &seen, i)
		read(name)
	}
}

func readContext(r *rawjson.Reader, c *events.APIGatewayV2HTTPRequestContext) {
	readObject(r, contextMembers, func(name string) {
		switch name {
		case "routeKey":
			c.RouteKey = str(r)
		case "accountId":
			c.AccountID = str(r)
		case "stage":
			c.Stage = str(r)
		case "requestId":
			c.RequestID = str(r)
		case "apiId":
			c.APIID = str(r)
		case "domainName":
			c.DomainName = str(r)
		case "domainPrefix":
			c.DomainPrefix = str(r)
		case "time":
			c.Time = str(r)
		case "timeEpoch":
			c.TimeEpoch = integer(r)
		case "http":
			h := &c.HTTP
			readObject(r, httpMembers, func(name string) {
				switch name {
				case "method":
					h.Method = str(r)
				case "path":
					h.Path = str(r)
				case "protocol":
					h.Protocol = str(r)
				case "sourceIp":
					h.SourceIP = str(r)
				case "userAgent":
					h.UserAgent = str(r)
				}
			})
		case "authentication":
			cert := &c.Authentication.ClientCert
			readObject(r, authenticationMembers, func(string) {
				readObject(r, certMembers, func(name string) {
					switch name {
					case "clientCertPem":
						cert.ClientCertPem = str(r)
					case "issuerDN":
						cert.IssuerDN = str(r)
					case "serialNumber":
						cert.SerialNumber = str(r)
					case "subjectDN":
						cert.SubjectDN = str(r)
					case "validity":
						readObject(r, validityMembers, func(name string) {
							if name == "notAfter" {
								cert.Validity.NotAfter = str(r)
							} else {
								cert.Validity.NotBefore = str(r)
							}
						})
					}
				})
			})
		case "authorizer": // a JWT, IAM or Lambda authorizer's context: left to encoding/json
			if !null(r) {
				r.Fail()
			}
		}
	})
}

// null reads a null, which encoding/json takes as the zero value (nil for maps and lists; for
// any other member, since none is read twice, the value it already has).
func null(r *rawjson.Reader) bool {
	return r.Peek() == rawjson.Null && r.Null()
}

func str(r *rawjson.Reader) string {
	if null(r) {
		return ""
	}
	s, _ := r.String()
	return s
}

func integer(r *rawjson.Reader) int64 {
	if null(r) {
		return 0
	}
	n, _ := r.Int()
	return n
}

func boolean(r *rawjson.Reader) bool {
	if null(r) {
		return false
	}
	b, _ := r.Bool()
	return b
}

// readStringMap reads an object of strings (a repeated name keeps its last value, as in
// encoding/json).
func readStringMap(r *rawjson.Reader) map[string]string {
	if null(r) {
		return nil
	}
	m := map[string]string{}
	for name := range r.Members() {
		m[name] = str(r)
	}
	return m
}

func readStrings(r *rawjson.Reader) []string {
	if null(r) {
		return nil
	}
	list := []string{}
	for range r.Elements() {
		list = append(list, str(r))
	}
	return list
}

// DecodeResponse reads a function's response as json.Unmarshal would, for the local gateway,
// which stands in for API Gateway: by hand as DecodeEvent reads events, since the bodies of
// the largest answers arrive escaped a second time and encoding/json takes long over them.
func DecodeResponse(payload []byte) (Response, error) {
	if resp, ok := readResponse(payload); ok {
		return resp, nil
	}
	var resp Response
	err := json.Unmarshal(payload, &resp)
	return resp, err
}

var responseMembers = []string{"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}

func readResponse(payload []byte) (Response, bool) {
	var resp Response
	r := rawjson.NewReader(payload)
	if r.Peek() != rawjson.Object {
		return resp, false
	}
	readObject(r, responseMembers, func(name string) {
		switch name {
		case "statusCode":
			resp.StatusCode = int(integer(r))
		case "headers":
			resp.Headers = readStringMap(r)
		case "multiValueHeaders":
			if null(r) {
				return
			}
			resp.MultiValueHeaders = map[string][]string{}
			for name := range r.Members() {
				resp.MultiValueHeaders[name] = readStrings(r)
			}
		case "body":
			resp.Body = str(r)
		case "isBase64Encoded":
			resp.IsBase64Encoded = boolean(r)
		case "cookies":
			resp.Cookies = readStrings(r)
		}
	})
	return resp, r.End()
}

// AppendResponse appends resp as aws-lambda-go's handler writes it: encoding/json without
// HTML escaping, map keys in order, no newline at the end.
func AppendResponse(dst []byte, resp Response) []byte {
	// A JSON body grows by a backslash before each of its quotes, about one byte in eight.
	dst = slices.Grow(dst, len(resp.Body)+len(resp.Body)/4+256)
	dst = append(dst, `{"statusCode":`...)
	dst = strconv.AppendInt(dst, int64(resp.StatusCode), 10)
	dst = append(dst, `,"headers":`...)
	dst = appendStringMap(dst, resp.Headers)
	dst = append(dst, `,"multiValueHeaders":`...)
	if resp.MultiValueHeaders == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '{')
		for i, k := range sortedKeys(resp.MultiValueHeaders) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = rawjson.AppendString(dst, k, false)
			dst = append(dst, ':')
			dst = appendStrings(dst, resp.MultiValueHeaders[k])
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"body":`...)
	dst = rawjson.AppendString(dst, resp.Body, false)
	if resp.IsBase64Encoded {
		dst = append(dst, `,"isBase64Encoded":true`...)
	}
	dst = append(dst, `,"cookies":`...)
	dst = appendStrings(dst, resp.Cookies)
	return append(dst, '}')
}

func appendStringMap(dst []byte, m map[string]string) []byte {
	if m == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = rawjson.AppendString(dst, k, false)
		dst = append(dst, ':')
		dst = rawjson.AppendString(dst, m[k], false)
	}
	return append(dst, '}')
}

func appendStrings(dst []byte, list []string) []byte {
	if list == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = rawjson.AppendString(dst, s, false)
	}
	return append(dst, ']')
}

// sortedKeys returns m's keys in encoding/json's order; a response has two or three headers.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
