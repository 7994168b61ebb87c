package clienttest

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
)

func TestTrackerVersionsAndConflicts(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "test"}, Data: map[string]string{"a": "1"}}
	kube, _ := NewClientset(cm)
	api := kube.CoreV1().ConfigMaps("test")
	ctx := t.Context()

	cur, err := api.Get(ctx, "cm", metav1.GetOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, cur.ResourceVersion, "added objects are versioned")

	next := cur.DeepCopy()
	next.Data["a"] = "2"
	updated, err := api.Update(ctx, next, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NotEqual(t, cur.ResourceVersion, updated.ResourceVersion, "an update gets a new version")

	_, err = api.Update(ctx, next, metav1.UpdateOptions{})
	require.True(t, apierrors.IsConflict(err), "an update of an old version conflicts: %v", err)

	stale := []byte(`{"metadata":{"resourceVersion":"` + cur.ResourceVersion + `"},"data":{"a":"3"}}`)
	_, err = api.Patch(ctx, "cm", types.MergePatchType, stale, metav1.PatchOptions{})
	require.True(t, apierrors.IsConflict(err), "a patch of an old version conflicts: %v", err)

	patched, err := api.Patch(ctx, "cm", types.MergePatchType, []byte(`{"data":{"a":"4"}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	require.Equal(t, "4", patched.Data["a"])
	require.NotEqual(t, updated.ResourceVersion, patched.ResourceVersion)

	created, err := api.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "new", Namespace: "test"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, created.ResourceVersion)
}

func TestIndexerFreeze(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "test"}, Data: map[string]string{"a": "1"}}
	kube, tracker := NewClientset(cm)
	idx := NewIndexer(tracker, corev1.SchemeGroupVersion.WithResource("configmaps"), corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	lister := corelisters.NewConfigMapLister(idx).ConfigMaps("test")
	ctx := t.Context()

	require.NoError(t, idx.Freeze())
	_, err := kube.CoreV1().ConfigMaps("test").Patch(ctx, "cm", types.MergePatchType, []byte(`{"data":{"a":"2"}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	got, err := lister.Get("cm")
	require.NoError(t, err)
	require.Equal(t, "1", got.Data["a"], "frozen: the old version")

	idx.Thaw()
	got, err = lister.Get("cm")
	require.NoError(t, err)
	require.Equal(t, "2", got.Data["a"], "thawed: the tracker's")

	_, err = lister.Get("absent")
	require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
}
