// Package ssmparam reads a parameter from SSM Parameter Store through the SDK's client: how the
// functions that check signatures or tokens load the apps' secrets in AWS (IM_APPS_PARAMETER).
package ssmparam

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Reader is the apps' parameter reader (apps.ParameterReader) over cfg. The SSM client is built
// only when a parameter is read, that is when the apps are in SSM.
func Reader(cfg aws.Config) func(ctx context.Context, name string) (string, error) {
	return func(ctx context.Context, name string) (string, error) {
		return Get(ctx, ssm.NewFromConfig(cfg), name)
	}
}

// Getter is the part of the SDK's SSM client (*ssm.Client) the apps' loading uses.
type Getter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Get returns the decrypted value of an SSM parameter. Its errors are the SDK's: they
// name the call and AWS's error, never the value.
func Get(ctx context.Context, c Getter, name string) (string, error) {
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", err
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", errors.New("ssm GetParameter: the answer holds no value")
	}
	return *out.Parameter.Value, nil
}
