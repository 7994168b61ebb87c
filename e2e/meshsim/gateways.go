package meshsim

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"
	gwlisters "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"
)

// ControllerName is the GatewayClass controllerName the simulator implements.
const ControllerName = "gitcanary.io/meshsim"

// gateways is the simulator's Gateway API side: it watches GatewayClasses, Gateways and
// HTTPRoutes (v1, which serves every stored version), writes the minimal status of a
// Gateway controller (Accepted, Programmed, and Accepted/ResolvedRefs per route parent), and
// lists the routes attached to its Gateways for the ingress.
type gateways struct {
	client  gwclient.Interface
	disco   discovery.DiscoveryInterface
	log     *slog.Logger
	every   time.Duration
	classes gwlisters.GatewayClassLister
	gws     gwlisters.GatewayLister
	routes  gwlisters.HTTPRouteLister
	synced  atomic.Bool
}

// start waits until HTTPRoutes are served, then watches until ctx is done.
func (g *gateways) start(ctx context.Context) {
	t := time.NewTicker(g.every)
	defer t.Stop()
	for !g.served() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	f := gwinformers.NewSharedInformerFactory(g.client, 0)
	v1 := f.Gateway().V1()
	g.classes, g.gws, g.routes = v1.GatewayClasses().Lister(), v1.Gateways().Lister(), v1.HTTPRoutes().Lister()
	handle := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { g.writeStatus(ctx) },
		UpdateFunc: func(_, _ any) { g.writeStatus(ctx) },
	}
	for _, inf := range []cache.SharedIndexInformer{v1.GatewayClasses().Informer(), v1.Gateways().Informer(), v1.HTTPRoutes().Informer()} {
		if _, err := inf.AddEventHandler(handle); err != nil {
			g.log.Error("watch Gateway API", "err", err)
		}
	}
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	g.synced.Store(true)
	g.log.Info("watching Gateway API")
	g.writeStatus(ctx)
}

func (g *gateways) served() bool {
	rl, err := g.disco.ServerResourcesForGroupVersion(gwv1.GroupVersion.String())
	if err != nil {
		return false
	}
	return slices.ContainsFunc(rl.APIResources, func(r metav1.APIResource) bool { return r.Name == "httproutes" })
}

func (g *gateways) ready() bool { return g.synced.Load() }

// ours reports whether Gateway namespace/name exists and is of a class the simulator runs.
func (g *gateways) ours(namespace, name string) bool {
	gw, err := g.gws.Gateways(namespace).Get(name)
	if err != nil {
		return false
	}
	class, err := g.classes.Get(string(gw.Spec.GatewayClassName))
	return err == nil && class.Spec.ControllerName == ControllerName
}

// attached returns the parent references of r that are Gateways of the simulator.
func (g *gateways) attached(r *gwv1.HTTPRoute) []gwv1.ParentReference {
	var out []gwv1.ParentReference
	for _, p := range r.Spec.ParentRefs {
		if p.Kind != nil && *p.Kind != "Gateway" {
			continue
		}
		ns := r.Namespace
		if p.Namespace != nil {
			ns = string(*p.Namespace)
		}
		if g.ours(ns, string(p.Name)) {
			out = append(out, p)
		}
	}
	return out
}

// attachedRoutes lists the HTTPRoutes served by the ingress, oldest first (Gateway API's
// tie-break), then by namespace/name.
func (g *gateways) attachedRoutes() []*gwv1.HTTPRoute {
	if !g.ready() {
		return nil
	}
	all, err := g.routes.List(labels.Everything())
	if err != nil {
		return nil
	}
	all = slices.DeleteFunc(all, func(r *gwv1.HTTPRoute) bool { return len(g.attached(r)) == 0 })
	slices.SortFunc(all, func(a, b *gwv1.HTTPRoute) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return all
}
