package workload

import (
	"testing"

	"github.com/stretchr/testify/require"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

func (f *fixture) hpa(t *testing.T, name string) *autoscalingv2.HorizontalPodAutoscaler {
	t.Helper()
	h, err := f.kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return h
}

func TestEnsurePrimaryHPA(t *testing.T) {
	tests := []struct {
		name       string
		canary     *v1beta1.Canary
		wantMin    *int32
		wantMax    int32
		wantTarget autoscalingv2.CrossVersionObjectReference
	}{
		{
			name:       "copied from the target autoscaler",
			canary:     newCanary(withHPA("podinfo")),
			wantMin:    ptr.To[int32](2),
			wantMax:    4,
			wantTarget: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo-primary"},
		},
		{
			name: "v2beta2 reference read as v2",
			canary: newCanary(withHPA("podinfo"), func(c *v1beta1.Canary) {
				c.Spec.AutoscalerRef.APIVersion = "autoscaling/v2beta2"
			}),
			wantMin:    ptr.To[int32](2),
			wantMax:    4,
			wantTarget: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo-primary"},
		},
		{
			name: "primaryScalerReplicas overrides",
			canary: newCanary(withHPA("podinfo"), func(c *v1beta1.Canary) {
				c.Spec.AutoscalerRef.PrimaryScalerReplicas = &v1beta1.ScalerReplicas{MinReplicas: ptr.To[int32](3), MaxReplicas: ptr.To[int32](9)}
			}),
			wantMin:    ptr.To[int32](3),
			wantMax:    9,
			wantTarget: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo-primary"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{}, newTarget(), newHPA("podinfo", ptr.To[int32](2), 4))
			require.NoError(t, f.d.EnsurePrimary(t.Context(), tt.canary))
			h := f.hpa(t, "podinfo-primary")
			require.Equal(t, []metav1.OwnerReference{canaryOwner}, h.OwnerReferences)
			require.Equal(t, map[string]string{"app": "podinfo"}, h.Labels, "all labels but Flux's at creation")
			require.Equal(t, tt.wantTarget, h.Spec.ScaleTargetRef)
			require.Equal(t, tt.wantMin, h.Spec.MinReplicas)
			require.Equal(t, tt.wantMax, h.Spec.MaxReplicas)
			require.Equal(t, newHPA("podinfo", nil, 0).Spec.Metrics, h.Spec.Metrics)
		})
	}
}

// TestSyncPrimaryAutoscalerUnchanged: a promotion with the target autoscaler unchanged writes
// nothing, whatever the label prefixes (issue 13: each promotion updated the primary
// autoscaler's labels to the prefix-filtered ones).
func TestSyncPrimaryAutoscalerUnchanged(t *testing.T) {
	for _, prefixes := range [][]string{nil, {"app"}, {"*"}} {
		c := newCanary(withHPA("podinfo"))
		f := newFixture(t, Options{IncludeLabelPrefix: prefixes}, newTarget(), newHPA("podinfo", ptr.To[int32](2), 4))
		require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
		require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
		require.Zero(t, f.actions("update", "horizontalpodautoscalers"), "prefixes %v", prefixes)
	}
}

func TestSyncPrimaryAutoscaler(t *testing.T) {
	c := newCanary(withHPA("podinfo"))
	f := newFixture(t, Options{IncludeLabelPrefix: []string{"app"}}, newTarget(), newHPA("podinfo", ptr.To[int32](2), 4))
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))

	// Unchanged: no write.
	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
	require.Equal(t, 0, f.actions("update", "horizontalpodautoscalers"))

	target := f.hpa(t, "podinfo")
	target.Spec.MaxReplicas = 8
	target.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](30)},
	}
	target.Annotations = map[string]string{"app.io/a": "1", "other": "2"}
	_, err := f.kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Update(t.Context(), target, metav1.UpdateOptions{})
	require.NoError(t, err)

	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
	h := f.hpa(t, "podinfo-primary")
	require.Equal(t, int32(8), h.Spec.MaxReplicas)
	require.Equal(t, target.Spec.Behavior, h.Spec.Behavior)
	require.Equal(t, map[string]string{"app.io/a": "1"}, h.Annotations)
	require.Equal(t, map[string]string{"app": "podinfo"}, h.Labels)
	require.Equal(t, 2, f.actions("update", "horizontalpodautoscalers"), "the test's update and the sync")

	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
	require.Equal(t, 2, f.actions("update", "horizontalpodautoscalers"), "in sync: no write")
}

func TestSyncPrimaryAutoscalerCreatesMissing(t *testing.T) {
	f := newFixture(t, Options{}, newTarget(), newHPA("podinfo", nil, 4))
	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), newCanary(withHPA("podinfo"))))
	require.Equal(t, int32(4), f.hpa(t, "podinfo-primary").Spec.MaxReplicas)
}

func TestSyncPrimaryAutoscalerWithoutAutoscaler(t *testing.T) {
	f := newFixture(t, Options{}, newTarget())
	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), newCanary()))
	require.Empty(t, f.kube.Actions())
}

func TestSyncPrimaryAutoscalerRetriesConflicts(t *testing.T) {
	c := newCanary(withHPA("podinfo"))
	f := newFixture(t, Options{}, newTarget(), newHPA("podinfo", ptr.To[int32](2), 4))
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	target := f.hpa(t, "podinfo")
	target.Spec.MaxReplicas = 6
	_, err := f.kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Update(t.Context(), target, metav1.UpdateOptions{})
	require.NoError(t, err)

	conflicts := 1
	f.kube.PrependReactor("update", "horizontalpodautoscalers", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts == 0 {
			return false, nil, nil
		}
		conflicts--
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "autoscaling", Resource: "horizontalpodautoscalers"}, "podinfo-primary", nil)
	})
	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
	require.Equal(t, int32(6), f.hpa(t, "podinfo-primary").Spec.MaxReplicas)
}

func TestSyncPrimaryAutoscalerErrors(t *testing.T) {
	tests := []struct {
		name    string
		canary  *v1beta1.Canary
		objs    []runtime.Object
		wantErr string
	}{
		{
			name:    "missing target autoscaler",
			canary:  newCanary(withHPA("podinfo")),
			wantErr: `HorizontalPodAutoscaler podinfo.test get query error: horizontalpodautoscalers.autoscaling "podinfo" not found`,
		},
		{
			name: "autoscaling/v1 reference",
			canary: newCanary(withHPA("podinfo"), func(c *v1beta1.Canary) {
				c.Spec.AutoscalerRef.APIVersion = "autoscaling/v1"
			}),
			wantErr: `canary podinfo.test autoscalerRef apiVersion "autoscaling/v1": unsupported by the Deployment workload adapter (only autoscaling/v2 is supported)`,
		},
		{
			name: "ScaledObject",
			canary: newCanary(func(c *v1beta1.Canary) {
				c.Spec.AutoscalerRef = &v1beta1.AutoscalerReference{Kind: "ScaledObject", Name: "podinfo"}
			}),
			wantErr: `canary podinfo.test autoscalerRef kind "ScaledObject": unsupported by the Deployment workload adapter (only HorizontalPodAutoscaler is supported, KEDA ScaledObjects are not)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{}, tt.objs...)
			require.EqualError(t, f.d.SyncPrimaryAutoscaler(t.Context(), tt.canary), tt.wantErr)
		})
	}
}
