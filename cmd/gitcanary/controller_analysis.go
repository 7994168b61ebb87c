package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
)

const (
	// informerResync is how often informers replay their cache; the analysis does not depend
	// on it (ticks are scheduled with the workqueue).
	informerResync = 10 * time.Minute
	// targetIndex indexes Canaries by "<namespace>/<target name>".
	targetIndex = "target"
)

func indexByTarget(obj any) ([]string, error) {
	c, ok := obj.(*v1beta1.Canary)
	if !ok {
		return nil, nil
	}
	return []string{c.Namespace + "/" + c.Spec.TargetRef.Name}, nil
}

// startInformers registers the event handlers and starts every informer.
func (c *controller) startInformers(ctx context.Context) {
	// A Canary is queued when it appears, when its spec, metadata or deletion changes, and when
	// it goes away; status writes (the engine's own) do not queue it again, so a tick never
	// triggers the next one.
	_, _ = c.canaries.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { c.enqueue(obj) },
		UpdateFunc: func(oldObj, newObj any) {
			o, n := oldObj.(*v1beta1.Canary), newObj.(*v1beta1.Canary)
			if o.Generation != n.Generation || !equality.Semantic.DeepEqual(o.DeletionTimestamp, n.DeletionTimestamp) ||
				!equality.Semantic.DeepEqual(o.Finalizers, n.Finalizers) {
				c.enqueue(newObj)
			}
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if cn, ok := obj.(*v1beta1.Canary); ok {
				c.telemetry.Forget(cn)
			}
			c.enqueue(obj)
		},
	})
	c.journal.watch(c.canaries)

	// A new revision of a target starts (or restarts) its analysis at once instead of at the
	// next tick. Other Deployment changes, such as the engine's own scaling, are ignored.
	deployments := c.kubeInformers.Apps().V1().Deployments().Informer()
	_, _ = deployments.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(oldObj, newObj any) {
			o, n := oldObj.(*appsv1.Deployment), newObj.(*appsv1.Deployment)
			if engine.PodTemplateHash(&o.Spec.Template) != engine.PodTemplateHash(&n.Spec.Template) {
				c.enqueueTargetOf(n.Namespace, n.Name)
			}
		},
	})
	// A changed ConfigMap or Secret that a canary tracks starts its analysis at once.
	configChanged := func(kind string) func(oldObj, newObj any) {
		return func(oldObj, newObj any) {
			if changedData(oldObj, newObj) {
				c.enqueueTracking(newObj, kind)
			}
		}
	}
	if c.cfg.enableConfigTracking {
		_, _ = c.kubeInformers.Core().V1().ConfigMaps().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{UpdateFunc: configChanged("configmap")})
		_, _ = c.kubeInformers.Core().V1().Secrets().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{UpdateFunc: configChanged("secret")})
	}
	c.kubeInformers.Start(ctx.Done())
	go c.canaries.Run(ctx.Done())
	go c.templates.Run(ctx.Done())
	go c.alertProviders.Run(ctx.Done())
}

// waitForCaches waits for every informer's first list.
func (c *controller) waitForCaches(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), c.canaries.HasSynced, c.templates.HasSynced, c.alertProviders.HasSynced) {
		return fmt.Errorf("wait for the Canary, MetricTemplate and AlertProvider caches: %w", ctx.Err())
	}
	for typ, ok := range c.kubeInformers.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("wait for the %v cache: %w", typ, ctx.Err())
		}
	}
	return nil
}

func (c *controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		c.log.Error(err, "cannot queue object")
		return
	}
	c.queue.Add(key)
}

func (c *controller) enqueueTargetOf(namespace, deployment string) {
	objs, err := c.canaries.GetIndexer().ByIndex(targetIndex, namespace+"/"+deployment)
	if err != nil {
		c.log.Error(err, "cannot look up the canaries of a Deployment", "namespace", namespace, "deployment", deployment)
		return
	}
	for _, o := range objs {
		c.enqueue(o)
	}
}

// enqueueTracking queues the canaries of the config's namespace that track it.
func (c *controller) enqueueTracking(obj any, kind string) {
	var namespace, name string
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		namespace, name = o.Namespace, o.Name
	case *corev1.Secret:
		namespace, name = o.Namespace, o.Name
	default:
		return
	}
	objs, err := c.canaries.GetIndexer().ByIndex(cache.NamespaceIndex, namespace)
	if err != nil {
		return
	}
	for _, o := range objs {
		if _, tracked := o.(*v1beta1.Canary).Status.TrackedConfigs[kind+"/"+name]; tracked {
			c.enqueue(o)
		}
	}
}

func changedData(oldObj, newObj any) bool {
	switch o := oldObj.(type) {
	case *corev1.ConfigMap:
		n := newObj.(*corev1.ConfigMap)
		return !equality.Semantic.DeepEqual(o.Data, n.Data) || !equality.Semantic.DeepEqual(o.BinaryData, n.BinaryData)
	case *corev1.Secret:
		return !equality.Semantic.DeepEqual(o.Data, newObj.(*corev1.Secret).Data)
	}
	return false
}

// runAnalysis runs the workers until ctx ends. A canary's ticks are scheduled with AddAfter;
// the queue never hands one key to two workers at once.
func (c *controller) runAnalysis(ctx context.Context) error {
	defer c.queue.ShutDown()
	for i := 0; i < c.cfg.threadiness; i++ {
		go wait.UntilWithContext(ctx, c.work, time.Second)
	}
	<-ctx.Done()
	return nil
}

func (c *controller) work(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		c.queue.Forget(key)
		return true
	}
	requeue, err := c.reconciler.Reconcile(ctx, namespace, name)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			c.log.Error(err, "canary tick failed", "canary", name+"."+namespace)
		}
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	if requeue > 0 {
		c.queue.AddAfter(key, requeue)
	}
	return true
}

// countCanaries sets flagger_canary_total per namespace every period, as Flagger's control loop does.
func (c *controller) countCanaries(ctx context.Context, period time.Duration) {
	seen := map[string]bool{}
	wait.UntilWithContext(ctx, func(context.Context) {
		counts := map[string]int{}
		for ns := range seen {
			counts[ns] = 0 // a namespace whose last canary left reads 0, not its old count
		}
		for _, o := range c.canaries.GetStore().List() {
			counts[o.(*v1beta1.Canary).Namespace]++
		}
		for ns, n := range counts {
			c.telemetry.SetTotal(ns, n)
			seen[ns] = true
		}
	}, period)
}
