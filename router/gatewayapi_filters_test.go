package router

import (
	"testing"

	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// withServiceFilters gives the canary Flagger's headers, rewrite and timeout.
func withServiceFilters(c *v1beta1.Canary) {
	headers := rawMatch(`{"request":{"set":{"x-env":"prod","x-a":"1"},"add":{"x-via":"gitcanary"},"remove":["x-debug"]},"response":{"add":{"x-served-by":"podinfo"}}}`)
	rewrite := rawMatch(`{"uri":"/api/v2","authority":"podinfo.internal"}`)
	c.Spec.Service.Headers, c.Spec.Service.Rewrite, c.Spec.Service.Timeout = &headers, &rewrite, "15s"
}

var (
	wantRequestHeaders = gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterRequestHeaderModifier, RequestHeaderModifier: &gwv1.HTTPHeaderFilter{
		Set:    []gwv1.HTTPHeader{{Name: "x-a", Value: "1"}, {Name: "x-env", Value: "prod"}},
		Add:    []gwv1.HTTPHeader{{Name: "x-via", Value: "gitcanary"}},
		Remove: []string{"x-debug"},
	}}
	wantResponseHeaders = gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterResponseHeaderModifier, ResponseHeaderModifier: &gwv1.HTTPHeaderFilter{
		Add: []gwv1.HTTPHeader{{Name: "x-served-by", Value: "podinfo"}},
	}}
	wantRewrite = gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterURLRewrite, URLRewrite: &gwv1.HTTPURLRewriteFilter{
		Hostname: ptr.To(gwv1.PreciseHostname("podinfo.internal")),
		Path:     &gwv1.HTTPPathModifier{Type: gwv1.FullPathHTTPPathModifier, ReplaceFullPath: ptr.To("/api/v2")},
	}}
	wantTimeouts = &gwv1.HTTPRouteTimeouts{Request: ptr.To(gwv1.Duration("15s"))}
)

func TestRouteSpecServiceFilters(t *testing.T) {
	c := gatewayCanary(v1beta1.GatewayAPIv1, withServiceFilters, withABTest)
	c.Spec.Analysis.Mirror = true
	spec := routeSpec(c, routes(0, 100, true))
	require.Len(t, spec.Rules, 2)
	// Flagger's order: header modifiers, rewrite, then the mirrors; every rule has them and the
	// timeout.
	filters := []gwv1.HTTPRouteFilter{wantRequestHeaders, wantResponseHeaders, wantRewrite}
	require.Equal(t, append(filters, mirrorFilter(c, "podinfo-canary", 9898)), spec.Rules[0].Filters)
	require.Equal(t, filters, spec.Rules[1].Filters)
	for _, rule := range spec.Rules {
		require.Equal(t, wantTimeouts, rule.Timeouts)
	}
	// Filters do not hide the weights or the mirror from Routes.
	r, ok := readRoutes(c, &gwv1.HTTPRoute{Spec: spec})
	require.True(t, ok)
	require.Equal(t, routes(0, 100, true), r)
}

func TestRouteSpecPrefixRewrite(t *testing.T) {
	c := gatewayCanary(v1beta1.GatewayAPIv1, func(c *v1beta1.Canary) {
		rewrite := rawMatch(`{"uri":"/v2","type":"ReplacePrefixMatch"}`)
		c.Spec.Service.Rewrite = &rewrite
		c.Spec.Service.Match = []apiextensionsv1.JSON{rawMatch(`{"uri":{"prefix":"/v1"}}`)}
	})
	rule := routeSpec(c, routes(100, 0, false)).Rules[0]
	require.Equal(t, []gwv1.HTTPRouteFilter{{Type: gwv1.HTTPRouteFilterURLRewrite, URLRewrite: &gwv1.HTTPURLRewriteFilter{
		Path: &gwv1.HTTPPathModifier{Type: gwv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: ptr.To("/v2")},
	}}}, rule.Filters)
	require.Nil(t, rule.Timeouts)
}

// TestRouteSpecSessionCookieJoinsResponseHeaders: an HTTPRoute rule holds one
// ResponseHeaderModifier, so the rule that expires the session cookie adds Set-Cookie to the
// service's response headers rather than a second modifier.
func TestRouteSpecSessionCookieJoinsResponseHeaders(t *testing.T) {
	c := gatewayCanary(v1beta1.GatewayAPIv1, withServiceFilters, func(c *v1beta1.Canary) {
		c.Spec.Analysis.SessionAffinity = &v1beta1.SessionAffinity{CookieName: "flagger-cookie"}
	})
	spec := routeSpec(c, routes(100, 0, false))
	require.Len(t, spec.Rules, 2)
	expire, weighted := spec.Rules[0], spec.Rules[1]
	require.Equal(t, []gwv1.HTTPRouteFilter{wantRequestHeaders, wantResponseHeaders, wantRewrite}, weighted.Filters, "the weighted rule is unchanged")
	require.Len(t, expire.Filters, 3)
	require.Equal(t, gwv1.HTTPRouteFilterResponseHeaderModifier, expire.Filters[1].Type)
	add := expire.Filters[1].ResponseHeaderModifier.Add
	require.Len(t, add, 2)
	require.Equal(t, wantResponseHeaders.ResponseHeaderModifier.Add[0], add[0])
	require.Equal(t, gwv1.HTTPHeaderName("Set-Cookie"), add[1].Name)
	require.Contains(t, add[1].Value, "Max-Age=-1")
}
