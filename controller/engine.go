package controller

import (
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/client-go/util/workqueue"

	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/metrics"
	"github.com/gitcanary/gitcanary/engine/notify"
	"github.com/gitcanary/gitcanary/engine/webhook"
	"github.com/gitcanary/gitcanary/engine/workload"
	"github.com/gitcanary/gitcanary/router"
	"github.com/gitcanary/gitcanary/status"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// newAnalysis wires the engine's adapters into a reconciler and returns the analysis loop.
// Each tick's transition reaches the ledger through the Telemetry port. gates builds the
// answerer of the Git gates, given the recorder its events go through; after (nil: nobody) is
// handed each transition after the ledger. adm is the analysis queue (nil without caps).
func newAnalysis(cl *clients, c *caches, telemetry *status.Telemetry, led *ledger.Ledger, sy *syncer, adm *admission,
	opts Options, log logr.Logger, gates func(rec func() engine.Recorder) (webhook.Gates, error),
	after func(ledger.Transition)) (*analysis, error) {
	secrets := metrics.SecretsFromClientset(cl.kube)
	deployments := workload.New(cl.kube, workload.Options{
		SelectorLabels:        opts.SelectorLabels,
		IncludeLabelPrefix:    opts.IncludeLabelPrefix,
		DisableConfigTracking: !opts.EnableConfigTracking,
		Logger:                log.WithName("workload"),
	})
	routes := router.New(router.NewServices(cl.kube, deployments, router.ServicesOptions{Logger: log.WithName("router")}),
		cl.dyn, router.Options{DefaultProvider: opts.MeshProvider, Logger: log.WithName("router"),
			HTTPRoutes: c.gateways.routesByVersion()})
	n := opts.Notifications
	// The gates' events go through the recorder, which needs the hooks, which need the gates.
	var events *status.Events
	gk, err := gates(func() engine.Recorder { return events })
	if err != nil {
		return nil, err
	}
	hooks := webhook.New(webhook.Options{EventURL: n.EventWebhook, Log: log.WithName("webhook"), Gates: gk})
	events = status.NewEvents(cl.events, status.EventsOptions{Hooks: hooks, Log: log.WithName("events")})
	notifier := notify.New(notify.ProvidersFromStore(c.alertProviders.GetStore()), secrets, notify.Options{
		ClusterName: n.ClusterName,
		SlackURL:    n.SlackURL, SlackToken: n.SlackToken, SlackProxy: n.SlackProxyURL,
		SlackUser: n.SlackUser, SlackChannel: n.SlackChannel,
		TeamsURL: n.MSTeamsURL, TeamsProxy: n.MSTeamsProxyURL,
		Log: log.WithName("notify"),
	})
	querier := metrics.New(metrics.TemplatesFromStore(c.templates.GetStore()), secrets, metrics.Options{DefaultServer: opts.MetricsServer})

	eopts := engine.Options{DefaultProvider: opts.MeshProvider, MinInterval: opts.MinAnalysisInterval, Logger: log.WithName("engine")}
	if led != nil {
		eopts.Journal = journal{ledger: led, sources: sy.loop}
	}
	if opts.Sync.ReconcileInterval > 0 {
		eopts.Desired = gitTargets{sy}
	}
	ports := engine.Ports{
		Workloads: deployments,
		Scaler:    deployments,
		Router:    routes,
		Metrics:   querier,
		Hooks:     hooks,
		Notifier:  notifier,
		Recorder:  events,
		Canaries:  status.NewStore(cl.flagger),
		Telemetry: tickSink{telemetry: telemetry, ledger: led, after: after, log: log.WithName("ledger")},
	}
	if adm != nil {
		ports.Admission = adm
	}
	reconciler, err := engine.NewReconciler(ports, eopts)
	if err != nil {
		return nil, fmt.Errorf("build reconciler: %w", err)
	}
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "canaries"})
	return &analysis{queue: queue, reconciler: reconciler, telemetry: telemetry, tickTimeout: opts.TickTimeout,
		log: log.WithName("analysis"), admission: adm}, nil
}
