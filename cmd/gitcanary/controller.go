package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/gitcanary/gitcanary/controller"
	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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
	opts, err := cfg.options()
	if err != nil {
		fmt.Fprintf(stderr, "gitcanary controller: %v\n", err)
		return exitUsage
	}
	c, err := controller.New(ctx, opts, restCfg, log)
	if err != nil {
		log.Error(err, "cannot start the controller")
		return exitFailure
	}
	if err := c.Run(ctx); err != nil {
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
