// Package chaos holds the fault tests: the whole service runs with its DynamoDB client behind
// infra/faultproxy, built exactly as a cold start builds it (service.AWSConfig), and the tests
// prove what DynamoDB's throttling, errors, silence and dropped connections do to each call —
// retried away, or answered with 1000/1050 and repaired by repeating the call.
package chaos
