package gateway

// The local stand-in for the functions' IAM policies. In AWS each function's role grants the
// AWS actions its route lists (template.yaml, held to the route table by infra/template), and
// AWS refuses any other with AccessDeniedException. Locally every handler shares one client of
// each service, so a call its route forgot to list would pass every local test and fail only
// once deployed. The gateway therefore tells each invocation which function it runs, as the
// Lambda runtime does (lambdacontext's InvokedFunctionArn), and the clients wrapped below refuse
// the calls the function's route does not grant, as AWS would: DynamoDB's actions, Lambda Invoke
// of other functions, and the Management API's posts and closes.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"imusers/shared/assembly"
	"imusers/shared/aws/connections"
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

// PolicedDB wraps db so that each function's DynamoDB calls are held to its route's actions. A
// call made outside any invocation (a test's fixtures, the local stack's set-up) passes, as do
// those of PolicedLambda and PolicedConnections.
func PolicedDB(db store.DB) store.DB { return policed{db} }

type policed struct{ db store.DB }

// allow answers AccessDeniedException when the invocation's function may not call action on
// the resource ("" for DynamoDB's table and the connections, which every grant names alike; a
// function's name for lambda:InvokeFunction, granted on the functions its route invokes).
func allow(ctx context.Context, action, resource string) error {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return nil
	}
	name, ok := strings.CutPrefix(lc.InvokedFunctionArn, functionARNPrefix)
	if !ok {
		return nil
	}
	r, ok := routes.ByName(name)
	if ok && slices.Contains(r.Actions, action) && (resource == "" || invokes(r, resource)) {
		return nil
	}
	msg := fmt.Sprintf("function %s is not authorized to perform %s: its route grants %s", name, action, strings.Join(r.Actions, ", "))
	if resource != "" {
		msg = fmt.Sprintf("function %s is not authorized to perform %s on %s: its route invokes %s", name, action, resource, strings.Join(r.Invokes, ", "))
	}
	return &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient, Message: msg}
}

// invokes reports whether r may invoke the function: one its route names, or for the $default
// route any Server API operation.
func invokes(r routes.Route, function string) bool {
	if r.Kind == routes.Default {
		target, ok := routes.ByName(function)
		return ok && target.Kind == routes.HTTP
	}
	return slices.Contains(r.Invokes, function)
}

// PolicedLambda holds each function's invocations to lambda:InvokeFunction on the functions its
// route invokes.
func PolicedLambda(l assembly.Invoker) assembly.Invoker { return policedLambda{l} }

type policedLambda struct{ l assembly.Invoker }

func (p policedLambda) Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	if err := allow(ctx, routes.Invoke, aws.ToString(in.FunctionName)); err != nil {
		return nil, err
	}
	return p.l.Invoke(ctx, in, optFns...)
}

// PolicedConnections holds each function's posts to and closes of client connections to
// execute-api:ManageConnections.
func PolicedConnections(c connections.API) connections.API { return policedConnections{c} }

type policedConnections struct{ c connections.API }

func (p policedConnections) Post(ctx context.Context, connID string, data []byte) error {
	if err := allow(ctx, routes.ManageConnections, ""); err != nil {
		return err
	}
	return p.c.Post(ctx, connID, data)
}

func (p policedConnections) Delete(ctx context.Context, connID string) error {
	if err := allow(ctx, routes.ManageConnections, ""); err != nil {
		return err
	}
	return p.c.Delete(ctx, connID)
}

// guarded makes one DynamoDB call if the invocation's function may.
func guarded[In, Out any](ctx context.Context, action string, call func(context.Context, In, ...func(*dynamodb.Options)) (Out, error), in In, optFns []func(*dynamodb.Options)) (Out, error) {
	if err := allow(ctx, action, ""); err != nil {
		var none Out
		return none, err
	}
	return call(ctx, in, optFns...)
}

func (p policed) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return guarded(ctx, routes.GetItem, p.db.GetItem, in, optFns)
}

func (p policed) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return guarded(ctx, routes.PutItem, p.db.PutItem, in, optFns)
}

func (p policed) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return guarded(ctx, routes.UpdateItem, p.db.UpdateItem, in, optFns)
}

func (p policed) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return guarded(ctx, routes.DeleteItem, p.db.DeleteItem, in, optFns)
}

func (p policed) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return guarded(ctx, routes.Query, p.db.Query, in, optFns)
}

func (p policed) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return guarded(ctx, routes.BatchGetItem, p.db.BatchGetItem, in, optFns)
}

func (p policed) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return guarded(ctx, routes.BatchWriteItem, p.db.BatchWriteItem, in, optFns)
}
