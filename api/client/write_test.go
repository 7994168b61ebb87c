package client

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gitcanary/gitcanary/api/client/clienttest"
)

// writeFixture is a Cached over ConfigMaps of a versioning fake API server.
type writeFixture struct {
	api     *clienttest.Indexer
	cached  *Cached[*corev1.ConfigMap]
	write   Write[*corev1.ConfigMap]
	kube    *fake.Clientset
	updates int
}

func newWriteFixture(t *testing.T, objs ...runtime.Object) *writeFixture {
	kube, tracker := clienttest.NewClientset(objs...)
	idx := clienttest.NewIndexer(tracker, corev1.SchemeGroupVersion.WithResource("configmaps"), corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	lister := corelisters.NewConfigMapLister(idx)
	f := &writeFixture{api: idx, kube: kube}
	f.cached = NewCached(corev1.Resource("configmaps"), func(namespace, name string) (*corev1.ConfigMap, error) {
		return lister.ConfigMaps(namespace).Get(name)
	})
	want := map[string]string{"v": "wanted"}
	api := kube.CoreV1().ConfigMaps("test")
	f.write = Write[*corev1.ConfigMap]{
		Create: func(ctx context.Context) (*corev1.ConfigMap, error) {
			return api.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "test"}, Data: want}, metav1.CreateOptions{})
		},
		Change: func(live *corev1.ConfigMap) (*corev1.ConfigMap, bool) {
			if maps.Equal(live.Data, want) {
				return nil, false
			}
			out := live.DeepCopy()
			out.Data = want
			return out, true
		},
		Update: func(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error) {
			f.updates++
			return api.Update(ctx, cm, metav1.UpdateOptions{})
		},
	}
	return f
}

func (f *writeFixture) data(t *testing.T) string {
	t.Helper()
	cm, err := f.cached.Get("test", "cm")
	require.NoError(t, err)
	return cm.Data["v"]
}

// fastBackoff shortens CacheBackoff for a test.
func fastBackoff(t *testing.T) {
	saved := CacheBackoff
	CacheBackoff = wait.Backoff{Steps: 3, Duration: time.Millisecond, Factor: 1}
	t.Cleanup(func() { CacheBackoff = saved })
}

func TestCachedWrite(t *testing.T) {
	stale := configMap("", "stale")
	current := configMap("", "wanted")

	t.Run("creates a missing object, and the next read sees it before the cache does", func(t *testing.T) {
		f := newWriteFixture(t)
		require.NoError(t, f.api.Freeze())
		wrote, err := f.cached.Write(t.Context(), "test", "cm", f.write)
		require.NoError(t, err)
		require.True(t, wrote)
		require.Equal(t, "wanted", f.data(t))
	})
	t.Run("writes nothing when nothing changed", func(t *testing.T) {
		f := newWriteFixture(t, current)
		wrote, err := f.cached.Write(t.Context(), "test", "cm", f.write)
		require.NoError(t, err)
		require.False(t, wrote)
		require.Zero(t, f.updates)
	})
	t.Run("updates a changed object with the cached resourceVersion", func(t *testing.T) {
		f := newWriteFixture(t, stale)
		require.NoError(t, f.api.Freeze())
		wrote, err := f.cached.Write(t.Context(), "test", "cm", f.write)
		require.NoError(t, err)
		require.True(t, wrote)
		require.Equal(t, 1, f.updates)
		require.Equal(t, "wanted", f.data(t), "read-your-writes while the cache lags")
		wrote, err = f.cached.Write(t.Context(), "test", "cm", f.write)
		require.NoError(t, err)
		require.False(t, wrote, "the lagging cache does not make it write again")
	})
	t.Run("a conflict is retried once the cache caught up", func(t *testing.T) {
		f := newWriteFixture(t, stale)
		require.NoError(t, f.api.Freeze())
		_, err := f.kube.CoreV1().ConfigMaps("test").Patch(t.Context(), "cm", types.MergePatchType, []byte(`{"data":{"v":"someone else's"}}`), metav1.PatchOptions{})
		require.NoError(t, err)
		f.kube.PrependReactor("update", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
			f.api.Thaw() // the informer delivers the concurrent write while the first update conflicts
			return false, nil, nil
		})
		wrote, err := f.cached.Write(t.Context(), "test", "cm", f.write)
		require.NoError(t, err)
		require.True(t, wrote)
		require.Equal(t, 2, f.updates, "one conflict, one success")
		require.Equal(t, "wanted", f.data(t))
	})
	t.Run("a create that finds the object is retried as an update", func(t *testing.T) {
		f := newWriteFixture(t)
		require.NoError(t, f.api.Freeze())
		_, err := f.kube.CoreV1().ConfigMaps("test").Create(t.Context(), stale.DeepCopy(), metav1.CreateOptions{})
		require.NoError(t, err)
		f.kube.PrependReactor("create", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
			f.api.Thaw()
			return false, nil, nil
		})
		wrote, err := f.cached.Write(t.Context(), "test", "cm", f.write)
		require.NoError(t, err)
		require.True(t, wrote)
		require.Equal(t, 1, f.updates)
		require.Equal(t, "wanted", f.data(t))
	})
	t.Run("a cache that never catches up fails with the conflict", func(t *testing.T) {
		fastBackoff(t)
		f := newWriteFixture(t, stale)
		require.NoError(t, f.api.Freeze())
		f.kube.PrependReactor("update", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewConflict(corev1.Resource("configmaps"), "cm", nil)
		})
		_, err := f.cached.Write(t.Context(), "test", "cm", f.write)
		require.True(t, apierrors.IsConflict(err), "want Conflict, got %v", err)
		require.Equal(t, 3, f.updates, "CacheBackoff's steps")
	})
	t.Run("an object that must exist is not created", func(t *testing.T) {
		f := newWriteFixture(t)
		w := f.write
		w.Create = nil
		_, err := f.cached.Write(t.Context(), "test", "cm", w)
		require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
	})
}
