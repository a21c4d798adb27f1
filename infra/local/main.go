// Command local is the local twin of the deployed service (`make run`): dynalite keeps the data
// under .local/data, the local gateway serves the Server API, the connection API and the
// management and Lambda endpoints on 127.0.0.1, and every request runs the same handlers the
// Lambda functions run. Erasure and webhook deliveries go through the asynchronous Lambda Invoke
// call as in AWS, addressed to the gateway itself, and scheduled functions run on their rate.
//
// Settings (environment):
//
//	PORT                         gateway port (default 8080)
//	IM_DYNAMODB_PORT             dynalite port (default PORT+1)
//	IM_DATA_DIR                  dynalite's data folder (default .local/data in the repository)
//	IM_TABLE                     table name (default imusers)
//	IM_APPS                      JSON list of apps, or one app from:
//	IM_APP_KEY, IM_APP_SECRET    default local-app-key / local-app-secret (published, local only)
//	IM_APP_ENV                   development (default) or production
//	IM_SIGNATURE_WINDOW_SECONDS  default 300; 0 turns the timestamp check off
//	IM_WEBHOOK_ALLOW_LOOPBACK    default on: webhooks may go to http://127.0.0.1:… for every app
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"imusers/infra/gateway"
	"imusers/infra/local/localenv"
	"imusers/shared/apps"

	"imusers/shared/assembly"
	"imusers/shared/aws/connections"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/service"
	"imusers/shared/store"
)

func main() {
	// dynalite is tied to this thread by its parent-death signal; keeping main on one thread
	// means it dies with the program even if the program is killed outright.
	runtime.LockOSThread()
	if err := run(os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

// settings are the twin's own settings with their defaults applied.
type settings struct {
	port, dbPort int
	dataDir      string
}

func readSettings(getenv func(string) string, root string) (settings, error) {
	s := settings{port: 8080, dataDir: filepath.Join(root, ".local", "data")}
	var err error
	if v := getenv("PORT"); v != "" {
		if s.port, err = parsePort("PORT", v); err != nil {
			return s, err
		}
	}
	s.dbPort = s.port + 1
	if v := getenv("IM_DYNAMODB_PORT"); v != "" {
		if s.dbPort, err = parsePort("IM_DYNAMODB_PORT", v); err != nil {
			return s, err
		}
	}
	if s.dbPort == s.port {
		return s, fmt.Errorf("PORT and IM_DYNAMODB_PORT are both %d: set them apart", s.port)
	}
	if v := getenv("IM_DATA_DIR"); v != "" {
		s.dataDir = v
	}
	return s, nil
}

func parsePort(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s must be a port number, got %q", name, v)
	}
	return n, nil
}

// serviceEnv is the service's environment with the twin's defaults filled in: the table name,
// webhooks allowed to a receiver on loopback (for development; AWS refuses them) and, unless
// apps are configured, the published local app.
func serviceEnv(getenv func(string) string) func(string) string {
	defaults := map[string]string{"IM_TABLE": "imusers", "IM_WEBHOOK_ALLOW_LOOPBACK": "on"}
	if getenv("IM_APPS") == "" {
		defaults["IM_APP_KEY"] = localenv.AppKey
		defaults["IM_APP_SECRET"] = localenv.AppSecret
	}
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return defaults[name]
	}
}

