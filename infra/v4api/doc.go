// Package v4api is test-only: the v4 Server API's tests. docs/openapi-v4.yaml is checked
// against the route table and each operation's v4 form, and every v4 operation is driven over
// real HTTP against the local stack through the typed client written against that document
// (shared/testenv/v4client): each success and each documented error, the same data as v1, and
// the same DynamoDB calls as each operation's v1 twin.
package v4api
