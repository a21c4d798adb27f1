// Package dynamo is the service's DynamoDB client: the seven data-plane actions the store uses
// (GetItem, PutItem, UpdateItem, DeleteItem, Query, BatchGetItem, BatchWriteItem), spoken in
// DynamoDB's JSON 1.0 protocol, SigV4-signed with the SDK's signer and retried with its
// retryer. The SDK's DynamoDB client does the same, but its package init (operation schemas
// and endpoint rules for every DynamoDB action) is paid by every cold start of every function.
//
// Inputs, outputs and attribute values carry the names and shapes of DynamoDB's API (and of
// the SDK's types), so code reads the same as with the SDK.
package dynamo

// AttributeValue is one of the AttributeValueMember types: a DynamoDB value of one data type.
type AttributeValue interface {
	isAttributeValue()
}

// The attribute value types, one per DynamoDB data type.
type (
	AttributeValueMemberS    struct{ Value string }
	AttributeValueMemberN    struct{ Value string } // a number, in DynamoDB's decimal text form
	AttributeValueMemberB    struct{ Value []byte }
	AttributeValueMemberBOOL struct{ Value bool }
	AttributeValueMemberNULL struct{ Value bool }
	AttributeValueMemberSS   struct{ Value []string }
	AttributeValueMemberNS   struct{ Value []string }
	AttributeValueMemberBS   struct{ Value [][]byte }
	AttributeValueMemberM    struct{ Value map[string]AttributeValue }
	AttributeValueMemberL    struct{ Value []AttributeValue }
)

func (*AttributeValueMemberS) isAttributeValue()    {}
func (*AttributeValueMemberN) isAttributeValue()    {}
func (*AttributeValueMemberB) isAttributeValue()    {}
func (*AttributeValueMemberBOOL) isAttributeValue() {}
func (*AttributeValueMemberNULL) isAttributeValue() {}
func (*AttributeValueMemberSS) isAttributeValue()   {}
func (*AttributeValueMemberNS) isAttributeValue()   {}
func (*AttributeValueMemberBS) isAttributeValue()   {}
func (*AttributeValueMemberM) isAttributeValue()    {}
func (*AttributeValueMemberL) isAttributeValue()    {}

// ReturnValue asks a write for the item's attributes as they were or became.
type ReturnValue string

const (
	ReturnValueNone       ReturnValue = "NONE"
	ReturnValueAllOld     ReturnValue = "ALL_OLD"
	ReturnValueUpdatedOld ReturnValue = "UPDATED_OLD"
	ReturnValueAllNew     ReturnValue = "ALL_NEW"
	ReturnValueUpdatedNew ReturnValue = "UPDATED_NEW"
)

// ReturnValuesOnConditionCheckFailure asks a write whose condition failed for the item as it is.
type ReturnValuesOnConditionCheckFailure string

const (
	ReturnValuesOnConditionCheckFailureAllOld ReturnValuesOnConditionCheckFailure = "ALL_OLD"
	ReturnValuesOnConditionCheckFailureNone   ReturnValuesOnConditionCheckFailure = "NONE"
)

// ReturnConsumedCapacity asks for the capacity a call consumed.
type ReturnConsumedCapacity string

const (
	ReturnConsumedCapacityIndexes ReturnConsumedCapacity = "INDEXES"
	ReturnConsumedCapacityTotal   ReturnConsumedCapacity = "TOTAL"
	ReturnConsumedCapacityNone    ReturnConsumedCapacity = "NONE"
)

// Capacity is the capacity consumed on a table or an index.
type Capacity struct {
	CapacityUnits      *float64
	ReadCapacityUnits  *float64
	WriteCapacityUnits *float64
}

// ConsumedCapacity is the capacity a call consumed on one table and its indexes.
type ConsumedCapacity struct {
	TableName              *string
	CapacityUnits          *float64
	ReadCapacityUnits      *float64
	WriteCapacityUnits     *float64
	Table                  *Capacity
	GlobalSecondaryIndexes map[string]Capacity
	LocalSecondaryIndexes  map[string]Capacity
}

type GetItemInput struct {
	TableName                *string
	Key                      map[string]AttributeValue
	ConsistentRead           *bool
	ProjectionExpression     *string
	ExpressionAttributeNames map[string]string
	ReturnConsumedCapacity   ReturnConsumedCapacity
}

