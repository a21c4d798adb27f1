package call

import (
	"fmt"
	"strings"

	"imusers/shared/wire/apierr"
	"imusers/shared/wire/jsonbody"
)

// V4Prefix starts every path of the v4 Server API (JSON bodies), and no other.
const V4Prefix = "/v4/"

// IsV4 reports whether a request path belongs to the v4 Server API.
func IsV4(path string) bool { return strings.HasPrefix(path, V4Prefix) }

// V4Form is an operation's form in the v4 Server API: the JSON fields its request declares, each
// filling one of the operation's (v1) parameters, and how the operation's answer reads in v4.
// The operation itself is the v1 one: a v4 path is one more way into the same logic, on the
// same data.
type V4Form struct {
	Fields []jsonbody.Field
	// Answer turns the operation's answer into the v4 result; nil for a call whose v4 answer
	// is {"code":0} alone.
	Answer func(any) (any, error)
}

// Error names the parameter e is about as this form's request does.
func (f *V4Form) Error(e *apierr.Error) *apierr.Error {
	for _, fd := range f.Fields {
		if e.Param == fd.Param {
			return e.Rename(fd.Name)
		}
	}
	return e
}

// Answer adapts a mapping of an operation's answer of type T to V4Form.Answer.
func Answer[T any](f func(T) any) func(any) (any, error) {
	return func(out any) (any, error) {
		if _, ok := out.(shapeProbe); ok {
			var zero T
			return f(zero), nil
		}
		t, ok := out.(T)
		if !ok {
			return nil, fmt.Errorf("v4 answer: the operation answered %T, not %T", out, t)
		}
		return f(t), nil
	}
}

// shapeProbe asks an Answer for the result of T's zero value; no operation can answer it.
type shapeProbe struct{}

// ResultShape is the result f's Answer writes for an empty answer of its operation (nil when f
// has no result): its Go type is the shape of every result f writes, which the OpenAPI
// document's result schema must give.
func ResultShape(f *V4Form) (any, error) {
	if f.Answer == nil {
		return nil, nil
	}
	return f.Answer(shapeProbe{})
}
