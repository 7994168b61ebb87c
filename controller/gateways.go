package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/router"
)

// gatewayGroup is the API group of Gateway API HTTPRoutes.
const gatewayGroup = "gateway.networking.k8s.io"

// rediscoverEvery is the least time between two discoveries of a Gateway API version the cluster
// did not serve.
const rediscoverEvery = 30 * time.Second

// gatewayRoutes are the HTTPRoute informers of the Gateway API versions the cluster serves:
// those served at start, and those discovered later when a canary needs them (CRDs installed
// after the controller). A canary of a version not served fails with
// router.ErrGatewayAPIUnavailable.
type gatewayRoutes struct {
	factory gwinformers.SharedInformerFactory
	client  gwclient.Interface
	disco   discovery.DiscoveryInterface
	clock   clock.PassiveClock
	log     logr.Logger
	synced  []cache.InformerSynced

	mu        sync.Mutex
	stop      <-chan struct{}              // the informers' lifetime, set by start
	byVersion map[string]router.HTTPRoutes // the HTTPRoutes of each served version (v1, v1beta1)
	tried     map[string]time.Time         // last discovery of a version not served
}

// newGatewayRoutes discovers which HTTPRoute versions the cluster serves and builds their
// informers (not started).
func newGatewayRoutes(client gwclient.Interface, disco discovery.DiscoveryInterface, opts Options, log logr.Logger) (*gatewayRoutes, error) {
	g := &gatewayRoutes{
		factory:   gwinformers.NewSharedInformerFactoryWithOptions(client, informerResync, gwinformers.WithNamespace(opts.Namespace)),
		client:    client,
		disco:     disco,
		clock:     clock.RealClock{},
		log:       log,
		byVersion: map[string]router.HTTPRoutes{},
		tried:     map[string]time.Time{},
	}
	for _, version := range []string{v1beta1.GatewayAPIv1, v1beta1.GatewayAPIv1beta1} {
		served, err := servesHTTPRoutes(disco, version)
		if err != nil {
			return nil, err
		}
		if served {
			routes, synced := g.informer(client, version)
			g.byVersion[version], g.synced = routes, append(g.synced, synced)
		}
	}
	versions := slices.Sorted(maps.Keys(g.byVersion))
	log.Info("Gateway API HTTPRoute versions served", "versions", versions)
	return g, nil
}

// informer builds the HTTPRoute informer of version (not started) and its store.
func (g *gatewayRoutes) informer(client gwclient.Interface, version string) (router.HTTPRoutes, cache.InformerSynced) {
	if version == v1beta1.GatewayAPIv1beta1 {
		inf := g.factory.Gateway().V1beta1().HTTPRoutes()
		return router.NewHTTPRoutesV1beta1(client, inf.Lister()), inf.Informer().HasSynced
	}
	inf := g.factory.Gateway().V1().HTTPRoutes()
	return router.NewHTTPRoutesV1(client, inf.Lister()), inf.Informer().HasSynced
}

// discover returns the HTTPRoutes of version, asking the API server whether it serves them now
// when it did not before (at most every rediscoverEvery), and starting and syncing their
// informer when it does. It is router.Options.DiscoverHTTPRoutes.
func (g *gatewayRoutes) discover(ctx context.Context, version string) (router.HTTPRoutes, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if routes, ok := g.byVersion[version]; ok {
		return routes, nil
	}
	now := g.clock.Now()
	if last, ok := g.tried[version]; (ok && now.Sub(last) < rediscoverEvery) || g.stop == nil {
		return nil, router.ErrGatewayAPIUnavailable
	}
	g.tried[version] = now
	served, err := servesHTTPRoutes(g.disco, version)
	if err != nil {
		return nil, err
	}
	if !served {
		return nil, router.ErrGatewayAPIUnavailable
	}
	routes, synced := g.informer(g.client, version)
	g.factory.Start(g.stop)
	if !cache.WaitForCacheSync(ctx.Done(), synced) {
		return nil, fmt.Errorf("wait for the %s/%s HTTPRoute cache: %w", gatewayGroup, version, ctx.Err())
	}
	g.byVersion[version] = routes
	delete(g.tried, version)
	g.log.Info("Gateway API HTTPRoute version discovered", "version", version)
	return routes, nil
}

// servesHTTPRoutes reports whether the cluster serves httproutes in gateway.networking.k8s.io/version.
func servesHTTPRoutes(disco discovery.DiscoveryInterface, version string) (bool, error) {
	gv := gatewayGroup + "/" + version
	list, err := disco.ServerResourcesForGroupVersion(gv)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discover %s: %w", gv, err)
	}
	for _, r := range list.APIResources {
		if r.Name == "httproutes" {
			return true, nil
		}
	}
	return false, nil
}

// start starts the HTTPRoute informers (none when the cluster serves no Gateway API); those
// discovered later live as long as ctx too.
func (g *gatewayRoutes) start(ctx context.Context) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stop = ctx.Done()
	g.factory.Start(g.stop)
}

// wait waits for the HTTPRoute informers' first list.
func (g *gatewayRoutes) wait(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), g.synced...) {
		return fmt.Errorf("wait for the HTTPRoute caches: %w", ctx.Err())
	}
	return nil
}

// routerOptions sets the HTTPRoutes of the versions served at start and the discovery of the
// others; nothing for a nil g.
func (g *gatewayRoutes) routerOptions(o *router.Options) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	o.HTTPRoutes = maps.Clone(g.byVersion)
	o.DiscoverHTTPRoutes = g.discover
}
