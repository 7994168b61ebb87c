package router

import (
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// TestGatewayAPIContract runs the router's lifecycle over both HTTPRoute versions, as
// TestSMIContract does over the TrafficSplit versions: create with 100/0, set routes, read
// them back, leave weights alone on reconcile, write nothing when nothing changed, repair
// drift.
func TestGatewayAPIContract(t *testing.T) {
	for _, version := range gatewayVersions {
		t.Run(version, func(t *testing.T) {
			f := newGWFixture(t, version)
			g := NewGatewayAPI(f.routes, GatewayAPIOptions{})
			require.Equal(t, version, g.Version())
			c := gatewayCanary(version)
			ctx := t.Context()

			// Create: everything to the primary, owned by the Canary.
			require.NoError(t, g.Reconcile(ctx, c))
			r := f.route(t)
			require.Equal(t, []metav1.OwnerReference{canaryOwner}, r.OwnerReferences)
			require.Equal(t, wantParents, r.Spec.ParentRefs)
			require.Equal(t, []gwv1.Hostname{"podinfo.test"}, r.Spec.Hostnames)
			require.Len(t, r.Spec.Rules, 1)
			require.Equal(t, rootMatch, r.Spec.Rules[0].Matches)
			require.Equal(t, wantBackends(100, 0), r.Spec.Rules[0].BackendRefs)
			got, err := g.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, routes(100, 0, false), got)

			// Set routes and read them back; the same routes again write nothing.
			require.NoError(t, g.SetRoutes(ctx, c, routes(90, 10, false)))
			require.Equal(t, wantBackends(90, 10), f.route(t).Spec.Rules[0].BackendRefs)
			got, err = g.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, routes(90, 10, false), got)
			writes := f.writes()
			require.NoError(t, g.SetRoutes(ctx, c, routes(90, 10, false)))
			require.Equal(t, writes, f.writes())

			// Reconcile leaves the weights alone and writes nothing.
			require.NoError(t, g.Reconcile(ctx, c))
			require.Equal(t, writes, f.writes())
			require.Equal(t, wantBackends(90, 10), f.route(t).Spec.Rules[0].BackendRefs)

			// Drift of the hostnames: the spec is rewritten, back to 100/0.
			r = f.route(t)
			r.Spec.Hostnames = []gwv1.Hostname{"evil.example.com"}
			f.update(t, r)
			require.NoError(t, g.Reconcile(ctx, c))
			r = f.route(t)
			require.Equal(t, []gwv1.Hostname{"podinfo.test"}, r.Spec.Hostnames)
			require.Equal(t, wantBackends(100, 0), r.Spec.Rules[0].BackendRefs)

			// Drift by an extra rule, and of the labels; annotations of others are kept.
			r.Spec.Rules = append(r.Spec.Rules, gwv1.HTTPRouteRule{BackendRefs: wantBackends(0, 100)[1:]})
			r.Labels = map[string]string{"edited": "yes"}
			r.Annotations = map[string]string{"gateway.example.com/programmed": "true"}
			f.update(t, r)
			require.NoError(t, g.Reconcile(ctx, c))
			r = f.route(t)
			require.Len(t, r.Spec.Rules, 1)
			require.Empty(t, r.Labels)
			require.Equal(t, map[string]string{"gateway.example.com/programmed": "true"}, r.Annotations)

			// Finalize leaves the route to garbage collection.
			require.NoError(t, g.Finalize(ctx, c))
			require.Equal(t, "podinfo", f.route(t).Name)
		})
	}
}

