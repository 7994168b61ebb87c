//go:build e2e

package engine_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/enginetest"
	"github.com/gitcanary/gitcanary/engine/workload"
)

func TestMain(m *testing.M) { env.Main(m, env.Options{}) }

// TestE2EEngineDrivesDeployments runs the engine against a real kube-apiserver with kwok
// nodes: the real Deployment adapter (engine/workload) for Workloads and Scaler, the
// enginetest fakes for the other ports. Given the seed's podinfo Deployment and Canary, when
// the canary is reconciled, then it initializes; when a new image is set, then the analysis
// promotes it; when the next image fails its checks, then it is rolled back.
func TestE2EEngineDrivesDeployments(t *testing.T) {
	e := env.Get(t)
	ctx := t.Context()
	ns := e.Namespace(t)
	kube := e.Client()

	// Given
	crd, err := os.ReadFile("../manifests/crds/flagger.app_canaries.yaml")
	require.NoError(t, err)
	require.NoError(t, e.ApplyCRD(ctx, crd))
	_, err = kube.AppsV1().Deployments(ns).Create(ctx, podinfoDeployment(ns), metav1.CreateOptions{})
	require.NoError(t, err)
	canaries, err := client.New(e.RESTConfig())
	require.NoError(t, err)
	c := seedCanary(t, func(c *v1beta1.Canary) {
		c.Namespace, c.Spec.AutoscalerRef = ns, nil
		c.Spec.Analysis.Interval = "1s"
	})
	created, err := canaries.Canaries(ns).Create(ctx, c, metav1.CreateOptions{})
	require.NoError(t, err)

	world := enginetest.NewWorld()
	world.Canaries.Put(created)
	world.Metrics.Set("error-rate", 0.1)
	world.Metrics.Set("latency", 0.2)
	deployments := cachedDeployments(t, kube, ns)
	ports := world.Ports()
	ports.Workloads, ports.Scaler = deployments, deployments
	r, err := engine.NewReconciler(ports, engine.Options{MinInterval: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("events:\n%s", strings.Join(world.Recorder.Messages(), "\n"))
		}
	})
	key := "podinfo." + ns

	// When / Then: initialization
	tickUntil(t, r, world, ns, v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	requireReplicas(t, kube, ns, "podinfo", 0)
	requireImage(t, kube, ns, "podinfo-primary", "ghcr.io/stefanprodan/podinfo:6.0.0")

	// When / Then: a new revision is promoted
	setImage(t, kube, ns, "ghcr.io/stefanprodan/podinfo:6.0.1")
	tickUntil(t, r, world, ns, v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	requireImage(t, kube, ns, "podinfo-primary", "ghcr.io/stefanprodan/podinfo:6.0.1")
	requireReplicas(t, kube, ns, "podinfo", 0)
	requireInOrder(t, world.Recorder.Messages(), []string{
		"New revision detected! Scaling up " + key,
		"Advance " + key + " canary weight 5",
		"Advance " + key + " canary weight 50",
		"Copying " + key + " template spec to podinfo-primary." + ns,
		"Routing all traffic to primary",
		"Promotion completed! Scaling down " + key,
	})

	// When / Then: a failing revision is rolled back
	world.Metrics.Set("error-rate", 30.83)
	setImage(t, kube, ns, "ghcr.io/stefanprodan/podinfo:6.0.2")
	tickUntil(t, r, world, ns, v1beta1.CanaryPhaseFailed, 3*time.Minute)
	requireImage(t, kube, ns, "podinfo-primary", "ghcr.io/stefanprodan/podinfo:6.0.1")
	requireReplicas(t, kube, ns, "podinfo", 0)
	requireInOrder(t, world.Recorder.Messages(), []string{
		"Halt " + key + " advancement error-rate 30.83 > 1",
		"Rolling back " + key + " failed checks threshold reached 5",
		"Canary failed! Scaling down " + key,
	})
}

// cachedDeployments returns the Deployment adapter over shared informers of ns, started and
// synced, as the controller runs it.
func cachedDeployments(t *testing.T, kube kubernetes.Interface, ns string) *workload.Deployments {
	t.Helper()
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(ns))
	d, err := workload.New(kube, workload.Listers{
		Deployments: factory.Apps().V1().Deployments().Lister(),
		HPAs:        factory.Autoscaling().V2().HorizontalPodAutoscalers().Lister(),
		ConfigMaps:  factory.Core().V1().ConfigMaps().Lister(),
		Secrets:     factory.Core().V1().Secrets().Lister(),
	}, workload.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); factory.Shutdown() })
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		require.True(t, ok, "cache of %v synced", typ)
	}
	return d
}

// tickUntil reconciles the canary every 200ms until its stored phase is want.
func tickUntil(t *testing.T, r *engine.Reconciler, w *enginetest.World, ns string, want v1beta1.CanaryPhase, timeout time.Duration) {
	t.Helper()
	var last v1beta1.CanaryPhase
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if _, err := r.Reconcile(ctx, ns, "podinfo"); err != nil {
			return false, err
		}
		last = w.Canaries.Stored(ns, "podinfo").Status.Phase
		return last == want, nil
	})
	require.NoError(t, err, "waiting for phase %s, last %s", want, last)
}

func podinfoDeployment(ns string) *appsv1.Deployment {
	labels := map[string]string{"app": "podinfo"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Selector:                &metav1.LabelSelector{MatchLabels: labels},
			ProgressDeadlineSeconds: ptr(int32(60)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "podinfod",
					Image: "ghcr.io/stefanprodan/podinfo:6.0.0",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9898}},
				}}},
			},
		},
	}
}

func setImage(t *testing.T, kube kubernetes.Interface, ns, image string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":%q}]}}}}`, image)
	_, err := kube.AppsV1().Deployments(ns).Patch(t.Context(), "podinfo", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
}

func requireImage(t *testing.T, kube kubernetes.Interface, ns, name, image string) {
	t.Helper()
	d, err := kube.AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, image, d.Spec.Template.Spec.Containers[0].Image, name)
}

func requireReplicas(t *testing.T, kube kubernetes.Interface, ns, name string, want int32) {
	t.Helper()
	d, err := kube.AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	require.NotNil(t, d.Spec.Replicas)
	require.Equal(t, want, *d.Spec.Replicas, name)
}
