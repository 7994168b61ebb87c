//go:build e2e

package router_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/router"
)

func TestMain(m *testing.M) { env.Main(m, env.Options{}) }

// TestE2ERouter runs the router against a real kube-apiserver, with gitcanary's TrafficSplit
// CRD and the mesh simulator, once per TrafficSplit version. Given podinfo with its primary
// (6.0.0) and a new target revision (6.0.1), when the router reconciles, then the three
// Services and the TrafficSplit exist and all traffic reaches the primary; when routes are set
// to 70/30, then they read back and the mesh sends 30 of 100 requests to the canary; when the
// TrafficSplit or the Service port drift, then the next reconcile repairs them.
func TestE2ERouter(t *testing.T) {
	e := env.Get(t)
	applyCRDs(t, e)
	dyn, err := dynamic.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	tests := []struct{ version, provider string }{
		{v1beta1.SMIv1alpha1, "smi:crossover"},
		{v1beta1.SMIv1alpha2, "smi:v1alpha2"},
		{v1beta1.SMIv1alpha3, "smi:v1alpha3:crossover"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			ctx := t.Context()
			ns := e.Namespace(t)
			kube := e.Client()
			c := givenCanary(t, e, ns, tt.provider)
			deployments, r := newRouter(t, kube, dyn, ns, tt.version)
			require.NoError(t, deployments.EnsurePrimary(ctx, c))
			setImage(t, e, ns, "ghcr.io/stefanprodan/podinfo:6.0.1")
			e.WaitFor(t, 2*time.Minute, "primary available", available(e, ns, "podinfo-primary"))
			e.WaitFor(t, 2*time.Minute, "target available", available(e, ns, "podinfo"))

			// When the router reconciles, then the Services and the TrafficSplit exist.
			require.NoError(t, r.Reconcile(ctx, c))
			for name, pods := range map[string]string{"podinfo": "podinfo-primary", "podinfo-primary": "podinfo-primary", "podinfo-canary": "podinfo"} {
				s, err := kube.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
				require.NoError(t, err)
				require.Equal(t, map[string]string{"app": pods}, s.Spec.Selector, name)
				require.Equal(t, c.UID, metav1.GetControllerOf(s).UID, name)
				require.Equal(t, "disabled", s.Annotations["kustomize.toolkit.fluxcd.io/reconcile"], name)
			}
			splits := dyn.Resource(router.SplitResource(tt.version)).Namespace(ns)
			split, err := splits.Get(ctx, "podinfo", metav1.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, c.UID, metav1.GetControllerOf(split).UID)
			requireWeights(t, tt.version, split, 100, 0)
			routes, err := r.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, engine.Routes{Primary: 100}, routes)
			requireTraffic(t, e, ns, map[string]int{"6.0.0": 100})

			// When routes are set, then they read back and the mesh honours them.
			require.NoError(t, r.SetRoutes(ctx, c, engine.Routes{Primary: 70, Canary: 30}))
			routes, err = r.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, engine.Routes{Primary: 70, Canary: 30}, routes)
			split, err = splits.Get(ctx, "podinfo", metav1.GetOptions{})
			require.NoError(t, err)
			requireWeights(t, tt.version, split, 70, 30)
			requireTraffic(t, e, ns, map[string]int{"6.0.0": 70, "6.0.1": 30})

			// When the TrafficSplit drifts, then reconcile rewrites it to 100/0.
			require.NoError(t, unstructured.SetNestedField(split.Object, "elsewhere", "spec", "service"))
			_, err = splits.Update(ctx, split, metav1.UpdateOptions{})
			require.NoError(t, err)
			// (the informer delivers the drift within a tick or two, as it would to the controller)
			e.WaitFor(t, time.Minute, "drift repaired", func(ctx context.Context) error {
				if err := r.Reconcile(ctx, c); err != nil {
					return err
				}
				split, err = splits.Get(ctx, "podinfo", metav1.GetOptions{})
				if err != nil {
					return err
				}
				if svc := split.Object["spec"].(map[string]any)["service"]; svc != "podinfo" {
					return fmt.Errorf("TrafficSplit service %v", svc)
				}
				return nil
			})
			requireWeights(t, tt.version, split, 100, 0)

			// When the canary's Service port changes, then reconcile updates the Services.
			c.Spec.Service.PortDiscovery = true
			require.NoError(t, r.Reconcile(ctx, c))
			s, err := kube.CoreV1().Services(ns).Get(ctx, "podinfo-canary", metav1.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, []string{"http-metrics", "http"}, portNames(s.Spec.Ports))
		})
	}
}

func portNames(ports []corev1.ServicePort) []string {
	var names []string
	for _, p := range ports {
		names = append(names, p.Name)
	}
	return names
}

// requireWeights checks the backends of a live TrafficSplit, spelled as its version does.
func requireWeights(t *testing.T, version string, split *unstructured.Unstructured, primary, canary int) {
	t.Helper()
	w := func(n int) any {
		if version == v1beta1.SMIv1alpha1 {
			return fmt.Sprint(n)
		}
		return int64(n)
	}
	backends, _, err := unstructured.NestedSlice(split.Object, "spec", "backends")
	require.NoError(t, err)
	require.Equal(t, []any{
		map[string]any{"service": "podinfo-canary", "weight": w(canary)},
		map[string]any{"service": "podinfo-primary", "weight": w(primary)},
	}, backends)
}

// requireTraffic waits until 100 requests through the mesh ingress are answered by the
// podinfo versions in want.
func requireTraffic(t *testing.T, e *env.Env, ns string, want map[string]int) {
	t.Helper()
	e.WaitFor(t, time.Minute, fmt.Sprintf("mesh routes %v", want), func(ctx context.Context) error {
		got, err := versions(ctx, e, ns, 100)
		if err != nil {
			return err
		}
		if !maps.Equal(got, want) {
			return fmt.Errorf("versions answered %v", got)
		}
		return nil
	})
}
