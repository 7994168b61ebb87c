package router

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// TestDispatcherGatewayAPI checks that a Gateway API canary is routed by the HTTPRoute of its
// version after its Services, and that a version the controller does not watch fails before
// anything is written.
func TestDispatcherGatewayAPI(t *testing.T) {
	for _, version := range gatewayVersions {
		t.Run(version, func(t *testing.T) {
			gw := newGWFixture(t, version)
			f := newFixture(t, newTarget())
			kube := f.kube
			d := New(f.services, f.dyn, f.splits, Options{HTTPRoutes: map[string]HTTPRoutes{version: gw.routes}})
			c := gatewayCanary(version)
			ctx := t.Context()

			require.NoError(t, d.Reconcile(ctx, c))
			_, err := kube.CoreV1().Services(ns).Get(ctx, "podinfo-canary", metav1.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, wantBackends(100, 0), gw.route(t).Spec.Rules[0].BackendRefs)
			require.NoError(t, d.SetRoutes(ctx, c, engine.Routes{Primary: 60, Canary: 40}))
			r, err := d.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, engine.Routes{Primary: 60, Canary: 40}, r)
			require.NoError(t, d.Finalize(ctx, c))

			other := v1beta1.GatewayAPIv1beta1
			if version == other {
				other = v1beta1.GatewayAPIv1
			}
			c = gatewayCanary(other)
			err = d.Reconcile(ctx, c)
			require.ErrorIs(t, err, ErrGatewayAPIUnavailable)
			require.ErrorContains(t, err, "canary podinfo.test: provider gatewayapi:"+other)
		})
	}
}

// TestDispatcherDiscoversGatewayAPI: a version the controller did not watch at start is asked
// for when a canary needs it, and used once it is served, without asking again.
func TestDispatcherDiscoversGatewayAPI(t *testing.T) {
	gw := newGWFixture(t, v1beta1.GatewayAPIv1)
	f := newFixture(t, newTarget())
	served, asked := false, 0
	d := New(f.services, f.dyn, f.splits, Options{DiscoverHTTPRoutes: func(_ context.Context, version string) (HTTPRoutes, error) {
		asked++
		require.Equal(t, v1beta1.GatewayAPIv1, version)
		if !served {
			return nil, ErrGatewayAPIUnavailable
		}
		return gw.routes, nil
	}})
	c := gatewayCanary(v1beta1.GatewayAPIv1)
	ctx := t.Context()

	err := d.Reconcile(ctx, c)
	require.ErrorIs(t, err, ErrGatewayAPIUnavailable)
	require.ErrorContains(t, err, "canary podinfo.test: provider gatewayapi:v1")

	// When the CRDs are installed, then the next tick routes with them.
	served = true
	require.NoError(t, d.Reconcile(ctx, c))
	require.Equal(t, wantBackends(100, 0), gw.route(t).Spec.Rules[0].BackendRefs)
	require.NoError(t, d.SetRoutes(ctx, c, engine.Routes{Primary: 70, Canary: 30}))
	require.Equal(t, 2, asked, "a discovered version is kept")
}
