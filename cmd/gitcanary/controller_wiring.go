package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/metrics"
	"github.com/gitcanary/gitcanary/engine/notify"
	"github.com/gitcanary/gitcanary/engine/webhook"
	"github.com/gitcanary/gitcanary/engine/workload"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/router"
	"github.com/gitcanary/gitcanary/status"
	"github.com/gitcanary/gitcanary/status/ledger"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// controller holds the wiring of the three loops.
type controller struct {
	cfg *controllerConfig
	log logr.Logger

	rest *rest.Config
	// remote is the source repository with its credentials, read once at start.
	remote  gitsource.Remote
	kube    kubernetes.Interface
	dyn     dynamic.Interface
	flagger *client.Client

	registry  *prometheus.Registry
	telemetry *status.Telemetry
	ready     atomic.Bool

	// Informers.
	kubeInformers   informers.SharedInformerFactory
	canaries        cache.SharedIndexInformer
	templates       cache.SharedIndexInformer
	alertProviders  cache.SharedIndexInformer
	queue           workqueue.TypedRateLimitingInterface[string]
	reconciler      *engine.Reconciler
	stopEvents      func()
	eventRecorder   record.EventRecorder
	syncMetrics     *syncMetrics
	journal         *journal
	ledger          *ledger.Ledger
	sourceCommitter interface {
		SourceCommit(namespace, name string) (string, bool)
	}
}

// newController builds the clients, informers and adapters; it starts nothing.
func newController(ctx context.Context, cfg *controllerConfig, restCfg *rest.Config, log logr.Logger) (*controller, error) {
	c := &controller{cfg: cfg, log: log, rest: restCfg, registry: prometheus.NewRegistry()}
	var err error
	if c.kube, err = kubernetes.NewForConfig(restCfg); err != nil {
		return nil, fmt.Errorf("build Kubernetes client: %w", err)
	}
	if c.dyn, err = dynamic.NewForConfig(restCfg); err != nil {
		return nil, fmt.Errorf("build dynamic client: %w", err)
	}
	if c.flagger, err = client.New(restCfg); err != nil {
		return nil, err
	}
	c.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if c.telemetry, err = status.NewTelemetry(c.registry, status.TelemetryOptions{Version: buildVersion(), MeshProvider: cfg.meshProvider}); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}

	ns := cfg.namespace
	c.kubeInformers = informers.NewSharedInformerFactoryWithOptions(c.kube, informerResync, informers.WithNamespace(ns))
	c.canaries = cache.NewSharedIndexInformer(c.flagger.Canaries(ns).ListWatch(), &v1beta1.Canary{}, informerResync, cache.Indexers{targetIndex: indexByTarget})
	c.templates = cache.NewSharedIndexInformer(c.flagger.MetricTemplates(ns).ListWatch(), &v1beta1.MetricTemplate{}, informerResync, cache.Indexers{})
	c.alertProviders = cache.NewSharedIndexInformer(c.flagger.AlertProviders(ns).ListWatch(), &v1beta1.AlertProvider{}, informerResync, cache.Indexers{})
	c.syncMetrics = newSyncMetrics(c.registry)
	c.journal = newJournal(ledgerEventHistory)
	c.journal.images = imagesOf(c.kubeInformers.Apps().V1().Deployments().Informer().GetStore())

	if c.remote, err = c.gitRemote(ctx); err != nil {
		return nil, err
	}
	if err := c.buildEngine(); err != nil {
		return nil, err
	}
	if err := c.buildLedger(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// buildEngine wires the adapters into the reconciler.
func (c *controller) buildEngine() error {
	cfg := c.cfg
	secrets := metrics.SecretsFromClientset(c.kube)
	deployments := workload.New(c.kube, workload.Options{
		SelectorLabels:        list(cfg.selectorLabels),
		IncludeLabelPrefix:    list(cfg.includeLabelPrefix),
		DisableConfigTracking: !cfg.enableConfigTracking,
		Logger:                c.log.WithName("workload"),
	})
	routes := router.New(router.NewServices(c.kube, deployments, router.ServicesOptions{Logger: c.log.WithName("router")}),
		c.dyn, router.Options{DefaultProvider: cfg.meshProvider, Logger: c.log.WithName("router")})
	hooks := webhook.New(webhook.Options{EventURL: cfg.eventWebhook, Log: c.log.WithName("webhook")})
	recorder, stop := status.NewEventRecorder(c.kube, status.DefaultComponent)
	c.eventRecorder, c.stopEvents = recorder, stop
	events := status.NewEvents(recorder, status.EventsOptions{Hooks: hooks, Log: c.log.WithName("events")})
	notifier := notify.New(notify.ProvidersFromStore(c.alertProviders.GetStore()), secrets, notify.Options{
		ClusterName: cfg.clusterName,
		SlackURL:    cfg.slackURL, SlackToken: cfg.slackToken, SlackProxy: cfg.slackProxyURL,
		SlackUser: cfg.slackUser, SlackChannel: cfg.slackChannel,
		TeamsURL: cfg.msteamsURL, TeamsProxy: cfg.msteamsProxyURL,
		Log: c.log.WithName("notify"),
	})
	querier := metrics.New(metrics.TemplatesFromStore(c.templates.GetStore()), secrets, metrics.Options{DefaultServer: cfg.metricsServer})

	var err error
	c.reconciler, err = engine.NewReconciler(engine.Ports{
		Workloads: deployments,
		Scaler:    deployments,
		Router:    routes,
		Metrics:   querier,
		Hooks:     hooks,
		Notifier:  notifier,
		Recorder:  c.journal.recorder(events),
		Canaries:  status.NewStore(c.flagger),
		Telemetry: c.journal.telemetry(c.telemetry),
	}, engine.Options{DefaultProvider: cfg.meshProvider, MinInterval: cfg.minAnalysisInterval, Logger: c.log.WithName("engine")})
	if err != nil {
		return fmt.Errorf("build reconciler: %w", err)
	}
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "canaries"})
	return nil
}
