package engine_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// TestMetricEvaluation checks thresholds and the wording of every metric failure (reference
// §7.4, §11.1) through one analysis tick of a canary with a single metric.
func TestMetricEvaluation(t *testing.T) {
	builtin := func(name string, min, max *float64) v1beta1.CanaryMetric {
		return v1beta1.CanaryMetric{Name: name, ThresholdRange: &v1beta1.CanaryThresholdRange{Min: min, Max: max}}
	}
	template := v1beta1.CanaryMetric{Name: "error-rate", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "error-rate"},
		ThresholdRange: &v1beta1.CanaryThresholdRange{Max: ptr(1.0)}}
	inline := v1beta1.CanaryMetric{Name: "errors", Query: "sum(rate(errors[1m]))", Threshold: 5}
	failure := func(kind engine.MetricFailure, detail string) error {
		return &engine.MetricError{Failure: kind, Err: errors.New("boom"), Detail: detail}
	}
	advanced := "Event Normal: Advance podinfo.test canary weight 10"
	tests := []struct {
		name   string
		metric v1beta1.CanaryMetric
		result engine.MetricResult
		want   string // the event after the reconcile actions
	}{
		{"success rate above its minimum", builtin("request-success-rate", ptr(99.0), nil), value(99.5), advanced},
		{"success rate below its minimum", builtin("request-success-rate", ptr(99.0), nil), value(69.1666),
			"Event Warning: Halt podinfo.test advancement success rate 69.17% < 99%"},
		{"success rate above its maximum", builtin("request-success-rate", nil, ptr(99.5)), value(99.9),
			"Event Warning: Halt podinfo.test advancement success rate 99.90% > 99.5%"},
		{"deprecated threshold is the success rate's minimum", v1beta1.CanaryMetric{Name: "request-success-rate", Threshold: 99},
			value(98), "Event Warning: Halt podinfo.test advancement success rate 98.00% < 99%"},
		{"request duration in milliseconds within its maximum", builtin("request-duration", nil, ptr(500.0)), value(500), advanced},
		{"request duration above its maximum, as Go durations", builtin("request-duration", nil, ptr(500.0)), value(1200),
			"Event Warning: Halt podinfo.test advancement request duration 1.2s > 500ms"},
		{"request duration below its minimum", builtin("request-duration", ptr(10.0), nil), value(2),
			"Event Warning: Halt podinfo.test advancement request duration 2ms < 10ms"},
		{"deprecated threshold is the duration's maximum", v1beta1.CanaryMetric{Name: "request-duration", Threshold: 500},
			value(1450), "Event Warning: Halt podinfo.test advancement request duration 1.45s > 500ms"},
		{"template within range", template, value(0.99), advanced},
		{"template above its maximum", template, value(30.83), "Event Warning: Halt podinfo.test advancement error-rate 30.83 > 1"},
		{"template below its minimum", v1beta1.CanaryMetric{Name: "rps", TemplateRef: template.TemplateRef,
			ThresholdRange: &v1beta1.CanaryThresholdRange{Min: ptr(10.0)}}, value(2.5),
			"Event Warning: Halt podinfo.test advancement rps 2.50 < 10"},
		{"deprecated threshold is an inline query's maximum", inline, value(7), "Event Warning: Halt podinfo.test advancement errors 7.00 > 5"},
		{"built-in without data", builtin("request-success-rate", ptr(99.0), nil), engine.MetricResult{Err: failure(engine.MetricNoData, "")},
			"Event Warning: Halt advancement no values found for smi:crossover metric request-success-rate probably podinfo.test is not receiving traffic: boom"},
		{"request duration without data", builtin("request-duration", nil, ptr(500.0)), engine.MetricResult{Err: failure(engine.MetricNoData, "")},
			"Event Warning: Halt advancement no values found for smi:crossover metric request-duration probably podinfo.test is not receiving traffic"},
		{"built-in query failure", builtin("request-duration", nil, ptr(500.0)), engine.MetricResult{Err: failure(engine.MetricQueryFailed, "")},
			"Event Warning: Prometheus query failed: boom"},
		{"inline query without data", inline, engine.MetricResult{Err: failure(engine.MetricNoData, "")},
			"Event Warning: Halt advancement no values found for metric: errors"},
		{"inline query failure", inline, engine.MetricResult{Err: errors.New("connection refused")},
			"Event Warning: Prometheus query failed for errors: connection refused"},
		{"template without data", template, engine.MetricResult{Err: failure(engine.MetricNoData, "")},
			"Event Warning: Halt advancement no values found for custom metric: error-rate: boom"},
		{"template query failure", template, engine.MetricResult{Err: failure(engine.MetricQueryFailed, "")},
			"Event Warning: Metric query failed for error-rate: boom"},
		{"missing template", template, engine.MetricResult{Err: failure(engine.MetricTemplateError, "")},
			"Event Warning: Metric template error-rate.test error: boom"},
		{"template secret", template, engine.MetricResult{Err: failure(engine.MetricSecretError, "prom-auth")},
			"Event Warning: Metric template error-rate.test secret prom-auth error: boom"},
		{"template secret without its name", template, engine.MetricResult{Err: failure(engine.MetricSecretError, "")},
			"Event Warning: Metric template error-rate.test secret error: boom"},
		{"template provider", template, engine.MetricResult{Err: failure(engine.MetricProviderError, "datadog")},
			"Event Warning: Metric template error-rate.test provider datadog error: boom"},
		{"template render", template, engine.MetricResult{Err: failure(engine.MetricRenderError, "")},
			"Event Warning: Metric template error-rate.test query render error: boom"},
		{"not configured, as the adapter reports it", template, engine.MetricResult{Err: failure(engine.MetricNotConfigured, "")},
			"Event Warning: Metric query failed for no usable metrics template and query were configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 5, 0), noChecks,
				withAnalysis(func(a *v1beta1.CanaryAnalysis) { a.Metrics = []v1beta1.CanaryMetric{tc.metric} }))
			w := at(5)
			w.metrics = map[string]engine.MetricResult{tc.metric.Name: tc.result}
			d := decide(t, c, w)
			actions := d.actions()
			require.Contains(t, actions, tc.want)
			if tc.want == advanced {
				require.Equal(t, 0, d.Status.FailedChecks)
			} else {
				require.Equal(t, 1, d.Status.FailedChecks)
				require.Equal(t, then(tc.want), actions)
			}
		})
	}
}

