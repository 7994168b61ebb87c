package status

import (
	"fmt"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/prometheus/client_golang/prometheus"
)

// Values of the analysis_status label.
const (
	AnalysisCompleted = "completed"
	AnalysisSkipped   = "skipped"
)

// TelemetryOptions configures Telemetry.
type TelemetryOptions struct {
	// Version of the controller, the version label of flagger_info.
	Version string
	// MeshProvider is the controller's mesh provider, the mesh_provider label of flagger_info.
	MeshProvider string
}

// Telemetry exports the controller metrics with Flagger's names and labels. The name label of
// the per-canary metrics is the target's name, as in Flagger.
type Telemetry struct {
	info      *prometheus.GaugeVec
	total     *prometheus.GaugeVec
	status    *prometheus.GaugeVec
	weight    *prometheus.GaugeVec
	duration  *prometheus.HistogramVec
	analysis  *prometheus.GaugeVec
	successes *prometheus.CounterVec
	failures  *prometheus.CounterVec
}

var _ engine.Telemetry = (*Telemetry)(nil)

// NewTelemetry registers the controller metrics on reg and sets flagger_info.
func NewTelemetry(reg prometheus.Registerer, opts TelemetryOptions) (*Telemetry, error) {
	outcome := []string{"name", "namespace", "deployment_strategy", "analysis_status"}
	m := &Telemetry{
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flagger_info", Help: "Flagger version and mesh provider information",
		}, []string{"version", "mesh_provider"}),
		total: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flagger_canary_total", Help: "Total number of canary object",
		}, []string{"namespace"}),
		status: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flagger_canary_status", Help: "Last canary analysis result",
		}, []string{"name", "namespace"}),
		weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flagger_canary_weight", Help: "The virtual service destination weight current value",
		}, []string{"workload", "namespace"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "flagger_canary_duration_seconds", Help: "Seconds spent performing canary analysis.",
			Buckets: prometheus.DefBuckets,
		}, []string{"name", "namespace"}),
		analysis: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flagger_canary_metric_analysis", Help: "Last canary analysis result per metric",
		}, []string{"name", "namespace", "metric"}),
		successes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flagger_canary_successes_total", Help: "Total number of canary successes",
		}, outcome),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flagger_canary_failures_total", Help: "Total number of canary failures",
		}, outcome),
	}
	for _, c := range []prometheus.Collector{m.info, m.total, m.status, m.weight, m.duration, m.analysis, m.successes, m.failures} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register controller metrics: %w", err)
		}
	}
	m.info.WithLabelValues(opts.Version, opts.MeshProvider).Set(1)
	return m, nil
}

// Record exports what one tick of a canary changed: its status, its weights when known, the
// tick's duration when it reached the analysis, every metric value, and the outcome of an
// analysis that ended.
func (m *Telemetry) Record(c *v1beta1.Canary, r engine.TickReport) {
	name, ns := c.Spec.TargetRef.Name, c.Namespace
	m.status.WithLabelValues(name, ns).Set(statusValue(r.Phase))
	if r.Routed {
		m.weight.WithLabelValues(c.PrimaryName(), ns).Set(float64(r.PrimaryWeight))
		m.weight.WithLabelValues(name, ns).Set(float64(r.CanaryWeight))
	}
	if r.Analysed {
		m.duration.WithLabelValues(name, ns).Observe(r.Duration.Seconds())
	}
	for metric, v := range r.MetricValues {
		m.analysis.WithLabelValues(name, ns, metric).Set(v)
	}
	strategy := string(c.Strategy())
	switch {
	case r.Skipped:
		m.successes.WithLabelValues(name, ns, strategy, AnalysisSkipped).Inc()
	case r.Succeeded:
		m.successes.WithLabelValues(name, ns, strategy, AnalysisCompleted).Inc()
	case r.Failed:
		m.failures.WithLabelValues(name, ns, strategy, AnalysisCompleted).Inc()
	}
}

// SetTotal sets the number of Canaries of a namespace; the controller calls it on every
// control-loop pass.
func (m *Telemetry) SetTotal(namespace string, n int) {
	m.total.WithLabelValues(namespace).Set(float64(n))
}

// Forget drops the series of a deleted canary; the counters of its outcomes stay.
func (m *Telemetry) Forget(c *v1beta1.Canary) {
	name, ns := c.Spec.TargetRef.Name, c.Namespace
	m.status.DeleteLabelValues(name, ns)
	m.weight.DeleteLabelValues(c.PrimaryName(), ns)
	m.weight.DeleteLabelValues(name, ns)
	m.duration.DeleteLabelValues(name, ns)
	m.analysis.DeletePartialMatch(prometheus.Labels{"name": name, "namespace": ns})
}

// statusValue is flagger_canary_status: 0 while progressing, 2 when failed, 1 otherwise.
func statusValue(p v1beta1.CanaryPhase) float64 {
	switch p {
	case v1beta1.CanaryPhaseProgressing:
		return 0
	case v1beta1.CanaryPhaseFailed:
		return 2
	default:
		return 1
	}
}
