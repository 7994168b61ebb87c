package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func init() {
	register(command{name: "controller", summary: "run the controller: sync Git, run canary analyses, write the status ledger", run: runController})
}

const controllerUsage = `Usage: gitcanary controller -repo-url URL [flags]

Syncs the overlays of a Git repository to the cluster, runs the analysis of every Canary, and
commits status summaries to a status branch. Settings may also come from -config FILE (YAML,
keyed by flag name). Logs are JSON on stderr (one object per line; jq .msg prints the events).

`

func runController(ctx context.Context, args []string, _, stderr io.Writer) int {
	var cfg controllerConfig
	fs := newFlagSet("controller", controllerUsage, stderr)
	cfg.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gitcanary controller: unexpected arguments %v\n", fs.Args())
		return exitUsage
	}
	if err := cfg.loadFile(fs); err != nil {
		fmt.Fprintf(stderr, "gitcanary controller: %v\n", err)
		return exitUsage
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(stderr, "gitcanary controller: %v\n", err)
		return exitUsage
	}
	log, flush, err := newLogger(stderr, cfg.logLevel, cfg.zapEncoding)
	if err != nil {
		fmt.Fprintf(stderr, "gitcanary controller: %v\n", err)
		return exitUsage
	}
	defer flush()

	restCfg, err := restConfig(cfg.kubeconfig, cfg.master)
	if err != nil {
		log.Error(err, "cannot configure the Kubernetes client")
		return exitFailure
	}
	c, err := newController(ctx, &cfg, restCfg, log)
	if err != nil {
		log.Error(err, "cannot start the controller")
		return exitFailure
	}
	if err := c.run(ctx); err != nil {
		log.Error(err, "controller stopped")
		return exitFailure
	}
	log.Info("controller stopped")
	return exitOK
}

// newLogger returns a zap logger with Flagger's keys (ts, level, logger, caller, msg) behind logr.
func newLogger(w io.Writer, level, encoding string) (logr.Logger, func(), error) {
	var lvl zapcore.Level
	if err := lvl.Set(level); err != nil {
		return logr.Discard(), nil, fmt.Errorf("-log-level: %w", err)
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "ts"
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if encoding == "console" {
		enc = zapcore.NewConsoleEncoder(encCfg)
	} else {
		enc = zapcore.NewJSONEncoder(encCfg)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)
	z := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel))
	return zapr.NewLogger(z), func() { _ = z.Sync() }, nil
}

// restConfig returns the in-cluster configuration, else the kubeconfig (flag, then
// $KUBECONFIG, then ~/.kube/config), with -master overriding the server.
func restConfig(kubeconfig, master string) (*rest.Config, error) {
	if kubeconfig == "" && master == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return tuned(cfg), nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{}
	if master != "" {
		overrides.ClusterInfo.Server = master
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	return tuned(cfg), nil
}

// tuned raises client-go's default rate limits (5 QPS) to Flagger's, so that many canaries
// tick on time.
func tuned(cfg *rest.Config) *rest.Config {
	cfg.QPS, cfg.Burst = 100, 250
	cfg.UserAgent = "gitcanary/" + buildVersion()
	return cfg
}

// gitCacheDir returns the folder for the Git cache.
func (c *controllerConfig) gitCacheDir() string {
	if c.cacheDir != "" {
		return c.cacheDir
	}
	return filepath.Join(os.TempDir(), "gitcanary")
}

// run starts the controller's parts and blocks until ctx ends or a part fails.
func (c *controller) run(ctx context.Context) error {
	defer c.stopEvents()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.serveHTTP(ctx) })
	g.Go(func() error {
		return c.whenLeading(ctx, func(ctx context.Context) error { return c.runLoops(ctx) })
	})
	return g.Wait()
}

// runLoops runs the informers, the analysis workers, the sync loop and the ledger until ctx ends.
func (c *controller) runLoops(ctx context.Context) error {
	if _, err := c.flagger.Canaries(c.cfg.namespace).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return fmt.Errorf("the Canary CRD is not served (kubectl apply -k manifests/crds): %w", err)
	}
	sched, err := c.buildSync()
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	c.startInformers(ctx)
	if err := c.waitForCaches(ctx); err != nil {
		return err
	}
	c.ready.Store(true)
	c.log.Info("caches synced, starting loops", "workers", c.cfg.threadiness, "overlays", c.cfg.overlays, "schedule", c.cfg.syncSchedule)
	g.Go(func() error { return c.runAnalysis(ctx) })
	g.Go(func() error { return sched.Run(ctx) })
	if c.ledger != nil {
		g.Go(func() error { return c.runLedger(ctx) })
	}
	g.Go(func() error { c.countCanaries(ctx, 10*time.Second); return nil })
	return g.Wait()
}
