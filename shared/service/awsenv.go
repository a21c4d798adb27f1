package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// The SDK's own loader (aws-sdk-go-v2/config) reads shared config files and links the STS, SSO,
// SSO OIDC and sign-in clients for profiles a function never has; their package init alone is
// about a millisecond of every cold start. Lambda hands a function everything in its
// environment, so the service reads the environment itself, with the SDK's own variable names
// and meanings, and builds the aws.Config from it.

// awsConfigFromEnv builds the service's AWS configuration from getenv: region, credentials
// (the execution role's keys Lambda sets, or a container credentials endpoint), endpoint
// overrides, FIPS and dual-stack endpoints, a CA bundle, and the service's timeouts and
// retries. Credentials are not checked here: like the SDK's default chain, a missing one fails
// the first call, not the cold start.
func awsConfigFromEnv(getenv func(string) string) (aws.Config, error) {
	src := envSource{getenv}
	client := awshttp.NewBuildableClient().WithTimeout(3 * time.Second)
	if path := getenv("AWS_CA_BUNDLE"); path != "" {
		pool, err := caBundle(path)
		if err != nil {
			return aws.Config{}, err
		}
		client = client.WithTransportOptions(func(t *http.Transport) {
			if t.TLSClientConfig == nil {
				t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			t.TLSClientConfig.RootCAs = pool
		})
	}
	cfg := aws.Config{
		Region:     firstSet(getenv, "AWS_REGION", "AWS_DEFAULT_REGION"),
		HTTPClient: client,
		Retryer:    retryer,
		// Each client asks these for AWS_ENDPOINT_URL_<SERVICE>, FIPS and dual-stack.
		ConfigSources:      []any{src},
		RuntimeEnvironment: aws.RuntimeEnvironment{EnvironmentIdentifier: aws.ExecutionEnvironmentID(getenv("AWS_EXECUTION_ENV"))},
		AppID:              getenv("AWS_SDK_UA_APP_ID"),
	}
	for _, name := range []string{"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"} {
		if _, _, err := src.flag(name); err != nil {
			return aws.Config{}, err
		}
	}
	if !src.ignoreEndpoints() {
		if u := getenv("AWS_ENDPOINT_URL"); u != "" {
			cfg.BaseEndpoint = aws.String(u)
		}
	}
	switch m := getenv("AWS_ACCOUNT_ID_ENDPOINT_MODE"); m {
	case "":
	case string(aws.AccountIDEndpointModePreferred), string(aws.AccountIDEndpointModeRequired), string(aws.AccountIDEndpointModeDisabled):
		cfg.AccountIDEndpointMode = aws.AccountIDEndpointMode(m)
	default:
		return aws.Config{}, fmt.Errorf("AWS_ACCOUNT_ID_ENDPOINT_MODE must be preferred, required or disabled, got %q", m)
	}
	creds, err := envCredentials(getenv, client)
	if err != nil {
		return aws.Config{}, err
	}
	cfg.Credentials = creds
	return cfg, nil
}

// retryer is the service's retry policy for every AWS call: a few quick attempts, so a call
// answers (1000 or 1050) well inside API Gateway's 30 seconds.
func retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 4
		o.MaxBackoff = 300 * time.Millisecond
	})
}

func firstSet(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// envCredentials are the static keys in the environment (what Lambda sets for the execution
// role), else a container credentials endpoint, else a provider that fails every call with a
// plain explanation.
func envCredentials(getenv func(string) string, client aws.HTTPClient) (aws.CredentialsProvider, error) {
	id := firstSet(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := firstSet(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id != "" && secret != "" {
		return credentials.StaticCredentialsProvider{Value: aws.Credentials{
			AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"),
			AccountID: getenv("AWS_ACCOUNT_ID"), Source: "EnvConfigCredentials",
		}}, nil
	}
	endpoint := getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if rel := getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		endpoint = "http://169.254.170.2" + rel
	}
	if endpoint == "" {
		return noCredentials{}, nil
	}
	if err := checkContainerEndpoint(endpoint); err != nil {
		return nil, err
	}
	p := endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
		o.HTTPClient = client
		o.AuthorizationToken = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		if f := getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); f != "" {
			o.AuthorizationTokenProvider = tokenFile(f)
		}
	})
	return aws.NewCredentialsCache(p), nil
}

// checkContainerEndpoint refuses to send the authorization token in clear text anywhere but
// this host or the container credential addresses AWS documents.
func checkContainerEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return errors.New("AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL")
	}
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme != "http" {
		return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI must be http or https, got %q", u.Scheme)
	}
	switch host := u.Hostname(); host {
	case "localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23":
		return nil
	default:
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return errors.New("AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name this host or a container credentials address")
}

// tokenFile reads the container authorization token at every refresh: the agent rotates it.
type tokenFile string

func (f tokenFile) GetToken() (string, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return "", fmt.Errorf("reading AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

type noCredentials struct{}

func (noCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("no AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a container credentials endpoint)")
}

func caBundle(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading AWS_CA_BUNDLE: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("AWS_CA_BUNDLE holds no PEM certificate")
	}
	return pool, nil
}

// envSource answers the SDK clients' questions about endpoints from the environment, as the
// SDK's own environment source does; each client calls it while it is built.
type envSource struct{ getenv func(string) string }

func (s envSource) ignoreEndpoints() bool {
	return strings.EqualFold(s.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
}

// GetServiceBaseEndpoint reads AWS_ENDPOINT_URL_<SERVICE>, the service's SDK ID upper-cased
// with spaces as underscores (DYNAMODB, LAMBDA, APIGATEWAYMANAGEMENTAPI, SSM).
func (s envSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if s.ignoreEndpoints() {
		return "", false, nil
	}
	v := s.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}

// GetUseFIPSEndpoint and GetUseDualStackEndpoint read flags awsConfigFromEnv has checked.
func (s envSource) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	on, found, _ := s.flag("AWS_USE_FIPS_ENDPOINT")
	if !found {
		return aws.FIPSEndpointStateUnset, false, nil
	}
	if on {
		return aws.FIPSEndpointStateEnabled, true, nil
	}
	return aws.FIPSEndpointStateDisabled, true, nil
}

func (s envSource) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	on, found, _ := s.flag("AWS_USE_DUALSTACK_ENDPOINT")
	if !found {
		return aws.DualStackEndpointStateUnset, false, nil
	}
	if on {
		return aws.DualStackEndpointStateEnabled, true, nil
	}
	return aws.DualStackEndpointStateDisabled, true, nil
}

func (s envSource) flag(name string) (on, found bool, err error) {
	switch v := strings.ToLower(s.getenv(name)); v {
	case "":
		return false, false, nil
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	default:
		return false, false, fmt.Errorf("%s must be true or false, got %q", name, v)
	}
}
