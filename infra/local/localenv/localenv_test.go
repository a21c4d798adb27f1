package localenv

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"imusers/shared/service"
)

// The local service's AWS clients keep the deployed per-attempt timeout and only widen the
// pool of open connections.
func TestWithLocalPoolKeepsTheDeployedTimeout(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	deployed, err := service.AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	local, err := service.AWSConfig(context.Background(), func(c *aws.Config) { c.Region = Region }, WithLocalPool)
	if err != nil {
		t.Fatal(err)
	}
	d, l := deployed.HTTPClient.(*awshttp.BuildableClient), local.HTTPClient.(*awshttp.BuildableClient)
	if l.GetTimeout() == 0 || l.GetTimeout() != d.GetTimeout() {
		t.Errorf("local timeout %s, deployed %s", l.GetTimeout(), d.GetTimeout())
	}
	if tr := l.GetTransport(); tr.MaxIdleConnsPerHost != LocalConnsPerHost || tr.MaxIdleConns != LocalConnsPerHost {
		t.Errorf("local pool %d per host, %d in all; want %d", tr.MaxIdleConnsPerHost, tr.MaxIdleConns, LocalConnsPerHost)
	}
	if HTTPClient().GetTransport().MaxIdleConnsPerHost != LocalConnsPerHost {
		t.Error("local clients' HTTP client without the local pool")
	}
}
