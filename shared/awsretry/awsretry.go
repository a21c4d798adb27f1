// Package awsretry makes the attempts of one AWS call the way the SDK's retry middleware does,
// for the calls the service signs and sends itself (DynamoDB, Lambda Invoke, SSM, the
// Management API): leave from the retryer before each attempt (an adaptive retryer's rate
// limit), a token from its retry quota before each retry (so a failing service is not asked
// four times for every call), its delay between attempts, and no more than its MaxAttempts.
package awsretry

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Do calls attempt until it succeeds or its error stands: the retryer does not retry it (or
// may, when set, says no), the attempts or the quota run out, or ctx ends. It returns the last
// attempt's error, as a *retry.MaxAttemptsError wrapping it when the attempts ran out and with
// the reason when the quota, the delay or ctx stopped a retry; an attempt that never started
// (ctx already done, or no leave from the retryer) is an *aws.RequestCanceledError or the
// retryer's error.
func Do(ctx context.Context, r aws.Retryer, may func(error) bool, attempt func() error) error {
	releaseRetry := func(error) error { return nil }
	if err := ctx.Err(); err != nil {
		return &aws.RequestCanceledError{Err: err}
	}
	for n := 1; ; n++ {
		releaseAttempt, err := attemptToken(ctx, r)
		if err != nil {
			return err
		}
		err = attempt()
		_ = releaseRetry(err)
		_ = releaseAttempt(err)
		if err == nil || ctx.Err() != nil || !r.IsErrorRetryable(err) || may != nil && !may(err) {
			return err
		}
		if limit := r.MaxAttempts(); limit > 0 && n >= limit {
			return &retry.MaxAttemptsError{Attempt: n, Err: err}
		}
		release, qerr := r.GetRetryToken(ctx, err)
		if qerr != nil {
			return fmt.Errorf("%w (not retried: %w)", err, qerr)
		}
		releaseRetry = release
		wait, derr := r.RetryDelay(n, err)
		if derr != nil {
			return fmt.Errorf("%w (not retried: %w)", err, derr)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = releaseRetry(ctx.Err())
			return fmt.Errorf("%w (not retried: %w)", err, &aws.RequestCanceledError{Err: ctx.Err()})
		case <-t.C:
		}
	}
}

// attemptToken is the retryer's leave for one attempt: an adaptive retryer may make it wait;
// the standard one gives it at once and, for an attempt that succeeds, returns a token to the
// retry quota.
func attemptToken(ctx context.Context, r aws.Retryer) (func(error) error, error) {
	if r2, ok := r.(aws.RetryerV2); ok {
		return r2.GetAttemptToken(ctx)
	}
	return r.GetInitialToken(), nil
}