type GetItemOutput struct {
	Item             map[string]AttributeValue
	ConsumedCapacity *ConsumedCapacity
}

type PutItemInput struct {
	TableName                           *string
	Item                                map[string]AttributeValue
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AttributeValue
	ReturnValues                        ReturnValue
	ReturnValuesOnConditionCheckFailure ReturnValuesOnConditionCheckFailure
	ReturnConsumedCapacity              ReturnConsumedCapacity
}

type PutItemOutput struct {
	Attributes       map[string]AttributeValue
	ConsumedCapacity *ConsumedCapacity
}

type UpdateItemInput struct {
	TableName                           *string
	Key                                 map[string]AttributeValue
	UpdateExpression                    *string
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AttributeValue
	ReturnValues                        ReturnValue
	ReturnValuesOnConditionCheckFailure ReturnValuesOnConditionCheckFailure
	ReturnConsumedCapacity              ReturnConsumedCapacity
}

type UpdateItemOutput struct {
	Attributes       map[string]AttributeValue
	ConsumedCapacity *ConsumedCapacity
}

type DeleteItemInput struct {
	TableName                           *string
	Key                                 map[string]AttributeValue
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AttributeValue
	ReturnValues                        ReturnValue
	ReturnValuesOnConditionCheckFailure ReturnValuesOnConditionCheckFailure
	ReturnConsumedCapacity              ReturnConsumedCapacity
}

type DeleteItemOutput struct {
	Attributes       map[string]AttributeValue
	ConsumedCapacity *ConsumedCapacity
}

type QueryInput struct {
	TableName                 *string
	IndexName                 *string
	KeyConditionExpression    *string
	FilterExpression          *string
	ProjectionExpression      *string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]AttributeValue
	ConsistentRead            *bool
	Limit                     *int32
	ScanIndexForward          *bool
	ExclusiveStartKey         map[string]AttributeValue
	ReturnConsumedCapacity    ReturnConsumedCapacity
}

type QueryOutput struct {
	Items            []map[string]AttributeValue
	Count            int32
	ScannedCount     int32
	LastEvaluatedKey map[string]AttributeValue
	ConsumedCapacity *ConsumedCapacity
}

// KeysAndAttributes is what a BatchGetItem reads from one table.
type KeysAndAttributes struct {
	Keys                     []map[string]AttributeValue
	ConsistentRead           *bool
	ProjectionExpression     *string
	ExpressionAttributeNames map[string]string
}

type BatchGetItemInput struct {
	RequestItems           map[string]KeysAndAttributes
	ReturnConsumedCapacity ReturnConsumedCapacity
}

type BatchGetItemOutput struct {
	Responses        map[string][]map[string]AttributeValue
	UnprocessedKeys  map[string]KeysAndAttributes
	ConsumedCapacity []ConsumedCapacity
}

// WriteRequest is one put or one delete of a BatchWriteItem.
type WriteRequest struct {
	PutRequest    *PutRequest
	DeleteRequest *DeleteRequest
}

type PutRequest struct {
	Item map[string]AttributeValue
}

type DeleteRequest struct {
	Key map[string]AttributeValue
}

type BatchWriteItemInput struct {
	RequestItems           map[string][]WriteRequest
	ReturnConsumedCapacity ReturnConsumedCapacity
}

type BatchWriteItemOutput struct {
	UnprocessedItems map[string][]WriteRequest
	ConsumedCapacity []ConsumedCapacity
}

// ConditionalCheckFailedException is DynamoDB's answer to a write whose condition was false.
// Item is the item as it is, when the write asked for it (ReturnValuesOnConditionCheckFailure).
type ConditionalCheckFailedException struct {
	Message *string
	Item    map[string]AttributeValue
}

func (e *ConditionalCheckFailedException) Error() string {
	if e.Message != nil && *e.Message != "" {
		return "ConditionalCheckFailedException: " + *e.Message
	}
	return "ConditionalCheckFailedException"
}

// ErrorCode is the error's code in DynamoDB's answer.
func (e *ConditionalCheckFailedException) ErrorCode() string {
	return "ConditionalCheckFailedException"
}
