package controller

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
)

// sample returns the value of the series name{labels} in reg (a counter's value, a histogram's
// count), and whether it is there.
func sample(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, labels) {
				switch {
				case m.Counter != nil:
					return m.GetCounter().GetValue(), true
				case m.Histogram != nil:
					return float64(m.GetHistogram().GetSampleCount()), true
				case m.Gauge != nil:
					return m.GetGauge().GetValue(), true
				}
			}
		}
	}
	return 0, false
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(labels)
}

func TestClientGoMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	require.NoError(t, registerClientGoMetrics(reg))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`))
	}))
	t.Cleanup(srv.Close)
	kube, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	require.NoError(t, err)
	labels := map[string]string{"code": "404", "method": "GET", "host": strings.TrimPrefix(srv.URL, "http://")}
	before, _ := sample(t, reg, "rest_client_requests_total", labels)

	_, err = kube.CoreV1().ConfigMaps("test").Get(t.Context(), "absent", metav1.GetOptions{})
	require.Error(t, err)

	after, ok := sample(t, reg, "rest_client_requests_total", labels)
	require.True(t, ok, "rest_client_requests_total{code,method,host} served")
	require.Equal(t, before+1, after)
	_, ok = sample(t, reg, "rest_client_rate_limiter_duration_seconds", map[string]string{"verb": "GET"})
	require.True(t, ok, "rest_client_rate_limiter_duration_seconds served")
	require.NoError(t, registerClientGoMetrics(prometheus.NewRegistry()), "a second controller's registry")
}

func TestQueueMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newQueueMetrics(reg)
	require.NoError(t, err)
	q := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "canaries", MetricsProvider: m})
	defer q.ShutDown()

	q.Add("test/podinfo")
	key, _ := q.Get()
	q.Done(key)
	q.AddRateLimited("test/other")

	for name, want := range map[string]float64{
		"workqueue_adds_total":            1,
		"workqueue_work_duration_seconds": 1, // the ticks done
		"workqueue_retries_total":         1,
	} {
		got, ok := sample(t, reg, name, map[string]string{"name": "canaries"})
		require.True(t, ok, name)
		require.Equal(t, want, got, name)
	}
}
