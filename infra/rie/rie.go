// Package rie runs the functions' real bootstrap binaries under the Lambda Runtime Interface
// Emulator (aws-lambda-rie), the runtime SAM runs inside its containers: the binary is built
// with the deployment's flags, started by the emulator through the Runtime API, and invoked
// with the JSON events API Gateway or Lambda would send. It also stands in for the AWS
// endpoints those functions call besides DynamoDB (Lambda's Invoke, the connection API's
// management endpoint) and records what they were asked.
package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"imusers/infra/local/localenv"
	"imusers/shared/routes"
)

// Binary finds aws-lambda-rie: IM_RIE (set by the Makefile), then PATH, then go install's
// folder.
func Binary() (string, error) {
	if p := os.Getenv("IM_RIE"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		dirs := []string{lines[0]}
		if len(lines) > 1 {
			dirs = append(dirs, filepath.Join(filepath.SplitList(lines[1])[0], "bin"))
		}
		for _, d := range dirs {
			if p := filepath.Join(d, "aws-lambda-rie"); d != "" && isExecutable(p) {
				return p, nil
			}
		}
	}
	return "", errors.New("aws-lambda-rie is not installed: run `make deps`")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Build builds every function's bootstrap into dir/<name>/bootstrap through the Makefile, so
// the binaries are built exactly as `make build` builds them.
func Build(ctx context.Context, root, dir string, functions ...string) error {
	args := []string{"--no-print-directory", "-s", "-C", root, "-j4"}
	for _, f := range functions {
		args = append(args, filepath.Join(dir, f, "bootstrap"))
	}
	if len(functions) == 0 {
		args = append(args, "build")
	}
	args = append(args, "BUILD_DIR="+dir)
	cmd := exec.CommandContext(ctx, "make", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Options describe one emulated function.
type Options struct {
	RIE       string   // the emulator binary
	Bootstrap string   // the function's binary
	Name      string   // the function's name (AWS_LAMBDA_FUNCTION_NAME)
	Timeout   int      // the function's timeout in seconds (default 30)
	Env       []string // the function's environment, KEY=value; nothing else is passed on
	// Output receives the emulator's and the function's output (discarded when nil).
	Output io.Writer
}

// Function is one function running under its own emulator.
type Function struct {
	Name string
	URL  string // the emulator's invoke URL
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// Start starts the emulator on two free loopback ports (its Runtime API and its invoke
// endpoint) and waits until the invoke endpoint answers. The function's own process starts
// at the first invocation, as a cold start does in Lambda.
func Start(ctx context.Context, o Options) (*Function, error) {
	// A free port can be taken by another process before the emulator binds it; new ports
	// on a second try get past that.
	var err error
	for range 3 {
		var f *Function
		if f, err = start(ctx, o); err == nil {
			return f, nil
		}
	}
	return nil, err
}

func start(ctx context.Context, o Options) (*Function, error) {
	if o.Timeout == 0 {
		o.Timeout = 30
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	runtimePort, err := localenv.FreePort()
	if err != nil {
		return nil, err
	}
	invokePort, err := localenv.FreePort()
	if err != nil {
		return nil, err
	}
	invokeAddr := fmt.Sprintf("127.0.0.1:%d", invokePort)
	cmd := exec.Command(o.RIE,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", runtimePort),
		"--runtime-interface-emulator-address", invokeAddr,
		"--log-level", "error",
		o.Bootstrap)
	cmd.Dir = filepath.Dir(o.Bootstrap)
	// The emulator hands its own environment to the function, so it gets exactly the
	// function's: nothing of the caller's AWS profile or credentials leaks in.
	cmd.Env = append([]string{
		"AWS_LAMBDA_FUNCTION_NAME=" + o.Name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(o.Timeout),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
	}, o.Env...)
	cmd.Stdout, cmd.Stderr = o.Output, o.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start aws-lambda-rie: %w", err)
	}
	f := &Function{Name: o.Name, URL: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(f.done) }()
	ready := make(chan error, 1)
	go func() { ready <- localenv.WaitHTTP(ctx, "http://"+invokeAddr+"/", 10*time.Second) }()
	select {
	case err := <-ready:
		if err != nil {
			f.Stop()
			return nil, fmt.Errorf("aws-lambda-rie for %s: %w", o.Name, err)
		}
		return f, nil
	case <-f.done:
		return nil, fmt.Errorf("aws-lambda-rie for %s exited at start", o.Name)
	}
}

// Result is the emulator's answer to one invocation.
type Result struct {
	Status int    // the emulator's HTTP status
	Body   []byte // the function's response, or its error as Lambda reports it
}

// Invoke sends one event and waits for the function's answer, at most limit.
func (f *Function) Invoke(ctx context.Context, event []byte, limit time.Duration) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(event))
	if err != nil {
		return Result{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	return Result{Status: res.StatusCode, Body: body}, nil
}

// Stop ends the emulator and the function's process. The emulator starts the function in a
// process group of its own, which would outlive the emulator, so that group is ended too.
func (f *Function) Stop() {
	f.once.Do(func() {
		children := childrenOf(f.cmd.Process.Pid)
		_ = f.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-f.done:
		case <-time.After(3 * time.Second):
			_ = f.cmd.Process.Kill()
			<-f.done
		}
		for _, pid := range children {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name in parentheses may hold spaces; the fields after it do not.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// FunctionPrefix is what the functions here put before a function's name to invoke it.
const FunctionPrefix = "imusers-"

// Environment is the configuration functions run with here: every AWS endpoint local, the
// published local app, and no signature window, because the sample events carry a fixed
// Timestamp.
type Environment struct {
	DynamoDB string // dynalite's URL
	AWS      string // the AWS stand-in's URL (Lambda Invoke and the management endpoint)
	Table    string
}

// Vars lists the environment as KEY=value.
func (e Environment) Vars() []string {
	return []string{
		"AWS_REGION=" + localenv.Region,
		"AWS_DEFAULT_REGION=" + localenv.Region,
		"AWS_ACCESS_KEY_ID=" + localenv.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + localenv.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_ENDPOINT_URL_DYNAMODB=" + e.DynamoDB,
		"AWS_ENDPOINT_URL_LAMBDA=" + e.AWS,
		"IM_WS_MANAGEMENT_ENDPOINT=" + e.AWS,
		"IM_TABLE=" + e.Table,
		"IM_APP_KEY=" + localenv.AppKey,
		"IM_APP_SECRET=" + localenv.AppSecret,
		"IM_APP_ENV=development",
		"IM_SIGNATURE_WINDOW_SECONDS=0",
		// Deployed names, as the template gives them to a stack named imusers (samconfig.toml).
		"IM_FUNCTION_PREFIX=" + FunctionPrefix,
	}
}

// Stack runs functions of one build over one table, each under its own emulator, started at
// its first invocation.
type Stack struct {
	RIE      string // the emulator binary
	BuildDir string // where <name>/bootstrap are
	Env      Environment
	Output   io.Writer // the emulators' and functions' output (discarded when nil)

	mu  sync.Mutex
	fns map[string]*Function
}

// Function returns the named function, starting it if it is not running yet.
func (s *Stack) Function(ctx context.Context, name string) (*Function, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.fns[name]; f != nil {
		return f, nil
	}
	bootstrap := filepath.Join(s.BuildDir, name, "bootstrap")
	if !isExecutable(bootstrap) {
		return nil, fmt.Errorf("%s is not built", bootstrap)
	}
	timeout := 30
	if r, ok := routes.ByName(name); ok && r.Kind == routes.Worker {
		// Long enough that the worker's own deadline check, not the emulator, ends a long job.
		timeout = 120
	}
	f, err := Start(ctx, Options{RIE: s.RIE, Bootstrap: bootstrap, Name: name, Timeout: timeout,
		Env: s.Env.Vars(), Output: s.Output})
	if err != nil {
		return nil, err
	}
	if s.fns == nil {
		s.fns = map[string]*Function{}
	}
	s.fns[name] = f
	return f, nil
}

// Invoke sends an event to the named function and waits at most limit for its answer.
func (s *Stack) Invoke(ctx context.Context, name string, event []byte, limit time.Duration) (Result, error) {
	f, err := s.Function(ctx, name)
	if err != nil {
		return Result{}, err
	}
	return f.Invoke(ctx, event, limit)
}

// Stop ends every function of the stack.
func (s *Stack) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range s.fns {
		wg.Add(1)
		go func() { defer wg.Done(); f.Stop() }()
	}
	wg.Wait()
	s.fns = nil
}
