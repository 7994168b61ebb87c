package controller

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/status"
)

// analysis is the analysis loop: a workqueue of Canary keys ("namespace/name") and the workers
// that run one engine tick per key.
type analysis struct {
	queue       workqueue.TypedRateLimitingInterface[string]
	reconciler  *engine.Reconciler
	telemetry   *status.Telemetry
	tickTimeout time.Duration
	log         logr.Logger
	// admission is the analysis queue under the concurrency caps; nil without caps.
	admission *admission

	// mu guards workers, the number of workers started; auto sizes them by the fleet.
	mu      sync.Mutex
	workers int
	auto    bool
}

// Automatic workers (Options.Workers 0): autoWorkersMin, one more per canariesPerWorker
// canaries, at most autoWorkersMax. A tick mostly waits on the network (metric queries,
// webhooks, API writes), so workers are cheap and a fleet analysed in step needs many.
const (
	autoWorkersMin    = 2
	canariesPerWorker = 50
	autoWorkersMax    = 32
)

// autoWorkers is the number of workers for a fleet of n canaries.
func autoWorkers(n int) int {
	return min(autoWorkersMax, autoWorkersMin+n/canariesPerWorker)
}

// handlers returns the informer event handlers that queue canaries.
func (a *analysis) handlers(c *caches, trackConfigs bool) eventHandlers {
	canaries := c.canaries.GetIndexer()
	h := eventHandlers{
		canaries: cache.ResourceEventHandlerFuncs{
			AddFunc: a.enqueue,
			UpdateFunc: func(oldObj, newObj any) {
				o, n := oldObj.(*v1beta1.Canary), newObj.(*v1beta1.Canary)
				if canaryChanged(o, n) {
					a.enqueue(newObj)
				}
				if slotChanged(o, n) {
					a.wakeQueued()
				}
			},
			DeleteFunc: func(obj any) {
				obj = unwrapDeleted(obj)
				if cn, ok := obj.(*v1beta1.Canary); ok {
					a.telemetry.Forget(cn)
				}
				a.enqueue(obj)
				a.wakeQueued()
			},
		},
		// A new revision of a target starts (or restarts) its analysis at once instead of at
		// the next tick; a new canary's primary that becomes ready initializes it at once.
		deployments: cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(oldObj, newObj any) {
				o, n := oldObj.(*appsv1.Deployment), newObj.(*appsv1.Deployment)
				if podTemplateChanged(o, n) {
					for _, cn := range targetCanaries(canaries, n.Namespace, n.Name) {
						a.enqueue(cn)
					}
				}
				if target, ok := primaryRolledOut(o, n); ok {
					for _, cn := range targetCanaries(canaries, n.Namespace, target) {
						if initializing(cn) {
							a.enqueue(cn)
						}
					}
				}
			},
		},
	}
	if trackConfigs {
		// A changed ConfigMap or Secret that a canary tracks starts its analysis at once.
		configs := cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(oldObj, newObj any) {
				if configDataChanged(oldObj, newObj) {
					for _, cn := range trackingCanaries(canaries, newObj) {
						a.enqueue(cn)
					}
				}
			},
		}
		h.configMaps, h.secrets = configs, configs
	}
	return h
}

func (a *analysis) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		a.log.Error(err, "cannot queue object")
		return
	}
	a.queue.Add(key)
}

// wakeQueued queues the waiting canaries that a slot is free for, so they start at once rather
// than at their next tick.
func (a *analysis) wakeQueued() {
	if a.admission == nil {
		return
	}
	for _, key := range a.admission.next(time.Now()) {
		a.queue.Add(key)
	}
}

// run runs the workers until ctx ends: workers of them, or with 0 as many as autoWorkers gives
// for the canaries cached (countCanaries adds more as the fleet grows; they never shrink: an
// idle worker costs nothing). A canary's ticks are scheduled with AddAfter; the queue never
// hands one key to two workers at once.
func (a *analysis) run(ctx context.Context, workers int, canaries int) error {
	defer a.queue.ShutDown()
	if workers <= 0 {
		a.mu.Lock()
		a.auto = true
		a.mu.Unlock()
		workers = autoWorkers(canaries)
	}
	a.grow(ctx, workers)
	<-ctx.Done()
	return nil
}

// grow starts workers until n run.
func (a *analysis) grow(ctx context.Context, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.workers < n {
		a.log.V(1).Info("analysis workers", "workers", n)
	}
	for ; a.workers < n; a.workers++ {
		go wait.UntilWithContext(ctx, a.work, time.Second)
	}
}

// resize grows automatic workers to the fleet's size.
func (a *analysis) resize(ctx context.Context, canaries int) {
	a.mu.Lock()
	auto := a.auto
	a.mu.Unlock()
	if auto {
		a.grow(ctx, autoWorkers(canaries))
	}
}

func (a *analysis) work(ctx context.Context) {
	for a.processNext(ctx) {
	}
}

// processNext runs one tick, bounded by the tick timeout, and schedules the next.
func (a *analysis) processNext(ctx context.Context) bool {
	key, quit := a.queue.Get()
	if quit {
		return false
	}
	defer a.queue.Done(key)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		a.queue.Forget(key)
		return true
	}
	tickCtx, cancel := context.WithTimeout(ctx, a.tickTimeout)
	requeue, err := a.reconciler.Reconcile(tickCtx, namespace, name)
	cancel()
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			a.log.Error(err, "canary tick failed", "canary", key)
		}
		a.queue.AddRateLimited(key)
		return true
	}
	a.queue.Forget(key)
	if requeue > 0 {
		a.queue.AddAfter(key, requeue)
	}
	return true
}

// countCanaries sets flagger_canary_total per namespace every period, as Flagger's control
// loop does, sizes the automatic workers, and wakes the canaries the analysis queue has a slot
// for.
func (a *analysis) countCanaries(ctx context.Context, c *caches, period time.Duration) {
	seen := map[string]bool{}
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		counts := map[string]int{}
		for ns := range seen {
			counts[ns] = 0 // a namespace whose last canary left reads 0, not its old count
		}
		all := c.canaries.GetStore().List()
		for _, o := range all {
			counts[o.(*v1beta1.Canary).Namespace]++
		}
		a.resize(ctx, len(all))
		for ns, n := range counts {
			a.telemetry.SetTotal(ns, n)
			seen[ns] = true
		}
		a.wakeQueued() // updates the queue's gauges too
	}, period)
}
