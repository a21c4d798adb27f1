//go:build bench_ssm

package main

import "github.com/aws/aws-sdk-go-v2/service/ssm"

func init() {
	atInit = append(atInit, func() { keep = append(keep, ssm.NewFromConfig(awsConfig())) })
}
