package controller

import (
	"fmt"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
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
// Every adapter reads through the listers of c; asking for a lister here is what makes its
// informer run.
// Each tick's transition reaches the ledger through the Telemetry port. gates builds the
// answerer of the Git gates, given the recorder its events go through; after (nil: nobody) is
// handed each transition after the ledger. adm is the analysis queue (nil without caps).
func newAnalysis(cl *clients, c *caches, reg prometheus.Registerer, telemetry *status.Telemetry, led *ledger.Ledger, sy *syncer, adm *admission,
	opts Options, log logr.Logger, gates func(rec func() engine.Recorder) (webhook.Gates, error),
	after func(ledger.Transition)) (*analysis, error) {
	kube := c.kube
	secrets := metrics.SecretsFromLister(kube.Core().V1().Secrets().Lister())
	deployments, err := workload.New(cl.kube, workload.Listers{
		Deployments: kube.Apps().V1().Deployments().Lister(),
		HPAs:        kube.Autoscaling().V2().HorizontalPodAutoscalers().Lister(),
		ConfigMaps:  kube.Core().V1().ConfigMaps().Lister(),
		Secrets:     kube.Core().V1().Secrets().Lister(),
	}, workload.Options{
		SelectorLabels:        opts.SelectorLabels,
		IncludeLabelPrefix:    opts.IncludeLabelPrefix,
		DisableConfigTracking: !opts.EnableConfigTracking,
		Logger:                log.WithName("workload"),
	})
	if err != nil {
		return nil, err
	}
	services := router.NewServices(cl.kube, kube.Core().V1().Services().Lister(), deployments, router.ServicesOptions{Logger: log.WithName("router")})
	ropts := router.Options{DefaultProvider: opts.MeshProvider, Logger: log.WithName("router")}
	c.gateways.routerOptions(&ropts)
	routes := router.New(services, cl.dyn, c.splits, ropts)
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
		Canaries:  status.NewStore(cl.flagger, c.canaries.GetStore()),
		Telemetry: tickSink{telemetry: telemetry, ledger: led, after: after, log: log.WithName("ledger")},
	}
	if adm != nil {
		ports.Admission = adm
	}
	reconciler, err := engine.NewReconciler(ports, eopts)
	if err != nil {
		return nil, fmt.Errorf("build reconciler: %w", err)
	}
	queueMetrics, err := newQueueMetrics(reg)
	if err != nil {
		return nil, err
	}
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "canaries", MetricsProvider: queueMetrics})
	return &analysis{queue: queue, reconciler: reconciler, telemetry: telemetry, tickTimeout: opts.TickTimeout,
		log: log.WithName("analysis"), admission: adm}, nil
}
