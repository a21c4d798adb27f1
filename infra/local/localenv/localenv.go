// Package localenv holds what every local run of the service shares: the repository's layout,
// the documented local app, dynalite (the DynamoDB stand-in) as a child process, and the table
// created from the store's schema. The local twin (`make run`), `make invoke` and the Lambda
// emulator tests all start from here, so they agree on how the stand-ins are set up.
package localenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/store"
)

// The local app. Its secret is published on purpose: it guards nothing but a loopback server
// and throwaway data, and the sample events under functions/*/events are signed with it.
// Anything reachable by others sets IM_APP_SECRET (or IM_APPS) instead.
const (
	AppKey    = "local-app-key"
	AppSecret = "local-app-secret"
)

// Region and the static credentials that local clients sign with; dynalite checks neither, but
// the SDK refuses to send unsigned requests.
const (
	Region      = "us-east-1"
	AccessKeyID = "local"
	SecretKey   = "local"
)

// Credentials are the static credentials of local clients.
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(AccessKeyID, SecretKey, "")
}

// Root finds the repository's top folder by walking up from the working directory, so that
// `go run` and test binaries (which run in their package's folder) both find infra/.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isFile(filepath.Join(dir, "go.mod")) && isFile(filepath.Join(dir, "infra", "package.json")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the imusers repository (no go.mod with infra/package.json above the working directory)")
		}
		dir = parent
	}
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
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

// PortFree reports whether a loopback port can be listened on right now.
func PortFree(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// WaitHTTP waits until url answers any HTTP response, or gives up at limit or when ctx ends.
func WaitHTTP(ctx context.Context, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer within %s: %w", url, limit, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DynaliteOptions shape one dynalite server.
type DynaliteOptions struct {
	Root string // repository root, whose infra/node_modules holds dynalite
	Port int    // 0 picks a free port
	// Path is the folder of its LevelDB store; empty keeps everything in memory.
	Path string
	// Output receives dynalite's own output (discarded when nil).
	Output io.Writer
	// CPUs, when set, keeps dynalite on these CPUs (a list as taskset takes it, "1" or "2,3").
	CPUs string
}

// Dynalite is a running dynalite server.
type Dynalite struct {
	URL  string
	Port int
	cmd  *exec.Cmd
	done chan struct{}
	out  *tail
	once sync.Once
}

// DynaliteBin is where `npm ci` in infra/ puts dynalite.
func DynaliteBin(root string) string {
	return filepath.Join(root, "infra", "node_modules", ".bin", "dynalite")
}

// StartDynalite starts dynalite on 127.0.0.1 and waits until it answers. Tables become active
// at once (createTableMs 0) so nothing has to poll for them. The process is killed with its
// parent if the parent dies first.
func StartDynalite(ctx context.Context, o DynaliteOptions) (*Dynalite, error) {
	bin := DynaliteBin(o.Root)
	if !isFile(bin) {
		return nil, fmt.Errorf("%s is not installed: run `make deps` (npm ci in infra/)", bin)
	}
	port := o.Port
	if port == 0 {
		var err error
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	args := []string{"--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	if o.Path != "" {
		if err := os.MkdirAll(o.Path, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "--path", o.Path)
	}
	d := &Dynalite{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Port: port, done: make(chan struct{}), out: &tail{}}
	d.cmd = exec.Command(bin, args...)
	if o.CPUs != "" {
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return nil, fmt.Errorf("dynalite on CPUs %s: %w", o.CPUs, err)
		}
		// taskset sets the affinity and becomes dynalite: the process, its group and its
		// parent-death signal stay the same.
		d.cmd = exec.Command(taskset, append([]string{"-c", o.CPUs, bin}, args...)...)
	}
	var w io.Writer = d.out
	if o.Output != nil {
		w = io.MultiWriter(o.Output, d.out)
	}
	d.cmd.Stdout, d.cmd.Stderr = w, w
	// A group of its own keeps a terminal's Ctrl-C away from it: the parent stops it in order,
	// after its own requests have finished.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	go func() { _ = d.cmd.Wait(); close(d.done) }()

	ready := make(chan error, 1)
	go func() { ready <- WaitHTTP(ctx, d.URL, 15*time.Second) }()
	select {
	case err := <-ready:
		if err != nil {
			d.Stop()
			return nil, fmt.Errorf("dynalite on port %d: %w%s", port, err, d.out.String())
		}
		return d, nil
	case <-d.done:
		return nil, fmt.Errorf("dynalite on port %d exited at start%s", port, d.out.String())
	}
}

// Pid is the dynalite process's id (taskset, when used, has become dynalite by then).
func (d *Dynalite) Pid() int { return d.cmd.Process.Pid }

// Done is closed when the dynalite process has exited.
func (d *Dynalite) Done() <-chan struct{} { return d.done }

// Stop ends dynalite: SIGTERM first so LevelDB closes its files, SIGKILL if it lingers.
func (d *Dynalite) Stop() {
	d.once.Do(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(5 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.done
		}
	})
}

// Client is the SDK's DynamoDB client for a local endpoint (with the client's default retries),
// for stores and for creating and describing tables. It is built without the SDK's shared
// configuration, so a developer's AWS profile never decides where local data goes.
func Client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  Credentials(),
		HTTPClient:   HTTPClient(),
	})
}

