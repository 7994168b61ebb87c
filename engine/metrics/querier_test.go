package metrics

import (
	"net/http"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/stretchr/testify/require"
)

// requireMetricError checks that err is an *engine.MetricError of the given kind.
func requireMetricError(t *testing.T, err error, want engine.MetricFailure) *engine.MetricError {
	t.Helper()
	var me *engine.MetricError
	require.ErrorAs(t, err, &me)
	require.Equal(t, want, me.Failure, "failure kind of %v", err)
	return me
}

func TestQueryBuiltin(t *testing.T) {
	tests := []struct {
		name      string
		canary    *v1beta1.Canary
		metric    v1beta1.CanaryMetric
		reply     string
		wantQuery string
		want      float64
	}{
		{
			name:      "success rate with default interval",
			canary:    newCanary(),
			metric:    v1beta1.CanaryMetric{Name: "request-success-rate"},
			reply:     vectorBody("99.5"),
			wantQuery: `sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name=~"podinfo-canary",envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name=~"podinfo-canary"}[1m])) * 100`,
			want:      99.5,
		},
		{
			name:      "success rate with metric interval",
			canary:    newCanary(),
			metric:    v1beta1.CanaryMetric{Name: "request-success-rate", Interval: "30s"},
			reply:     vectorBody("100"),
			wantQuery: `sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name=~"podinfo-canary",envoy_response_code!~"5.*"}[30s])) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name=~"podinfo-canary"}[30s])) * 100`,
			want:      100,
		},
		{
			name:      "request duration is truncated to whole milliseconds",
			canary:    newCanary(),
			metric:    v1beta1.CanaryMetric{Name: "request-duration"},
			reply:     vectorBody("487.9"),
			wantQuery: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="test",envoy_cluster_name=~"podinfo-canary"}[1m])) by (le))`,
			want:      487,
		},
		{
			name: "service target matches the cluster name exactly",
			canary: newCanary(func(c *v1beta1.Canary) {
				c.Spec.TargetRef = v1beta1.LocalObjectReference{APIVersion: "v1", Kind: "Service", Name: "backend"}
			}),
			metric:    v1beta1.CanaryMetric{Name: "request-duration", Interval: "2m"},
			reply:     vectorBody("12"),
			wantQuery: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="test",envoy_cluster_name="backend-canary"}[2m])) by (le))`,
			want:      12,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prom := newFakeProm(t, http.StatusOK, tt.reply)
			q := newQuerier(t, Options{DefaultServer: prom.URL}, nil)
			got, err := q.Query(t.Context(), tt.canary, tt.metric)
			require.NoError(t, err)
			require.Equal(t, tt.want, got.Value)
			require.Equal(t, tt.wantQuery, prom.lastQuery(t))
			require.Equal(t, tt.wantQuery, got.Query, "the evidence is the query as sent")
			require.Equal(t, prom.URL, got.Address)
		})
	}
}

// TestQueryBuiltinFailures: a built-in metric's failed query keeps its kind and carries
// Flagger's observer wording, which the engine puts in its events.
func TestQueryBuiltinFailures(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantKind engine.MetricFailure
		wantText string
	}{
		{name: "no data", status: http.StatusOK, body: vectorBody(), wantKind: engine.MetricNoData, wantText: "running query failed: no values found"},
		{name: "server error", status: http.StatusInternalServerError, body: "down", wantKind: engine.MetricUnavailable,
			wantText: "running query failed: error response: Status 500 Internal Server Error: down"},
		{name: "bad query", status: http.StatusBadRequest, body: `{"status":"error","errorType":"bad_data","error":"parse error"}`,
			wantKind: engine.MetricQueryFailed, wantText: "running query failed: error response: Status 400 Bad Request: parse error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prom := newFakeProm(t, tt.status, tt.body)
			q := newQuerier(t, Options{DefaultServer: prom.URL}, nil)
			_, err := q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "request-success-rate"})
			me := requireMetricError(t, err, tt.wantKind)
			require.Equal(t, tt.wantText, me.Err.Error())
			if tt.wantKind == engine.MetricNoData {
				require.ErrorIs(t, err, ErrNoValues)
			}
		})
	}

	q := newQuerier(t, Options{}, nil)
	_, err := q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "request-duration"})
	me := requireMetricError(t, err, engine.MetricProviderError)
	require.NotContains(t, me.Err.Error(), "running query failed", "no query ran: there is no server")
}

func TestQueryServerSelection(t *testing.T) {
	def := newFakeProm(t, http.StatusOK, vectorBody("1"))
	own := newFakeProm(t, http.StatusOK, vectorBody("2"))

	q := newQuerier(t, Options{DefaultServer: def.URL}, nil)
	got, err := q.Query(t.Context(), newCanary(withMetricsServer(own.URL)), v1beta1.CanaryMetric{Name: "request-success-rate"})
	require.NoError(t, err)
	require.Equal(t, 2.0, got.Value, "spec.metricsServer wins over the default server")
	require.Equal(t, own.URL, got.Address)
	require.Empty(t, def.requests())

	got, err = q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "inline", Query: "sum(up)"})
	require.NoError(t, err)
	require.Equal(t, 1.0, got.Value)
	require.Equal(t, "sum(up)", def.lastQuery(t))
	require.Equal(t, engine.MetricSample{Value: 1, Query: "sum(up)", Address: def.URL}, got)
}

