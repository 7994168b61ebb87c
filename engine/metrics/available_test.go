package metrics

import (
	"net/http"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func withMetrics(ms ...v1beta1.CanaryMetric) canaryOpt {
	return func(c *v1beta1.Canary) { c.Spec.Analysis.Metrics = ms }
}

func templateMetric(name string) v1beta1.CanaryMetric {
	return v1beta1.CanaryMetric{Name: name, TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: name}}
}

func TestAvailable(t *testing.T) {
	online := newFakeProm(t, http.StatusOK, vectorBody("1"))
	notOne := newFakeProm(t, http.StatusOK, vectorBody("0"))
	down := newFakeProm(t, http.StatusServiceUnavailable, "overloaded")
	builtin := v1beta1.CanaryMetric{Name: "request-success-rate"}
	tests := []struct {
		name      string
		server    string
		canary    *v1beta1.Canary
		templates []*v1beta1.MetricTemplate
		secrets   []*corev1.Secret
		want      string // "" for available
	}{
		{name: "no analysis", canary: newCanary(func(c *v1beta1.Canary) { c.Spec.Analysis = nil })},
		{name: "no metrics", canary: newCanary()},
		{name: "built-in on the default server", server: online.URL, canary: newCanary(withMetrics(builtin))},
		{name: "built-in on the canary's server", server: down.URL, canary: newCanary(withMetrics(builtin), withMetricsServer(online.URL))},
		{name: "inline queries are not checked", canary: newCanary(withMetrics(v1beta1.CanaryMetric{Name: "m", Query: "up"}))},
		{name: "built-in without a server", canary: newCanary(withMetrics(builtin)), want: "prometheus not available: no metrics server address configured"},
		{name: "built-in server down", server: down.URL, canary: newCanary(withMetrics(builtin)),
			want: "prometheus not available: running query failed: error response: Status 503 Service Unavailable: overloaded"},
		{name: "server that does not answer 1", server: notOne.URL, canary: newCanary(withMetrics(builtin)),
			want: "prometheus not available: value is not 1 for query: vector(1)"},
		{name: "template", canary: newCanary(withMetrics(templateMetric("error-rate"))),
			templates: []*v1beta1.MetricTemplate{newTemplate("test", "error-rate", online.URL, "up")}},
		{name: "missing template", canary: newCanary(withMetrics(templateMetric("error-rate"))),
			want: `metric template error-rate.test error: metrictemplates.flagger.app "error-rate" not found`},
		{name: "template with a missing secret", canary: newCanary(withMetrics(templateMetric("error-rate"))),
			templates: []*v1beta1.MetricTemplate{newTemplate("test", "error-rate", online.URL, "up", withSecretRef("prom-auth"))},
			want:      "metric template error-rate.test secret prom-auth error: get Secret test/prom-auth: "},
		{name: "template with incomplete credentials", canary: newCanary(withMetrics(templateMetric("error-rate"))),
			templates: []*v1beta1.MetricTemplate{newTemplate("test", "error-rate", online.URL, "up", withSecretRef("prom-auth"))},
			secrets:   []*corev1.Secret{newSecret("test", "prom-auth", map[string]string{"username": "u"})},
			want:      "metric template error-rate.test secret prom-auth error: secret test/prom-auth credentials does not contain a username/password"},
		{name: "template with an unsupported provider", canary: newCanary(withMetrics(templateMetric("error-rate"))),
			templates: []*v1beta1.MetricTemplate{newTemplate("test", "error-rate", online.URL, "up", func(mt *v1beta1.MetricTemplate) {
				mt.Spec.Provider.Type = "datadog"
			})},
			want: `metric template error-rate.test provider datadog error: unsupported metrics provider type "datadog"`},
		{name: "template provider down", canary: newCanary(withMetrics(templateMetric("error-rate"))),
			templates: []*v1beta1.MetricTemplate{newTemplate("test", "error-rate", down.URL, "up")},
			want:      "prometheus in metric template error-rate.test not available: running query failed: error response: Status 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQuerier(t, Options{DefaultServer: tt.server}, tt.templates, tt.secrets...)
			err := q.Available(t.Context(), tt.canary)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestAvailableAsksEachServerOnce(t *testing.T) {
	prom := newFakeProm(t, http.StatusOK, vectorBody("1"))
	c := newCanary(withMetrics(v1beta1.CanaryMetric{Name: "request-success-rate"}, v1beta1.CanaryMetric{Name: "request-duration"},
		templateMetric("error-rate"), templateMetric("latency")))
	q := newQuerier(t, Options{DefaultServer: prom.URL}, []*v1beta1.MetricTemplate{
		newTemplate("test", "error-rate", prom.URL, "up"), newTemplate("test", "latency", prom.URL, "up"),
	})
	require.NoError(t, q.Available(t.Context(), c))
	require.Len(t, prom.requests(), 1)
	require.Equal(t, "vector(1)", prom.lastQuery(t))
}
