//go:build e2e

package router_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/router"
)

// TestE2EGatewayAPIRouter runs the Gateway API router against a real kube-apiserver with the
// Gateway API CRDs of the pinned module, reading through a real informer, once per HTTPRoute
// version. Given podinfo with its primary (6.0.0), a new target revision (6.0.1) and a Gateway
// of the mesh simulator's class, when the router reconciles, then the HTTPRoute exists, the
// Gateway accepts it and all traffic reaches the primary; when routes are set to 70/30, then
// the mesh sends 30 of 100 requests to the canary; when the mirror is on, the canary gets a
// copy of every request; when the route drifts, the next reconcile repairs it. The canary's
// headers, rewrite and timeout are in every rule (the API server's validation of HTTPRoutes
// accepts them) and the mesh answers with its response headers.
func TestE2EGatewayAPIRouter(t *testing.T) {
	e := env.Get(t)
	applyCRDs(t, e)
	gw, err := gwclient.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	f := gwinformers.NewSharedInformerFactory(gw, 0)
	stores := map[string]router.HTTPRoutes{
		v1beta1.GatewayAPIv1:      router.NewHTTPRoutesV1(gw, f.Gateway().V1().HTTPRoutes().Lister()),
		v1beta1.GatewayAPIv1beta1: router.NewHTTPRoutesV1beta1(gw, f.Gateway().V1beta1().HTTPRoutes().Lister()),
	}
	f.Start(t.Context().Done())
	f.WaitForCacheSync(t.Context().Done())

	for _, version := range []string{v1beta1.GatewayAPIv1, v1beta1.GatewayAPIv1beta1} {
		t.Run(version, func(t *testing.T) {
			ctx := t.Context()
			ns := e.Namespace(t)
			kube := e.Client()
			givenGateway(t, gw, ns)
			c := givenCanary(t, e, ns, "gatewayapi:"+version)
			c.Spec.Service.Hosts = []string{"podinfo." + ns}
			c.Spec.Service.GatewayRefs = []v1beta1.GatewayRef{{Name: "envoy"}}
			c.Spec.Analysis.Mirror = true
			withFilters(t, c)
			deployments, services := newServices(t, kube, ns)
			g := router.NewGatewayAPI(stores[version], router.GatewayAPIOptions{})
			require.NoError(t, deployments.EnsurePrimary(ctx, c))
			setImage(t, e, ns, "ghcr.io/stefanprodan/podinfo:6.0.1")
			e.WaitFor(t, 2*time.Minute, "primary available", available(e, ns, "podinfo-primary"))
			e.WaitFor(t, 2*time.Minute, "target available", available(e, ns, "podinfo"))

			// When the router reconciles, then the HTTPRoute exists, accepted, all on the primary.
			require.NoError(t, services.Reconcile(ctx, c))
			require.NoError(t, g.Reconcile(ctx, c))
			hr, err := gw.GatewayV1().HTTPRoutes(ns).Get(ctx, "podinfo", metav1.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, c.UID, metav1.GetControllerOf(hr).UID)
			requireRoutes(t, e, g, c, engine.Routes{Primary: 100})
			requireTraffic(t, e, ns, map[string]int{"6.0.0": 100})
			requireFilters(t, hr)
			requireResponseHeader(t, e, ns, "X-Served-By", "gitcanary-e2e")
			requireStickyRouteAccepted(t, g, c, gw)

			// A second reconcile against the informer's copy writes nothing.
			rv := hr.ResourceVersion
			e.WaitFor(t, time.Minute, "accepted route in the cache", func(context.Context) error {
				cached, err := stores[version].Cached(ns, "podinfo")
				if err != nil || len(cached.Status.Parents) == 0 {
					return fmt.Errorf("route not accepted in the cache yet: %v", err)
				}
				rv = cached.ResourceVersion
				return nil
			})
			require.NoError(t, g.Reconcile(ctx, c))
			hr, err = gw.GatewayV1().HTTPRoutes(ns).Get(ctx, "podinfo", metav1.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, rv, hr.ResourceVersion, "reconcile of an unchanged route must not write")

			// When routes are set, then they read back and the mesh honours them.
			require.NoError(t, g.SetRoutes(ctx, c, engine.Routes{Primary: 70, Canary: 30}))
			requireRoutes(t, e, g, c, engine.Routes{Primary: 70, Canary: 30})
			requireTraffic(t, e, ns, map[string]int{"6.0.0": 70, "6.0.1": 30})

			// When the mirror is on, then every request also reaches the canary's cluster.
			require.NoError(t, g.SetRoutes(ctx, c, engine.Routes{Primary: 100, Mirror: true}))
			requireRoutes(t, e, g, c, engine.Routes{Primary: 100, Mirror: true})
			requireTraffic(t, e, ns, map[string]int{"6.0.0": 100})

			// When the route drifts, then reconcile rewrites it with everything on the primary.
			require.NoError(t, g.SetRoutes(ctx, c, engine.Routes{Primary: 50, Canary: 50}))
			requireRoutes(t, e, g, c, engine.Routes{Primary: 50, Canary: 50})
			// The gateway writes the route's status concurrently, so the drift is written as any
			// client would write it: on a fresh read after a conflict.
			require.NoError(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
				live, err := gw.GatewayV1().HTTPRoutes(ns).Get(ctx, "podinfo", metav1.GetOptions{})
				if err != nil {
					return err
				}
				live.Spec.Hostnames = []gwv1.Hostname{"elsewhere.example.com"}
				_, err = gw.GatewayV1().HTTPRoutes(ns).Update(ctx, live, metav1.UpdateOptions{})
				return err
			}))
			e.WaitFor(t, time.Minute, "drift in the cache", func(context.Context) error {
				cached, err := stores[version].Cached(ns, "podinfo")
				if err != nil || len(cached.Spec.Hostnames) == 0 || cached.Spec.Hostnames[0] != "elsewhere.example.com" {
					return fmt.Errorf("drift not seen yet: %v", err)
				}
				return nil
			})
			require.NoError(t, g.Reconcile(ctx, c))
			requireRoutes(t, e, g, c, engine.Routes{Primary: 100})
			requireTraffic(t, e, ns, map[string]int{"6.0.0": 100})
		})
	}
}

