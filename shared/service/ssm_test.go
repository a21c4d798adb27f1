package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"imusers/shared/sigv4test"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	testKeyID   = "AKIDTESTSERVICE"
	testSecret  = "SECRETtestSECRETtestSECRET"
	testSession = "SESSIONtokenSESSIONtoken"
	testValue   = `[{"appKey":"k","appSecret":"the-app-secret"}]`
)

// ssmStub answers GetParameter like SSM after checking the request's shape and its SigV4
// signature, which it recomputes with the credentials it expects; answers lists what it says,
// call by call, the last one for every call after.
type ssmStub struct {
	t       *testing.T
	answers []func(w http.ResponseWriter)
	calls   atomic.Int32
}

func (s *ssmStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := s.t
	n := int(s.calls.Add(1))
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		t.Errorf("%s %s, want POST /", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("X-Amz-Target"); got != "AmazonSSM.GetParameter" {
		t.Errorf("X-Amz-Target %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type %q", got)
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil || in["Name"] != "/im/apps" || in["WithDecryption"] != true || len(in) != 2 {
		t.Errorf("body %s, want Name and WithDecryption true", body)
	}
	if got := r.Header.Get("X-Amz-Security-Token"); got != testSession {
		t.Errorf("X-Amz-Security-Token %q", got)
	}
	auth := r.Header.Get("Authorization")
	date := r.Header.Get("X-Amz-Date")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+testKeyID+"/"+date[:8]+"/eu-west-1/ssm/aws4_request, SignedHeaders=") {
		t.Errorf("Authorization %q", auth)
	}
	for _, h := range []string{"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"} {
		if !strings.Contains(auth, h) {
			t.Errorf("%s is not signed: %q", h, auth)
		}
	}
	if want := sigv4test.Resign(t, r, body, testCreds, "ssm", "eu-west-1"); auth != want {
		t.Errorf("signature does not verify:\n got %s\nwant %s", auth, want)
	}
	s.answers[min(n, len(s.answers))-1](w)
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func ok(value string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		b, _ := json.Marshal(map[string]any{"Parameter": map[string]any{
			"Name": "/im/apps", "Type": "SecureString", "Value": value, "Version": 3,
		}})
		_, _ = w.Write(b)
	}
}

func fails(status int, code, message string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		b, _ := json.Marshal(map[string]string{"__type": code, "message": message})
		_, _ = w.Write(b)
	}
}