// TestMetricOrder checks Flagger's order: built-ins and inline queries first, then templates,
// each in list order, stopping at the first failure; an unusable metric fails without a query.
func TestMetricOrder(t *testing.T) {
	metrics := []v1beta1.CanaryMetric{
		{Name: "latency", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "latency"}, ThresholdRange: &v1beta1.CanaryThresholdRange{Max: ptr(1.0)}},
		{Name: "request-duration", ThresholdRange: &v1beta1.CanaryThresholdRange{Max: ptr(500.0)}},
		{Name: "unusable"},
		{Name: "errors", Query: "sum(errors)", Threshold: 1},
	}
	c := seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 5, 0), noChecks,
		withAnalysis(func(a *v1beta1.CanaryAnalysis) { a.Metrics = metrics }))
	w := at(5)
	w.metrics = map[string]engine.MetricResult{"latency": value(0.5), "request-duration": value(20), "errors": value(0)}
	d := decide(t, c, w)
	require.Equal(t, []string{"Workload", "Routes", "Metric request-duration", "Metric errors", "Metric latency"}, d.checks)
	require.Equal(t, then("Event Warning: Metric query failed for no usable metrics template and query were configured"), d.actions())
	require.Equal(t, map[string]float64{"latency": 0.5, "request-duration": 0.02, "errors": 0}, d.Report.MetricValues)
}
