package awsretry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"imusers/shared/awserr"
	"imusers/shared/awsretry"
)

var (
	throttled = &awserr.Error{Op: "test", Status: 400, Code: "ThrottlingException"}
	refused   = &awserr.Error{Op: "test", Status: 400, Code: "ValidationException"}
)

func retryer(wait time.Duration, opts ...func(*retry.StandardOptions)) aws.Retryer {
	return retry.NewStandard(append([]func(*retry.StandardOptions){func(o *retry.StandardOptions) {
		o.MaxAttempts = 4
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return wait, nil })
	}}, opts...)...)
}

// attempts answers with errs in turn (nil once they run out) and counts the attempts.
func attempts(errs ...error) (func() error, *int) {
	n := 0
	return func() error {
		n++
		if n <= len(errs) {
			return errs[n-1]
		}
		return nil
	}, &n
}

func TestRetriesUntilSuccess(t *testing.T) {
	try, n := attempts(throttled, throttled)
	if err := awsretry.Do(context.Background(), retryer(time.Millisecond), nil, try); err != nil || *n != 3 {
		t.Fatalf("error %v after %d attempts, want success at the third", err, *n)
	}
}

func TestStopsAtMaxAttempts(t *testing.T) {
	try, n := attempts(throttled, throttled, throttled, throttled, throttled)
	err := awsretry.Do(context.Background(), retryer(time.Millisecond), nil, try)
	var max *retry.MaxAttemptsError
	var aerr *awserr.Error
	if !errors.As(err, &max) || !errors.As(err, &aerr) || aerr.Code != "ThrottlingException" || *n != 4 {
		t.Fatalf("error %v after %d attempts, want the throttling after 4", err, *n)
	}
}

func TestRefusalsAreNotRetried(t *testing.T) {
	try, n := attempts(refused)
	if err := awsretry.Do(context.Background(), retryer(time.Millisecond), nil, try); err != refused || *n != 1 {
		t.Fatalf("error %v after %d attempts, want the refusal after 1", err, *n)
	}
	// A retryable error the caller will not repeat.
	try, n = attempts(throttled)
	never := func(error) bool { return false }
	if err := awsretry.Do(context.Background(), retryer(time.Millisecond), never, try); err != throttled || *n != 1 {
		t.Fatalf("error %v after %d attempts, want the throttling after 1", err, *n)
	}
}

func TestContextEndsTheCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	try, n := attempts()
	err := awsretry.Do(ctx, retryer(time.Millisecond), nil, try)
	var canceled *aws.RequestCanceledError
	if !errors.As(err, &canceled) || !errors.Is(err, context.Canceled) || *n != 0 {
		t.Fatalf("error %v after %d attempts, want a cancellation before any", err, *n)
	}

	// Cancelled while waiting a minute to retry: the call ends at once with the last error.
	ctx, cancel = context.WithCancel(context.Background())
	try, n = attempts(throttled)
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	err = awsretry.Do(ctx, retryer(time.Minute), nil, try)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, throttled) || *n != 1 || time.Since(start) > 5*time.Second {
		t.Fatalf("error %v after %d attempts and %s", err, *n, time.Since(start))
	}
}

// When the retry quota is spent, errors stand at their first attempt.
func TestSpentQuotaStopsRetries(t *testing.T) {
	r := retryer(time.Millisecond, func(o *retry.StandardOptions) {
		o.RateLimiter = ratelimit.NewTokenRateLimit(5)
		o.RetryCost = 5
	})
	try, n := attempts(throttled, throttled, throttled)
	if err := awsretry.Do(context.Background(), r, nil, try); !errors.Is(err, throttled) || *n != 2 {
		t.Fatalf("first call: error %v after %d attempts, want the throttling after 2 (one retry bought)", err, *n)
	}
	try, n = attempts(throttled, throttled)
	if err := awsretry.Do(context.Background(), r, nil, try); !errors.Is(err, throttled) || *n != 1 {
		t.Fatalf("second call: error %v after %d attempts, want no retry left", err, *n)
	}
}