// LocalConnsPerHost is how many connections to one endpoint a local AWS client keeps open: one
// local process serves every request at once, which AWS spreads over many function instances
// with connections of their own, so the service's pool (service.IdleConnsPerHost) would open
// and close connections under load here that AWS keeps open.
const LocalConnsPerHost = 256

// HTTPClient is the HTTP client of the local AWS clients built without the service's
// configuration (Client's, for tables and fixtures and as the tests' and the benchmark's
// DynamoDB client; the benchmark's Lambda and Management API clients): LocalConnsPerHost, and
// no timeout of its own.
func HTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(localPool)
}

// WithLocalPool is an option of service.AWSConfig for the service in a local process: the
// deployed HTTP client, its timeout kept, with LocalConnsPerHost.
func WithLocalPool(c *aws.Config) {
	if b, ok := c.HTTPClient.(*awshttp.BuildableClient); ok {
		c.HTTPClient = b.WithTransportOptions(localPool)
	}
}

func localPool(t *http.Transport) {
	t.MaxIdleConns, t.MaxIdleConnsPerHost = LocalConnsPerHost, LocalConnsPerHost
}

// CreateTableInput is the table's whole definition, built from the store's key and index
// names: local runs and tests create their tables from it, and the template test compares
// template.yaml with it. Only local runs and tests create tables, so it lives here rather than
// in the store.
func CreateTableInput(table string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(store.AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(store.AttrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(store.AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(store.AttrSK), KeyType: types.KeyTypeRange},
		},
	}
	for _, ix := range store.Indexes {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String(ix.PK), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(ix.SK), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SK), KeyType: types.KeyTypeRange},
			},
			Projection: projection(ix.Projected),
		})
	}
	return in
}

// projection is an index's projection: the attributes its queries read beside the keys.
func projection(attrs []string) *types.Projection {
	if len(attrs) == 0 {
		return &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
	}
	return &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: attrs}
}

// EnsureTable creates the table from its definition unless it exists, and reports whether
// it did. An existing table whose indexes differ from the schema is an error: it was made by an
// older version, and the queries that need the missing indexes would fail later and less clearly.
func EnsureTable(ctx context.Context, db *dynamodb.Client, table string) (created bool, err error) {
	want := CreateTableInput(table)
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		if _, err := db.CreateTable(ctx, want); err != nil {
			return false, fmt.Errorf("create table %s: %w", table, err)
		}
		return true, waitActive(ctx, db, table)
	case err != nil:
		return false, fmt.Errorf("describe table %s: %w", table, err)
	}
	have := indexNames(out.Table.GlobalSecondaryIndexes)
	var need []string
	for _, ix := range want.GlobalSecondaryIndexes {
		need = append(need, aws.ToString(ix.IndexName))
	}
	slices.Sort(need)
	if !slices.Equal(have, need) {
		return false, fmt.Errorf("table %s has indexes %v but the schema has %v: it was created by an older version", table, have, need)
	}
	return false, waitActive(ctx, db, table)
}

func indexNames(list []types.GlobalSecondaryIndexDescription) []string {
	var names []string
	for _, ix := range list {
		names = append(names, aws.ToString(ix.IndexName))
	}
	slices.Sort(names)
	return names
}

func waitActive(ctx context.Context, db *dynamodb.Client, table string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return fmt.Errorf("table %s: %w", table, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("table %s did not become active: %w", table, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tail keeps the last few KiB a child process wrote, to explain why it failed.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	return len(p), nil
}

// String is the kept output as an indented block after a colon, or "" when there is none.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(bytes.ToValidUTF8(t.buf, nil)))
	if s == "" {
		return ""
	}
	return ":\n    " + strings.ReplaceAll(s, "\n", "\n    ")
}
