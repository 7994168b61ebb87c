//go:build e2e

package addons

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/e2e/env"
)

const addonsDir = "../../manifests/addons/"

// Given the controller's namespace and the seed's application namespace, when each add-on is
// applied with kubectl apply -k, then its Deployment becomes Available and its Service answers
// to the name the seed's YAML uses, with endpoints on the Deployment's pods.
func TestAddonsApply(t *testing.T) {
	e := env.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, ns := range []string{"gitcanary-system", "test"} {
		createNamespace(t, e, ns)
	}
	tests := []struct {
		addon, namespace, name string
		port                   int32
	}{
		{addon: "prometheus", namespace: "gitcanary-system", name: "flagger-prometheus", port: 9090},
		{addon: "loadtester", namespace: "test", name: "flagger-loadtester", port: 80},
		{addon: "grafana", namespace: "test", name: "flagger-grafana", port: 80},
	}
	for _, tt := range tests {
		t.Run(tt.addon, func(t *testing.T) {
			out, err := e.Kubectl(ctx, "apply", "--server-side", "-k", addonsDir+tt.addon)
			require.NoError(t, err, out)
			t.Cleanup(func() {
				out, err := e.Kubectl(context.Background(), "delete", "--ignore-not-found", "--wait=true", "-k", addonsDir+tt.addon)
				require.NoError(t, err, out)
			})
			require.Contains(t, out, "deployment.apps/"+tt.name+" serverside-applied")
			require.Contains(t, out, "service/"+tt.name+" serverside-applied")

			e.WaitFor(t, time.Minute, tt.name+" Deployment available", deploymentAvailable(e, tt.namespace, tt.name))
			svc, err := e.Client().CoreV1().Services(tt.namespace).Get(ctx, tt.name, metav1.GetOptions{})
			require.NoError(t, err)
			require.NotEmpty(t, svc.Spec.ClusterIP)
			require.Equal(t, tt.port, svc.Spec.Ports[0].Port)
			e.WaitFor(t, time.Minute, tt.name+" endpoints", readyEndpoints(e, tt.namespace, tt.name))
		})
	}
}

// The Prometheus add-on's service account may discover pods in every namespace, and Grafana
// gets the dashboard the seed links to.
func TestAddonsWiring(t *testing.T) {
	e := env.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, ns := range []string{"gitcanary-system", "test"} {
		createNamespace(t, e, ns)
	}
	for _, addon := range []string{"prometheus", "grafana"} {
		out, err := e.Kubectl(ctx, "apply", "--server-side", "-k", addonsDir+addon)
		require.NoError(t, err, out)
		t.Cleanup(func() {
			out, err := e.Kubectl(context.Background(), "delete", "--ignore-not-found", "--wait=true", "-k", addonsDir+addon)
			require.NoError(t, err, out)
		})
	}
	for _, ns := range []string{"test", "kube-system"} {
		out, err := e.Kubectl(ctx, "auth", "can-i", "watch", "pods", "-n", ns,
			"--as=system:serviceaccount:gitcanary-system:flagger-prometheus")
		require.NoError(t, err, out)
		require.Equal(t, "yes", strings.TrimSpace(out))
	}
	out, err := e.Kubectl(ctx, "auth", "can-i", "get", "secrets", "-n", "test",
		"--as=system:serviceaccount:gitcanary-system:flagger-prometheus")
	require.Error(t, err, "Prometheus may not read Secrets")
	require.Equal(t, "no", strings.TrimSpace(out))

	cms, err := e.Client().CoreV1().ConfigMaps("test").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var dashboard string
	for _, cm := range cms.Items {
		dashboard += cm.Data["envoy-canary.json"]
	}
	require.Contains(t, dashboard, `"uid": "flagger-envoy"`)
	require.Contains(t, dashboard, `"title": "Envoy Canary"`)
}

func createNamespace(t *testing.T, e *env.Env, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := e.Client().CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return
	}
	require.NoError(t, err)
}

func deploymentAvailable(e *env.Env, ns, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		d, err := e.Client().AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas < 1 {
			return fmt.Errorf("available replicas %d", d.Status.AvailableReplicas)
		}
		return nil
	}
}

func readyEndpoints(e *env.Env, ns, service string) func(context.Context) error {
	return func(ctx context.Context) error {
		slices, err := e.Client().DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + service})
		if err != nil {
			return err
		}
		for _, s := range slices.Items {
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
					return nil
				}
			}
		}
		return fmt.Errorf("no ready endpoint in %d EndpointSlice(s)", len(slices.Items))
	}
}
