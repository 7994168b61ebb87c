package client

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

func TestTrimForCache(t *testing.T) {
	meta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name: "podinfo", Namespace: "test",
			Annotations:   map[string]string{lastApplied: `{"kind":"x"}`, "keep": "me"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "gitcanary", Operation: metav1.ManagedFieldsOperationApply}},
		}
	}
	split := &unstructured.Unstructured{}
	split.SetName("podinfo")
	split.SetAnnotations(map[string]string{lastApplied: "{}"})
	split.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "gitcanary"}})

	tests := []struct {
		name            string
		obj             metav1.Object
		wantLastApplied bool
	}{
		{name: "Deployment", obj: &appsv1.Deployment{ObjectMeta: meta()}},
		{name: "Canary", obj: &v1beta1.Canary{ObjectMeta: meta()}},
		{name: "TrafficSplit", obj: split},
		{name: "Service keeps last-applied", obj: &corev1.Service{ObjectMeta: meta()}, wantLastApplied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := TrimForCache(tt.obj)
			require.NoError(t, err)
			m := out.(metav1.Object)
			require.Empty(t, m.GetManagedFields())
			_, has := m.GetAnnotations()[lastApplied]
			require.Equal(t, tt.wantLastApplied, has)
			if tt.name != "TrafficSplit" {
				require.Equal(t, "me", m.GetAnnotations()["keep"])
			}
		})
	}

	tombstone := cache.DeletedFinalStateUnknown{Key: "test/podinfo"}
	out, err := TrimForCache(tombstone)
	require.NoError(t, err)
	require.Equal(t, tombstone, out)
}
