// Package testenv gives tests the real parts they run against: a dynalite server (the one
// `make test` started, named by IM_TEST_DYNAMODB, or one started here for this test binary)
// and fresh tables created from the store's schema.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/store"
)

var (
	once     sync.Once
	endpoint string
	startErr error
)

// Root is the repository's top folder.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

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

// startDynalite runs infra/node_modules' dynalite on a free loopback port for the life of this
// test binary (the kernel stops it when the binary exits).
func startDynalite() (string, error) {
	bin := filepath.Join(Root(), "infra", "node_modules", ".bin", "dynalite")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%s not found", bin)
	}
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	return url, WaitHTTP(url, 10*time.Second)
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitHTTP waits until url answers any HTTP response.
func WaitHTTP(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s: %w", url, limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Client is a DynamoDB client for the test endpoint.
func Client(t testing.TB) *dynamodb.Client {
	t.Helper()
	url := Endpoint(t)
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// NewTable creates a fresh table from the store's schema and returns its name.
func NewTable(t testing.TB, db *dynamodb.Client) string {
	t.Helper()
	name := "test-" + RandomID()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := db.CreateTable(ctx, store.CreateTableInput(name)); err != nil {
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
