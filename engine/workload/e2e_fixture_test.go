//go:build e2e

package workload_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/engine/workload"
)

// newDeployments returns the adapter over shared informers of ns, started and synced, as the
// controller runs it.
func newDeployments(t *testing.T, kube kubernetes.Interface, ns string) *workload.Deployments {
	t.Helper()
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(ns))
	listers := workload.Listers{
		Deployments: factory.Apps().V1().Deployments().Lister(),
		HPAs:        factory.Autoscaling().V2().HorizontalPodAutoscalers().Lister(),
		ConfigMaps:  factory.Core().V1().ConfigMaps().Lister(),
		Secrets:     factory.Core().V1().Secrets().Lister(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); factory.Shutdown() })
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		require.True(t, ok, "cache of %v synced", typ)
	}
	d, err := workload.New(kube, listers, workload.Options{})
	require.NoError(t, err)
	return d
}

// given creates the Canary CRD and, in ns, the objects of the seed's podinfo: the Canary, the
// target Deployment (image tag 6.0.0, 2 replicas) reading a ConfigMap and a Secret, and its
// HorizontalPodAutoscaler. It returns the Canary as the API server stored it.
func given(t *testing.T, e *env.Env, ns string) *v1beta1.Canary {
	t.Helper()
	ctx := t.Context()
	crd, err := os.ReadFile("../../manifests/crds/flagger.app_canaries.yaml")
	require.NoError(t, err)
	require.NoError(t, e.ApplyCRD(ctx, crd))

	kube := e.Client()
	_, err = kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo-config"},
		Data:       map[string]string{"color": "blue"},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo-token"},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"token": []byte("s3cr3t")},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = kube.AppsV1().Deployments(ns).Create(ctx, podinfo(), metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			MinReplicas:    ptr.To[int32](2),
			MaxReplicas:    4,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](99)},
				},
			}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	canaries, err := client.New(e.RESTConfig())
	require.NoError(t, err)
	c, err := canaries.Canaries(ns).Create(ctx, &v1beta1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: ns},
		Spec: v1beta1.CanarySpec{
			TargetRef:     v1beta1.LocalObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			AutoscalerRef: &v1beta1.AutoscalerReference{APIVersion: "autoscaling/v2beta2", Kind: "HorizontalPodAutoscaler", Name: "podinfo"},
			Service:       v1beta1.CanaryService{Port: 9898},
			Analysis:      &v1beta1.CanaryAnalysis{Interval: "15s", Threshold: 5, MaxWeight: 50, StepWeight: 10},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return c
}

func podinfo() *appsv1.Deployment {
	labels := map[string]string{"app": "podinfo"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas:                ptr.To[int32](2),
			Selector:                &metav1.LabelSelector{MatchLabels: labels},
			ProgressDeadlineSeconds: ptr.To[int32](60),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:  "podinfod",
						Image: "ghcr.io/stefanprodan/podinfo:6.0.0",
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9898}},
						EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: "podinfo-config"},
						}}},
					}},
					Volumes: []corev1.Volume{{Name: "token", VolumeSource: corev1.VolumeSource{
						Secret: &corev1.SecretVolumeSource{SecretName: "podinfo-token"},
					}}},
				},
			},
		},
	}
}

// available checks that a Deployment rolled out: Available, every replica updated and available.
func available(e *env.Env, ns, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		d, err := e.Client().AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		want := ptr.Deref(d.Spec.Replicas, 1)
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue &&
				d.Status.ObservedGeneration >= d.Generation &&
				d.Status.UpdatedReplicas == want && d.Status.AvailableReplicas == want && d.Status.Replicas == want {
				return nil
			}
		}
		return fmt.Errorf("deployment %s/%s not rolled out: generation %d, status %+v", ns, name, d.Generation, d.Status)
	}
}

func setImage(t *testing.T, e *env.Env, ns, image string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":%q}]}}}}`, image)
	_, err := e.Client().AppsV1().Deployments(ns).Patch(t.Context(), "podinfo", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
}

func deployment(t *testing.T, e *env.Env, ns, name string) *appsv1.Deployment {
	t.Helper()
	d, err := e.Client().AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return d
}
