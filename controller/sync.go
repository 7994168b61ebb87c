package controller

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/gitcanary/gitcanary/render"
)

// syncer is the sync loop and the schedule that runs it.
type syncer struct {
	loop      *gitsync.Loop
	scheduler *gitsource.Scheduler
}

// newSyncer builds the fetcher, the applier, the sync loop and its schedule; the first sync is
// due at once.
func newSyncer(cl *clients, remote gitsource.Remote, reg prometheus.Registerer, opts Options, log logr.Logger) (*syncer, error) {
	fetcher, err := gitsource.NewFetcher(remote, opts.Ref, gitsource.FetcherOptions{
		CacheDir: filepath.Join(opts.CacheDir, "source"), Log: log.WithName("git")})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", gitsource.RedactURL(opts.RepoURL), err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cl.kube.Discovery()))
	applier := apply.New(cl.dyn, cl.kube, mapper, apply.Options{FieldManager: "gitcanary", Namespace: opts.ControllerNamespace, Logger: log.WithName("apply")})
	metrics, err := gitsync.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	loop := gitsync.New(fetcher, applier, gitsync.Options{Overlays: opts.Overlays, DefaultProvider: opts.MeshProvider, RenderLimits: opts.RenderLimits, Reporter: &syncReporter{clients: cl},
		Metrics: metrics, Logger: log.WithName("sync")})
	sched, err := gitsource.NewScheduler(opts.SyncSchedule, loop.Sync, gitsource.SchedulerOptions{Log: log.WithName("sync")})
	if err != nil {
		return nil, fmt.Errorf("sync schedule: %w", err)
	}
	sched.Trigger("start")
	return &syncer{loop: loop, scheduler: sched}, nil
}

// syncReporter makes sync failures visible where users look: the log, and a Warning event on
// each Canary that Git made invalid (kubectl describe canary shows why nothing changed).
type syncReporter struct{ clients *clients }

// OverlayApplied warns the overlay's Canaries when the apply found the inventory gone: nothing
// that left Git meanwhile was pruned.
func (r *syncReporter) OverlayApplied(ctx context.Context, overlay, revision string, res *apply.Result) {
	if !res.InventoryMissing {
		return
	}
	for _, o := range res.Applied {
		if o.Group == v1beta1.GroupName && o.Kind == v1beta1.CanaryKind {
			r.warn(ctx, o.Namespace, o.Name, "InventoryMissing", fmt.Sprintf("the inventory of overlay %s was missing when Git revision %s was applied: "+
				"objects that left Git meanwhile were not pruned; the inventory is rebuilt", overlay, gitsource.ShortSHA(revision)))
		}
	}
}

// OverlayOrphaned warns the Canaries of an overlay that left Git: its objects stay.
func (r *syncReporter) OverlayOrphaned(ctx context.Context, overlay string, canaries []string) {
	for _, c := range canaries {
		ns, name, _ := strings.Cut(c, "/")
		r.warn(ctx, ns, name, "OverlayOrphaned", fmt.Sprintf("overlay %s, which applied this Canary, is no longer in Git or matched by -overlays: "+
			"its objects are kept, not pruned (empty it with %s to delete them)", overlay, render.EmptyMarker))
	}
}

// warn raises a Warning event on a Canary that exists.
func (r *syncReporter) warn(ctx context.Context, namespace, name, reason, message string) {
	live, err := r.clients.flagger.Canaries(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	r.clients.events.Event(live, corev1.EventTypeWarning, reason, message)
}

func (r *syncReporter) OverlayFailed(ctx context.Context, overlay, revision string, err error) {
	var invalid *render.InvalidError
	if !errors.As(err, &invalid) {
		return
	}
	for _, e := range invalid.Errs {
		var verr *v1beta1.ValidationError
		if !errors.As(e, &verr) || verr.Kind != v1beta1.CanaryKind {
			continue
		}
		live, gerr := r.clients.flagger.Canaries(verr.Namespace).Get(ctx, verr.Name, metav1.GetOptions{})
		if gerr != nil {
			continue // a new Canary: the log line is all there is to see
		}
		r.clients.events.Event(live, corev1.EventTypeWarning, "InvalidSpec",
			fmt.Sprintf("Git revision %s of overlay %s is not applied: %s", gitsource.ShortSHA(revision), overlay, strings.Join(verr.Problems(), "; ")))
	}
}
