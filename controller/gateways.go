package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/cache"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/router"
)

// gatewayGroup is the API group of Gateway API HTTPRoutes.
const gatewayGroup = "gateway.networking.k8s.io"

// gatewayRoutes are the HTTPRoute informers of the Gateway API versions the cluster served when
// the controller started; without the Gateway API CRDs there are none, and Gateway API
// canaries fail with router.ErrGatewayAPIUnavailable.
type gatewayRoutes struct {
	factory gwinformers.SharedInformerFactory
	synced  []cache.InformerSynced
	// byVersion are the HTTPRoutes of each served version (v1, v1beta1), for router.Options.
	byVersion map[string]router.HTTPRoutes
}

// newGatewayRoutes discovers which HTTPRoute versions the cluster serves and builds their
// informers (not started).
func newGatewayRoutes(client gwclient.Interface, disco discovery.DiscoveryInterface, opts Options, log logr.Logger) (*gatewayRoutes, error) {
	g := &gatewayRoutes{
		factory:   gwinformers.NewSharedInformerFactoryWithOptions(client, informerResync, gwinformers.WithNamespace(opts.Namespace)),
		byVersion: map[string]router.HTTPRoutes{},
	}
	for _, version := range []string{v1beta1.GatewayAPIv1, v1beta1.GatewayAPIv1beta1} {
		served, err := servesHTTPRoutes(disco, version)
		if err != nil {
			return nil, err
		}
		if !served {
			continue
		}
		switch version {
		case v1beta1.GatewayAPIv1:
			inf := g.factory.Gateway().V1().HTTPRoutes()
			g.synced = append(g.synced, inf.Informer().HasSynced)
			g.byVersion[version] = router.NewHTTPRoutesV1(client, inf.Lister())
		case v1beta1.GatewayAPIv1beta1:
			inf := g.factory.Gateway().V1beta1().HTTPRoutes()
			g.synced = append(g.synced, inf.Informer().HasSynced)
			g.byVersion[version] = router.NewHTTPRoutesV1beta1(client, inf.Lister())
		}
	}
	versions := slices.Sorted(maps.Keys(g.byVersion))
	log.Info("Gateway API HTTPRoute versions served", "versions", versions)
	return g, nil
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

// start starts the HTTPRoute informers (none when the cluster serves no Gateway API).
func (g *gatewayRoutes) start(ctx context.Context) { g.factory.Start(ctx.Done()) }

// wait waits for the HTTPRoute informers' first list.
func (g *gatewayRoutes) wait(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), g.synced...) {
		return fmt.Errorf("wait for the HTTPRoute caches: %w", ctx.Err())
	}
	return nil
}

// routesByVersion returns the HTTPRoutes of each served version; none for a nil g.
func (g *gatewayRoutes) routesByVersion() map[string]router.HTTPRoutes {
	if g == nil {
		return nil
	}
	return g.byVersion
}