// givenGateway creates the Gateway envoy of the mesh simulator's class in ns.
func givenGateway(t *testing.T, gw gwclient.Interface, ns string) {
	t.Helper()
	g := &gwv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "envoy", Namespace: ns},
		Spec: gwv1.GatewaySpec{
			GatewayClassName: env.GatewayClassName,
			Listeners:        []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 10000, AllowedRoutes: &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: ptr.To(gwv1.NamespacesFromSame)}}}},
		},
	}
	_, err := gw.GatewayV1().Gateways(ns).Create(t.Context(), g, metav1.CreateOptions{})
	require.NoError(t, err)
}

// requireRoutes waits until the router reads want back (the informer caught up and the
// Gateway accepted the route's generation).
func requireRoutes(t *testing.T, e *env.Env, g *router.GatewayAPI, c *v1beta1.Canary, want engine.Routes) {
	t.Helper()
	e.WaitFor(t, time.Minute, fmt.Sprintf("routes %+v", want), func(ctx context.Context) error {
		got, err := g.Routes(ctx, c)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("routes read %+v", got)
		}
		return nil
	})
}

// withFilters gives the canary Flagger's service headers, rewrite and timeout.
func withFilters(t *testing.T, c *v1beta1.Canary) {
	t.Helper()
	headers := apiextensionsv1.JSON{Raw: []byte(`{"request":{"set":{"x-env":"e2e"},"remove":["x-debug"]},"response":{"add":{"x-served-by":"gitcanary-e2e"}}}`)}
	rewrite := apiextensionsv1.JSON{Raw: []byte(`{"uri":"/","authority":"podinfo.internal"}`)}
	c.Spec.Service.Headers, c.Spec.Service.Rewrite, c.Spec.Service.Timeout = &headers, &rewrite, "15s"
	require.NoError(t, v1beta1.ValidateCanary(c))
}

// requireFilters checks that the stored route has the header, rewrite and timeout of
// withFilters in its rule.
func requireFilters(t *testing.T, hr *gwv1.HTTPRoute) {
	t.Helper()
	rule := hr.Spec.Rules[0]
	var types []gwv1.HTTPRouteFilterType
	for _, f := range rule.Filters {
		types = append(types, f.Type)
	}
	require.Equal(t, []gwv1.HTTPRouteFilterType{gwv1.HTTPRouteFilterRequestHeaderModifier, gwv1.HTTPRouteFilterResponseHeaderModifier,
		gwv1.HTTPRouteFilterURLRewrite}, types)
	require.Equal(t, "/", *rule.Filters[2].URLRewrite.Path.ReplaceFullPath)
	require.Equal(t, gwv1.Duration("15s"), *rule.Timeouts.Request)
}

// requireResponseHeader waits until the mesh answers podinfo.<ns> with the header.
func requireResponseHeader(t *testing.T, e *env.Env, ns, name, value string) {
	t.Helper()
	e.WaitFor(t, time.Minute, "response header "+name, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.MeshURL+"/", nil)
		if err != nil {
			return err
		}
		req.Host = "podinfo." + ns
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if got := resp.Header.Get(name); got != value {
			return fmt.Errorf("%s: %q", name, got)
		}
		return nil
	})
}

// requireStickyRouteAccepted creates the route of a session-affinity canary with the same
// response headers (Service "sticky", weight 0, so with the rule that expires the cookie): the
// API server accepts it, one ResponseHeaderModifier per rule.
func requireStickyRouteAccepted(t *testing.T, g *router.GatewayAPI, c *v1beta1.Canary, gw gwclient.Interface) {
	t.Helper()
	sticky := c.DeepCopy()
	sticky.Spec.Service.Name = "sticky"
	sticky.Spec.Analysis.SessionAffinity = &v1beta1.SessionAffinity{CookieName: "flagger-cookie"}
	require.NoError(t, g.Reconcile(t.Context(), sticky))
	hr, err := gw.GatewayV1().HTTPRoutes(c.Namespace).Get(t.Context(), "sticky", metav1.GetOptions{})
	require.NoError(t, err)
	require.Len(t, hr.Spec.Rules, 2)
	for _, rule := range hr.Spec.Rules {
		n := 0
		for _, f := range rule.Filters {
			if f.Type == gwv1.HTTPRouteFilterResponseHeaderModifier {
				n++
			}
		}
		require.Equal(t, 1, n, "ResponseHeaderModifiers of a rule")
	}
}
