package ssmparam_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"imusers/shared/aws/ssmparam"
	"imusers/shared/service"
)

const testValue = `[{"appKey":"k","appSecret":"the-app-secret"}]`

// ssmStub answers GetParameter as SSM's JSON protocol does, after checking the request, with
// answer.
func ssmStub(t *testing.T, answer func(w http.ResponseWriter)) (url string, calls *atomic.Int32) {
	calls = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonSSM.GetParameter" {
			t.Errorf("X-Amz-Target %q", got)
		}
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil || in["Name"] != "/im/apps" || in["WithDecryption"] != true {
			t.Errorf("body %s, want the name and WithDecryption true", body)
		}
		if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "/eu-west-1/ssm/aws4_request") {
			t.Errorf("Authorization %q", auth)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		answer(w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

// ssmClient is the SSM client Reader builds, from an environment whose AWS_ENDPOINT_URL_SSM is url.
func ssmClient(t *testing.T, url string) *ssm.Client {
	t.Helper()
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSSMTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "ssm-test-secret-key")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_ENDPOINT_URL_SSM", url)
	cfg, err := service.AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ssm.NewFromConfig(cfg)
}

func TestGetParameterReadsTheDecryptedValue(t *testing.T) {
	url, _ := ssmStub(t, func(w http.ResponseWriter) {
		b, _ := json.Marshal(map[string]any{"Parameter": map[string]any{"Name": "/im/apps", "Type": "SecureString", "Value": testValue, "Version": 3}})
		_, _ = w.Write(b)
	})
	got, err := ssmparam.Get(context.Background(), ssmClient(t, url), "/im/apps")
	if err != nil || got != testValue {
		t.Fatalf("got %q, %v", got, err)
	}
}

// Whatever goes wrong, the error names the call and what failed, never the secret value, even
// when the answer that failed held it.
func TestGetParameterErrorsHoldNoSecret(t *testing.T) {
	for name, answer := range map[string]func(http.ResponseWriter){
		"refused": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ParameterNotFound","message":"not found"}`)
		},
		"cut short": func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"Parameter":{"Name":"/im/apps","Value":"`+strings.ReplaceAll(testValue, `"`, `\"`))
		},
		"no value": func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"Parameter":{"Name":"/im/apps","Secret":"the-app-secret"}}`)
		},
		"not JSON": func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `the-app-secret`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			url, calls := ssmStub(t, answer)
			_, err := ssmparam.Get(context.Background(), ssmClient(t, url), "/im/apps")
			if err == nil {
				t.Fatal("no error")
			}
			if calls.Load() == 0 {
				t.Fatal("SSM was not called")
			}
			if strings.Contains(err.Error(), "the-app-secret") || strings.Contains(err.Error(), "ssm-test-secret-key") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// Reader, what the functions hand the apps' loading, reads through the SDK's chain: the
// region, credentials and AWS_ENDPOINT_URL_SSM of the environment.
func TestReaderReadsThroughTheSDKChain(t *testing.T) {
	url, calls := ssmStub(t, func(w http.ResponseWriter) {
		b, _ := json.Marshal(map[string]any{"Parameter": map[string]any{"Name": "/im/apps", "Type": "SecureString", "Value": testValue, "Version": 3}})
		_, _ = w.Write(b)
	})
	ssmClient(t, url) // sets the environment
	cfg, err := service.AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ssmparam.Reader(cfg)(context.Background(), "/im/apps")
	if err != nil || got != testValue || calls.Load() != 1 {
		t.Fatalf("got %q, %v after %d calls", got, err, calls.Load())
	}
}
