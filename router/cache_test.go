package router

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// TestIdleReadsNothing: once the Services and the TrafficSplit exist, a tick's Reconcile and
// Routes are answered from the caches, without a request.
func TestIdleReadsNothing(t *testing.T) {
	f := newFixture(t, newTarget())
	c := newCanary()
	require.NoError(t, f.router.Reconcile(t.Context(), c))
	require.NoError(t, f.router.SetRoutes(t.Context(), c, engine.Routes{Primary: 95, Canary: 5}))
	f.kube.ClearActions()
	f.dyn.ClearActions()

	require.NoError(t, f.router.Reconcile(t.Context(), c))
	r, err := f.router.Routes(t.Context(), c)
	require.NoError(t, err)
	require.Equal(t, engine.Routes{Primary: 95, Canary: 5}, r)
	require.NoError(t, f.router.SetRoutes(t.Context(), c, engine.Routes{Primary: 95, Canary: 5}))
	require.Empty(t, f.kube.Actions())
	require.Empty(t, f.dyn.Actions(), "the weights did not change: nothing to write")
}

// TestStaleCache: when the informers have not delivered the router's own writes, the next
// tick reads the weights it set, never the ones they replaced, and creates nothing twice.
func TestStaleCache(t *testing.T) {
	f := newFixture(t, newTarget())
	c := newCanary()
	ctx := t.Context()
	f.freeze(t)

	require.NoError(t, f.router.Reconcile(ctx, c))
	require.NoError(t, f.router.SetRoutes(ctx, c, engine.Routes{Primary: 90, Canary: 10}))
	require.NoError(t, f.router.Reconcile(ctx, c), "nothing created twice")
	r, err := f.router.Routes(ctx, c)
	require.NoError(t, err)
	require.Equal(t, engine.Routes{Primary: 90, Canary: 10}, r, "the stale cache holds no TrafficSplit at all")
	require.NoError(t, f.router.SetRoutes(ctx, c, engine.Routes{Primary: 85, Canary: 15}), "written on top of the router's own write")

	require.Equal(t, 3, f.kubeActions("create", "services"))
	require.Zero(t, f.kubeActions("update", "services"))
	require.Equal(t, 1, f.splitActions("create"))
	require.Equal(t, 2, f.splitActions("update"))
	require.Equal(t, specFor(v1beta1.SMIv1alpha1, "podinfo", "podinfo-canary", "podinfo-primary", 85, 15), f.split(t, v1beta1.SMIv1alpha1, "podinfo").Object["spec"])
}

func TestSplitInformers(t *testing.T) {
	split := func(version string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": wantSpec(version, "podinfo", 100, 0)}}
		u.SetAPIVersion(SplitGroup + "/" + version)
		u.SetKind(splitKind)
		u.SetNamespace(ns)
		u.SetName("podinfo")
		return u
	}
	dyn := newSplitClient(split(v1beta1.SMIv1alpha1), split(v1beta1.SMIv1alpha2))
	dyn.PrependReactor("list", "trafficsplits", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetResource().Version == v1beta1.SMIv1alpha3 {
			return true, nil, apierrors.NewNotFound(SplitResource(v1beta1.SMIv1alpha3).GroupResource(), "")
		}
		return false, nil, nil
	})
	s := NewSplitInformers(dyn, SplitInformersOptions{Namespace: ns, Transform: func(obj any) (any, error) {
		u := obj.(*unstructured.Unstructured)
		u.SetManagedFields(nil)
		return u, nil
	}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	_, err := s.Cache(ctx, v1beta1.SMIv1alpha1)
	require.ErrorIs(t, err, ErrNotStarted)

	require.NoError(t, s.Start(ctx, v1beta1.SMIv1alpha1, v1beta1.SMIv1alpha3), "an unserved version does not stop the start")
	require.Contains(t, s.informers, v1beta1.SMIv1alpha1, "started and synced")
	require.NotContains(t, s.informers, v1beta1.SMIv1alpha2, "not asked for")
	require.NotContains(t, s.informers, v1beta1.SMIv1alpha3, "not served")

	for _, v := range []string{v1beta1.SMIv1alpha1, v1beta1.SMIv1alpha2} {
		cached, err := s.Cache(ctx, v)
		require.NoError(t, err, v)
		got, err := cached.Get(ns, "podinfo")
		require.NoError(t, err, v)
		require.Equal(t, SplitGroup+"/"+v, got.GetAPIVersion())
	}
	_, err = s.Cache(ctx, v1beta1.SMIv1alpha3)
	require.True(t, apierrors.IsNotFound(err), "the server's answer: %v", err)

	// A TrafficSplit created later reaches the cache through the informer.
	_, err = dyn.Resource(SplitResource(v1beta1.SMIv1alpha1)).Namespace(ns).Create(ctx, withName(split(v1beta1.SMIv1alpha1), "other"), metav1.CreateOptions{})
	require.NoError(t, err)
	cached, err := s.Cache(ctx, v1beta1.SMIv1alpha1)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := cached.Get(ns, "other")
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
}

func withName(u *unstructured.Unstructured, name string) *unstructured.Unstructured {
	u.SetName(name)
	return u
}
