package metrics

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

const errorRate = `100 - sum(
    rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary",envoy_response_code!~"5.*"}[{{ interval }}])
) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary"}[{{ interval }}])) * 100`

func TestQueryTemplate(t *testing.T) {
	tests := []struct {
		name       string
		template   func(addr string) *v1beta1.MetricTemplate
		secrets    []*corev1.Secret
		metric     v1beta1.CanaryMetric
		wantQuery  string
		wantHeader map[string]string
		want       float64
	}{
		{
			name:      "tutorial error-rate with the default interval",
			template:  func(addr string) *v1beta1.MetricTemplate { return newTemplate("test", "error-rate", addr, errorRate) },
			metric:    v1beta1.CanaryMetric{Name: "error-rate", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "error-rate"}},
			wantQuery: `100 - sum( rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name="podinfo-canary",envoy_response_code!~"5.*"}[1m]) ) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name="podinfo-canary"}[1m])) * 100`,
			want:      0.5,
		},
		{
			name: "template in another namespace with variables",
			template: func(addr string) *v1beta1.MetricTemplate {
				return newTemplate("flagger", "latency", addr, `histogram_quantile({{ variables.quantile }}, rate(x{ns="{{ namespace }}"}[{{ interval }}]))`)
			},
			metric: v1beta1.CanaryMetric{
				Name: "latency", Interval: "30s",
				TemplateRef:       &v1beta1.CrossNamespaceObjectReference{Name: "latency", Namespace: "flagger"},
				TemplateVariables: map[string]string{"quantile": "0.95"},
			},
			wantQuery: `histogram_quantile(0.95, rate(x{ns="test"}[30s]))`,
			want:      0.5,
		},
		{
			name: "bearer token from the secret, headers sent",
			template: func(addr string) *v1beta1.MetricTemplate {
				return newTemplate("test", "auth", addr, "up", withSecretRef("prom-auth"), func(mt *v1beta1.MetricTemplate) {
					mt.Spec.Provider.Headers = map[string][]string{"x-scope-orgid": {"tenant-a"}}
				})
			},
			secrets:    []*corev1.Secret{newSecret("test", "prom-auth", map[string]string{"token": "s3cr3t", "username": "ignored", "password": "ignored"})},
			metric:     v1beta1.CanaryMetric{Name: "auth", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "auth"}},
			wantQuery:  "up",
			wantHeader: map[string]string{"Authorization": "Bearer s3cr3t", "X-Scope-Orgid": "tenant-a"},
			want:       0.5,
		},
		{
			name: "basic auth from the secret",
			template: func(addr string) *v1beta1.MetricTemplate {
				return newTemplate("test", "basic", addr, "up", withSecretRef("prom-basic"))
			},
			secrets:    []*corev1.Secret{newSecret("test", "prom-basic", map[string]string{"username": "admin", "password": "pw"})},
			metric:     v1beta1.CanaryMetric{Name: "basic", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "basic"}},
			wantQuery:  "up",
			wantHeader: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))},
			want:       0.5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prom := newFakeProm(t, http.StatusOK, vectorBody("0.5"))
			q := newQuerier(t, Options{}, []*v1beta1.MetricTemplate{tt.template(prom.URL)}, tt.secrets...)
			got, err := q.Query(t.Context(), newCanary(), tt.metric)
			require.NoError(t, err)
			require.Equal(t, tt.want, got.Value)
			require.Equal(t, tt.wantQuery, got.Query)
			require.Equal(t, prom.URL, got.Address)
			seen := prom.requests()
			require.Len(t, seen, 1)
			require.Equal(t, tt.wantQuery, seen[0].query)
			for k, v := range tt.wantHeader {
				require.Equal(t, v, seen[0].header.Get(k), "header %s", k)
			}
		})
	}
}