func TestGatewayAPIRoutesWaitsForAcceptance(t *testing.T) {
	f := newGWFixture(t, v1beta1.GatewayAPIv1)
	g := NewGatewayAPI(f.routes, GatewayAPIOptions{})
	c := gatewayCanary(v1beta1.GatewayAPIv1)
	ctx := t.Context()
	require.NoError(t, g.Reconcile(ctx, c))

	r := f.route(t)
	r.Generation = 2
	acceptedBy(r, metav1.ConditionTrue, 1)
	f.update(t, r)
	_, err := g.Routes(ctx, c)
	require.EqualError(t, err, "HTTPRoute podinfo.test parent envoy is not ready (status: True, observed generation: 1, current generation: 2)")

	r = f.route(t)
	acceptedBy(r, metav1.ConditionFalse, 2)
	f.update(t, r)
	_, err = g.Routes(ctx, c)
	require.ErrorContains(t, err, "is not ready (status: False")

	r = f.route(t)
	acceptedBy(r, metav1.ConditionTrue, 2)
	f.update(t, r)
	got, err := g.Routes(ctx, c)
	require.NoError(t, err)
	require.Equal(t, routes(100, 0, false), got)

	// A status of another parent (not in the spec) does not count.
	r = f.route(t)
	acceptedBy(r, metav1.ConditionFalse, 2)
	r.Status.Parents[0].ParentRef.Name = "other"
	f.update(t, r)
	_, err = g.Routes(ctx, c)
	require.NoError(t, err)
}

func TestGatewayAPIErrors(t *testing.T) {
	f := newGWFixture(t, v1beta1.GatewayAPIv1)
	g := NewGatewayAPI(f.routes, GatewayAPIOptions{})
	c := gatewayCanary(v1beta1.GatewayAPIv1)
	ctx := t.Context()

	_, err := g.Routes(ctx, c)
	require.ErrorContains(t, err, "HTTPRoute podinfo.test get query error")
	require.ErrorContains(t, g.SetRoutes(ctx, c, routes(50, 50, false)), "HTTPRoute podinfo.test get query error")
	require.ErrorIs(t, g.SetRoutes(ctx, c, routes(50, 60, false)), ErrInvalidWeights)

	require.NoError(t, g.Reconcile(ctx, c))
	r := f.route(t)
	r.Spec.Rules[0].BackendRefs = wantBackends(0, 0)
	f.update(t, r)
	_, err = g.Routes(ctx, c)
	require.ErrorIs(t, err, ErrNoRoutes)
	require.EqualError(t, err, "HTTPRoute podinfo.test does not contain routes for podinfo-primary and podinfo-canary")
}

func TestGatewayAPISetRoutesRetriesConflicts(t *testing.T) {
	f := newGWFixture(t, v1beta1.GatewayAPIv1)
	g := NewGatewayAPI(f.routes, GatewayAPIOptions{})
	c := gatewayCanary(v1beta1.GatewayAPIv1)
	require.NoError(t, g.Reconcile(t.Context(), c))
	f.failUpdates(2, apierrors.NewConflict(schema.GroupResource{Group: "gateway.networking.k8s.io", Resource: "httproutes"}, "podinfo", nil))
	require.NoError(t, g.SetRoutes(t.Context(), c, routes(80, 20, false)))
	require.Equal(t, wantBackends(80, 20), f.route(t).Spec.Rules[0].BackendRefs)
}

func TestGatewayAPIReconcileRetriesConflicts(t *testing.T) {
	f := newGWFixture(t, v1beta1.GatewayAPIv1)
	g := NewGatewayAPI(f.routes, GatewayAPIOptions{})
	c := gatewayCanary(v1beta1.GatewayAPIv1)
	require.NoError(t, g.Reconcile(t.Context(), c))
	r := f.route(t)
	r.Spec.Hostnames = []gwv1.Hostname{"elsewhere.example.com"}
	f.update(t, r)
	// A gateway controller writing the route's status makes the next update conflict.
	f.failUpdates(2, apierrors.NewConflict(schema.GroupResource{Group: "gateway.networking.k8s.io", Resource: "httproutes"}, "podinfo", nil))
	require.NoError(t, g.Reconcile(t.Context(), c))
	require.Equal(t, routeSpec(c, routes(100, 0, false)), f.route(t).Spec)
}