func run(getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := localenv.Root()
	if err != nil {
		return err
	}
	set, err := readSettings(getenv, root)
	if err != nil {
		return err
	}
	env := serviceEnv(getenv)
	cfg, err := service.ConfigFromEnv(env)
	if err != nil {
		return err
	}
	reg, err := apps.Load(ctx, env, nil)
	if err != nil {
		return fmt.Errorf("apps: %w (IM_APPS_PARAMETER is for AWS; locally use IM_APPS or IM_APP_KEY/IM_APP_SECRET)", err)
	}

	// The gateway's port is held from here on, so nothing can take it while dynalite starts.
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", set.port))
	if err != nil {
		return fmt.Errorf("port %d is taken (%v): set PORT to a free port", set.port, err)
	}
	defer l.Close()
	if !localenv.PortFree(set.dbPort) {
		return fmt.Errorf("port %d for dynalite is taken: set IM_DYNAMODB_PORT to a free port", set.dbPort)
	}
	db, err := localenv.StartDynalite(ctx, localenv.DynaliteOptions{Root: root, Port: set.dbPort, Path: set.dataDir})
	if err != nil {
		return err
	}
	defer db.Stop()
	created, err := localenv.EnsureTable(ctx, localenv.Client(db.URL), cfg.Table)
	if err != nil {
		return fmt.Errorf("%w; remove %s or set IM_TABLE to a new name", err, set.dataDir)
	}

	base := "http://" + l.Addr().String()
	if cfg.ManagementEndpoint == "" {
		cfg.ManagementEndpoint = base
	}
	awsCfg, err := service.AWSConfig(ctx, func(c *aws.Config) {
		c.Region, c.Credentials = localenv.Region, localenv.Credentials()
	}, localenv.WithLocalPool)
	if err != nil {
		return err
	}
	lam := lambdainvoke.New(awsCfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(base) })
	svc := assembly.New(cfg, assembly.Deps{
		Apps: reg,
		// Each function's AWS calls are held to its route's actions, as its IAM role holds them
		// in AWS.
		DB: gateway.PolicedDB(store.NewClient(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(db.URL) })),
		// Erasure is started with the asynchronous Invoke call it makes in AWS; the gateway
		// answers it and runs the worker in the background.
		Lambda:      gateway.PolicedLambda(lam),
		Connections: gateway.PolicedConnections(connections.NewClient(awsCfg, cfg.ManagementEndpoint)),
		Log:         slog.New(slog.NewJSONHandler(stderr, nil)),
	})
	gw, err := gateway.New(svc)
	if err != nil {
		return err
	}
	// The scheduled functions (webhookSchedule, eraseUsers) run on their rate, as EventBridge runs them.
	if err := gw.RunSchedules(ctx); err != nil {
		return err
	}
	srv := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	printBanner(stdout, getenv, base, db.URL, set.dataDir, cfg.Table, created, reg)

	var failure error
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "stopping")
	case err := <-served:
		failure = fmt.Errorf("server stopped: %w", err)
	case <-db.Done():
		failure = errors.New("dynalite exited unexpectedly")
	}
	stop()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gw.CloseConnections()
	_ = srv.Shutdown(shutdown)
	waitBounded(gw.Wait, 10*time.Second)
	db.Stop()
	return failure
}

// waitBounded waits for wait to return, but no longer than limit: an erasure still running at
// shutdown is safe to lose, because the next deactivation of the user starts it again.
func waitBounded(wait func(), limit time.Duration) {
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
	}
}

func printBanner(w io.Writer, getenv func(string) string, base, dbURL, dataDir, table string, created bool, reg *apps.Registry) {
	state := "existing"
	if created {
		state = "new"
	}
	fmt.Fprintf(w, "imusers local twin\n")
	fmt.Fprintf(w, "  Server API     %s   (POST %s/user/getToken.json ...)\n", base, base)
	fmt.Fprintf(w, "  connections    ws://%s%s?token=...\n", base[len("http://"):], gateway.WebSocketPath)
	fmt.Fprintf(w, "  console        %s/console/   (sign in with the App Key and Secret below)\n", base)
	fmt.Fprintf(w, "  DynamoDB       %s   (dynalite, %s table %q in %s)\n", dbURL, state, table, dataDir)
	for _, a := range reg.All() {
		fmt.Fprintf(w, "  App Key        %s   (%s)\n", a.Key, a.Environment)
	}
	switch {
	case getenv("IM_APPS") != "":
		fmt.Fprintf(w, "  App Secrets    from IM_APPS (not shown)\n")
	case getenv("IM_APP_SECRET") != "":
		fmt.Fprintf(w, "  App Secret     from IM_APP_SECRET (not shown)\n")
	default:
		fmt.Fprintf(w, "  App Secret     %s   (the published local default; set IM_APP_SECRET to use your own)\n", localenv.AppSecret)
	}
	fmt.Fprintf(w, "Ctrl-C stops the server and dynalite.\n")
}
