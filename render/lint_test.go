package render

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The seed's error-rate query, verbatim.
const seedErrorRate = `100 - rate(
  envoy_cluster_upstream_rq{
    kubernetes_namespace="{{ namespace }}",
    envoy_cluster_name="{{ target }}-canary",
    envoy_response_code!~"5.*"
  }[{{ interval }}])
/
rate(
  envoy_cluster_upstream_rq{
    kubernetes_namespace="{{ namespace }}",
    envoy_cluster_name="{{ target }}-canary"
  }[{{ interval }}]
) * 100`

func TestLintRatio(t *testing.T) {
	ratio := `rate(m{a="1"}[1m]) / rate(m[1m])`
	tests := []struct {
		name  string
		query string
		want  string // substring of the warning; "" for none
	}{
		{name: "the seed's error-rate", query: seedErrorRate, want: "it divides envoy_cluster_upstream_rq by envoy_cluster_upstream_rq without aggregating either side: Prometheus pairs the series one by one (one per envoy_response_code)"},
		{name: "irate and a by clause elsewhere", query: `rate(http_requests_total{code=~"5.."}[1m]) / irate(http_requests_total[1m])`, want: "(one per code)"},
		{name: "summed sides", query: `100 - sum(rate(envoy_cluster_upstream_rq{envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq[1m])) * 100`},
		{name: "sum by before the arguments", query: `sum by (le) (rate(m{a="1"}[1m])) / sum by (le) (rate(m[1m]))`},
		{name: "sum by after the arguments", query: `sum(rate(m{a="1"}[1m])) by (le) / sum(rate(m[1m])) by (le)`},
		{name: "on() says how to match", query: `rate(m{a="1"}[1m]) / on() rate(m[1m])`},
		{name: "ignoring(a) says how to match", query: `rate(m{a="1"}[1m]) / ignoring(a) rate(m[1m])`},
		{name: "ignoring() is the default matching", query: `rate(m{a="1"}[1m]) / ignoring() rate(m[1m])`, want: "(one per a)"},
		{name: "different metrics", query: `rate(errors_total[1m]) / rate(requests_total[1m])`},
		{name: "same selection", query: `rate(m{a="1"}[1m]) / rate(m{a="1"}[1m])`},
		{name: "same selection, matchers in another order", query: `rate(m{a="1",b="2"}[1m]) / rate(m{b="2", a="1"}[1m])`},
		{name: "only one side aggregated", query: `rate(m{a="1"}[1m]) / sum(rate(m[1m]))`},
		{name: "nested in parentheses", query: `(1 - (rate(m{a="1"}[5m] offset 1m) / rate(m[5m]))) * 100`, want: "divides m by m"},
		{name: "metric named by __name__", query: `rate({__name__="m",a="1"}[1m]) / rate(m[1m])`, want: "it divides m by m without aggregating either side: Prometheus pairs the series one by one (one per a)"},
		{name: "template variables", query: `rate(m{a="{{ variables.a }}"}[{{ interval }}]) / rate(m[{{ interval }}])`, want: "(one per a)"},
		{name: "histogram quantile", query: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="x"}[1m])) by (le))`},
		{name: "not PromQL", query: `rate(m{a="1"[1m]) / rate(m[1m])`},
		{name: "too long", query: strings.Repeat(" ", maxLintQuery) + ratio},
		{name: "deep", query: strings.Repeat("(", maxLintDepth-2) + ratio + strings.Repeat(")", maxLintDepth-2), want: "(one per a)"},
		{name: "too deep", query: strings.Repeat("(", 200) + ratio + strings.Repeat(")", 200)},
		{name: "many operators", query: ratio + strings.Repeat(" + 0", maxLintOperators-3), want: "(one per a)"},
		{name: "too many operators", query: ratio + strings.Repeat(" + 0", maxLintOperators)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lintRatio(parseQuery(tt.query))
			if tt.want == "" {
				require.Empty(t, got)
				return
			}
			require.Contains(t, got, tt.want)
			require.Contains(t, got, "Aggregate both sides: sum(rate(")
		})
	}
}

// Flagger's documented queries (docs/gitbook/usage/metrics.md and the built-in checks) are read,
// and none draws a ratio lint.
func TestLintFlaggerQueries(t *testing.T) {
	for name, q := range map[string]string{
		"not-found-percentage": `100 - sum(rate(istio_requests_total{reporter="destination", destination_workload_namespace="{{ namespace }}",
			destination_workload="{{ target }}", response_code!="404"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter="destination",
			destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}"}[{{ interval }}])) * 100`,
		"grpc-error-rate-percentage": `100 - sum(rate(grpc_server_handled_total{grpc_code!="OK", kubernetes_namespace="{{ namespace }}",
			kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) / sum(rate(grpc_server_started_total{
			kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100`,
		"my-metric (templateVariables)": `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="{{ namespace }}",
			deployment=~"{{ target }}", direction="{{ variables.direction }}"}[{{ interval }}])) by (le))`,
		"built-in request-success-rate": `sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name=~"{{ target }}-canary",
			envoy_response_code!~"5.*"}[{{ interval }}])) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",
			envoy_cluster_name=~"{{ target }}-canary"}[{{ interval }}])) * 100`,
		"built-in request-duration": `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="{{ namespace }}",
			envoy_cluster_name=~"{{ target }}-canary"}[{{ interval }}])) by (le))`,
	} {
		query := parseQuery(q)
		require.NotNil(t, query, name)
		require.Empty(t, lintRatio(query), name)
	}
}

func TestParseQuery(t *testing.T) {
	for _, q := range []string{
		seedErrorRate,
		`histogram_quantile({{ variables.quantile }}, sum(rate(m_bucket[{{ interval }}])) by (le))`,
		`rate(m[{{ variables.window }}] offset {{ interval }})`,
		`sum by ({{ variables.label }}) ({{ variables.metric }}_total{a="{{ name }}-{{ service }}"})`,
		"{{- /* a comment */ -}}\n rate(m{a=\"{{ ingress }}\", b=\"{{ route }}\"}[{{ interval }}])",
		`vector(1)`,
		`-rate(m[1m]) ^ 2 ^ 3`,
		`topk(5, sum without (pod) (rate(m{a=~"x|y",b!="}"}[1m:10s] @ start())))`,
		`a > bool 1 and b or c unless d`,
		`a * on(x) group_left(y) b`,
		`{__name__="m"} + 1e-3 + 0x1f + .5`,
		"sum(rate(m[1m])) # a comment\n",
		`label_replace(m, "dst", "$1", 'src', "(.*)")`,
		strings.Repeat("(", maxLintDepth) + "m" + strings.Repeat(")", maxLintDepth),
		strings.Repeat("-", maxLintOperators) + "m",
		"m" + strings.Repeat(" + rate(m[1m])", maxLintOperators/2), // an operator and a bracket each
	} {
		require.NotNil(t, parseQuery(q), q)
	}
	for _, q := range []string{
		`sum(`, `a +`, `m{`, `"open`, `a ~ b`, `sum by (x)`, `m offset`,
		`{{ if true }}m{{ end }}`, `{{ nosuch }}`, `{{ variables }}`, `m{a="{{ target }"}`,
		strings.Repeat("(", maxLintDepth+1) + "m" + strings.Repeat(")", maxLintDepth+1),
		strings.Repeat("-", maxLintOperators+1) + "m",
		"m" + strings.Repeat(" + rate(m[1m])", maxLintOperators/2+1),
	} {
		require.Nil(t, parseQuery(q), q)
	}
}

func TestLintMilliseconds(t *testing.T) {
	templates := `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: latency}
spec:
  provider: {type: prometheus, address: http://prometheus:9090}
  query: histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="{{ target }}-canary"}[{{ interval }}])) by (le))
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: seconds}
spec:
  provider: {type: prometheus, address: http://prometheus:9090}
  query: histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[{{ interval }}])) by (le))
`
	files := withCanarySpec(`  provider: smi:crossover
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 9898}
  analysis:
    interval: 1m
    threshold: 5
    stepWeight: 5
    metrics:
      - name: latency
        templateRef: {name: latency}
        thresholdRange: {max: 0.5}
      - name: latency-ok
        templateRef: {name: latency}
        thresholdRange: {max: 500}
      - name: seconds
        templateRef: {name: seconds}
        thresholdRange: {max: 0.5}
      - name: request-duration
        thresholdRange: {max: 0.25}
      - name: inline
        query: histogram_quantile(0.9, sum(rate(istio_request_duration_milliseconds_bucket[1m])) by (le))
        thresholdRange: {min: 0.1}
`)
	files["apps/podinfo/templates.yaml"] = templates
	files["apps/podinfo/kustomization.yaml"] = kustomization + "  - templates.yaml\n"
	b, err := Build(writeRepo(t, files), "apps/podinfo")
	require.NoError(t, err)
	require.Equal(t, []string{
		"Canary test/podinfo: spec.analysis.metrics[0].thresholdRange.max: 0.5 means 0.5 ms (almost any request takes longer, so the check fails), " +
			"because MetricTemplate test/latency reads envoy_cluster_upstream_rq_time_bucket, which is in milliseconds; for 0.5 s write max: 500",
		"Canary test/podinfo: spec.analysis.metrics[3].thresholdRange.max: 0.25 means 0.25 ms (almost any request takes longer, so the check fails), " +
			"because request-duration is compared in milliseconds; for 0.25 s write max: 250",
		"Canary test/podinfo: spec.analysis.metrics[4].thresholdRange.min: 0.1 means 0.1 ms, " +
			"because the query reads istio_request_duration_milliseconds_bucket, which is in milliseconds; for 0.1 s write min: 100",
	}, b.Warnings)
}

func TestLintSeed(t *testing.T) {
	b, err := Build("testdata", "seed")
	require.NoError(t, err)
	var lints []string
	for _, w := range b.Warnings {
		if !strings.Contains(w, "is not in this overlay") {
			lints = append(lints, w)
		}
	}
	require.Len(t, lints, 2, "%q", b.Warnings)
	require.True(t, strings.HasPrefix(lints[0], "MetricTemplate test/error-rate: spec.query: it divides envoy_cluster_upstream_rq by envoy_cluster_upstream_rq"), lints[0])
	require.True(t, strings.HasPrefix(lints[1], "Canary test/podinfo: spec.analysis.metrics[1].thresholdRange.max: 0.5 means 0.5 ms"), lints[1])

	example, err := Build("../manifests/examples", "podinfo")
	require.NoError(t, err)
	require.Empty(t, example.Warnings, "the example fixes both")
}
