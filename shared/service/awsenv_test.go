package service

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/invoke"
)

var getItem = &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "k"}}}

func getenvOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// awsStub records what reached it and answers every call with an empty JSON object.
type awsStub struct {
	target, auth chan string
}

func newAWSStub(t *testing.T) (*awsStub, string) {
	s := &awsStub{target: make(chan string, 10), auth: make(chan string, 10)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.target <- r.Header.Get("X-Amz-Target") + " " + r.URL.Path
		s.auth <- r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if strings.Contains(r.URL.Path, "invocations") {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func TestAWSConfigFromTheEnvironmentLambdaProvides(t *testing.T) {
	ddb, ddbURL := newAWSStub(t)
	lam, lamURL := newAWSStub(t)
	cfg, err := awsConfigFromEnv(getenvOf(map[string]string{
		"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "us-west-2",
		"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
		"AWS_ENDPOINT_URL_DYNAMODB": ddbURL, "AWS_ENDPOINT_URL_LAMBDA": lamURL,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-central-1" {
		t.Errorf("region %q: AWS_REGION comes first", cfg.Region)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDENV" || c.SecretAccessKey != "secret" || c.SessionToken != "token" {
		t.Errorf("credentials %+v, %v", c, err)
	}
	if r := cfg.Retryer(); r.MaxAttempts() != 4 {
		t.Errorf("retryer allows %d attempts, want the service's 4", r.MaxAttempts())
	}
	if b, ok := cfg.HTTPClient.(*awshttp.BuildableClient); !ok || b.GetTimeout() != 3*time.Second {
		t.Errorf("HTTP client %T without the service's 3 s timeout", cfg.HTTPClient)
	}

	// Each client goes to its own AWS_ENDPOINT_URL_<SERVICE>, signed for the region.
	ctx := context.Background()
	if _, err := DynamoClient(cfg).GetItem(ctx, getItem); err != nil {
		t.Fatal(err)
	}
	if got := <-ddb.target; got != "DynamoDB_20120810.GetItem /" {
		t.Errorf("DynamoDB stub got %q", got)
	}
	if got := <-ddb.auth; !strings.Contains(got, "Credential=AKIDENV/") || !strings.Contains(got, "/eu-central-1/dynamodb/aws4_request") {
		t.Errorf("DynamoDB call signed %q", got)
	}
	lamEndpoint, err := LambdaEndpoint(cfg)
	if err != nil {
		t.Fatal(err)
	}
	invoker, err := invoke.New(cfg, lamEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := invoker.Invoke(ctx, "eraseUsers", true, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if got := <-lam.target; !strings.Contains(got, "/functions/eraseUsers/invocations") {
		t.Errorf("Lambda stub got %q", got)
	}
	if got := <-lam.auth; !strings.Contains(got, "Credential=AKIDENV/") || !strings.Contains(got, "/eu-central-1/lambda/aws4_request") {
		t.Errorf("Lambda call signed %q", got)
	}

	// AWS_DEFAULT_REGION when AWS_REGION is not set.
	cfg, _ = awsConfigFromEnv(getenvOf(map[string]string{"AWS_DEFAULT_REGION": "us-west-2"}))
	if cfg.Region != "us-west-2" {
		t.Errorf("region %q from AWS_DEFAULT_REGION", cfg.Region)
	}
}

func TestAWSConfigGlobalEndpointAndItsOverrides(t *testing.T) {
	all, allURL := newAWSStub(t)
	cfg, err := awsConfigFromEnv(getenvOf(map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_ENDPOINT_URL": allURL,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DynamoClient(cfg).GetItem(context.Background(), getItem); err != nil {
		t.Fatal(err)
	}
	<-all.target

	// Ignoring configured endpoints leaves the region's own: the stub must not be called.
	cfg, err = awsConfigFromEnv(getenvOf(map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": allURL, "AWS_ENDPOINT_URL_DYNAMODB": allURL,
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
	}))
	if err != nil || cfg.BaseEndpoint != nil {
		t.Fatalf("base endpoint %v, %v", cfg.BaseEndpoint, err)
	}
	if v, found, _ := (envSource{getenvOf(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": allURL, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"})}).GetServiceBaseEndpoint(context.Background(), "DynamoDB"); found {
		t.Errorf("ignored endpoint still served: %q", v)
	}
	if v, _, _ := (envSource{getenvOf(map[string]string{"AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": "x"})}).GetServiceBaseEndpoint(context.Background(), "ApiGatewayManagementApi"); v != "x" {
		t.Errorf("management endpoint %q", v)
	}
}

func TestAWSConfigRefusesMalformedSettings(t *testing.T) {
	for _, env := range []map[string]string{
		{"AWS_USE_FIPS_ENDPOINT": "yes"},
		{"AWS_USE_DUALSTACK_ENDPOINT": "1"},
		{"AWS_ACCOUNT_ID_ENDPOINT_MODE": "sometimes"},
		{"AWS_CA_BUNDLE": filepath.Join(t.TempDir(), "missing.pem")},
		{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://203.0.113.7/creds"},
	} {
		if _, err := awsConfigFromEnv(getenvOf(env)); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}

func TestAWSConfigWithoutCredentialsFailsTheFirstCallNotTheColdStart(t *testing.T) {
	cfg, err := awsConfigFromEnv(getenvOf(map[string]string{"AWS_REGION": "us-east-1"}))
	if err != nil {
		t.Fatalf("cold start failed: %v", err)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("retrieve: %v", err)
	}
}

func TestAWSConfigContainerCredentials(t *testing.T) {
	tokenPath := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenPath, []byte("file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "file-token" {
			http.Error(w, `{"code":"AccessDenied","message":"no"}`, http.StatusForbidden)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": "AKIDCONTAINER", "SecretAccessKey": "s", "Token": "t",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	defer srv.Close()
	cfg, err := awsConfigFromEnv(getenvOf(map[string]string{
		"AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL + "/creds",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenPath,
	}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDCONTAINER" || c.SessionToken != "t" {
		t.Fatalf("credentials %+v, %v", c, err)
	}
}

func TestAWSConfigExtraOptionsRunLast(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	cfg, err := AWSConfig(context.Background(), func(c *aws.Config) {
		c.Region = "us-east-1"
		c.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cfg.Credentials.Retrieve(context.Background())
	if cfg.Region != "us-east-1" || c.AccessKeyID != "local" || cfg.Retryer().MaxAttempts() != 4 {
		t.Fatalf("region %q, key %q, attempts %d", cfg.Region, c.AccessKeyID, cfg.Retryer().MaxAttempts())
	}
}

// Every function links lambdaapp; the shared-config loader and the SDK's SSM and Lambda clients
// must stay out of it, or their package init is back in every cold start.
func TestFunctionsLinkNeitherTheSharedConfigLoaderNorTheSDKClientsTheServiceReplaced(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "imusers/shared/lambdaapp").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		p := strings.TrimPrefix(pkg, "github.com/aws/aws-sdk-go-v2/")
		switch {
		case p == "config", p == "service/ssm", p == "service/sts", p == "service/sso", p == "service/ssooidc", p == "service/signin",
			p == "service/lambda", strings.HasPrefix(p, "service/lambda/"):
			t.Errorf("every function links %s", pkg)
		}
	}
}
