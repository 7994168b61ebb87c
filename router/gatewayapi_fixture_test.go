package router

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// gatewayVersions are the HTTPRoute versions every Gateway API contract test runs over.
var gatewayVersions = []string{v1beta1.GatewayAPIv1, v1beta1.GatewayAPIv1beta1}

// gwFixture is a fake Gateway API clientset with an HTTPRoutes store whose cache reads go
// straight to the fake, so that tests see their writes at once.
type gwFixture struct {
	client *gwfake.Clientset
	routes HTTPRoutes
}

func newGWFixture(t *testing.T, version string) *gwFixture {
	t.Helper()
	client := gwfake.NewSimpleClientset()
	f := gwinformers.NewSharedInformerFactory(client, 0)
	var store HTTPRoutes
	if version == v1beta1.GatewayAPIv1 {
		store = NewHTTPRoutesV1(client, f.Gateway().V1().HTTPRoutes().Lister())
	} else {
		store = NewHTTPRoutesV1beta1(client, f.Gateway().V1beta1().HTTPRoutes().Lister())
	}
	return &gwFixture{client: client, routes: &liveCache{HTTPRoutes: store}}
}

// liveCache answers Cached with a read of the API (the fake), like an informer that is never
// behind.
type liveCache struct{ HTTPRoutes }

func (l *liveCache) Cached(namespace, name string) (*gwv1.HTTPRoute, error) {
	return l.Get(context.Background(), namespace, name)
}

func (f *gwFixture) route(t *testing.T) *gwv1.HTTPRoute {
	t.Helper()
	r, err := f.routes.Get(t.Context(), ns, "podinfo")
	require.NoError(t, err)
	return r
}

func (f *gwFixture) update(t *testing.T, r *gwv1.HTTPRoute) {
	t.Helper()
	require.NoError(t, f.routes.Update(t.Context(), r))
}

// writes counts the create and update calls on httproutes.
func (f *gwFixture) writes() int {
	n := 0
	for _, a := range f.client.Actions() {
		if a.GetResource().Resource == "httproutes" && (a.GetVerb() == "create" || a.GetVerb() == "update") {
			n++
		}
	}
	return n
}

// failUpdates makes the next n updates of httproutes fail with err.
func (f *gwFixture) failUpdates(n int, err error) {
	f.client.PrependReactor("update", "httproutes", func(k8stesting.Action) (bool, runtime.Object, error) {
		if n == 0 {
			return false, nil, nil
		}
		n--
		return true, nil, err
	})
}

// gatewayCanary is a Canary of provider gatewayapi:<version> attached to Gateway test/envoy.
func gatewayCanary(version string, opts ...func(*v1beta1.Canary)) *v1beta1.Canary {
	return newCanary(append([]func(*v1beta1.Canary){func(c *v1beta1.Canary) {
		c.Spec.Provider = "gatewayapi:" + version
		c.Spec.Service.Hosts = []string{"podinfo.test"}
		c.Spec.Service.GatewayRefs = []v1beta1.GatewayRef{{Name: "envoy", Namespace: ptr.To("test")}}
		c.Spec.Analysis = &v1beta1.CanaryAnalysis{Interval: "1m", Threshold: 5, StepWeight: 10, MaxWeight: 50}
		c.Status.LastAppliedSpec = "rev-1"
	}}, opts...)...)
}

// wantBackends are the backendRefs to primary and canary at the given weights.
func wantBackends(primary, canary int32) []gwv1.HTTPBackendRef {
	ref := func(svc string, w int32) gwv1.HTTPBackendRef {
		return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{
			BackendObjectReference: gwv1.BackendObjectReference{
				Group: ptr.To(gwv1.Group("")), Kind: ptr.To(gwv1.Kind("Service")), Name: gwv1.ObjectName(svc), Port: ptr.To(int32(9898)),
			},
			Weight: ptr.To(w),
		}}
	}
	return []gwv1.HTTPBackendRef{ref("podinfo-primary", primary), ref("podinfo-canary", canary)}
}

// rootMatch is the default match of the weighted rule.
var rootMatch = []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr.To(gwv1.PathMatchPathPrefix), Value: ptr.To("/")}}}

// wantParents is the parentRef of Gateway test/envoy with the CRD's defaults.
var wantParents = []gwv1.ParentReference{{
	Group: ptr.To(gwv1.Group("gateway.networking.k8s.io")), Kind: ptr.To(gwv1.Kind("Gateway")),
	Namespace: ptr.To(gwv1.Namespace("test")), Name: "envoy",
}}

// acceptedBy sets the route's status as a Gateway controller does: Accepted for generation.
func acceptedBy(r *gwv1.HTTPRoute, status metav1.ConditionStatus, generation int64) {
	r.Status.Parents = []gwv1.RouteParentStatus{{
		ParentRef:      gwv1.ParentReference{Namespace: ptr.To(gwv1.Namespace("test")), Name: "envoy"},
		ControllerName: "gitcanary.io/meshsim",
		Conditions: []metav1.Condition{{
			Type: string(gwv1.RouteConditionAccepted), Status: status, ObservedGeneration: generation,
			Reason: "Accepted", LastTransitionTime: metav1.Now(),
		}},
	}}
}

func routes(p, c int, mirror bool) engine.Routes {
	return engine.Routes{Primary: p, Canary: c, Mirror: mirror}
}
