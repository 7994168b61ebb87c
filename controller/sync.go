package controller

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// syncer is the sync loop, the schedule that runs it and the interval of its drift correction.
type syncer struct {
	loop      *gitsync.Loop
	scheduler *gitsource.Scheduler
	reconcile time.Duration
	log       logr.Logger
}

// newSyncer builds the fetcher, the applier, the sync loop and its schedule; the first sync is
// due at once.
func newSyncer(cl *clients, remote gitsource.Remote, reg prometheus.Registerer, led *ledger.Ledger, opts Options, log logr.Logger) (*syncer, error) {
	fetcher, err := gitsource.NewFetcher(remote, opts.Ref, gitsource.FetcherOptions{
		CacheDir: filepath.Join(opts.CacheDir, "source"), Log: log.WithName("git")})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", gitsource.RedactURL(opts.RepoURL), err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cl.syncKube.Discovery()))
	sh, _ := parseShard(opts.Shard) // validated by New
	applier := apply.New(cl.syncDyn, cl.syncKube, mapper, apply.Options{FieldManager: "gitcanary", Namespace: opts.ControllerNamespace,
		Shard: sh.name, TargetRevision: targetRevision, Logger: log.WithName("apply")})
	metrics, err := gitsync.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	loop := gitsync.New(fetcher, applier, gitsync.Options{Overlays: opts.Overlays, DefaultProvider: opts.MeshProvider, RenderLimits: opts.RenderLimits,
		Reporter: &syncReporter{clients: cl, ledger: led, shard: sh, log: log.WithName("sync")}, Concurrency: opts.Sync.Concurrency, Health: applier, HealthTimeout: opts.Sync.HealthTimeout,
		Metrics: metrics, Logger: log.WithName("sync")})
	sched, err := gitsource.NewScheduler(opts.SyncSchedule, loop.Sync, gitsource.SchedulerOptions{Log: log.WithName("sync")})
	if err != nil {
		return nil, fmt.Errorf("sync schedule: %w", err)
	}
	sched.Trigger("start")
	return &syncer{loop: loop, scheduler: sched, reconcile: opts.Sync.ReconcileInterval, log: log.WithName("sync")}, nil
}

// run syncs on the schedule and, every reconcile interval, re-applies every overlay (drift
// correction; the first one an interval after the start: a restart re-applies nothing
// unchanged) until ctx ends.
func (s *syncer) run(ctx context.Context) error {
	if s.reconcile > 0 {
		go func() {
			t := time.NewTicker(s.reconcile)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					s.loop.RequestReconcile()
					s.scheduler.Trigger("reconcile")
				}
			}
		}()
	}
	return s.scheduler.Run(ctx)
}

// gitTargets is the engine's Desired: what the sync loop's last apply of each canary target
// left, and a restore of the target's overlay at the next sync, which it triggers at once.
type gitTargets struct{ s *syncer }

var _ engine.Desired = gitTargets{}

// TargetRevision implements engine.Desired.
func (g gitTargets) TargetRevision(c *v1beta1.Canary) (string, bool) {
	return g.s.loop.TargetRevision(c.Namespace, c.Spec.TargetRef.Name)
}

// RestoreTarget implements engine.Desired.
func (g gitTargets) RestoreTarget(_ context.Context, c *v1beta1.Canary) error {
	if g.s.loop.Restore(c.Namespace, c.Spec.TargetRef.Name) {
		g.s.scheduler.Trigger("restore " + c.Namespace + "/" + c.Spec.TargetRef.Name)
	}
	return nil
}

// targetRevision is the engine's revision (PodTemplateHash) of a Deployment as an apply
// returned it.
func targetRevision(d *unstructured.Unstructured) (string, error) {
	raw, found, err := unstructured.NestedMap(d.Object, "spec", "template")
	if err != nil || !found {
		return "", fmt.Errorf("no spec.template: %w", err)
	}
	var tmpl corev1.PodTemplateSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &tmpl); err != nil {
		return "", fmt.Errorf("decode spec.template: %w", err)
	}
	return engine.PodTemplateHash(&tmpl), nil
}
