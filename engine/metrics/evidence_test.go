package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// TestQueryEvidenceHasNoCredentials checks that neither the address nor the query of a
// check's evidence carries the credentials used to run it.
func TestQueryEvidenceHasNoCredentials(t *testing.T) {
	prom := newFakeProm(t, http.StatusOK, vectorBody("1"))
	withUser := strings.Replace(prom.URL, "http://", "http://admin:s3cret@", 1)

	q := newQuerier(t, Options{DefaultServer: withUser}, nil)
	got, err := q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "m", Query: "up"})
	require.NoError(t, err)
	require.Equal(t, prom.URL, got.Address)

	tmpl := newTemplate("test", "auth", withUser, "up", withSecretRef("prom-token"))
	secret := newSecret("test", "prom-token", map[string]string{"token": "t0ken"})
	q = newQuerier(t, Options{}, []*v1beta1.MetricTemplate{tmpl}, []*corev1.Secret{secret}...)
	got, err = q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "auth", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "auth"}})
	require.NoError(t, err)
	require.Equal(t, engine.MetricSample{Value: 1, Query: "up", Address: prom.URL}, got)
	require.NotContains(t, got.Query+got.Address, "s3cret")
	require.NotContains(t, got.Query+got.Address, "t0ken")
}

// countingProm answers the request-count query of the minRequests guard with count and every
// other query with value.
func countingProm(t *testing.T, count, value string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		body := vectorBody(value)
		if strings.HasPrefix(r.Form.Get("query"), "sum(increase(") {
			body = vectorBody(count)
			if count == "" {
				body = vectorBody()
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestQueryMinRequests(t *testing.T) {
	metric := v1beta1.CanaryMetric{Name: "request-success-rate", Interval: "30s", MinRequests: 20}
	tests := []struct {
		name     string
		count    string
		want     float64
		wantText string
	}{
		{name: "enough traffic", count: "20", want: 99.5},
		{name: "too little traffic", count: "7", wantText: "the canary served 7 requests in 30s, fewer than minRequests 20"},
		{name: "no traffic series yet", count: "", wantText: "the canary served 0 requests in 30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prom := countingProm(t, tt.count, "99.5")
			q := newQuerier(t, Options{DefaultServer: prom.URL}, nil)
			got, err := q.Query(t.Context(), newCanary(), metric)
			require.True(t, strings.HasPrefix(got.Query, "sum(rate(envoy_cluster_upstream_rq{"), "the evidence is the metric's query: %s", got.Query)
			if tt.wantText == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got.Value)
				return
			}
			requireMetricError(t, err, engine.MetricNoData)
			require.ErrorIs(t, err, ErrTooFewRequests)
			require.Contains(t, err.Error(), tt.wantText)
		})
	}
}

func TestQueryMinRequestsBackendDown(t *testing.T) {
	prom := newFakeProm(t, http.StatusOK, vectorBody("1"))
	addr := prom.URL
	prom.Close()
	q := newQuerier(t, Options{DefaultServer: addr}, nil)
	_, err := q.Query(t.Context(), newCanary(), v1beta1.CanaryMetric{Name: "request-duration", MinRequests: 5})
	requireMetricError(t, err, engine.MetricUnavailable)
}
