package controller

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientmetrics "k8s.io/client-go/tools/metrics"
	"k8s.io/client-go/util/workqueue"
)

// client-go's request metrics, with the names and labels of component-base and
// controller-runtime, so that existing dashboards and alerts work. client-go takes one set of
// adapters per process (tools/metrics.Register), so they are package variables, registered
// with every controller's registry.
var (
	restRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rest_client_requests_total",
		Help: "Number of HTTP requests to the Kubernetes API server, partitioned by status code, method, and host.",
	}, []string{"code", "method", "host"})
	restRateLimiterLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "rest_client_rate_limiter_duration_seconds",
		Help:    "Client-side rate limiter latency in seconds, by verb and host.",
		Buckets: []float64{0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60},
	}, []string{"verb", "host"})
	registerClientMetrics sync.Once
)

type requestResult struct{}

func (requestResult) Increment(_ context.Context, code, method, host string) {
	restRequests.WithLabelValues(code, method, host).Inc()
}

type rateLimiterLatency struct{}

func (rateLimiterLatency) Observe(_ context.Context, verb string, u url.URL, latency time.Duration) {
	restRateLimiterLatency.WithLabelValues(verb, u.Host).Observe(latency.Seconds())
}

// registerClientGoMetrics hands client-go's request metrics to reg: rest_client_requests_total
// {code,method,host} counts every request to the API server, and
// rest_client_rate_limiter_duration_seconds{verb,host} shows the client-side throttling.
func registerClientGoMetrics(reg prometheus.Registerer) error {
	registerClientMetrics.Do(func() {
		clientmetrics.Register(clientmetrics.RegisterOpts{RequestResult: requestResult{}, RateLimiterLatency: rateLimiterLatency{}})
	})
	for _, c := range []prometheus.Collector{restRequests, restRateLimiterLatency} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register client-go metrics: %w", err)
		}
	}
	return nil
}

// queueMetrics is a workqueue.MetricsProvider with the metric names and the name label of
// component-base and controller-runtime: workqueue_depth, workqueue_adds_total,
// workqueue_queue_duration_seconds, workqueue_work_duration_seconds (its count is the number of
// ticks done), workqueue_unfinished_work_seconds, workqueue_longest_running_processor_seconds
// and workqueue_retries_total.
type queueMetrics struct {
	depth, unfinished, longest *prometheus.GaugeVec
	adds, retries              *prometheus.CounterVec
	latency, work              *prometheus.HistogramVec
}

// newQueueMetrics registers the workqueue metrics with reg.
func newQueueMetrics(reg prometheus.Registerer) (*queueMetrics, error) {
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "workqueue", Name: name, Help: help}, []string{"name"})
	}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Subsystem: "workqueue", Name: name, Help: help}, []string{"name"})
	}
	histogram := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Subsystem: "workqueue", Name: name, Help: help,
			Buckets: prometheus.ExponentialBuckets(10e-9, 10, 12)}, []string{"name"})
	}
	m := &queueMetrics{
		depth:      gauge("depth", "Current depth of the workqueue."),
		unfinished: gauge("unfinished_work_seconds", "Seconds of work in progress not yet observed by work_duration."),
		longest:    gauge("longest_running_processor_seconds", "Seconds the longest running processor has been running."),
		adds:       counter("adds_total", "Total number of adds handled by the workqueue."),
		retries:    counter("retries_total", "Total number of retries handled by the workqueue."),
		latency:    histogram("queue_duration_seconds", "Seconds an item stays in the workqueue before being requested."),
		work:       histogram("work_duration_seconds", "Seconds processing an item from the workqueue takes."),
	}
	for _, c := range []prometheus.Collector{m.depth, m.unfinished, m.longest, m.adds, m.retries, m.latency, m.work} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register workqueue metrics: %w", err)
		}
	}
	return m, nil
}

// NewDepthMetric implements workqueue.MetricsProvider.
func (m *queueMetrics) NewDepthMetric(name string) workqueue.GaugeMetric {
	return m.depth.WithLabelValues(name)
}

// NewAddsMetric implements workqueue.MetricsProvider.
func (m *queueMetrics) NewAddsMetric(name string) workqueue.CounterMetric {
	return m.adds.WithLabelValues(name)
}

// NewLatencyMetric implements workqueue.MetricsProvider.
func (m *queueMetrics) NewLatencyMetric(name string) workqueue.HistogramMetric {
	return m.latency.WithLabelValues(name)
}

// NewWorkDurationMetric implements workqueue.MetricsProvider.
func (m *queueMetrics) NewWorkDurationMetric(name string) workqueue.HistogramMetric {
	return m.work.WithLabelValues(name)
}

// NewUnfinishedWorkSecondsMetric implements workqueue.MetricsProvider.
func (m *queueMetrics) NewUnfinishedWorkSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return m.unfinished.WithLabelValues(name)
}

// NewLongestRunningProcessorSecondsMetric implements workqueue.MetricsProvider.
func (m *queueMetrics) NewLongestRunningProcessorSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return m.longest.WithLabelValues(name)
}

// NewRetriesMetric implements workqueue.MetricsProvider.
func (m *queueMetrics) NewRetriesMetric(name string) workqueue.CounterMetric {
	return m.retries.WithLabelValues(name)
}
