package status

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// scrape serves the registry over HTTP with promhttp, as the controller does, and parses the
// text exposition of /metrics.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// series flattens a family to "label=value,…" → value, labels sorted by name.
func series(t *testing.T, families map[string]*dto.MetricFamily, name string) map[string]float64 {
	t.Helper()
	f, ok := families[name]
	require.True(t, ok, "metric %s not exported", name)
	out := map[string]float64{}
	for _, m := range f.GetMetric() {
		pairs := make([]string, 0, len(m.GetLabel()))
		for _, l := range m.GetLabel() {
			pairs = append(pairs, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(pairs)
		var v float64
		switch f.GetType() {
		case dto.MetricType_GAUGE:
			v = m.GetGauge().GetValue()
		case dto.MetricType_COUNTER:
			v = m.GetCounter().GetValue()
		case dto.MetricType_HISTOGRAM:
			v = float64(m.GetHistogram().GetSampleCount())
		}
		out[strings.Join(pairs, ",")] = v
	}
	return out
}

// labelNames returns the label names of a family's first series.
func labelNames(t *testing.T, families map[string]*dto.MetricFamily, name string) []string {
	t.Helper()
	f, ok := families[name]
	require.True(t, ok, "metric %s not exported", name)
	require.NotEmpty(t, f.GetMetric())
	var names []string
	for _, l := range f.GetMetric()[0].GetLabel() {
		names = append(names, l.GetName())
	}
	sort.Strings(names)
	return names
}

func newMetrics(t *testing.T) (*Telemetry, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewTelemetry(reg, TelemetryOptions{Version: "0.1.0", MeshProvider: "smi:crossover"})
	require.NoError(t, err)
	return m, reg
}

// TestMetricsReference checks names, types and labels against reference §10.
func TestMetricsReference(t *testing.T) {
	m, reg := newMetrics(t)
	c := newCanary(func(c *v1beta1.Canary) { c.Name = "podinfo-canary" }) // name label is the target
	m.SetTotal("test", 3)
	m.Record(c, engine.TickReport{
		Phase: v1beta1.CanaryPhaseProgressing, PrimaryWeight: 90, CanaryWeight: 10, Routed: true,
		Analysed: true, Duration: 120 * time.Millisecond,
		MetricValues: map[string]float64{"request-success-rate": 99.5, "request-duration": 0.25},
	})
	m.Record(c, engine.TickReport{Phase: v1beta1.CanaryPhaseSucceeded, Succeeded: true})
	m.Record(c, engine.TickReport{Phase: v1beta1.CanaryPhaseFailed, Failed: true})

	families := scrape(t, reg)
	tests := []struct {
		name   string
		typ    dto.MetricType
		labels []string
	}{
		{"flagger_info", dto.MetricType_GAUGE, []string{"mesh_provider", "version"}},
		{"flagger_canary_total", dto.MetricType_GAUGE, []string{"namespace"}},
		{"flagger_canary_status", dto.MetricType_GAUGE, []string{"name", "namespace"}},
		{"flagger_canary_weight", dto.MetricType_GAUGE, []string{"namespace", "workload"}},
		{"flagger_canary_duration_seconds", dto.MetricType_HISTOGRAM, []string{"name", "namespace"}},
		{"flagger_canary_metric_analysis", dto.MetricType_GAUGE, []string{"metric", "name", "namespace"}},
		{"flagger_canary_successes_total", dto.MetricType_COUNTER, []string{"analysis_status", "deployment_strategy", "name", "namespace"}},
		{"flagger_canary_failures_total", dto.MetricType_COUNTER, []string{"analysis_status", "deployment_strategy", "name", "namespace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.typ, families[tt.name].GetType())
			require.Equal(t, tt.labels, labelNames(t, families, tt.name))
		})
	}
	require.Len(t, families, len(tests), "no other metric is registered")

	require.Equal(t, map[string]float64{"mesh_provider=smi:crossover,version=0.1.0": 1}, series(t, families, "flagger_info"))
	require.Equal(t, map[string]float64{"namespace=test": 3}, series(t, families, "flagger_canary_total"))
	require.Equal(t, map[string]float64{"name=podinfo,namespace=test": 2}, series(t, families, "flagger_canary_status"))
	require.Equal(t, map[string]float64{
		"namespace=test,workload=podinfo-primary": 90,
		"namespace=test,workload=podinfo":         10,
	}, series(t, families, "flagger_canary_weight"))
	require.Equal(t, map[string]float64{"name=podinfo,namespace=test": 1}, series(t, families, "flagger_canary_duration_seconds"))
	require.Equal(t, map[string]float64{
		"metric=request-success-rate,name=podinfo,namespace=test": 99.5,
		"metric=request-duration,name=podinfo,namespace=test":     0.25,
	}, series(t, families, "flagger_canary_metric_analysis"))
	require.Equal(t, map[string]float64{"analysis_status=completed,deployment_strategy=canary,name=podinfo,namespace=test": 1},
		series(t, families, "flagger_canary_successes_total"))
	require.Equal(t, map[string]float64{"analysis_status=completed,deployment_strategy=canary,name=podinfo,namespace=test": 1},
		series(t, families, "flagger_canary_failures_total"))
}

func TestMetricsStatusValue(t *testing.T) {
	tests := []struct {
		phase v1beta1.CanaryPhase
		want  float64
	}{
		{v1beta1.CanaryPhaseProgressing, 0},
		{v1beta1.CanaryPhaseFailed, 2},
		{v1beta1.CanaryPhaseInitialized, 1},
		{v1beta1.CanaryPhaseSucceeded, 1},
		{v1beta1.CanaryPhaseWaiting, 1},
		{v1beta1.CanaryPhaseWaitingPromotion, 1},
		{v1beta1.CanaryPhasePromoting, 1},
		{"", 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.phase), func(t *testing.T) {
			m, reg := newMetrics(t)
			m.Record(newCanary(), engine.TickReport{Phase: tt.phase})
			require.Equal(t, map[string]float64{"name=podinfo,namespace=test": tt.want}, series(t, scrape(t, reg), "flagger_canary_status"))
		})
	}
}

func TestMetricsOutcomes(t *testing.T) {
	blueGreen := func(c *v1beta1.Canary) { c.Spec.Analysis = &v1beta1.CanaryAnalysis{Iterations: 10} }
	tests := []struct {
		name          string
		canary        *v1beta1.Canary
		report        engine.TickReport
		wantSuccesses map[string]float64
		wantFailures  map[string]float64
	}{
		{
			name:          "skipped analysis",
			canary:        newCanary(),
			report:        engine.TickReport{Phase: v1beta1.CanaryPhaseSucceeded, Succeeded: true, Skipped: true},
			wantSuccesses: map[string]float64{"analysis_status=skipped,deployment_strategy=canary,name=podinfo,namespace=test": 1},
		},
		{
			name:          "blue/green success",
			canary:        newCanary(blueGreen),
			report:        engine.TickReport{Phase: v1beta1.CanaryPhaseSucceeded, Succeeded: true},
			wantSuccesses: map[string]float64{"analysis_status=completed,deployment_strategy=blue-green,name=podinfo,namespace=test": 1},
		},
		{
			name:         "blue/green failure",
			canary:       newCanary(blueGreen),
			report:       engine.TickReport{Phase: v1beta1.CanaryPhaseFailed, Failed: true},
			wantFailures: map[string]float64{"analysis_status=completed,deployment_strategy=blue-green,name=podinfo,namespace=test": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, reg := newMetrics(t)
			m.Record(tt.canary, tt.report)
			families := scrape(t, reg)
			if tt.wantSuccesses != nil {
				require.Equal(t, tt.wantSuccesses, series(t, families, "flagger_canary_successes_total"))
			}
			if tt.wantFailures != nil {
				require.Equal(t, tt.wantFailures, series(t, families, "flagger_canary_failures_total"))
			}
			require.Equal(t, tt.wantSuccesses == nil, families["flagger_canary_successes_total"] == nil)
			require.Equal(t, tt.wantFailures == nil, families["flagger_canary_failures_total"] == nil)
		})
	}
}

func TestMetricsNotRoutedNotAnalysed(t *testing.T) {
	m, reg := newMetrics(t)
	m.Record(newCanary(), engine.TickReport{Phase: v1beta1.CanaryPhaseInitializing})
	families := scrape(t, reg)
	require.NotContains(t, families, "flagger_canary_weight")
	require.NotContains(t, families, "flagger_canary_duration_seconds")
	require.NotContains(t, families, "flagger_canary_metric_analysis")
}

func TestMetricsForget(t *testing.T) {
	m, reg := newMetrics(t)
	gone, kept := newCanary(), newCanary(func(c *v1beta1.Canary) { c.Name, c.Spec.TargetRef.Name = "other", "other" })
	for _, c := range []*v1beta1.Canary{gone, kept} {
		m.Record(c, engine.TickReport{Phase: v1beta1.CanaryPhaseProgressing, Routed: true, PrimaryWeight: 50, CanaryWeight: 50,
			Analysed: true, MetricValues: map[string]float64{"error-rate": 1}})
	}
	m.Forget(gone)
	families := scrape(t, reg)
	require.Equal(t, map[string]float64{"name=other,namespace=test": 0}, series(t, families, "flagger_canary_status"))
	require.Len(t, series(t, families, "flagger_canary_weight"), 2)
	require.Len(t, series(t, families, "flagger_canary_metric_analysis"), 1)
	require.Len(t, series(t, families, "flagger_canary_duration_seconds"), 1)
}

func TestNewMetricsRegistersOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := NewTelemetry(reg, TelemetryOptions{})
	require.NoError(t, err)
	_, err = NewTelemetry(reg, TelemetryOptions{})
	require.ErrorContains(t, err, "register controller metrics")
}
