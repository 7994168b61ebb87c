//go:build e2e

package env_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/gitcanary/gitcanary/e2e/env"
)

// Given the seed's podinfo Deployment without replicas and its autoscaling/v2 HPA (min 2),
// the Deployment becomes Available and the HPA scales it to its minimum.
func TestDeploymentWithHPABecomesAvailable(t *testing.T) {
	e := env.Get(t)
	ns := e.Namespace(t)
	ctx := context.Background()

	_, err := e.Client().AppsV1().Deployments(ns).Create(ctx, podinfoDeployment("podinfo", "6.0.0", nil), metav1.CreateOptions{})
	require.NoError(t, err)
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			MinReplicas:    ptr[int32](2),
			MaxReplicas:    4,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr[int32](99)},
				},
			}},
		},
	}
	_, err = e.Client().AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, hpa, metav1.CreateOptions{})
	require.NoError(t, err)

	start := time.Now()
	e.WaitFor(t, time.Minute, "deployment available", deploymentAvailable(e, ns, "podinfo"))
	t.Logf("deployment available after %s", time.Since(start).Round(time.Millisecond))
	e.WaitFor(t, time.Minute, "HPA scales podinfo to 2 available replicas", func(ctx context.Context) error {
		d, err := e.Client().AppsV1().Deployments(ns).Get(ctx, "podinfo", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas != 2 {
			return fmt.Errorf("available replicas %d, want 2", d.Status.AvailableReplicas)
		}
		return nil
	})
}

// widgetCRD has Flagger's printer columns, so the built kubectl must print them.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.gitcanary.dev
spec:
  group: e2e.gitcanary.dev
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Status, type: string, jsonPath: .status.phase}
    - {name: Weight, type: integer, jsonPath: .status.canaryWeight}
    - {name: LastTransitionTime, type: string, jsonPath: .status.lastTransitionTime}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
`

// Given a CRD with printer columns, the built kubectl prints them for its objects.
func TestCRDPrinterColumnsInKubectl(t *testing.T) {
	e := env.Get(t)
	ns := e.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, e.ApplyCRD(ctx, []byte(widgetCRD)))

	dyn, err := dynamic.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "e2e.gitcanary.dev/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "podinfo"},
		"status":   map[string]any{"phase": "Progressing", "canaryWeight": int64(15), "lastTransitionTime": "2019-10-02T14:05:07Z"},
	}}
	_, err = dyn.Resource(schema.GroupVersionResource{Group: "e2e.gitcanary.dev", Version: "v1", Resource: "widgets"}).
		Namespace(ns).Create(ctx, w, metav1.CreateOptions{})
	require.NoError(t, err)

	out, err := e.Kubectl(ctx, "-n", ns, "get", "widgets")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	require.Equal(t, []string{"NAME", "STATUS", "WEIGHT", "LASTTRANSITIONTIME"}, strings.Fields(lines[0]))
	require.Equal(t, []string{"podinfo", "Progressing", "15", "2019-10-02T14:05:07Z"}, strings.Fields(lines[1]))

	version, err := e.Kubectl(ctx, "version")
	require.NoError(t, err)
	require.Contains(t, version, "Client Version: v1.37.2")
	require.Contains(t, version, "Server Version: v1.37.2")
}
