package metrics

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

func TestBuiltinQueriesByProvider(t *testing.T) {
	tests := []struct {
		name, provider, metric string
		want                   string
	}{
		{name: "crossover success rate", provider: "smi:crossover", metric: v1beta1.BuiltinRequestSuccessRate,
			want: `sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name=~"podinfo-canary",envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name=~"podinfo-canary"}[1m])) * 100`},
		{name: "gateway api success rate", provider: "gatewayapi:v1", metric: v1beta1.BuiltinRequestSuccessRate,
			want: `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+"}[1m])) * 100`},
		{name: "gateway api v1beta1 duration", provider: "gatewayapi:v1beta1", metric: v1beta1.BuiltinRequestDuration,
			want: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+"}[1m])) by (le))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCanary(func(c *v1beta1.Canary) { c.Spec.Provider = tt.provider })
			q, ok := BuiltinQuery(c, tt.metric)
			require.True(t, ok)
			m := v1beta1.CanaryMetric{Name: tt.metric, Interval: "1m"}
			got, err := Render(t.Context(), q, c, m)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	c := newCanary(func(c *v1beta1.Canary) { c.Spec.Provider = "gatewayapi:v1" })
	got, err := Render(t.Context(), RequestCountQuery(c), c, v1beta1.CanaryMetric{Name: "x", Interval: "30s"})
	require.NoError(t, err)
	require.Equal(t, `sum(increase(envoy_cluster_upstream_rq{envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+"}[30s]))`, got)
}
