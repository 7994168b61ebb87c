package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/router"
)

const (
	// informerResync is how often informers replay their cache; the analysis does not depend
	// on it (ticks are scheduled with the workqueue).
	informerResync = 10 * time.Minute
	// targetIndex indexes Canaries by "<namespace>/<target name>".
	targetIndex = "target"
	// cachedSecrets is the field selector of the Secret informer. It leaves out Helm's release
	// records (type helm.sh/release.v1): one per revision of every release, up to 1 MiB each,
	// and Helm and Flux's helm-controller keep several per release, so in a cluster of Helm
	// releases they would be most of the cache. Nothing reads them: config tracking ignores
	// their type, and no metric or alert provider takes its credentials from one.
	cachedSecrets = "type!=helm.sh/release.v1"
)

// caches are the shared informers: every adapter reads through their listers (an idle tick
// makes no request), and their events wake the analysis. Every informer drops managedFields and
// kubectl's last-applied annotation before caching (client.TrimForCache), and the Secret
// informer leaves Helm's release records out (cachedSecrets). The Kubernetes
// informers run for the kinds whose listers the adapters asked for (Deployments, HPAs,
// Services, ConfigMaps, Secrets); the TrafficSplit informers for the default provider's
// version, and for another version when a canary first asks for it.
type caches struct {
	kube           informers.SharedInformerFactory
	canaries       cache.SharedIndexInformer
	templates      cache.SharedIndexInformer
	alertProviders cache.SharedIndexInformer
	// gateways are the HTTPRoute informers (set by New after discovery; nil in tests).
	gateways *gatewayRoutes
	splits   *router.SplitInformers
	// splitVersion is the TrafficSplit version of the default provider ("" when it is not SMI).
	splitVersion string
}

func newCaches(cl *clients, opts Options) (*caches, error) {
	ns := opts.Namespace
	sh, _ := parseShard(opts.Shard) // validated by New
	c := &caches{
		kube: informers.NewSharedInformerFactoryWithOptions(cl.kube, informerResync, informers.WithNamespace(ns),
			informers.WithTransform(client.TrimForCache)),
		// A shard's replicas see only its Canaries.
		canaries:       cache.NewSharedIndexInformer(cl.flagger.Canaries(ns).ListWatchSelected(sh.String()), &v1beta1.Canary{}, informerResync, cache.Indexers{targetIndex: indexByTarget}),
		templates:      cache.NewSharedIndexInformer(cl.flagger.MetricTemplates(ns).ListWatch(), &v1beta1.MetricTemplate{}, informerResync, cache.Indexers{}),
		alertProviders: cache.NewSharedIndexInformer(cl.flagger.AlertProviders(ns).ListWatch(), &v1beta1.AlertProvider{}, informerResync, cache.Indexers{}),
		splits: router.NewSplitInformers(cl.dyn, router.SplitInformersOptions{Namespace: ns, Resync: informerResync,
			Transform: client.TrimForCache}),
	}
	// Registered before any lister asks for it, so every reader shares this informer.
	c.kube.InformerFor(&corev1.Secret{}, func(kc kubernetes.Interface, resync time.Duration) cache.SharedIndexInformer {
		return coreinformers.NewFilteredSecretInformer(kc, ns, resync, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc},
			func(o *metav1.ListOptions) { o.FieldSelector = cachedSecrets })
	})
	for _, inf := range []cache.SharedIndexInformer{c.canaries, c.templates, c.alertProviders} {
		if err := inf.SetTransform(client.TrimForCache); err != nil {
			return nil, fmt.Errorf("informer transform: %w", err)
		}
	}
	if p, err := v1beta1.ParseProvider(opts.MeshProvider); err == nil {
		c.splitVersion = p.SMIVersion
	}
	return c, nil
}

// start registers the analysis's event handlers and starts every informer.
func (c *caches) start(ctx context.Context, h eventHandlers) {
	_, _ = c.canaries.AddEventHandler(h.canaries)
	_, _ = c.kube.Apps().V1().Deployments().Informer().AddEventHandler(h.deployments)
	if h.configMaps != nil {
		_, _ = c.kube.Core().V1().ConfigMaps().Informer().AddEventHandler(h.configMaps)
	}
	if h.secrets != nil {
		_, _ = c.kube.Core().V1().Secrets().Informer().AddEventHandler(h.secrets)
	}
	c.kube.Start(ctx.Done())
	go c.canaries.Run(ctx.Done())
	go c.templates.Run(ctx.Done())
	go c.alertProviders.Run(ctx.Done())
	if c.gateways != nil {
		c.gateways.start(ctx)
	}
}

// wait waits for every informer's first list, the default TrafficSplit version's included (when
// the API server serves it).
func (c *caches) wait(ctx context.Context) error {
	var versions []string
	if c.splitVersion != "" {
		versions = append(versions, c.splitVersion)
	}
	if err := c.splits.Start(ctx, versions...); err != nil {
		return fmt.Errorf("wait for the TrafficSplit cache: %w", err)
	}
	if !cache.WaitForCacheSync(ctx.Done(), c.canaries.HasSynced, c.templates.HasSynced, c.alertProviders.HasSynced) {
		return fmt.Errorf("wait for the Canary, MetricTemplate and AlertProvider caches: %w", ctx.Err())
	}
	for typ, ok := range c.kube.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("wait for the %v cache: %w", typ, ctx.Err())
		}
	}
	if c.gateways != nil {
		return c.gateways.wait(ctx)
	}
	return nil
}

// eventHandlers are the handlers the analysis registers on the informers; nil ones are not
// registered.
type eventHandlers struct {
	canaries, deployments, configMaps, secrets cache.ResourceEventHandler
}

func indexByTarget(obj any) ([]string, error) {
	c, ok := obj.(*v1beta1.Canary)
	if !ok {
		return nil, nil
	}
	return []string{c.Namespace + "/" + c.Spec.TargetRef.Name}, nil
}
