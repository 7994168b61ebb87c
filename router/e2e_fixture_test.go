//go:build e2e

package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/engine/workload"
	"github.com/gitcanary/gitcanary/router"
)

// applyCRDs installs the Canary CRD and gitcanary's TrafficSplit CRD (manifests/smi).
// newRouter returns the Deployment adapter and the router over shared informers of ns (and the
// TrafficSplit informer of version), started and synced, as the controller runs them.
func newRouter(t *testing.T, kube kubernetes.Interface, dyn dynamic.Interface, ns, version string) (*workload.Deployments, *router.Dispatcher) {
	t.Helper()
	deployments, services := newServices(t, kube, ns)
	splits := router.NewSplitInformers(dyn, router.SplitInformersOptions{Namespace: ns})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	require.NoError(t, splits.Start(ctx, version))
	return deployments, router.New(services, dyn, splits, router.Options{})
}

// newServices returns the Deployment adapter and the Services router over shared informers of
// ns, started and synced.
func newServices(t *testing.T, kube kubernetes.Interface, ns string) (*workload.Deployments, *router.Services) {
	t.Helper()
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(ns))
	deployments, err := workload.New(kube, workload.Listers{
		Deployments: factory.Apps().V1().Deployments().Lister(),
		HPAs:        factory.Autoscaling().V2().HorizontalPodAutoscalers().Lister(),
		ConfigMaps:  factory.Core().V1().ConfigMaps().Lister(),
		Secrets:     factory.Core().V1().Secrets().Lister(),
	}, workload.Options{})
	require.NoError(t, err)
	services := router.NewServices(kube, factory.Core().V1().Services().Lister(), deployments, router.ServicesOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); factory.Shutdown() })
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		require.True(t, ok, "cache of %v synced", typ)
	}
	return deployments, services
}

func applyCRDs(t *testing.T, e *env.Env) {
	t.Helper()
	for _, path := range []string{"../manifests/crds/flagger.app_canaries.yaml", "../manifests/smi/trafficsplits.yaml"} {
		crd, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, e.ApplyCRD(t.Context(), crd), path)
	}
}

// givenCanary creates the seed's podinfo target (image tag 6.0.0) and its Canary with the
// given provider in ns.
func givenCanary(t *testing.T, e *env.Env, ns, provider string) *v1beta1.Canary {
	t.Helper()
	ctx := t.Context()
	labels := map[string]string{"app": "podinfo"}
	_, err := e.Client().AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "podinfod",
					Image: "ghcr.io/stefanprodan/podinfo:6.0.0",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9898}, {Name: "http-metrics", ContainerPort: 9797}},
				}}},
			},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	canaries, err := client.New(e.RESTConfig())
	require.NoError(t, err)
	c, err := canaries.Canaries(ns).Create(ctx, &v1beta1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: ns},
		Spec: v1beta1.CanarySpec{
			Provider:  provider,
			TargetRef: v1beta1.LocalObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			Service:   v1beta1.CanaryService{Port: 9898},
			Analysis:  &v1beta1.CanaryAnalysis{Interval: "15s", Threshold: 5, MaxWeight: 50, StepWeight: 10},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return c
}

func setImage(t *testing.T, e *env.Env, ns, image string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":%q}]}}}}`, image)
	_, err := e.Client().AppsV1().Deployments(ns).Patch(t.Context(), "podinfo", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
}

func available(e *env.Env, ns, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		d, err := e.Client().AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		want := ptr.Deref(d.Spec.Replicas, 1)
		if d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == want &&
			d.Status.AvailableReplicas == want && d.Status.Replicas == want {
			return nil
		}
		return fmt.Errorf("deployment %s/%s not rolled out: %+v", ns, name, d.Status)
	}
}

// versions sends n requests for podinfo.<ns> through the mesh ingress and counts the podinfo
// versions that answered. Any answer but 200 is an error.
func versions(ctx context.Context, e *env.Env, ns string, n int) (map[string]int, error) {
	seen := map[string]int{}
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.MeshURL+"/", nil)
		if err != nil {
			return nil, err
		}
		req.Host = "podinfo." + ns
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET podinfo.%s: %d %s", ns, resp.StatusCode, body)
		}
		var info struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(body, &info); err != nil {
			return nil, err
		}
		seen[info.Version]++
	}
	return seen, nil
}