func TestQueryTemplateErrors(t *testing.T) {
	ref := &v1beta1.CrossNamespaceObjectReference{Name: "tmpl"}
	tests := []struct {
		name       string
		template   *v1beta1.MetricTemplate
		secrets    []*corev1.Secret
		metric     v1beta1.CanaryMetric
		wantKind   engine.MetricFailure
		wantText   string
		wantDetail string
	}{
		{
			name:     "template not found",
			metric:   v1beta1.CanaryMetric{Name: "m", TemplateRef: ref},
			wantKind: engine.MetricTemplateError,
			wantText: `get MetricTemplate test/tmpl: metrictemplates.flagger.app "tmpl" not found`,
		},
		{
			name:     "template in the canary's namespace only",
			template: newTemplate("other", "tmpl", "http://prom:9090", "up"),
			metric:   v1beta1.CanaryMetric{Name: "m", TemplateRef: ref},
			wantKind: engine.MetricTemplateError,
		},
		{
			name:     "missing variable",
			template: newTemplate("test", "tmpl", "http://prom:9090", `rate(x{app="{{ variables.app }}"}[1m])`),
			metric:   v1beta1.CanaryMetric{Name: "m", TemplateRef: ref, TemplateVariables: map[string]string{"other": "x"}},
			wantKind: engine.MetricRenderError,
			wantText: `map has no entry for key "app"`,
		},
		{
			name:     "unknown function",
			template: newTemplate("test", "tmpl", "http://prom:9090", `rate(x{app="{{ deployment }}"}[1m])`),
			metric:   v1beta1.CanaryMetric{Name: "m", TemplateRef: ref},
			wantKind: engine.MetricRenderError,
			wantText: `function "deployment" not defined`,
		},
		{
			name:       "unsupported provider",
			template:   newTemplate("test", "tmpl", "http://dd", "up", func(mt *v1beta1.MetricTemplate) { mt.Spec.Provider.Type = "datadog" }),
			metric:     v1beta1.CanaryMetric{Name: "m", TemplateRef: ref},
			wantKind:   engine.MetricProviderError,
			wantText:   `unsupported metrics provider type "datadog"`,
			wantDetail: "datadog",
		},
		{
			name:       "missing address",
			template:   newTemplate("test", "tmpl", "", "up"),
			metric:     v1beta1.CanaryMetric{Name: "m", TemplateRef: ref},
			wantKind:   engine.MetricProviderError,
			wantText:   "no metrics server address configured",
			wantDetail: "prometheus",
		},
		{
			name:       "secret missing",
			template:   newTemplate("test", "tmpl", "http://prom:9090", "up", withSecretRef("absent")),
			metric:     v1beta1.CanaryMetric{Name: "m", TemplateRef: ref},
			wantKind:   engine.MetricSecretError,
			wantText:   `get Secret test/absent: secrets "absent" not found`,
			wantDetail: "absent",
		},
		{
			name:       "secret without password",
			template:   newTemplate("test", "tmpl", "http://prom:9090", "up", withSecretRef("half")),
			secrets:    []*corev1.Secret{newSecret("test", "half", map[string]string{"username": "admin"})},
			metric:     v1beta1.CanaryMetric{Name: "m", TemplateRef: ref},
			wantKind:   engine.MetricSecretError,
			wantText:   "secret test/half credentials does not contain a username/password",
			wantDetail: "half",
		},
		{
			name:       "secret read from the template's namespace",
			template:   newTemplate("test", "tmpl", "http://prom:9090", "up", withSecretRef("auth")),
			secrets:    []*corev1.Secret{newSecret("flagger", "auth", map[string]string{"token": "t"})},
			metric:     v1beta1.CanaryMetric{Name: "m", TemplateRef: ref},
			wantKind:   engine.MetricSecretError,
			wantDetail: "auth",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var templates []*v1beta1.MetricTemplate
			if tt.template != nil {
				templates = append(templates, tt.template)
			}
			q := newQuerier(t, Options{}, templates, tt.secrets...)
			_, err := q.Query(t.Context(), newCanary(), tt.metric)
			me := requireMetricError(t, err, tt.wantKind)
			require.Contains(t, err.Error(), tt.wantText)
			require.Equal(t, tt.wantDetail, me.Detail)
		})
	}
}

