package router

import (
	"testing"

	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

func rawMatch(s string) apiextensionsv1.JSON { return apiextensionsv1.JSON{Raw: []byte(s)} }

func withABTest(c *v1beta1.Canary) {
	c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 10
	c.Spec.Analysis.Match = []apiextensionsv1.JSON{
		rawMatch(`{"headers":{"x-canary":{"exact":"insider"}}}`),
		rawMatch(`{"headers":{"cookie":{"regex":"^(.*?;)?(canary=always)(;.*)?$"}}}`),
	}
}

func headerMatch(name string, t gwv1.HeaderMatchType, value string) gwv1.HTTPRouteMatch {
	return gwv1.HTTPRouteMatch{
		Path:    &gwv1.HTTPPathMatch{Type: ptr.To(gwv1.PathMatchPathPrefix), Value: ptr.To("/")},
		Headers: []gwv1.HTTPHeaderMatch{{Name: gwv1.HTTPHeaderName(name), Type: ptr.To(t), Value: value}},
	}
}

func TestRouteSpecABTest(t *testing.T) {
	c := gatewayCanary(v1beta1.GatewayAPIv1, withABTest)
	spec := routeSpec(c, routes(0, 100, false))
	require.Len(t, spec.Rules, 2)
	// The matched users go to the canary, every other request to the primary alone.
	require.Equal(t, []gwv1.HTTPRouteMatch{
		headerMatch("x-canary", gwv1.HeaderMatchExact, "insider"),
		headerMatch("cookie", gwv1.HeaderMatchRegularExpression, "^(.*?;)?(canary=always)(;.*)?$"),
	}, spec.Rules[0].Matches)
	require.Equal(t, wantBackends(0, 100), spec.Rules[0].BackendRefs)
	require.Equal(t, rootMatch, spec.Rules[1].Matches)
	require.Equal(t, wantBackends(100, 0)[:1], spec.Rules[1].BackendRefs)
}

func TestRouteSpecServiceMatchesAndMirrors(t *testing.T) {
	c := gatewayCanary(v1beta1.GatewayAPIv1, func(c *v1beta1.Canary) {
		c.Spec.Service.Match = []apiextensionsv1.JSON{
			rawMatch(`{"uri":{"prefix":"/api"},"method":{"exact":"GET"},"queryParams":{"v":{"regex":"2.*"}}}`),
			rawMatch(`{"uri":{"exact":"/healthz"}}`),
		}
		c.Spec.Service.Mirror = []v1beta1.HTTPRequestMirror{{BackendRef: v1beta1.MirrorBackendRef{Name: "shadow", Port: ptr.To(int32(80))}, Percent: ptr.To(int32(5))}}
	}, withABTest)
	spec := routeSpec(c, routes(0, 100, false))
	api := gwv1.HTTPRouteMatch{
		Path:        &gwv1.HTTPPathMatch{Type: ptr.To(gwv1.PathMatchPathPrefix), Value: ptr.To("/api")},
		Method:      ptr.To(gwv1.HTTPMethod("GET")),
		QueryParams: []gwv1.HTTPQueryParamMatch{{Name: "v", Type: ptr.To(gwv1.QueryParamMatchRegularExpression), Value: "2.*"}},
	}
	healthz := gwv1.HTTPRouteMatch{Path: &gwv1.HTTPPathMatch{Type: ptr.To(gwv1.PathMatchExact), Value: ptr.To("/healthz")}}
	require.Equal(t, []gwv1.HTTPRouteMatch{api, healthz}, spec.Rules[1].Matches)
	// Each A/B condition is merged into each service match: 2 × 2.
	require.Len(t, spec.Rules[0].Matches, 4)
	require.Equal(t, "/api", *spec.Rules[0].Matches[0].Path.Value)
	require.Equal(t, gwv1.HTTPHeaderName("x-canary"), spec.Rules[0].Matches[0].Headers[0].Name)
	require.Equal(t, api.QueryParams, spec.Rules[0].Matches[0].QueryParams)
	require.Equal(t, "/healthz", *spec.Rules[0].Matches[3].Path.Value)
	require.Equal(t, gwv1.HTTPHeaderName("cookie"), spec.Rules[0].Matches[3].Headers[0].Name)
	mirror := gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterRequestMirror, RequestMirror: &gwv1.HTTPRequestMirrorFilter{
		BackendRef: gwv1.BackendObjectReference{Group: ptr.To(gwv1.Group("")), Kind: ptr.To(gwv1.Kind("Service")), Name: "shadow", Port: ptr.To(int32(80))},
		Percent:    ptr.To(int32(5)),
	}}
	for _, rule := range spec.Rules {
		require.Equal(t, []gwv1.HTTPRouteFilter{mirror}, rule.Filters)
	}
}

