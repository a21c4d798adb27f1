//go:build bench_ssm

package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// The functions that create the SSM client read the apps' parameter once at init, so the
// baseline does the same read: both the client and the round trip are the SDK's part of the
// start, and the report shows the read's own cost apart ("The apps' secrets").
func init() {
	atInit = append(atInit, func() {
		c := ssm.NewFromConfig(awsConfig())
		keep = append(keep, c)
		name := os.Getenv("IM_APPS_PARAMETER")
		if name == "" {
			return
		}
		if _, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)}); err != nil {
			log.Fatalf("read %s: %v", name, err)
		}
	})
}
