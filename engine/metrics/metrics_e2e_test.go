//go:build e2e

package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/meshsim"
	"github.com/gitcanary/gitcanary/engine"
)

func TestMain(m *testing.M) { env.Main(m, env.Options{}) }

// Given podinfo behind a TrafficSplit that sends half the traffic to a canary answering 20 %
// errors after 60 ms, under load through the mesh simulator's Envoy, when the Querier asks
// the environment's real Prometheus, then the Envoy built-ins and the tutorial's
// MetricTemplate (read from the real API server) see the canary's series.
func TestQueryEnvoySeriesFromPrometheus(t *testing.T) {
	e := env.Get(t)
	ctx := t.Context()
	applyFlaggerCRDs(t, e)
	ns := e.Namespace(t)
	deployPodinfo(t, e, ns, corev1.EnvVar{Name: meshsim.EnvFault, Value: "500"},
		corev1.EnvVar{Name: meshsim.EnvFaultPercent, Value: "20"}, corev1.EnvVar{Name: meshsim.EnvDelay, Value: "60ms"})
	splitTraffic(t, e, ns, 50)
	defer generateLoad(t, e, ns)()

	fc, err := client.New(e.RESTConfig())
	require.NoError(t, err)
	tmpl := newTemplate(ns, "error-rate", e.PrometheusURL, `100 - sum(
        rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary",envoy_response_code!~"5.*"}[{{ interval }}])
      ) / sum(
        rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary"}[{{ interval }}])
      ) * 100`)
	created, err := fc.MetricTemplates(ns).Create(ctx, tmpl, metav1.CreateOptions{})
	require.NoError(t, err)
	templates := cache.NewStore(cache.MetaNamespaceKeyFunc)
	require.NoError(t, templates.Add(created))

	q := New(TemplatesFromStore(templates), SecretsFromLister(corelisters.NewSecretLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}))), Options{DefaultServer: e.PrometheusURL})
	c := newCanary(func(c *v1beta1.Canary) { c.Namespace = ns })
	checks := []struct {
		metric v1beta1.CanaryMetric
		lo, hi float64
	}{
		{v1beta1.CanaryMetric{Name: "request-success-rate", Interval: "30s"}, 70, 90},
		{v1beta1.CanaryMetric{Name: "request-duration", Interval: "30s"}, 50, 100},
		{v1beta1.CanaryMetric{Name: "error-rate", Interval: "30s", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "error-rate"}}, 10, 30},
	}
	for _, ck := range checks {
		e.WaitFor(t, 90*time.Second, ck.metric.Name+" of the canary", func(ctx context.Context) error {
			s, err := q.Query(ctx, c, ck.metric)
			if err != nil {
				return err
			}
			v := s.Value
			if v < ck.lo || v > ck.hi {
				return fmt.Errorf("%s = %v, want [%v, %v]", ck.metric.Name, v, ck.lo, ck.hi)
			}
			t.Logf("%s = %v", ck.metric.Name, v)
			return nil
		})
	}

	// A canary without traffic has no series: no data, not zero.
	idle := newCanary(func(c *v1beta1.Canary) { c.Namespace = ns; c.Spec.TargetRef.Name = "idle" })
	_, err = q.Query(ctx, idle, v1beta1.CanaryMetric{Name: "request-success-rate", Interval: "30s"})
	requireMetricError(t, err, engine.MetricNoData)

	// The minRequests guard counts the canary's requests with the real Envoy series: a
	// threshold far above what the load sent is no data, one below it lets the value count.
	guarded := v1beta1.CanaryMetric{Name: "request-success-rate", Interval: "30s", MinRequests: 1_000_000}
	_, err = q.Query(ctx, c, guarded)
	requireMetricError(t, err, engine.MetricNoData)
	require.ErrorIs(t, err, ErrTooFewRequests)
	guarded.MinRequests = 1
	s, err := q.Query(ctx, c, guarded)
	require.NoError(t, err)
	require.Contains(t, s.Query, `envoy_cluster_name=~"podinfo-canary"`)
	require.Equal(t, e.PrometheusURL, s.Address)
}