func TestQueryInlineIsSentVerbatimCollapsed(t *testing.T) {
	prom := newFakeProm(t, http.StatusOK, vectorBody("3"))
	q := newQuerier(t, Options{DefaultServer: prom.URL}, nil)
	_, err := q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{
		Name:  "inline",
		Query: "sum(\n  rate(http_requests_total{job=\"{{ x }}\"}[1m])\n)\t* 100",
	})
	require.NoError(t, err)
	require.Equal(t, `sum( rate(http_requests_total{job="{{ x }}"}[1m]) ) * 100`, prom.lastQuery(t))
}

func TestQueryResults(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		want     float64
		wantKind engine.MetricFailure
		wantIs   error
		wantText string
	}{
		{name: "single series", status: http.StatusOK, body: vectorBody("99.1"), want: 99.1},
		{name: "last series wins", status: http.StatusOK, body: vectorBody("1", "2", "7.5"), want: 7.5},
		{name: "scalar", status: http.StatusOK, body: scalarBody, want: 42},
		{name: "empty vector", status: http.StatusOK, body: vectorBody(), wantKind: engine.MetricNoData, wantIs: ErrNoValues, wantText: "no values found"},
		{name: "NaN", status: http.StatusOK, body: vectorBody("NaN"), wantKind: engine.MetricNoData, wantIs: ErrNoValues},
		{name: "NaN in the last series", status: http.StatusOK, body: vectorBody("5", "NaN"), wantKind: engine.MetricNoData, wantIs: ErrNoValues},
		{name: "matrix", status: http.StatusOK, body: matrixBody, wantKind: engine.MetricQueryFailed, wantIs: ErrMultipleValues, wantText: "query returned multiple values"},
		{
			name: "server error keeps the body", status: http.StatusInternalServerError, body: "prometheus is on fire",
			wantKind: engine.MetricUnavailable, wantIs: ErrUnavailable, wantText: "error response: Status 500 Internal Server Error: prometheus is on fire",
		},
		{
			name: "service unavailable", status: http.StatusServiceUnavailable, body: "overloaded",
			wantKind: engine.MetricUnavailable, wantIs: ErrUnavailable, wantText: "error response: Status 503 Service Unavailable: overloaded",
		},
		{
			name: "bad query", status: http.StatusBadRequest, body: `{"status":"error","errorType":"bad_data","error":"parse error at char 4"}`,
			wantKind: engine.MetricQueryFailed, wantText: "error response: Status 400 Bad Request: parse error at char 4",
		},
		{name: "not json", status: http.StatusOK, body: "<html>", wantKind: engine.MetricQueryFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prom := newFakeProm(t, tt.status, tt.body)
			q := newQuerier(t, Options{DefaultServer: prom.URL}, nil)
			got, err := q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "m", Query: "up"})
			if tt.wantKind == 0 {
				require.NoError(t, err)
				require.Equal(t, tt.want, got.Value)
				return
			}
			requireMetricError(t, err, tt.wantKind)
			require.Equal(t, "up", got.Query, "a failed query keeps its evidence")
			if tt.wantIs != nil {
				require.ErrorIs(t, err, tt.wantIs)
			}
			require.Contains(t, err.Error(), tt.wantText)
		})
	}
}

func TestQueryTimeout(t *testing.T) {
	prom := newFakeProm(t, http.StatusOK, vectorBody("1"))
	prom.block = true
	q := newQuerier(t, Options{DefaultServer: prom.URL, Timeout: 50 * time.Millisecond}, nil)
	start := time.Now()
	_, err := q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "m", Query: "up"})
	requireMetricError(t, err, engine.MetricUnavailable)
	require.Less(t, time.Since(start), 5*time.Second, "the per-query timeout did not apply")
}

func TestQueryUnreachable(t *testing.T) {
	prom := newFakeProm(t, http.StatusOK, vectorBody("1"))
	addr := prom.URL
	prom.Close()
	q := newQuerier(t, Options{DefaultServer: addr}, nil)
	_, err := q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "m", Query: "up"})
	requireMetricError(t, err, engine.MetricUnavailable)
	require.ErrorIs(t, err, ErrUnavailable)
	require.Contains(t, err.Error(), addr)
	require.Contains(t, err.Error(), "connection refused", "the text is the transport's, as Flagger words it")
}

func TestQueryConfigurationErrors(t *testing.T) {
	tests := []struct {
		name     string
		server   string
		metric   v1beta1.CanaryMetric
		wantKind engine.MetricFailure
		wantIs   error
	}{
		{name: "neither built in nor query nor template", server: "http://prometheus:9090", metric: v1beta1.CanaryMetric{Name: "error-rate"}, wantKind: engine.MetricNotConfigured, wantIs: ErrNotConfigured},
		{name: "built in without any server", metric: v1beta1.CanaryMetric{Name: "request-success-rate"}, wantKind: engine.MetricProviderError, wantIs: ErrNoAddress},
		{name: "inline query with a relative server", server: "prometheus:9090", metric: v1beta1.CanaryMetric{Name: "m", Query: "up"}, wantKind: engine.MetricProviderError},
		{name: "inline query with a bad server", server: "http://%zz", metric: v1beta1.CanaryMetric{Name: "m", Query: "up"}, wantKind: engine.MetricProviderError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQuerier(t, Options{DefaultServer: tt.server}, nil)
			_, err := q.Query(t.Context(), newCanary(), tt.metric)
			requireMetricError(t, err, tt.wantKind)
			if tt.wantIs != nil {
				require.ErrorIs(t, err, tt.wantIs)
			}
		})
	}
}
