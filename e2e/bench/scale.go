package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/render"
)

// scaleOptions are the flags of `bench scale`.
type scaleOptions struct {
	n                     int
	interval, sync        time.Duration
	reconcile             time.Duration
	baseline, idle        time.Duration
	timeout               time.Duration
	controllerFlags       string
	out, profiles         string
	keep                  bool
	maxWeight, stepWeight int
}

func parseScale(args []string) (scaleOptions, error) {
	var o scaleOptions
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 100, "canaries (overlays, each in its own namespace)")
	fs.DurationVar(&o.interval, "interval", 30*time.Second, "the canaries' analysis interval")
	fs.DurationVar(&o.sync, "sync", 5*time.Second, "the controller's -sync-schedule @every")
	fs.DurationVar(&o.reconcile, "reconcile-interval", 10*time.Minute, "the controller's -reconcile-interval (drift correction; its default): the run waits for one pass over the fleet and measures it before the idle window")
	fs.DurationVar(&o.baseline, "baseline", time.Minute, "how long the empty controller is measured")
	fs.DurationVar(&o.idle, "idle", 2*time.Minute, "how long the idle fleet (and the API server without the controller) is measured")
	fs.DurationVar(&o.timeout, "timeout", 20*time.Minute, "longest wait for each step (applied, initialized, promoted)")
	fs.StringVar(&o.controllerFlags, "controller-flags", "", "extra flags of gitcanary controller, space-separated (e.g. \"-threadiness 8\")")
	fs.StringVar(&o.out, "out", "", "also write the report to this file")
	fs.StringVar(&o.profiles, "profiles", "", "run the controller with -pprof and save into this folder its heap profile at the end of the idle window and a 30 s CPU profile from the new image's push")
	fs.BoolVar(&o.keep, "keep", false, "keep the environment's run directory (logs)")
	fs.IntVar(&o.maxWeight, "max-weight", 50, "the canaries' analysis.maxWeight")
	fs.IntVar(&o.stepWeight, "step-weight", 10, "the canaries' analysis.stepWeight")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.n < 1 || o.stepWeight < 1 || o.maxWeight < o.stepWeight {
		return o, errors.New("-n and -step-weight must be at least 1, and -max-weight at least -step-weight")
	}
	if o.reconcile <= 0 {
		return o, errors.New("-reconcile-interval must be positive: the run measures a drift correction pass")
	}
	return o, nil
}

// scaleRun is one run of the scale benchmark.
type scaleRun struct {
	cluster
	opts    scaleOptions
	fleet   *fleet
	watch   *phaseWatch
	scrape  *scraper
	tail    *logTail // the controller's log, for its drift correction passes
	stopped bool     // the benchmark stopped the controller
	r       scaleResult
}

func runScale(ctx context.Context, args []string) error {
	opts, err := parseScale(args)
	if err != nil {
		return err
	}
	s := &scaleRun{opts: opts}
	s.r.opts, s.r.command = opts, "go run ./e2e/bench scale "+strings.Join(args, " ")
	if s.cluster, err = newCluster(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = s.run(ctx)
	s.teardown(err)
	if err != nil {
		return err
	}
	report := s.r.markdown()
	fmt.Print(report)
	if opts.out != "" {
		return os.WriteFile(opts.out, []byte(report), 0o644)
	}
	return nil
}

// run measures, in order: the empty controller; the fleet pushed, applied and initialized; the
// idle fleet; a new image for every canary until all are promoted and the ledger has them; and
// the API server without the controller.
func (s *scaleRun) run(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"start the environment and the controller", s.start},
		{"measure the empty controller", s.measureBaseline},
		{"push the fleet and wait for it to initialize", s.pushFleet},
		{"wait for a drift correction pass and measure it", s.measureDriftCorrection},
		{"measure the idle fleet", s.measureIdle},
		{"push a new image to every canary and wait for the promotions", s.promote},
		{"read the ledger", s.readLedger},
		{"measure the API server without the controller", s.measureBackground},
	}
	for _, st := range steps {
		s.progress("%s", st.name)
		if err := st.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

func (s *scaleRun) progress(format string, args ...any) {
	fmt.Fprintf(s.log, "%s bench scale: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// start starts the cluster with an empty fleet in Git, the phase watch and the controller.
func (s *scaleRun) start(ctx context.Context) error {
	if err := s.cluster.start(ctx, s.opts.keep); err != nil {
		return err
	}
	var err error
	// An empty overlay, so that the empty controller syncs without an error.
	empty := walkthrough.Overlay{"README.md": []byte("# fleet\n"), "apps/empty/" + render.EmptyMarker: []byte{}}
	if _, err := walkthrough.Push(ctx, s.git, "an empty fleet", empty); err != nil {
		return err
	}
	if s.fleet, err = newFleet(s.root, s.opts.n, "bench", s.opts.interval, s.env.PrometheusURL); err != nil {
		return err
	}
	s.fleet.maxWeight, s.fleet.stepWeight = s.opts.maxWeight, s.opts.stepWeight
	if s.watch, err = watchPhases(ctx, s.flagger); err != nil {
		return err
	}
	bin := filepath.Join(s.root, ".cache", "bench", "gitcanary")
	if err := walkthrough.BuildController(s.root, bin); err != nil {
		return err
	}
	return s.startController(ctx, bin)
}

// startController runs gitcanary controller over every namespace, at info level, with the
// product's ledger window, and waits until it is ready.
func (s *scaleRun) startController(ctx context.Context, bin string) error {
	extra := []string{"-namespace=", "-log-level", "info", "-sync-schedule", "@every " + s.opts.sync.String(),
		"-reconcile-interval", s.opts.reconcile.String(), "-ledger-batch-window", "2s", "-min-analysis-interval", "10s"}
	if s.opts.profiles != "" {
		extra = append(extra, "-pprof")
	}
	extra = append(extra, strings.Fields(s.opts.controllerFlags)...)
	s.r.controllerFlags = strings.Join(extra, " ")
	var err error
	s.ctrl, err = walkthrough.StartController(walkthrough.ControllerOptions{
		Binary: bin, Kubeconfig: s.env.Kubeconfig, RepoURL: s.git.HTTPURL(walkthrough.RepoName),
		CredentialsSecret: walkthrough.CredentialsSecret, Namespace: controllerNamespace,
		PrometheusURL: s.env.PrometheusURL, ProxyURL: s.env.ProxyURL, Dir: s.env.Dir,
		StatusBranch: walkthrough.StatusBranch, Extra: extra,
	})
	if err != nil {
		return err
	}
	s.progress("controller log %s", s.ctrl.LogPath)
	s.tail = &logTail{path: s.ctrl.LogPath}
	s.scrape = newScraper(s.ctrl.MetricsURL, s.env.Client())
	var notReady error
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		if _, notReady = s.scrape.get(ctx, s.ctrl.MetricsURL+"/readyz"); notReady == nil {
			return true, nil
		}
		return false, s.alive()
	})
	if err != nil {
		return fmt.Errorf("the controller is not ready after a minute: %w (last: %v)", err, notReady)
	}
	return nil
}

// alive fails when the controller exited before the benchmark stopped it.
func (s *scaleRun) alive() error {
	if s.ctrl != nil && !s.stopped && s.ctrl.Exited() {
		return fmt.Errorf("the controller exited; see %s", s.ctrl.LogPath)
	}
	return nil
}

// repoRoot finds the gitcanary module from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "manifests", "examples", "podinfo")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the benchmark from inside the gitcanary repository (make bench-scale)")
		}
		dir = parent
	}
}
