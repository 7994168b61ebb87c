package meshsim

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func weighted(name string, primary, canary int32) *gwv1.HTTPRoute {
	ref := func(svc string, w int32) gwv1.HTTPBackendRef {
		return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{
			BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(svc), Port: ptr.To(int32(9898))}, Weight: ptr.To(w),
		}}
	}
	return &gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test"},
		Spec: gwv1.HTTPRouteSpec{
			Hostnames: []gwv1.Hostname{"podinfo.test"},
			Rules: []gwv1.HTTPRouteRule{
				{
					Matches:     []gwv1.HTTPRouteMatch{{Headers: []gwv1.HTTPHeaderMatch{{Name: "x-canary", Value: "insider"}}}},
					BackendRefs: []gwv1.HTTPBackendRef{ref("podinfo-primary", primary), ref("podinfo-canary", canary)},
					Filters: []gwv1.HTTPRouteFilter{{Type: gwv1.HTTPRouteFilterRequestMirror, RequestMirror: &gwv1.HTTPRequestMirrorFilter{
						BackendRef: gwv1.BackendObjectReference{Name: "podinfo-shadow", Port: ptr.To(int32(80))},
					}}},
				},
				{BackendRefs: []gwv1.HTTPBackendRef{ref("podinfo-primary", 100)}},
			},
		},
	}
}

func TestBestRule(t *testing.T) {
	routes := []*gwv1.HTTPRoute{weighted("podinfo", 0, 100)}
	tests := []struct {
		name     string
		host     string
		path     string
		header   string
		wantRule int // -1: no route
	}{
		{name: "header match wins", host: "podinfo.test", path: "/", header: "insider", wantRule: 0},
		{name: "other header value", host: "podinfo.test", path: "/", header: "outsider", wantRule: 1},
		{name: "no header", host: "podinfo.test:10000", path: "/status/200", wantRule: 1},
		{name: "other host", host: "other.test", path: "/", wantRule: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://"+tt.host+tt.path, nil)
			if tt.header != "" {
				req.Header.Set("X-Canary", tt.header)
			}
			m := bestRule(routes, req)
			if tt.wantRule < 0 {
				require.Nil(t, m)
				return
			}
			require.NotNil(t, m)
			require.Equal(t, tt.wantRule, m.rule)
		})
	}
}

func TestRouteTargetWeightsAndMirrors(t *testing.T) {
	req := httptest.NewRequest("GET", "http://podinfo.test/", nil)
	req.Header.Set("X-Canary", "insider")
	m := bestRule([]*gwv1.HTTPRoute{weighted("podinfo", 70, 30)}, req)
	require.NotNil(t, m)
	p := &picker{}
	counts := map[string]int{}
	for range 100 {
		tg := m.target(p.next)
		counts[string(tg.Backend.Name)]++
		require.Equal(t, []gwv1.BackendObjectReference{{Name: "podinfo-shadow", Port: ptr.To(int32(80))}}, tg.Mirrors)
	}
	require.Equal(t, map[string]int{"podinfo-primary": 70, "podinfo-canary": 30}, counts)
	require.Equal(t, "test_podinfo-canary_9898", ClusterName("test", gwv1.BackendObjectReference{Name: "podinfo-canary", Port: ptr.To(int32(9898))}))
}

func TestMatchRequest(t *testing.T) {
	exact, prefix, regex := gwv1.PathMatchExact, gwv1.PathMatchPathPrefix, gwv1.PathMatchRegularExpression
	tests := []struct {
		name  string
		match gwv1.HTTPRouteMatch
		path  string
		want  bool
	}{
		{name: "default prefix /", match: gwv1.HTTPRouteMatch{}, path: "/anything", want: true},
		{name: "prefix on a segment", match: gwv1.HTTPRouteMatch{Path: &gwv1.HTTPPathMatch{Type: &prefix, Value: ptr.To("/api")}}, path: "/api/v1", want: true},
		{name: "prefix is not a substring", match: gwv1.HTTPRouteMatch{Path: &gwv1.HTTPPathMatch{Type: &prefix, Value: ptr.To("/api")}}, path: "/apis", want: false},
		{name: "exact", match: gwv1.HTTPRouteMatch{Path: &gwv1.HTTPPathMatch{Type: &exact, Value: ptr.To("/healthz")}}, path: "/healthz", want: true},
		{name: "regex is anchored", match: gwv1.HTTPRouteMatch{Path: &gwv1.HTTPPathMatch{Type: &regex, Value: ptr.To("/v[0-9]")}}, path: "/v1/x", want: false},
		{name: "cookie regex", match: gwv1.HTTPRouteMatch{Headers: []gwv1.HTTPHeaderMatch{{
			Name: "Cookie", Type: ptr.To(gwv1.HeaderMatchRegularExpression), Value: ".*flagger-cookie=abc.*",
		}}}, path: "/", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://podinfo.test"+tt.path, nil)
			req.Header.Set("Cookie", "a=b; flagger-cookie=abc")
			_, ok := matchRequest(tt.match, req)
			require.Equal(t, tt.want, ok)
		})
	}
}
