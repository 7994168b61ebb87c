package meshsim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func ingress(s *Sim, host, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://envoy.test:10000"+path, nil)
	req.Host = host
	rec := httptest.NewRecorder()
	s.IngressHandler().ServeHTTP(rec, req)
	return rec
}

func TestIngressRoutesByTrafficSplitWeights(t *testing.T) {
	s := newTestSim(t, podinfoObjects(), trafficSplit("v1alpha2", int64(30), int64(70)))
	waitSplit(t, s, 30)
	canary := 0
	for range 1000 {
		rec := ingress(s, "podinfo.test", "/")
		require.Equal(t, http.StatusOK, rec.Code)
		if strings.Contains(rec.Body.String(), `"version":"6.0.1"`) {
			canary++
		}
	}
	require.Equal(t, 300, canary)

	u := trafficSplit("v1alpha2", int64(100), int64(0))
	_, err := s.dyn.Resource(splitGVR).Namespace("test").Update(context.Background(), u, metav1.UpdateOptions{})
	require.NoError(t, err)
	waitSplit(t, s, 100)
	for _, host := range []string{"podinfo.test", "podinfo.test.svc.cluster.local", "podinfo"} {
		require.Contains(t, ingress(s, host, "/").Body.String(), `"version":"6.0.1"`, host)
	}
}

func TestIngressWithoutSplitUsesTheApexService(t *testing.T) {
	s := newTestSim(t, podinfoObjects())
	rec := ingress(s, "podinfo.test:10000", "/")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `"version":"6.0.0"`)
	require.Contains(t, scrape(t, s), `envoy_cluster_upstream_rq{envoy_cluster_name="podinfo",envoy_response_code="200",kubernetes_namespace="test"} 1`)
}

func TestIngressAnswers503WithoutReadyPods(t *testing.T) {
	objs := podinfoObjects()
	notReady := readyPod("podinfo-2", "podinfo-primary", "podinfo:6.0.0")
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	objs = []runtime.Object{objs[0], objs[1], objs[2], notReady}
	s := newTestSim(t, objs)
	rec := ingress(s, "podinfo.test", "/")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "no healthy upstream\n", rec.Body.String())
	require.NotContains(t, scrape(t, s), `envoy_cluster_upstream_rq{`, "no upstream request is recorded")
	require.Equal(t, http.StatusNotFound, ingress(s, "example.com.au", "/").Code)
}

func TestIngressExportsEnvoyMetrics(t *testing.T) {
	fault := []corev1.EnvVar{{Name: EnvFault, Value: "500"}, {Name: EnvFaultPercent, Value: "50"}}
	s := newTestSim(t, podinfoObjects(fault...), trafficSplit("v1alpha2", int64(100), int64(0)))
	waitSplit(t, s, 100)
	for range 10 {
		ingress(s, "podinfo.test", "/")
	}
	ingress(s, "podinfo.test", "/status/404")
	m := scrape(t, s)
	for _, want := range []string{
		`envoy_cluster_upstream_rq{envoy_cluster_name="podinfo-canary",envoy_response_code="200",kubernetes_namespace="test"} 5`,
		`envoy_cluster_upstream_rq{envoy_cluster_name="podinfo-canary",envoy_response_code="500",kubernetes_namespace="test"} 5`,
		`envoy_cluster_upstream_rq{envoy_cluster_name="podinfo-canary",envoy_response_code="404",kubernetes_namespace="test"} 1`,
		`envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="podinfo-canary",kubernetes_namespace="test",le="0.5"} 11`,
		`envoy_cluster_upstream_rq_time_count{envoy_cluster_name="podinfo-canary",kubernetes_namespace="test"} 11`,
	} {
		require.Contains(t, m, want)
	}
}

func scrape(t *testing.T, s *Sim) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

func TestServiceHandlerChecksThePort(t *testing.T) {
	s := newTestSim(t, podinfoObjects())
	tests := []struct {
		name     string
		host     Host
		wantCode int
	}{
		{name: "service port", host: Host{Service: "podinfo-canary", Namespace: "test", Port: 9898}, wantCode: http.StatusOK},
		{name: "wrong port", host: Host{Service: "podinfo-canary", Namespace: "test", Port: 80}, wantCode: http.StatusBadGateway},
		{name: "default port 80", host: Host{Service: "podinfo-canary", Namespace: "test"}, wantCode: http.StatusBadGateway},
		{name: "unknown service", host: Host{Service: "nope", Namespace: "test", Port: 9898}, wantCode: http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServiceHandler(tt.host).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/token", nil))
			require.Equal(t, tt.wantCode, rec.Code, rec.Body.String())
		})
	}
}
