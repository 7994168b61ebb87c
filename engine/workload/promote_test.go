package workload

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// changeTarget applies a new revision to the target, as a git push would.
func (f *fixture) changeTarget(t *testing.T, change func(*appsv1.Deployment)) {
	t.Helper()
	d := f.deployment(t, "podinfo")
	change(d)
	_, err := f.kube.AppsV1().Deployments(ns).Update(t.Context(), d, metav1.UpdateOptions{})
	require.NoError(t, err)
}

func newRevision(d *appsv1.Deployment) {
	d.Spec.Template.Spec.Containers[0].Image = "stefanprodan/podinfo:3.1.1"
	d.Spec.Template.Annotations["new"] = "yes"
	d.Spec.Replicas = ptr.To[int32](4)
	d.Spec.MinReadySeconds = 7
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](120)
	d.Spec.RevisionHistoryLimit = ptr.To[int32](9)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	d.Labels["team"] = "b"
	d.Annotations["team.io/owner"] = "ops"
}

func TestPromote(t *testing.T) {
	tests := []struct {
		name            string
		canary          *v1beta1.Canary
		opts            Options
		wantReplicas    int32
		wantLabels      map[string]string
		wantAnnotations map[string]string
	}{
		{
			name:            "replicas copied without autoscaler",
			canary:          newCanary(),
			wantReplicas:    4,
			wantLabels:      map[string]string{"app": "podinfo-primary"},
			wantAnnotations: map[string]string{},
		},
		{
			name:            "replicas kept with autoscaler",
			canary:          newCanary(withHPA("podinfo")),
			wantReplicas:    2,
			wantLabels:      map[string]string{"app": "podinfo-primary"},
			wantAnnotations: map[string]string{},
		},
		{
			name:            "object metadata filtered by prefix",
			canary:          newCanary(),
			opts:            Options{IncludeLabelPrefix: []string{"team"}},
			wantReplicas:    4,
			wantLabels:      map[string]string{"app": "podinfo-primary", "team": "b"},
			wantAnnotations: map[string]string{"team.io/owner": "ops"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts, newTarget(), newHPA("podinfo", ptr.To[int32](2), 4))
			require.NoError(t, f.d.EnsurePrimary(t.Context(), tt.canary))
			f.changeTarget(t, newRevision)

			require.NoError(t, f.d.Promote(t.Context(), tt.canary))
			p := f.deployment(t, "podinfo-primary")
			require.Equal(t, "stefanprodan/podinfo:3.1.1", p.Spec.Template.Spec.Containers[0].Image)
			require.Equal(t, map[string]string{"prometheus.io/scrape": "true", "new": "yes", "flagger-id": "id-2"}, p.Spec.Template.Annotations)
			require.Equal(t, map[string]string{"app": "podinfo-primary", "version": "1"}, p.Spec.Template.Labels)
			require.Equal(t, tt.wantReplicas, *p.Spec.Replicas)
			require.Equal(t, int32(7), p.Spec.MinReadySeconds)
			require.Equal(t, ptr.To[int32](120), p.Spec.ProgressDeadlineSeconds)
			require.Equal(t, ptr.To[int32](9), p.Spec.RevisionHistoryLimit)
			require.Equal(t, appsv1.RecreateDeploymentStrategyType, p.Spec.Strategy.Type)
			require.Equal(t, tt.wantLabels, p.Labels)
			require.Equal(t, tt.wantAnnotations, p.Annotations)
			require.Equal(t, &metav1.LabelSelector{MatchLabels: map[string]string{"app": "podinfo-primary"}}, p.Spec.Selector)
		})
	}
}

func TestPromoteIdenticalSpecStillRollsOut(t *testing.T) {
	f := newFixture(t, Options{}, newTarget())
	c := newCanary()
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	require.NoError(t, f.d.Promote(t.Context(), c))
	require.NoError(t, f.d.Promote(t.Context(), c))
	require.Equal(t, "id-3", f.deployment(t, "podinfo-primary").Spec.Template.Annotations["flagger-id"])
}

func TestPromoteConfigs(t *testing.T) {
	f := newFixture(t, Options{}, append(trackedObjects(), newTarget(withConfigRefs))...)
	c := newCanary()
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))

	cm := newConfigMap("cm-vol", map[string]string{"a": "changed"})
	_, err := f.kube.CoreV1().ConfigMaps(ns).Update(t.Context(), cm, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, f.d.Promote(t.Context(), c))

	primary, err := f.kube.CoreV1().ConfigMaps(ns).Get(t.Context(), "cm-vol-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "changed"}, primary.Data)
	require.Equal(t, "cm-vol-primary", f.deployment(t, "podinfo-primary").Spec.Template.Spec.Volumes[0].ConfigMap.Name)
}

func TestPromoteRetriesConflicts(t *testing.T) {
	f := newFixture(t, Options{}, newTarget())
	c := newCanary()
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	f.changeTarget(t, newRevision)

	conflicts := 2
	f.kube.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj := a.(k8stesting.UpdateAction).GetObject().(*appsv1.Deployment)
		if obj.Name != "podinfo-primary" || conflicts == 0 {
			return false, nil, nil
		}
		conflicts--
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, obj.Name, nil)
	})
	require.NoError(t, f.d.Promote(t.Context(), c))
	require.Equal(t, 0, conflicts)
	require.Equal(t, "stefanprodan/podinfo:3.1.1", f.deployment(t, "podinfo-primary").Spec.Template.Spec.Containers[0].Image)
}

func TestPromoteErrors(t *testing.T) {
	tests := []struct {
		name    string
		objs    []runtime.Object
		wantErr string
	}{
		{
			name:    "missing target",
			wantErr: `updating deployment podinfo-primary.test template spec failed: deployment podinfo.test get query error: deployments.apps "podinfo" not found`,
		},
		{
			name:    "missing primary",
			objs:    []runtime.Object{newTarget()},
			wantErr: `updating deployment podinfo-primary.test template spec failed: deployment podinfo-primary.test get query error: deployments.apps "podinfo-primary" not found`,
		},
		{
			name: "missing selector label",
			objs: []runtime.Object{newTarget(func(d *appsv1.Deployment) {
				d.Spec.Selector.MatchLabels = map[string]string{"role": "web"}
			})},
			wantErr: "updating deployment podinfo-primary.test template spec failed: deployment podinfo.test spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{}, tt.objs...)
			require.EqualError(t, f.d.Promote(t.Context(), newCanary()), tt.wantErr)
		})
	}
}

func TestPromoteConflictsExhausted(t *testing.T) {
	fastRetries(t)
	f := newFixture(t, Options{}, newTarget())
	c := newCanary()
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	f.kube.PrependReactor("update", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "podinfo-primary", nil)
	})
	err := f.d.Promote(t.Context(), c)
	require.ErrorContains(t, err, "updating deployment podinfo-primary.test template spec failed: ")
	require.True(t, apierrors.IsConflict(err))
}