func TestQueryTemplateInsecureSkipVerify(t *testing.T) {
	prom := newFakePromTLS(t, http.StatusOK, vectorBody("4"))
	metric := v1beta1.CanaryMetric{Name: "m", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "tls"}}

	strict := newQuerier(t, Options{}, []*v1beta1.MetricTemplate{newTemplate("test", "tls", prom.URL, "up")})
	_, err := strict.Query(t.Context(), newCanary(), metric)
	requireMetricError(t, err, engine.MetricQueryFailed)
	require.Contains(t, err.Error(), "certificate")

	skip := newQuerier(t, Options{}, []*v1beta1.MetricTemplate{newTemplate("test", "tls", prom.URL, "up", func(mt *v1beta1.MetricTemplate) {
		mt.Spec.Provider.InsecureSkipVerify = true
	})})
	got, err := skip.Query(t.Context(), newCanary(), metric)
	require.NoError(t, err)
	require.Equal(t, 4.0, got.Value)
}

func TestRenderStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Render(ctx, "{{ namespace }}", newCanary(), v1beta1.CanaryMetric{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestRender(t *testing.T) {
	tests := []struct {
		name    string
		canary  *v1beta1.Canary
		metric  v1beta1.CanaryMetric
		query   string
		want    string
		wantErr string
	}{
		{
			name:   "names default to the target",
			canary: newCanary(func(c *v1beta1.Canary) { c.Name = "podinfo-canary"; c.Spec.TargetRef.Name = "podinfo" }),
			query:  "{{ name }} {{ namespace }} {{ target }} {{ service }} {{ ingress }} {{ route }} {{ interval }}",
			want:   "podinfo-canary test podinfo podinfo podinfo podinfo 1m",
		},
		{
			name: "service, ingress and route refs",
			canary: newCanary(func(c *v1beta1.Canary) {
				c.Spec.Service.Name = "frontend"
				c.Spec.IngressRef = &v1beta1.LocalObjectReference{Name: "web"}
				c.Spec.RouteRef = &v1beta1.LocalObjectReference{Name: "route-a"}
			}),
			metric: v1beta1.CanaryMetric{Interval: "5m"},
			query:  "{{ service }} {{ ingress }} {{ route }} {{ interval }}",
			want:   "frontend web route-a 5m",
		},
		{
			name:   "variables",
			canary: newCanary(),
			metric: v1beta1.CanaryMetric{TemplateVariables: map[string]string{"a": "1", "b": "two"}},
			query:  "{{ variables.a }}-{{ variables.b }}",
			want:   "1-two",
		},
		{name: "missing variable without any variables", canary: newCanary(), query: "{{ variables.a }}", wantErr: `map has no entry for key "a"`},
		{name: "data access", canary: newCanary(), query: "{{ .Name }}", wantErr: "not allowed in a query"},
		{name: "syntax error", canary: newCanary(), query: "{{ name ", wantErr: "unclosed action"},
		{name: "loop", canary: newCanary(), query: "{{ range 1000000000000 }}x{{ end }}", wantErr: "range is not allowed in a query"},
		{name: "builtin function", canary: newCanary(), query: `{{ printf "%0999999999d" 1 }}`, wantErr: "not allowed in a query"},
		{name: "rendered query too long", canary: newCanary(),
			metric:  v1beta1.CanaryMetric{TemplateVariables: map[string]string{"big": strings.Repeat("x", 40<<10)}},
			query:   "{{ variables.big }}{{ variables.big }}",
			wantErr: "rendered query too long: over 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(t.Context(), tt.query, tt.canary, tt.metric)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
