package status

import (
	"net/http"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func progressing() v1beta1.CanaryStatus {
	return v1beta1.CanaryStatus{
		Phase:           v1beta1.CanaryPhaseProgressing,
		CanaryWeight:    10,
		FailedChecks:    1,
		LastAppliedSpec: "5d9f7c8b6",
		TrackedConfigs:  map[string]string{"configmap/podinfo-config": "abc"},
		Conditions: []v1beta1.CanaryCondition{{
			Type: v1beta1.PromotedType, Status: corev1.ConditionUnknown, Reason: "Progressing",
			Message: "New revision detected, progressing canary analysis.",
		}},
	}
}

func TestGet(t *testing.T) {
	api, cl := newFakeAPI(t, newCanary())
	s := NewStore(cl, api)

	got, err := s.Get(t.Context(), "test", "podinfo")
	require.NoError(t, err)
	require.Equal(t, "podinfo", got.Spec.TargetRef.Name)

	_, err = s.Get(t.Context(), "test", "absent")
	require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
	require.ErrorContains(t, err, "get Canary test/absent")
}

func TestWriteStatus(t *testing.T) {
	tests := []struct {
		name       string
		conflicts  int
		wantWrites int
	}{
		{name: "first attempt", wantWrites: 1},
		{name: "retried after concurrent writers", conflicts: 2, wantWrites: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, cl := newFakeAPI(t, newCanary())
			api.conflicts = tt.conflicts
			stale := newCanary() // as the engine read it, without resourceVersion

			require.NoError(t, NewStore(cl, api).WriteStatus(t.Context(), stale, progressing()))

			got := api.get(t, "test", "podinfo")
			require.Equal(t, progressing(), got.Status)
			require.Len(t, api.recordedWrites(), tt.wantWrites)
			require.Equal(t, "update status", api.recordedWrites()[0], "only the status subresource is written")
			if tt.conflicts > 0 {
				require.Contains(t, got.Labels, "concurrent-writer", "the concurrent change survives")
			}
			require.Equal(t, v1beta1.CanaryStatus{}, stale.Status, "the caller's Canary is not modified")
			require.Zero(t, api.reads, "no GET: the cache gives the resourceVersion")
		})
	}
}

func TestWriteStatusUnchanged(t *testing.T) {
	api, cl := newFakeAPI(t, newCanary(func(c *v1beta1.Canary) { c.Status = progressing() }))
	require.NoError(t, NewStore(cl, api).WriteStatus(t.Context(), newCanary(), progressing()))
	require.Empty(t, api.recordedWrites(), "the cached Canary has that status already")
}

// TestStaleCache: when the informer has not delivered the Store's own write yet, the next tick
// reads that write, not the status it replaced, and writes on top of it without a conflict.
func TestStaleCache(t *testing.T) {
	api, cl := newFakeAPI(t, newCanary())
	s := NewStore(cl, api)
	ctx := t.Context()
	api.freeze()

	require.NoError(t, s.WriteStatus(ctx, newCanary(), progressing()))
	got, err := s.Get(ctx, "test", "podinfo")
	require.NoError(t, err)
	require.Equal(t, progressing(), got.Status, "the next tick sees the write")

	next := progressing()
	next.CanaryWeight = 15
	require.NoError(t, s.WriteStatus(ctx, got, next))
	require.NoError(t, s.SetFinalizer(ctx, got, true))
	got, err = s.Get(ctx, "test", "podinfo")
	require.NoError(t, err)
	require.Equal(t, 15, got.Status.CanaryWeight)
	require.Equal(t, []string{v1beta1.Finalizer}, got.Finalizers)
	require.Equal(t, []string{"update status", "update status", "patch"}, api.recordedWrites(), "no conflict")

	api.thaw()
	got, err = s.Get(ctx, "test", "podinfo")
	require.NoError(t, err)
	require.Equal(t, api.get(t, "test", "podinfo"), got, "caught up")
}

// TestStaleCacheConcurrentWriter: a write that conflicts with someone else's is retried once
// the cache holds theirs, and keeps it.
func TestStaleCacheConcurrentWriter(t *testing.T) {
	api, cl := newFakeAPI(t, newCanary())
	api.freeze()
	api.conflicts = 1 // someone labels the Canary; the cache does not show it yet
	api.thawOnConflict = true
	require.NoError(t, NewStore(cl, api).WriteStatus(t.Context(), newCanary(), progressing()))
	got := api.get(t, "test", "podinfo")
	require.Equal(t, progressing(), got.Status)
	require.Contains(t, got.Labels, "concurrent-writer")
	require.Len(t, api.recordedWrites(), 2)
}

func TestWriteStatusErrors(t *testing.T) {
	fastRetries(t)
	api, cl := newFakeAPI(t, newCanary())
	api.conflicts = 100
	err := NewStore(cl, api).WriteStatus(t.Context(), newCanary(), progressing())
	require.True(t, apierrors.IsConflict(err), "want Conflict after the retries, got %v", err)
	require.ErrorContains(t, err, "write status of Canary test/podinfo")

	api, cl = newFakeAPI(t)
	err = NewStore(cl, api).WriteStatus(t.Context(), newCanary(), progressing())
	require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)

	api, cl = newFakeAPI(t, newCanary())
	api.fail = http.StatusInternalServerError
	require.Error(t, NewStore(cl, api).WriteStatus(t.Context(), newCanary(), progressing()))
}

func TestSetFinalizer(t *testing.T) {
	tests := []struct {
		name       string
		existing   []string
		present    bool
		conflicts  int
		want       []string
		wantWrites int
	}{
		{name: "add", present: true, want: []string{v1beta1.Finalizer}, wantWrites: 1},
		{name: "add keeps others", existing: []string{"other/finalizer"}, present: true, want: []string{"other/finalizer", v1beta1.Finalizer}, wantWrites: 1},
		{name: "add when present is a no-op", existing: []string{v1beta1.Finalizer}, present: true, want: []string{v1beta1.Finalizer}},
		{name: "remove", existing: []string{"other/finalizer", v1beta1.Finalizer}, want: []string{"other/finalizer"}, wantWrites: 1},
		{name: "remove the last", existing: []string{v1beta1.Finalizer}, want: nil, wantWrites: 1},
		{name: "remove when absent is a no-op", existing: []string{"other/finalizer"}, want: []string{"other/finalizer"}},
		{name: "retried on conflict", present: true, conflicts: 1, want: []string{v1beta1.Finalizer}, wantWrites: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, cl := newFakeAPI(t, newCanary(func(c *v1beta1.Canary) { c.Finalizers = tt.existing }))
			api.conflicts = tt.conflicts

			require.NoError(t, NewStore(cl, api).SetFinalizer(t.Context(), newCanary(), tt.present))

			got := api.get(t, "test", "podinfo")
			require.ElementsMatch(t, tt.want, got.Finalizers)
			require.Len(t, api.recordedWrites(), tt.wantWrites)
			for _, w := range api.recordedWrites() {
				require.Equal(t, "patch", w)
			}
		})
	}
}

func TestSetFinalizerErrors(t *testing.T) {
	api, cl := newFakeAPI(t)
	err := NewStore(cl, api).SetFinalizer(t.Context(), newCanary(), true)
	require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
	require.ErrorContains(t, err, "set finalizer finalizer.flagger.app=true on Canary test/podinfo")
}

func TestFinalizerPatch(t *testing.T) {
	b, err := finalizerPatch(nil, "42")
	require.NoError(t, err)
	require.JSONEq(t, `{"metadata":{"finalizers":[],"resourceVersion":"42"}}`, string(b))
}
