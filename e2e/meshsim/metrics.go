package meshsim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Envoy metric and label names, as Envoy's Prometheus stats endpoint exports them after the
// scrape job adds kubernetes_namespace.
const (
	MetricUpstreamRq     = "envoy_cluster_upstream_rq"
	MetricUpstreamRqTime = "envoy_cluster_upstream_rq_time"
	LabelCluster         = "envoy_cluster_name"
	LabelResponseCode    = "envoy_response_code"
	LabelNamespace       = "kubernetes_namespace"
)

// envoyBuckets are Envoy's default histogram buckets, in milliseconds.
var envoyBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// metrics holds the simulator's own registry, so several simulators (and the test binary's
// default registry) never clash.
type metrics struct {
	registry *prometheus.Registry
	rq       *prometheus.CounterVec
	rqTime   *prometheus.HistogramVec
}

func newMetrics() (*metrics, error) {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		rq: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricUpstreamRq,
			Help: "Upstream requests by Envoy cluster and response code.",
		}, []string{LabelCluster, LabelResponseCode, LabelNamespace}),
		rqTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricUpstreamRqTime,
			Help:    "Upstream request time in milliseconds.",
			Buckets: envoyBuckets,
		}, []string{LabelCluster, LabelNamespace}),
	}
	for _, c := range []prometheus.Collector{m.rq, m.rqTime} {
		if err := m.registry.Register(c); err != nil {
			return nil, fmt.Errorf("register envoy metrics: %w", err)
		}
	}
	return m, nil
}

// observe records one upstream request. Envoy counts time in whole milliseconds.
func (m *metrics) observe(namespace, cluster string, code int, elapsed time.Duration) {
	m.rq.WithLabelValues(cluster, strconv.Itoa(code), namespace).Inc()
	m.rqTime.WithLabelValues(cluster, namespace).Observe(float64(elapsed.Milliseconds()))
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
