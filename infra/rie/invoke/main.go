// Command invoke runs one function's bootstrap under aws-lambda-rie and sends it one event
// (`make invoke FN=<function> [EVENT=path]`), as `sam local invoke` would: dynalite with a fresh
// table stands in for DynamoDB, and a recording stand-in answers the Lambda and management
// calls the function makes. The sample users are registered first with userGetToken's
// success events, and the function's setup events (rie.Setup) run before its own.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"imusers/infra/local/localenv"
	"imusers/infra/rie"
)

func main() {
	// The emulators and dynalite are tied to this thread by their parent-death signal.
	runtime.LockOSThread()
	fn := flag.String("fn", "", "function name (a folder under functions/)")
	eventPath := flag.String("event", "", "event file (default functions/<fn>/events/success.json)")
	buildDir := flag.String("build", "build", "folder holding <function>/bootstrap")
	flag.Parse()
	if *fn == "" {
		fmt.Fprintln(os.Stderr, "usage: invoke -fn <function> [-event path] [-build dir]")
		os.Exit(2)
	}
	if err := run(*fn, *eventPath, *buildDir, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

func run(fn, eventPath, buildDir string, out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := localenv.Root()
	if err != nil {
		return err
	}
	if eventPath == "" {
		eventPath = filepath.Join(root, "functions", fn, "events", "success.json")
	}
	if eventPath, err = filepath.Abs(eventPath); err != nil {
		return err
	}
	event, err := os.ReadFile(eventPath)
	if err != nil {
		return err
	}
	if !json.Valid(event) {
		return fmt.Errorf("%s is not JSON", eventPath)
	}
	emulator, err := rie.Binary()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(buildDir) {
		buildDir = filepath.Join(root, buildDir)
	}
	if err := rie.Build(ctx, root, buildDir, rie.Needs(fn)...); err != nil {
		return err
	}

	endpoint := os.Getenv("IM_DYNAMODB")
	if endpoint == "" {
		db, err := localenv.StartDynalite(ctx, localenv.DynaliteOptions{Root: root})
		if err != nil {
			return err
		}
		defer db.Stop()
		endpoint = db.URL
	}
	table := fmt.Sprintf("invoke-%s-%d", fn, time.Now().UnixMilli())
	if _, err := localenv.EnsureTable(ctx, localenv.Client(endpoint), table); err != nil {
		return err
	}
	aws, err := rie.StartAWS()
	if err != nil {
		return err
	}
	defer aws.Close()
	stack := &rie.Stack{RIE: emulator, BuildDir: buildDir, Output: os.Stderr,
		Env: rie.Environment{DynamoDB: endpoint, AWS: aws.URL, Table: table}}
	defer stack.Stop()

	token, err := rie.Prepare(ctx, stack, root, fn)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "prepared: sample users registered%s\n", setupNote(fn))
	aws.Reset()
	res, err := stack.Invoke(ctx, fn, rie.WithToken(event, token), 2*time.Minute)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, eventPath)
	fmt.Fprintf(out, "%s with %s answered (emulator HTTP %d):\n", fn, rel, res.Status)
	printResponse(out, res.Body)
	for _, c := range aws.Calls() {
		switch {
		case c.Function != "":
			fmt.Fprintf(out, "it invoked %s (%s) with %s\n", c.Function, c.InvocationType, c.Body)
		case c.Connection != "":
			fmt.Fprintf(out, "it called %s /@connections/%s (no such connection here)\n", c.Method, c.Connection)
		default:
			fmt.Fprintf(out, "it called %s %s\n", c.Method, c.Path)
		}
	}
	return nil
}

func setupNote(fn string) string {
	var note string
	for _, dep := range rie.Setup[fn] {
		note += ", then " + dep + "'s success event"
	}
	return note
}

// printResponse shows the function's answer indented, and an API Gateway response's JSON body
// decoded, since that is what a caller of the API would read.
func printResponse(out io.Writer, body []byte) {
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") != nil {
		fmt.Fprintf(out, "%s\n", body)
		return
	}
	fmt.Fprintf(out, "%s\n", pretty.Bytes())
	var resp struct {
		Body *string `json:"body"`
	}
	if json.Unmarshal(body, &resp) != nil || resp.Body == nil {
		return
	}
	pretty.Reset()
	if json.Indent(&pretty, []byte(*resp.Body), "", "  ") == nil {
		fmt.Fprintf(out, "body:\n%s\n", pretty.Bytes())
	}
}
