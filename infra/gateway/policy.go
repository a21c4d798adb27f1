package gateway

// The local stand-in for the functions' IAM policies. In AWS each function's role grants the
// DynamoDB actions its route lists (template.yaml, held to the route table by infra/template),
// and DynamoDB refuses any other with AccessDeniedException. Locally every handler shares one
// DynamoDB client, so a call its route forgot to list would pass every local test and fail only
// once deployed. The gateway therefore tells each invocation which function it runs, as the
// Lambda runtime does (lambdacontext's InvokedFunctionArn), and Policies refuses the calls the
// function's route does not grant, as AWS would.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"imusers/shared/routes"
	"imusers/shared/store"
)

// functionARNPrefix is the local functions' ARN before their name (the region and the account
// of the local stack's static credentials; in AWS the name also carries the stack's).
const functionARNPrefix = "arn:aws:lambda:us-east-1:000000000000:function:"

// FunctionARN is the ARN the local stack gives the function name.
func FunctionARN(name string) string { return functionARNPrefix + name }

// withFunction marks an invocation's context with the function it runs.
func withFunction(ctx context.Context, name string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{InvokedFunctionArn: FunctionARN(name)})
}

// Policies wraps db so that each function's DynamoDB calls are held to its route's actions. A
// call made outside any invocation (a test's fixtures, the local stack's set-up) passes.
func Policies(db store.DB) store.DB { return policed{db} }

type policed struct{ db store.DB }

// allow answers AccessDeniedException when the invocation's function may not call action.
func allow(ctx context.Context, action string) error {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return nil
	}
	name, ok := strings.CutPrefix(lc.InvokedFunctionArn, functionARNPrefix)
	if !ok {
		return nil
	}
	r, ok := routes.ByName(name)
	if ok && slices.Contains(r.Actions, action) {
		return nil
	}
	return &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient,
		Message: fmt.Sprintf("function %s is not authorized to perform %s: its route grants %s", name, action, strings.Join(r.Actions, ", "))}
}

func (p policed) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if err := allow(ctx, routes.GetItem); err != nil {
		return nil, err
	}
	return p.db.GetItem(ctx, in, optFns...)
}

func (p policed) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if err := allow(ctx, routes.PutItem); err != nil {
		return nil, err
	}
	return p.db.PutItem(ctx, in, optFns...)
}

func (p policed) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if err := allow(ctx, routes.UpdateItem); err != nil {
		return nil, err
	}
	return p.db.UpdateItem(ctx, in, optFns...)
}

func (p policed) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if err := allow(ctx, routes.DeleteItem); err != nil {
		return nil, err
	}
	return p.db.DeleteItem(ctx, in, optFns...)
}

func (p policed) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if err := allow(ctx, routes.Query); err != nil {
		return nil, err
	}
	return p.db.Query(ctx, in, optFns...)
}

func (p policed) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if err := allow(ctx, routes.BatchGetItem); err != nil {
		return nil, err
	}
	return p.db.BatchGetItem(ctx, in, optFns...)
}

func (p policed) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if err := allow(ctx, routes.BatchWriteItem); err != nil {
		return nil, err
	}
	return p.db.BatchWriteItem(ctx, in, optFns...)
}
