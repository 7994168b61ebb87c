package controller

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/webhook"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/receiver"
	"github.com/gitcanary/gitcanary/status"
)

// Controller is one gitcanary process: the sync, analysis and ledger loops and their HTTP
// endpoints. New wires it; Run runs it.
type Controller struct {
	opts     Options
	log      logr.Logger
	clients  *clients
	caches   *caches
	analysis *analysis
	sync     *syncer
	git      gitLoops           // the ledger, the gates reader and the reverter
	page     http.Handler       // the status page of the status branch; nil when the ledger is disabled
	receiver *receiver.Receiver // nil when the push receiver is off
	registry *prometheus.Registry
	ready    atomic.Bool
}

// New builds the controller from opts: clients, informers, the engine and its adapters, the
// sync loop and the ledger. It reads the credentials and signing Secrets once; it starts nothing.
func New(ctx context.Context, opts Options, restCfg *rest.Config, log logr.Logger) (*Controller, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("controller options: %w", err)
	}
	opts = opts.withDefaults()
	cl, err := newClients(restCfg, opts)
	if err != nil {
		return nil, err
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := registerClientGoMetrics(registry); err != nil {
		return nil, err
	}
	telemetry, err := status.NewTelemetry(registry, status.TelemetryOptions{Version: opts.Version, MeshProvider: opts.MeshProvider})
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	remote, err := gitRemote(ctx, cl, opts, log)
	if err != nil {
		return nil, err
	}
	led, signer, err := newLedger(ctx, cl, remote, opts, log)
	if err != nil {
		return nil, err
	}
	if led != nil {
		if err := registerLedgerMetrics(registry, led); err != nil {
			return nil, err
		}
	}
	sy, err := newSyncer(cl, remote, registry, led, opts, log)
	if err != nil {
		return nil, err
	}
	gates, err := newGates(ctx, cl, remote, opts, log)
	if err != nil {
		return nil, err
	}
	caches, err := newCaches(cl, opts)
	if err != nil {
		return nil, err
	}
	if caches.gateways, err = newGatewayRoutes(cl.gateway, cl.kube.Discovery(), opts, log); err != nil {
		return nil, err
	}
	gl := gitLoops{ledger: led, gates: gates}
	if led != nil {
		gl.reverter = newReverter(remote, opts, signer, led, sy.loop, caches.canaries.GetStore(), log)
	}
	var adm *admission
	if opts.MaxConcurrentAnalyses > 0 || opts.MaxConcurrentAnalysesPerNamespace > 0 {
		if adm, err = newAdmission(caches.canaries.GetStore(), opts.MaxConcurrentAnalyses, opts.MaxConcurrentAnalysesPerNamespace, registry); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	an, err := newAnalysis(cl, caches, registry, telemetry, led, sy, adm, opts, log, func(rec func() engine.Recorder) (webhook.Gates, error) {
		return gatekeeper(gates, led, sy.loop, rec)
	}, gl.observe)
	if err != nil {
		return nil, err
	}
	c := &Controller{opts: opts, log: log, clients: cl, caches: caches, analysis: an, sync: sy,
		git: gl, page: statusPage(remote, opts), registry: registry}
	if c.receiver, err = newReceiver(ctx, cl, sy, c.RefreshGates, opts, log); err != nil {
		return nil, err
	}
	return c, nil
}

// Run serves HTTP and runs the loops until ctx ends or a part fails; with leader election,
// the loops run only while this process leads.
func (c *Controller) Run(ctx context.Context) error {
	defer c.clients.stopEvents()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.serveHTTP(ctx) })
	if c.receiver != nil {
		g.Go(func() error { return c.serveReceiver(ctx) })
	}
	g.Go(func() error { return c.whenLeading(ctx, c.runLoops) })
	return g.Wait()
}

// runLoops runs the informers, the analysis workers, the sync loop and the ledger until ctx ends.
func (c *Controller) runLoops(ctx context.Context) error {
	if _, err := c.clients.flagger.Canaries(c.opts.Namespace).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return fmt.Errorf("the Canary CRD is not served (kubectl apply -k manifests/crds): %w", err)
	}
	g, ctx := errgroup.WithContext(ctx)
	c.caches.start(ctx, c.analysis.handlers(c.caches, c.opts.EnableConfigTracking))
	if err := c.caches.wait(ctx); err != nil {
		return err
	}
	c.ready.Store(true)
	// workers 0: sized by the fleet
	c.log.Info("caches synced, starting loops", "workers", c.opts.Workers, "overlays", c.opts.Overlays, "schedule", c.opts.SyncSchedule,
		"reconcileInterval", c.opts.Sync.ReconcileInterval.String(), "shard", c.opts.Shard)
	if c.git.ledger != nil {
		n := recoverTransitions(c.caches.canaries.GetStore().List(), c.git.ledger, c.log)
		c.log.Info("uncommitted transitions handed to the ledger", "transitions", n)
		g.Go(func() error { return runLedger(ctx, c.git.ledger, c.opts.GitTimeout, c.log) })
	}
	if c.git.gates != nil {
		g.Go(func() error { return c.git.gates.Run(ctx) })
	}
	if c.git.reverter != nil {
		g.Go(func() error { return c.git.reverter.run(ctx) })
	}
	g.Go(func() error { return c.analysis.run(ctx, c.opts.Workers, len(c.caches.canaries.GetStore().List())) })
	g.Go(func() error { return c.sync.run(ctx) })
	g.Go(func() error { c.analysis.countCanaries(ctx, c.caches, 10*time.Second); return nil })
	return g.Wait()
}

// gitRemote returns the source repository with the credentials of opts.CredentialsSecret.
func gitRemote(ctx context.Context, cl *clients, opts Options, log logr.Logger) (gitsource.Remote, error) {
	remote := gitsource.Remote{URL: opts.RepoURL, Timeout: opts.GitTimeout,
		InsecureIgnoreHostKey: opts.InsecureIgnoreHostKey, Log: log.WithName("git")}
	if opts.CredentialsSecret == "" {
		return remote, nil
	}
	data, err := cl.secretData(ctx, opts.CredentialsSecret)
	if err != nil {
		return remote, err
	}
	if remote.Auth, err = gitsource.AuthFromSecretData(data); err != nil {
		return remote, fmt.Errorf("credentials Secret %s: %w", opts.CredentialsSecret, err)
	}
	return remote, nil
}
