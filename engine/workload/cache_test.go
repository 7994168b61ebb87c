package workload

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/engine"
)

// readyPrimary is a primary Deployment that finished rolling out generation 1.
func readyPrimary() *appsv1.Deployment {
	p := newPrimary(ptr.To[int32](2))
	p.Spec.Selector.MatchLabels = map[string]string{"app": "podinfo-primary"}
	p.Generation = 1
	p.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}
	return p
}

// bumpGenerations makes the fake API server increment a Deployment's generation on every
// update, as the real one does on a spec change.
func bumpGenerations(f *fixture) {
	f.kube.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		a.(k8stesting.UpdateAction).GetObject().(*appsv1.Deployment).Generation++
		return false, nil, nil
	})
}

// TestIdleReadsNothing: once the primary exists, what an idle tick asks of the adapter is
// answered from the cache, without a request.
func TestIdleReadsNothing(t *testing.T) {
	c := newCanary(withHPA("podinfo"))
	f := newFixture(t, Options{}, append(trackedObjects(), newTarget(withConfigRefs), newHPA("podinfo", ptr.To[int32](2), 4))...)
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
	f.kube.ClearActions()

	_, err := f.d.Observe(t.Context(), c)
	require.NoError(t, err)
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	_, _, _, err = f.d.Selector(t.Context(), c)
	require.NoError(t, err)
	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
	require.Empty(t, f.kube.Actions())
}

// TestStaleCache: when the informers have not delivered the adapter's own writes yet, the next
// tick still sees them, so it never repeats a step or takes the next one too early.
func TestStaleCache(t *testing.T) {
	t.Run("a created primary exists at the next tick", func(t *testing.T) {
		f := newFixture(t, Options{}, newTarget())
		c := newCanary()
		f.freeze(t)
		require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
		w, err := f.d.Observe(t.Context(), c)
		require.NoError(t, err)
		require.True(t, w.PrimaryExists)
		require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
		require.Equal(t, 1, f.actions("create", "deployments"), "created once")
	})
	t.Run("a promoted primary is rolling out at the next tick", func(t *testing.T) {
		f := newFixture(t, Options{}, newTarget(), readyPrimary())
		bumpGenerations(f)
		c := newCanary()
		f.freeze(t)
		require.NoError(t, f.d.Promote(t.Context(), c))
		w, err := f.d.Observe(t.Context(), c)
		require.NoError(t, err)
		require.Equal(t, engine.Readiness{Retriable: true,
			Message: "waiting for rollout to finish: observed deployment generation less than desired generation"}, w.Primary,
			"the stale cache shows the primary ready before its rollout")
	})
	t.Run("a target scaled up is not ready at the next tick", func(t *testing.T) {
		f := newFixture(t, Options{}, newTarget(withReplicas(ptr.To[int32](0))), readyPrimary())
		c := newCanary()
		f.freeze(t)
		require.NoError(t, f.d.ScaleFromZero(t.Context(), c))
		w, err := f.d.Observe(t.Context(), c)
		require.NoError(t, err)
		require.False(t, w.Target.Ready, "the stale cache shows a ready target at zero replicas")
		require.NoError(t, f.d.ScaleFromZero(t.Context(), c))
		require.Equal(t, 1, f.actions("patch", "deployments"), "scaled once")
	})
	t.Run("a synced primary autoscaler is not written again", func(t *testing.T) {
		c := newCanary(withHPA("podinfo"))
		f := newFixture(t, Options{}, newTarget(), newHPA("podinfo", ptr.To[int32](2), 4))
		require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
		target := f.hpa(t, "podinfo")
		target.Spec.MaxReplicas = 6
		_, err := f.kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Update(t.Context(), target, metav1.UpdateOptions{})
		require.NoError(t, err)
		f.freeze(t)
		f.kube.ClearActions()
		require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
		require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
		require.Equal(t, 1, f.actions("update", "horizontalpodautoscalers"))
		require.Equal(t, int32(6), f.hpa(t, "podinfo-primary").Spec.MaxReplicas)
	})
	t.Run("written primary configs are not written again", func(t *testing.T) {
		c := newCanary()
		f := newFixture(t, Options{}, append(trackedObjects(), newTarget(withConfigRefs))...)
		f.freeze(t)
		require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
		require.NoError(t, f.d.Promote(t.Context(), c))
		require.Equal(t, 8, f.actions("create", "configmaps")+f.actions("create", "secrets"))
		require.Zero(t, f.actions("update", "configmaps")+f.actions("update", "secrets"), "unchanged copies")
	})
}

// TestCacheNotModified: the informers' objects are shared; no call may change them.
func TestCacheNotModified(t *testing.T) {
	c := newCanary(withHPA("podinfo"))
	f := newFixture(t, Options{}, append(trackedObjects(), newTarget(withReplicas(ptr.To[int32](0)), withConfigRefs),
		newHPA("podinfo", ptr.To[int32](2), 4))...)
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	f.freeze(t)
	cached := func() map[string]runtime.Object {
		out := map[string]runtime.Object{}
		for n, i := range f.indexers {
			for _, key := range i.ListKeys() {
				o, _, err := i.Indexer.GetByKey(key)
				require.NoError(t, err)
				out[fmt.Sprint(n, key)] = o.(runtime.Object)
			}
		}
		return out
	}
	before := map[string]runtime.Object{}
	for k, o := range cached() {
		before[k] = o.DeepCopyObject()
	}

	require.NoError(t, f.d.SyncPrimaryAutoscaler(t.Context(), c))
	require.NoError(t, f.d.ScaleFromZero(t.Context(), c))
	require.NoError(t, f.d.Promote(t.Context(), c))
	require.NoError(t, f.d.ScaleToZero(t.Context(), c))
	_, err := f.d.Observe(t.Context(), c)
	require.NoError(t, err)

	after := cached()
	require.Len(t, after, len(before))
	for k, o := range before {
		require.True(t, equality.Semantic.DeepEqual(o, after[k]), "cached object %s modified", k)
	}
}
