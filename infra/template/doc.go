// Package template holds the test that keeps template.yaml, the AWS SAM definition of the
// deployed stack, in agreement with the code it deploys: the route table (shared/routes), the
// table schema (shared/store), the configuration (shared/service) and the Makefile's build
// targets. template.yaml cannot import Go, so it is a copy; this test is what makes the copy safe.
package template
