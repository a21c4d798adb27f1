package connections

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
)

// Client is API over the SDK's Management API client of one connection API.
type Client struct {
	sdk *apigatewaymanagementapi.Client
}

// NewClient is a client of endpoint, the connection API's management URL with its stage
// (https://{api}.execute-api.{region}.amazonaws.com/{stage}, or the local gateway's URL), with
// cfg's credentials, region, HTTP client and retryer.
func NewClient(cfg aws.Config, endpoint string) *Client {
	return &Client{sdk: apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})}
}

// Post sends data to a connection as one frame (PostToConnection). A frame goes at most once:
// it is sent again only when the attempt surely delivered nothing (see atMostOnce).
func (c *Client) Post(ctx context.Context, connID string, data []byte) error {
	_, err := c.sdk.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
		ConnectionId: aws.String(connID), Data: data,
	}, atMostOnce)
	return gone(err)
}

// Delete closes a connection (DeleteConnection); API Gateway then runs its $disconnect route.
// Closing twice does no harm, so the client's retryer retries every passing failure.
func (c *Client) Delete(ctx context.Context, connID string) error {
	_, err := c.sdk.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(connID)})
	return gone(err)
}

// gone marks the Management API's answer for a closed connection (410 GoneException) as ErrGone.
func gone(err error) error {
	var g *types.GoneException
	if errors.As(err, &g) {
		return fmt.Errorf("%w: %w", ErrGone, err)
	}
	return err
}

// atMostOnce limits the client's retryer (its attempts, back-off and retry quota stay) to
// failures after which the frame surely did not reach the client: throttling, which API
// Gateway answers before doing anything, and a connection to the endpoint that never opened.
// After a lost answer, a timeout or a server fault the frame may have been delivered, so the
// call fails instead.
func atMostOnce(o *apigatewaymanagementapi.Options) {
	r, ok := o.Retryer.(aws.RetryerV2)
	if !ok {
		o.Retryer = aws.NopRetryer{}
		return
	}
	o.Retryer = onlyUnsent{r}
}

type onlyUnsent struct{ aws.RetryerV2 }

func (r onlyUnsent) IsErrorRetryable(err error) bool {
	return unsent(err) && r.RetryerV2.IsErrorRetryable(err)
}

// unsent tells a failed call that surely did nothing: refused by throttling, or never connected.
func unsent(err error) bool {
	var limited *types.LimitExceededException
	if errors.As(err, &limited) {
		return true
	}
	var res *awshttp.ResponseError
	if errors.As(err, &res) && res.HTTPStatusCode() == http.StatusTooManyRequests {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
