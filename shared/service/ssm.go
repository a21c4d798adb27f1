package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"imusers/shared/awserr"
	"imusers/shared/awsretry"
)

// The apps parameter is read once per cold start with one GetParameter call. Linking the SSM
// client for it would add its package init (the largest in the binary) to every cold start,
// so the call is made here: the JSON 1.1 protocol, SigV4-signed with the SDK's own signer and
// credentials, retried by the same retryer as every other AWS call.

const (
	ssmTarget      = "AmazonSSM.GetParameter"
	ssmContentType = "application/x-amz-json-1.1"
	// SSM values are at most 8 KB; an answer far larger is not SSM's.
	maxSSMAnswer = 1 << 20
)

// getParameter returns the decrypted value of an SSM parameter. Its errors name the parameter
// and AWS's error code and message, never the value, the credentials or the signature.
func getParameter(ctx context.Context, cfg aws.Config, name string) (string, error) {
	endpoint, err := ssmEndpoint(cfg)
	if err != nil {
		return "", err
	}
	if cfg.Region == "" {
		return "", errors.New("ssm GetParameter: no AWS region (AWS_REGION)")
	}
	if cfg.Credentials == nil || cfg.HTTPClient == nil {
		return "", errors.New("ssm GetParameter: the AWS configuration has no credentials or HTTP client")
	}
	r := retryer()
	if cfg.Retryer != nil {
		r = cfg.Retryer()
	}
	var value string
	attempted := false
	err = awsretry.Do(ctx, r, nil, func() (err error) {
		attempted = true
		value, err = getParameterOnce(ctx, cfg, endpoint, name)
		return err
	})
	if err != nil && !attempted { // ctx ended first, or the retryer gave no leave
		return "", fmt.Errorf("ssm GetParameter %s: %w", name, err)
	}
	return value, err
}

func getParameterOnce(ctx context.Context, cfg aws.Config, endpoint, name string) (string, error) {
	body, err := json.Marshal(struct {
		Name           string
		WithDecryption bool
	}{name, true})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("ssm GetParameter: %w", err)
	}
	req.Header.Set("Content-Type", ssmContentType)
	req.Header.Set("X-Amz-Target", ssmTarget)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("ssm GetParameter: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", cfg.Region, time.Now()); err != nil {
		return "", fmt.Errorf("ssm GetParameter: signing: %w", err)
	}
	res, err := cfg.HTTPClient.Do(req)
	if err != nil {
		// The transport's error names the endpoint and what failed there, nothing of the request.
		return "", &awserr.Error{Op: ssmOp, Cause: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxSSMAnswer))
	if err != nil {
		return "", &awserr.Error{Op: ssmOp, Status: res.StatusCode, Cause: err}
	}
	if res.StatusCode != http.StatusOK {
		return "", awserr.FromAnswer(ssmOp, res, raw)
	}
	var out struct {
		Parameter struct {
			Value *string
		}
	}
	// The answer's text is never quoted in an error: it holds the secret.
	if json.Unmarshal(raw, &out) != nil {
		return "", errors.New("ssm GetParameter: the answer is not JSON")
	}
	if out.Parameter.Value == nil {
		return "", errors.New("ssm GetParameter: the answer holds no value")
	}
	return *out.Parameter.Value, nil
}

// ssmEndpoint is where GetParameter goes: AWS_ENDPOINT_URL_SSM, else AWS_ENDPOINT_URL, else
// the region's SSM endpoint (FIPS and dual-stack as configured).
func ssmEndpoint(cfg aws.Config) (string, error) {
	return serviceEndpoint(cfg, "SSM", "ssm", "ssm GetParameter")
}

// LambdaEndpoint is where Invoke goes: AWS_ENDPOINT_URL_LAMBDA, else AWS_ENDPOINT_URL, else
// the region's Lambda endpoint (FIPS and dual-stack as configured).
func LambdaEndpoint(cfg aws.Config) (string, error) {
	return serviceEndpoint(cfg, "Lambda", "lambda", "lambda Invoke")
}

// serviceEndpoint resolves the endpoint of the service with SDK ID sdkID and DNS name host the
// way the SDK's clients do for the settings the environment can hold; op names the call in
// errors.
func serviceEndpoint(cfg aws.Config, sdkID, host, op string) (string, error) {
	ctx := context.Background()
	base := aws.ToString(cfg.BaseEndpoint)
	fips, dual := false, false
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(interface {
			GetServiceBaseEndpoint(context.Context, string) (string, bool, error)
		}); ok {
			if v, found, err := p.GetServiceBaseEndpoint(ctx, sdkID); err == nil && found {
				base = v
			}
		}
		if p, ok := src.(interface {
			GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error)
		}); ok {
			v, _, _ := p.GetUseFIPSEndpoint(ctx)
			fips = v == aws.FIPSEndpointStateEnabled
		}
		if p, ok := src.(interface {
			GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error)
		}); ok {
			v, _, _ := p.GetUseDualStackEndpoint(ctx)
			dual = v == aws.DualStackEndpointStateEnabled
		}
	}
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%s: endpoint %q is not a URL", op, base)
		}
		if u.Path == "" {
			u.Path = "/"
		}
		return u.String(), nil
	}
	if cfg.Region == "" {
		return "", fmt.Errorf("%s: no AWS region (AWS_REGION)", op)
	}
	suffix, dualSuffix := partitionSuffixes(cfg.Region)
	if fips {
		host += "-fips"
	}
	if dual {
		if dualSuffix == "" {
			return "", fmt.Errorf("%s: no dual-stack endpoint in region %s", op, cfg.Region)
		}
		suffix = dualSuffix
	}
	return "https://" + host + "." + cfg.Region + "." + suffix + "/", nil
}

// partitionSuffixes are the DNS suffixes of a region's partition, plain and dual-stack (empty
// where the partition has none).
func partitionSuffixes(region string) (plain, dual string) {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "amazonaws.com.cn", "api.amazonwebservices.com.cn"
	case strings.HasPrefix(region, "us-isob-"):
		return "sc2s.sgov.gov", ""
	case strings.HasPrefix(region, "us-isof-"):
		return "csp.hci.ic.gov", ""
	case strings.HasPrefix(region, "us-iso-"):
		return "c2s.ic.gov", ""
	case strings.HasPrefix(region, "eu-isoe-"):
		return "cloud.adc-e.uk", ""
	case strings.HasPrefix(region, "eusc-"):
		return "amazonaws.eu", ""
	}
	return "amazonaws.com", "api.aws"
}

// ssmOp names GetParameter in its errors.
const ssmOp = "ssm GetParameter"
