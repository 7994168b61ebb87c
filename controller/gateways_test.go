package controller

import (
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	clocktesting "k8s.io/utils/clock/testing"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/router"
)

// TestGatewayRoutesDiscoveredLater: Gateway API CRDs installed after the controller started are
// found when a canary asks for their version, at most every rediscoverEvery, and their
// HTTPRoutes are then read from a synced informer.
func TestGatewayRoutesDiscoveredLater(t *testing.T) {
	disco := fake.NewClientset().Discovery().(*fakediscovery.FakeDiscovery)
	gw := gwfake.NewClientset()
	g, err := newGatewayRoutes(gw, disco, Options{}, logr.Discard())
	require.NoError(t, err)
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	g.clock = clk
	var opts router.Options
	g.routerOptions(&opts)
	require.Empty(t, opts.HTTPRoutes, "the cluster served no Gateway API at start")
	ctx := t.Context()
	g.start(ctx)
	asked := func() int { return len(disco.Actions()) }

	_, err = opts.DiscoverHTTPRoutes(ctx, v1beta1.GatewayAPIv1)
	require.ErrorIs(t, err, router.ErrGatewayAPIUnavailable)
	before := asked()

	// When the CRDs are installed, then the version is found at the next discovery, not sooner.
	disco.Resources = append(disco.Resources, &metav1.APIResourceList{
		GroupVersion: gatewayGroup + "/" + v1beta1.GatewayAPIv1, APIResources: []metav1.APIResource{{Name: "httproutes"}},
	})
	_, err = opts.DiscoverHTTPRoutes(ctx, v1beta1.GatewayAPIv1)
	require.ErrorIs(t, err, router.ErrGatewayAPIUnavailable)
	require.Equal(t, before, asked(), "asked again within %v", rediscoverEvery)

	clk.SetTime(clk.Now().Add(rediscoverEvery))
	routes, err := opts.DiscoverHTTPRoutes(ctx, v1beta1.GatewayAPIv1)
	require.NoError(t, err)
	require.Equal(t, v1beta1.GatewayAPIv1, routes.Version())
	_, err = gw.GatewayV1().HTTPRoutes("test").Create(ctx, &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := routes.Cached("test", "podinfo")
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "the discovered informer runs")

	again, err := opts.DiscoverHTTPRoutes(ctx, v1beta1.GatewayAPIv1)
	require.NoError(t, err)
	require.Same(t, routes, again)
	_, err = opts.DiscoverHTTPRoutes(ctx, v1beta1.GatewayAPIv1beta1)
	require.ErrorIs(t, err, router.ErrGatewayAPIUnavailable, "v1beta1 is still not served")
}
