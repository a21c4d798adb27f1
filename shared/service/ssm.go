package service

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// parameterGetter is the part of the SDK's SSM client (*ssm.Client) the apps' loading uses.
type parameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// getParameter returns the decrypted value of an SSM parameter. Its errors are the SDK's: they
// name the call and AWS's error, never the value.
func getParameter(ctx context.Context, c parameterGetter, name string) (string, error) {
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", err
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", errors.New("ssm GetParameter: the answer holds no value")
	}
	return *out.Parameter.Value, nil
}