func TestRouteSpecMirror(t *testing.T) {
	c := gatewayCanary(v1beta1.GatewayAPIv1, func(c *v1beta1.Canary) { c.Spec.Analysis.Mirror = true })
	toCanary := gwv1.BackendObjectReference{Group: ptr.To(gwv1.Group("")), Kind: ptr.To(gwv1.Kind("Service")), Name: "podinfo-canary", Port: ptr.To(int32(9898))}

	spec := routeSpec(c, routes(100, 0, true))
	require.Equal(t, wantBackends(100, 0), spec.Rules[0].BackendRefs)
	require.Equal(t, []gwv1.HTTPRouteFilter{{Type: gwv1.HTTPRouteFilterRequestMirror, RequestMirror: &gwv1.HTTPRequestMirrorFilter{BackendRef: toCanary}}}, spec.Rules[0].Filters)

	c.Spec.Analysis.MirrorWeight = 25
	require.Equal(t, ptr.To(int32(25)), routeSpec(c, routes(100, 0, true)).Rules[0].Filters[0].RequestMirror.Percent)
	require.Empty(t, routeSpec(c, routes(100, 0, false)).Rules[0].Filters)
}

func TestGatewayAPIMirrorRoundTrip(t *testing.T) {
	for _, version := range gatewayVersions {
		t.Run(version, func(t *testing.T) {
			f := newGWFixture(t, version)
			g := NewGatewayAPI(f.routes, GatewayAPIOptions{})
			c := gatewayCanary(version, func(c *v1beta1.Canary) { c.Spec.Analysis.Mirror = true })
			ctx := t.Context()
			require.NoError(t, g.Reconcile(ctx, c))
			require.NoError(t, g.SetRoutes(ctx, c, routes(100, 0, true)))
			got, err := g.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, routes(100, 0, true), got)
			// Reconcile keeps the mirror while it is on.
			writes := f.writes()
			require.NoError(t, g.Reconcile(ctx, c))
			require.Equal(t, writes, f.writes())
			require.NoError(t, g.SetRoutes(ctx, c, routes(0, 100, false)))
			got, err = g.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, routes(0, 100, false), got)
		})
	}
}

func TestRouteSpecSessionAffinity(t *testing.T) {
	c := gatewayCanary(v1beta1.GatewayAPIv1, func(c *v1beta1.Canary) {
		c.Spec.Analysis.SessionAffinity = &v1beta1.SessionAffinity{CookieName: "flagger-cookie", PrimaryCookieName: "primary-cookie", MaxAge: 600, Path: "/", Secure: true}
	})
	canaryCookie := cookieValue(c, "flagger-cookie")
	primaryCookie := cookieValue(c, "primary-cookie")
	require.Len(t, canaryCookie, 16)
	require.NotEqual(t, canaryCookie, primaryCookie)

	spec := routeSpec(c, routes(90, 10, false))
	require.Len(t, spec.Rules, 3)
	sticky, pin, weighted := spec.Rules[0], spec.Rules[1], spec.Rules[2]
	require.Equal(t, ".*flagger-cookie="+canaryCookie+".*", sticky.Matches[0].Headers[0].Value)
	require.Equal(t, wantBackends(0, 100), sticky.BackendRefs)
	require.Equal(t, ".*primary-cookie="+primaryCookie+".*", pin.Matches[0].Headers[0].Value)
	require.Equal(t, wantBackends(100, 0), pin.BackendRefs)
	require.Equal(t, "flagger-cookie="+canaryCookie+"; Max-Age=600; Path=/; Secure",
		weighted.BackendRefs[1].Filters[0].ResponseHeaderModifier.Add[0].Value)
	require.Equal(t, "primary-cookie="+primaryCookie+"; Max-Age=60; Path=/; Secure",
		weighted.BackendRefs[0].Filters[0].ResponseHeaderModifier.Add[0].Value)
	require.Equal(t, rootMatch, weighted.Matches)

	// Routes reads the weighted rule, not the sticky ones.
	live := &gwv1.HTTPRoute{Spec: spec}
	r, ok := readRoutes(c, live)
	require.True(t, ok)
	require.Equal(t, routes(90, 10, false), r)

	// Back at weight 0, the cookie of this revision is expired; a new revision gets a new one.
	spec = routeSpec(c, routes(100, 0, false))
	require.Len(t, spec.Rules, 2)
	require.Equal(t, "flagger-cookie="+canaryCookie+"; Max-Age=-1; Path=/; Secure", spec.Rules[0].Filters[0].ResponseHeaderModifier.Add[0].Value)
	require.Equal(t, wantBackends(100, 0), spec.Rules[0].BackendRefs)
	c.Status.LastAppliedSpec = "rev-2"
	require.NotEqual(t, canaryCookie, cookieValue(c, "flagger-cookie"))
}
