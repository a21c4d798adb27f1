package dynamo

import (
	"fmt"
	"net/http"

	"imusers/shared/awserr"
)

const conditionFailed = "ConditionalCheckFailedException"

// decodeError reads an answer with an error status: {"__type":"…#Code","message":"…"}. A
// failed condition is a *ConditionalCheckFailedException, with the item DynamoDB returned
// (ReturnValuesOnConditionCheckFailure ALL_OLD), wrapped in the call's name; anything else is an *Error whose code and
// status the SDK's retryer reads.
func decodeError(op string, res *http.Response, raw []byte) error {
	e := awserr.FromAnswer(op, res, raw)
	if e.Code != conditionFailed {
		return e
	}
	var f conditionFailure
	if err := decode(raw, &f); err != nil {
		// The condition failed, but the item that came with it cannot be read: a caller who
		// asked for it must not take its absence for an absent item.
		e.Cause = err
		return e
	}
	ccf := &ConditionalCheckFailedException{Item: f.item}
	if e.Message != "" {
		ccf.Message = &e.Message
	}
	// Wrapped, the error names the call, as every other error of the client does.
	return fmt.Errorf("%s: %w", op, ccf)
}

// conditionFailure is the part of a ConditionalCheckFailedException answer read here; its code
// and message are read by awserr.
type conditionFailure struct{ item map[string]AttributeValue }

func (f *conditionFailure) decode(d *decoder) {
	if !d.open('{') {
		return
	}
	for d.more('}') {
		if string(d.key()) == "Item" {
			f.item = d.item()
		} else {
			d.skip()
		}
	}
}
