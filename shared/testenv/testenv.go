// Package testenv gives tests the real parts they run against: a dynalite server (the one
// `make test` started, named by IM_TEST_DYNAMODB, or one started here for this test binary)
// and fresh tables created from the store's schema.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/infra/local/localenv"
)

var (
	once     sync.Once
	endpoint string
	startErr error
)

// Endpoint returns the URL of a running dynalite.
func Endpoint(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if endpoint = os.Getenv("IM_TEST_DYNAMODB"); endpoint != "" {
			return
		}
		endpoint, startErr = startDynalite()
	})
	if startErr != nil {
		t.Fatalf("no DynamoDB stand-in: %v (run `make test`, which installs and starts dynalite)", startErr)
	}
	return endpoint
}

// startDynalite runs dynalite on a free loopback port for the life of this test binary (the
// kernel stops it when the binary exits).
func startDynalite() (string, error) {
	root, err := localenv.Root()
	if err != nil {
		return "", err
	}
	d, err := localenv.StartDynalite(context.Background(), localenv.DynaliteOptions{Root: root})
	if err != nil {
		return "", err
	}
	return d.URL, nil
}

// Client is the SDK's DynamoDB client for the test endpoint: what a store under test runs on,
// and what creates tables and looks at them in ways the store does not (Scan).
func Client(t testing.TB) *dynamodb.Client {
	t.Helper()
	return localenv.Client(Endpoint(t))
}

// NewTable creates a fresh table (localenv.CreateTableInput) and returns its name.
func NewTable(t testing.TB, db *dynamodb.Client) string {
	t.Helper()
	name := "test-" + RandomID()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := db.CreateTable(ctx, localenv.CreateTableInput(name)); err != nil {
		t.Fatalf("create table: %v", err)
	}
	for {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("describe table: %v", err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return name
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RandomID is a short random hex string for unique names.
func RandomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