// testConfig is the configuration Load builds, from an environment aimed at url.
func testConfig(t *testing.T, url string) aws.Config {
	t.Helper()
	env := map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": testKeyID, "AWS_SECRET_ACCESS_KEY": testSecret,
		"AWS_SESSION_TOKEN": testSession, "AWS_ENDPOINT_URL_SSM": url,
	}
	cfg, err := awsConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestGetParameterSignsTheRequestAndReadsTheValue(t *testing.T) {
	stub := &ssmStub{t: t, answers: []func(http.ResponseWriter){ok(testValue)}}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	got, err := getParameter(context.Background(), testConfig(t, srv.URL), "/im/apps")
	if err != nil || got != testValue {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestGetParameterRetriesThrottlingAndServerFaults(t *testing.T) {
	stub := &ssmStub{t: t, answers: []func(http.ResponseWriter){
		fails(http.StatusBadRequest, "ThrottlingException", "Rate exceeded"),
		fails(http.StatusInternalServerError, "InternalServerError", "try again"),
		ok(testValue),
	}}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	got, err := getParameter(context.Background(), testConfig(t, srv.URL), "/im/apps")
	if err != nil || got != testValue || stub.calls.Load() != 3 {
		t.Fatalf("got %q, %v after %d calls", got, err, stub.calls.Load())
	}

	// A fault that lasts ends after the retryer's four attempts.
	stub = &ssmStub{t: t, answers: []func(http.ResponseWriter){fails(http.StatusServiceUnavailable, "ServiceUnavailable", "")}}
	srv2 := httptest.NewServer(stub)
	defer srv2.Close()
	if _, err := getParameter(context.Background(), testConfig(t, srv2.URL), "/im/apps"); err == nil || stub.calls.Load() != 4 {
		t.Fatalf("lasting fault: %v after %d calls, want an error after 4", err, stub.calls.Load())
	}
}

func TestGetParameterRefusalsAreNotRetriedAndLeakNothing(t *testing.T) {
	for _, tc := range []struct {
		answer func(http.ResponseWriter)
		want   string
	}{
		{fails(http.StatusBadRequest, "ParameterNotFound", "Parameter /im/apps not found."), "ParameterNotFound (HTTP 400): Parameter /im/apps not found."},
		{fails(http.StatusBadRequest, "com.amazonaws.ssm#AccessDeniedException", "User is not authorized to perform: ssm:GetParameter"), "AccessDeniedException (HTTP 400)"},
		{fails(http.StatusBadRequest, "InvalidKeyId", "bad\nkey"), "InvalidKeyId (HTTP 400): bad key"},
		// A 200 that is not the expected JSON may hold the value: it is never quoted.
		{func(w http.ResponseWriter) { _, _ = io.WriteString(w, "not json "+testValue) }, "the answer is not JSON"},
		{func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"Parameter":{}}`) }, "holds no value"},
	} {
		stub := &ssmStub{t: t, answers: []func(http.ResponseWriter){tc.answer}}
		srv := httptest.NewServer(stub)
		_, err := getParameter(context.Background(), testConfig(t, srv.URL), "/im/apps")
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
			continue
		}
		if stub.calls.Load() != 1 {
			t.Errorf("%q was retried: %d calls", tc.want, stub.calls.Load())
		}
		for _, secret := range []string{testSecret, testSession, "the-app-secret", "Signature="} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows %q", err, secret)
			}
		}
	}
}

func TestGetParameterWithoutCredentialsSaysSo(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:1"}
	cfg, err := awsConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	_, err = getParameter(context.Background(), cfg, "/im/apps")
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("error %v", err)
	}
}

func TestSSMEndpoint(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AWS_REGION": "eu-west-1"}, "https://ssm.eu-west-1.amazonaws.com/"},
		{map[string]string{"AWS_REGION": "cn-north-1"}, "https://ssm.cn-north-1.amazonaws.com.cn/"},
		{map[string]string{"AWS_REGION": "us-gov-west-1", "AWS_USE_FIPS_ENDPOINT": "true"}, "https://ssm-fips.us-gov-west-1.amazonaws.com/"},
		{map[string]string{"AWS_REGION": "eu-west-1", "AWS_USE_DUALSTACK_ENDPOINT": "true"}, "https://ssm.eu-west-1.api.aws/"},
		{map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, "http://127.0.0.1:4566/"},
		{map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_SSM": "http://b:2/ssm"}, "http://b:2/ssm"},
		{map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_SSM": "http://b:2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "https://ssm.eu-west-1.amazonaws.com/"},
	} {
		cfg, err := awsConfigFromEnv(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ssmEndpoint(cfg); err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
	cfg, _ := awsConfigFromEnv(func(k string) string {
		return map[string]string{"AWS_REGION": "us-iso-east-1", "AWS_USE_DUALSTACK_ENDPOINT": "true"}[k]
	})
	if _, err := ssmEndpoint(cfg); err == nil {
		t.Error("a dual-stack endpoint where the partition has none")
	}
}

// Lambda's endpoint follows the same rules, with its own override.
func TestLambdaEndpoint(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AWS_REGION": "eu-west-1"}, "https://lambda.eu-west-1.amazonaws.com/"},
		{map[string]string{"AWS_REGION": "cn-north-1"}, "https://lambda.cn-north-1.amazonaws.com.cn/"},
		{map[string]string{"AWS_REGION": "us-east-1", "AWS_USE_FIPS_ENDPOINT": "true"}, "https://lambda-fips.us-east-1.amazonaws.com/"},
		{map[string]string{"AWS_REGION": "eu-west-1", "AWS_USE_DUALSTACK_ENDPOINT": "true"}, "https://lambda.eu-west-1.api.aws/"},
		{map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_LAMBDA": "http://b:2"}, "http://b:2/"},
		{map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_SSM": "http://b:2"}, "https://lambda.eu-west-1.amazonaws.com/"},
	} {
		cfg, err := awsConfigFromEnv(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if got, err := LambdaEndpoint(cfg); err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
}

var testCreds = aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testSession}