// applyFlaggerCRDs installs the flagger.app CRDs of manifests/crds.
func applyFlaggerCRDs(t *testing.T, e *env.Env) {
	t.Helper()
	files, err := filepath.Glob("../../manifests/crds/flagger.app_*.yaml")
	require.NoError(t, err)
	require.Len(t, files, 3)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, e.ApplyCRD(t.Context(), data), "apply %s", f)
	}
}

// deployPodinfo creates what gitcanary generates for podinfo: the Deployments podinfo-primary
// (healthy) and podinfo (the canary, with canaryEnv) and the Services podinfo,
// podinfo-primary and podinfo-canary, and waits until both Deployments are available.
func deployPodinfo(t *testing.T, e *env.Env, ns string, canaryEnv ...corev1.EnvVar) {
	t.Helper()
	ctx := t.Context()
	for _, d := range []*appsv1.Deployment{podinfoDeployment("podinfo-primary", "6.0.0"), podinfoDeployment("podinfo", "6.0.1", canaryEnv...)} {
		_, err := e.Client().AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for name, app := range map[string]string{"podinfo": "podinfo-primary", "podinfo-primary": "podinfo-primary", "podinfo-canary": "podinfo"} {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": app},
				Ports:    []corev1.ServicePort{{Name: "http", Port: 9898, TargetPort: intstr.FromString("http")}},
			},
		}
		_, err := e.Client().CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for _, name := range []string{"podinfo-primary", "podinfo"} {
		e.WaitFor(t, time.Minute, "Deployment "+ns+"/"+name+" available", func(ctx context.Context) error {
			d, err := e.Client().AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if d.Status.AvailableReplicas < 1 {
				return fmt.Errorf("%d replicas available", d.Status.AvailableReplicas)
			}
			return nil
		})
	}
}

func podinfoDeployment(name, tag string, envs ...corev1.EnvVar) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	one := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "podinfod",
					Image: "ghcr.io/stefanprodan/podinfo:" + tag,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9898}},
					Env:   envs,
				}}},
			},
		},
	}
}

// splitTraffic creates the TrafficSplit podinfo (v1alpha1, string weights) with the canary
// weight w and waits until the mesh simulator routes by it.
func splitTraffic(t *testing.T, e *env.Env, ns string, w int64) {
	t.Helper()
	dyn, err := dynamic.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	split := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": meshsim.SplitGroup + "/v1alpha1",
		"kind":       "TrafficSplit",
		"metadata":   map[string]any{"name": "podinfo", "namespace": ns},
		"spec": map[string]any{
			"service": "podinfo",
			"backends": []any{
				map[string]any{"service": "podinfo-canary", "weight": fmt.Sprint(w)},
				map[string]any{"service": "podinfo-primary", "weight": fmt.Sprint(100 - w)},
			},
		},
	}}
	gvr := schema.GroupVersionResource{Group: meshsim.SplitGroup, Version: "v1alpha1", Resource: "trafficsplits"}
	_, err = dyn.Resource(gvr).Namespace(ns).Create(t.Context(), split, metav1.CreateOptions{})
	require.NoError(t, err)
	e.WaitFor(t, 30*time.Second, "mesh routes by TrafficSplit "+ns+"/podinfo", func(context.Context) error {
		if sp, ok := e.Mesh.SplitFor(ns, "podinfo"); !ok || len(sp.Backends) != 2 {
			return fmt.Errorf("split not seen: %+v", sp)
		}
		return nil
	})
}

// generateLoad sends about 40 requests a second to podinfo.<ns> through the mesh ingress
// (the seed's envoy.test:10000, on loopback) until the returned function is called.
func generateLoad(t *testing.T, e *env.Env, ns string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	hc := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.MeshURL+"/", nil)
					if err != nil {
						return
					}
					req.Host = "podinfo." + ns
					if resp, err := hc.Do(req); err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						_ = resp.Body.Close()
					}
				}
			}
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
