package workload

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

func newPrimary(replicas *int32) *appsv1.Deployment {
	p := newTarget(withReplicas(replicas))
	p.Name = "podinfo-primary"
	return p
}

// requireMergePatch asserts that the last patch was a merge patch of the target's replicas.
func requireMergePatch(t *testing.T, f *fixture, want string) {
	t.Helper()
	var last k8stesting.PatchAction
	for _, a := range f.kube.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			last = p
		}
	}
	require.NotNil(t, last, "a patch was sent")
	require.Equal(t, types.MergePatchType, last.GetPatchType())
	require.Equal(t, "podinfo", last.GetName())
	require.JSONEq(t, want, string(last.GetPatch()))
}

func TestScaleToZero(t *testing.T) {
	f := newFixture(t, Options{}, newTarget())
	require.NoError(t, f.d.ScaleToZero(t.Context(), newCanary()))
	require.Equal(t, int32(0), *f.deployment(t, "podinfo").Spec.Replicas)
	requireMergePatch(t, f, `{"spec":{"replicas":0}}`)

	require.NoError(t, f.d.ScaleToZero(t.Context(), newCanary()))
	require.Equal(t, 1, f.actions("patch", "deployments"), "already at zero: nothing to write")
}

func TestScaleToZeroMissingTarget(t *testing.T) {
	f := newFixture(t, Options{})
	err := f.d.ScaleToZero(t.Context(), newCanary())
	require.EqualError(t, err, `deployment podinfo.test update query error: deployments.apps "podinfo" not found`)
	require.True(t, apierrors.IsNotFound(err))
}

func TestScaleFromZero(t *testing.T) {
	tests := []struct {
		name      string
		canary    *v1beta1.Canary
		objs      []runtime.Object
		want      int32
		wantNoOps bool
	}{
		{
			name:      "target replicas: nothing to write",
			canary:    newCanary(),
			objs:      []runtime.Object{newTarget(withReplicas(ptr.To[int32](3))), newPrimary(ptr.To[int32](5))},
			want:      3,
			wantNoOps: true,
		},
		{
			name:   "primary replicas without autoscaler",
			canary: newCanary(),
			objs:   []runtime.Object{newTarget(withReplicas(ptr.To[int32](0))), newPrimary(ptr.To[int32](5))},
			want:   5,
		},
		{
			name:   "one when the primary is at zero",
			canary: newCanary(),
			objs:   []runtime.Object{newTarget(withReplicas(ptr.To[int32](0))), newPrimary(ptr.To[int32](0))},
			want:   1,
		},
		{
			name:   "autoscaler minReplicas above one",
			canary: newCanary(withHPA("podinfo")),
			objs:   []runtime.Object{newTarget(withReplicas(ptr.To[int32](0))), newPrimary(ptr.To[int32](5)), newHPA("podinfo", ptr.To[int32](3), 6)},
			want:   3,
		},
		{
			name:   "autoscaler minReplicas of one",
			canary: newCanary(withHPA("podinfo")),
			objs:   []runtime.Object{newTarget(withReplicas(ptr.To[int32](0))), newHPA("podinfo", ptr.To[int32](1), 6)},
			want:   1,
		},
		{
			name:   "unreadable autoscaler",
			canary: newCanary(withHPA("podinfo")),
			objs:   []runtime.Object{newTarget(withReplicas(ptr.To[int32](0)))},
			want:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{}, tt.objs...)
			require.NoError(t, f.d.ScaleFromZero(t.Context(), tt.canary))
			require.Equal(t, tt.want, *f.deployment(t, "podinfo").Spec.Replicas)
			if tt.wantNoOps {
				require.Zero(t, f.actions("patch", "deployments"))
				return
			}
			requireMergePatch(t, f, `{"spec":{"replicas":`+string(rune('0'+tt.want))+`}}`)
		})
	}
}

func TestScaleFromZeroErrors(t *testing.T) {
	t.Run("missing target", func(t *testing.T) {
		f := newFixture(t, Options{})
		require.EqualError(t, f.d.ScaleFromZero(t.Context(), newCanary()),
			`deployment podinfo.test get query error: deployments.apps "podinfo" not found`)
	})
	t.Run("missing primary", func(t *testing.T) {
		f := newFixture(t, Options{}, newTarget(withReplicas(ptr.To[int32](0))))
		require.EqualError(t, f.d.ScaleFromZero(t.Context(), newCanary()),
			`deployment podinfo-primary.test get query error: deployments.apps "podinfo-primary" not found`)
	})
	t.Run("patch refused", func(t *testing.T) {
		f := newFixture(t, Options{}, newTarget(withReplicas(ptr.To[int32](0))), newPrimary(ptr.To[int32](2)))
		f.kube.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(appsv1.Resource("deployments"), "podinfo", nil)
		})
		err := f.d.ScaleFromZero(t.Context(), newCanary())
		require.ErrorContains(t, err, "scaling up podinfo.test to 2 failed: ")
		require.True(t, apierrors.IsForbidden(err))
	})
}

func TestRevert(t *testing.T) {
	tests := []struct {
		name        string
		objs        []runtime.Object
		want        int32
		wantPatches int
	}{
		{
			name:        "primary replicas",
			objs:        []runtime.Object{newTarget(withReplicas(ptr.To[int32](0))), newPrimary(ptr.To[int32](4))},
			want:        4,
			wantPatches: 1,
		},
		{
			name:        "already equal",
			objs:        []runtime.Object{newTarget(withReplicas(ptr.To[int32](4))), newPrimary(ptr.To[int32](4))},
			want:        4,
			wantPatches: 0,
		},
		{
			name:        "primary gone: scale from zero",
			objs:        []runtime.Object{newTarget(withReplicas(ptr.To[int32](0)))},
			want:        1,
			wantPatches: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{}, tt.objs...)
			require.NoError(t, f.d.Revert(t.Context(), newCanary()))
			require.Equal(t, tt.want, *f.deployment(t, "podinfo").Spec.Replicas)
			require.Equal(t, tt.wantPatches, f.actions("patch", "deployments"))
		})
	}
}

func TestRevertMissingTarget(t *testing.T) {
	f := newFixture(t, Options{})
	require.EqualError(t, f.d.Revert(t.Context(), newCanary()),
		`deployment podinfo.test get query error: deployments.apps "podinfo" not found`)
}
