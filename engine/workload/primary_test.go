package workload

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// canaryOwner is the owner reference every generated object carries.
var canaryOwner = metav1.OwnerReference{
	APIVersion: "flagger.app/v1beta1", Kind: "Canary", Name: "podinfo", UID: "canary-uid",
	Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
}

func TestEnsurePrimaryDeployment(t *testing.T) {
	f := newFixture(t, Options{}, append(trackedObjects(), newTarget(withConfigRefs))...)
	require.NoError(t, f.d.EnsurePrimary(t.Context(), newCanary()))

	p := f.deployment(t, "podinfo-primary")
	require.Equal(t, []metav1.OwnerReference{canaryOwner}, p.OwnerReferences)
	require.Equal(t, map[string]string{"app": "podinfo-primary"}, p.Labels, "object labels: only the selector without include prefixes")
	require.Equal(t, map[string]string{"note": "x"}, p.Annotations, "object annotations: all but Flux keys")
	require.Equal(t, &metav1.LabelSelector{MatchLabels: map[string]string{"app": "podinfo-primary"}}, p.Spec.Selector)
	require.Equal(t, ptr.To[int32](2), p.Spec.Replicas)
	require.Equal(t, ptr.To[int32](60), p.Spec.ProgressDeadlineSeconds)
	require.Equal(t, int32(3), p.Spec.MinReadySeconds)
	require.Equal(t, ptr.To[int32](5), p.Spec.RevisionHistoryLimit)
	require.Equal(t, appsv1.RollingUpdateDeploymentStrategyType, p.Spec.Strategy.Type)
	require.Equal(t, map[string]string{"app": "podinfo-primary", "version": "1"}, p.Spec.Template.Labels)
	require.Equal(t, map[string]string{"prometheus.io/scrape": "true", "flagger-id": "id-1"}, p.Spec.Template.Annotations)

	spec := p.Spec.Template.Spec
	require.Equal(t, "cm-vol-primary", spec.Volumes[0].ConfigMap.Name)
	require.Equal(t, "secret-vol-primary", spec.Volumes[1].Secret.SecretName)
	require.Equal(t, "cm-proj-primary", spec.Volumes[2].Projected.Sources[0].ConfigMap.Name)
	require.Equal(t, "secret-proj-primary", spec.Volumes[2].Projected.Sources[1].Secret.Name)
	require.Equal(t, "cm-disabled", spec.Volumes[3].ConfigMap.Name, "untracked config keeps its name")
	require.Equal(t, "cm-env-primary", spec.Containers[0].Env[0].ValueFrom.ConfigMapKeyRef.Name)
	require.Equal(t, "secret-env-primary", spec.Containers[0].Env[1].ValueFrom.SecretKeyRef.Name)
	require.Equal(t, "cm-envfrom-primary", spec.Containers[0].EnvFrom[0].ConfigMapRef.Name)
	require.Equal(t, "secret-registry", spec.Containers[0].EnvFrom[1].SecretRef.Name, "registry secret is not tracked")
	require.Equal(t, "cm-init-primary", spec.InitContainers[0].EnvFrom[0].ConfigMapRef.Name)

	target := f.deployment(t, "podinfo")
	require.Equal(t, "cm-vol", target.Spec.Template.Spec.Volumes[0].ConfigMap.Name, "the target is not modified")
	require.Equal(t, ptr.To[int32](2), target.Spec.Replicas)
}

func TestEnsurePrimaryConfigs(t *testing.T) {
	f := newFixture(t, Options{IncludeLabelPrefix: []string{"app"}}, append(trackedObjects(), newTarget(withConfigRefs))...)
	require.NoError(t, f.d.EnsurePrimary(t.Context(), newCanary()))

	cm, err := f.kube.CoreV1().ConfigMaps(ns).Get(t.Context(), "cm-vol-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "1"}, cm.Data)
	require.Equal(t, map[string]string{"app": "podinfo"}, cm.Labels, "labels filtered by prefix, Flux keys dropped")
	require.Equal(t, []metav1.OwnerReference{canaryOwner}, cm.OwnerReferences)

	s, err := f.kube.CoreV1().Secrets(ns).Get(t.Context(), "secret-proj-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, corev1.SecretTypeTLS, s.Type)
	require.Equal(t, map[string][]byte{"tls.crt": []byte("c")}, s.Data)
	require.Equal(t, []metav1.OwnerReference{canaryOwner}, s.OwnerReferences)

	for _, name := range []string{"cm-disabled-primary"} {
		_, err := f.kube.CoreV1().ConfigMaps(ns).Get(t.Context(), name, metav1.GetOptions{})
		require.Error(t, err, "%s must not exist", name)
	}
	_, err = f.kube.CoreV1().Secrets(ns).Get(t.Context(), "secret-registry-primary", metav1.GetOptions{})
	require.Error(t, err, "registry secrets are not copied")
}

func TestEnsurePrimarySharedConfig(t *testing.T) {
	other := metav1.OwnerReference{
		APIVersion: "flagger.app/v1beta1", Kind: "Canary", Name: "other", UID: "other-uid",
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}
	shared := newConfigMap("cm-vol-primary", map[string]string{"a": "old"})
	shared.OwnerReferences = []metav1.OwnerReference{other}
	target := newTarget(func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-vol"}},
		}}}
	})
	f := newFixture(t, Options{}, target, newConfigMap("cm-vol", map[string]string{"a": "1"}), shared)
	require.NoError(t, f.d.EnsurePrimary(t.Context(), newCanary()))

	cm, err := f.kube.CoreV1().ConfigMaps(ns).Get(t.Context(), "cm-vol-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "1"}, cm.Data)
	other.Controller = ptr.To(false)
	require.Equal(t, []metav1.OwnerReference{canaryOwner, other}, cm.OwnerReferences)
}

func TestEnsurePrimaryOptions(t *testing.T) {
	tests := []struct {
		name         string
		opts         Options
		target       *appsv1.Deployment
		wantReplicas int32
		wantLabels   map[string]string
	}{
		{
			name:         "zero replicas become one",
			target:       newTarget(withReplicas(ptr.To[int32](0))),
			wantReplicas: 1,
			wantLabels:   map[string]string{"app": "podinfo-primary"},
		},
		{
			name:         "unset replicas become one",
			target:       newTarget(withReplicas(nil)),
			wantReplicas: 1,
			wantLabels:   map[string]string{"app": "podinfo-primary"},
		},
		{
			name:         "include label prefix",
			opts:         Options{IncludeLabelPrefix: []string{"te"}},
			target:       newTarget(),
			wantReplicas: 2,
			wantLabels:   map[string]string{"app": "podinfo-primary", "team": "a"},
		},
		{
			name:         "include all labels but Flux's",
			opts:         Options{IncludeLabelPrefix: []string{"*"}},
			target:       newTarget(),
			wantReplicas: 2,
			wantLabels:   map[string]string{"app": "podinfo-primary", "team": "a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts, tt.target)
			require.NoError(t, f.d.EnsurePrimary(t.Context(), newCanary()))
			p := f.deployment(t, "podinfo-primary")
			require.Equal(t, tt.wantReplicas, *p.Spec.Replicas)
			require.Equal(t, tt.wantLabels, p.Labels)
		})
	}
}

func TestEnsurePrimaryAffinity(t *testing.T) {
	target := newTarget(func(d *appsv1.Deployment) {
		sel := func() *metav1.LabelSelector {
			return &metav1.LabelSelector{
				MatchLabels: map[string]string{"app": "podinfo", "other": "podinfo", "name": "else"},
				MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"x", "podinfo"}},
					{Key: "zone", Operator: metav1.LabelSelectorOpIn, Values: []string{"podinfo"}},
				},
			}
		}
		d.Spec.Template.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{LabelSelector: sel(), TopologyKey: "kubernetes.io/hostname"}},
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 1, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: sel(), TopologyKey: "kubernetes.io/hostname"},
			}},
		}}
		d.Spec.Template.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: sel(),
		}}
	})
	want := &metav1.LabelSelector{
		MatchLabels: map[string]string{"app": "podinfo-primary", "other": "podinfo", "name": "else"},
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"x", "podinfo-primary"}},
			{Key: "zone", Operator: metav1.LabelSelectorOpIn, Values: []string{"podinfo"}},
		},
	}
	f := newFixture(t, Options{}, target)
	require.NoError(t, f.d.EnsurePrimary(t.Context(), newCanary()))
	spec := f.deployment(t, "podinfo-primary").Spec.Template.Spec
	require.Equal(t, want, spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].LabelSelector)
	require.Equal(t, want, spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.LabelSelector)
	require.Equal(t, want, spec.TopologySpreadConstraints[0].LabelSelector)
	require.Equal(t, "podinfo", f.deployment(t, "podinfo").Spec.Template.Spec.Affinity.PodAntiAffinity.
		RequiredDuringSchedulingIgnoredDuringExecution[0].LabelSelector.MatchLabels["app"], "the target is not modified")
}

func TestEnsurePrimaryIsCreateOnly(t *testing.T) {
	f := newFixture(t, Options{}, newTarget())
	c := newCanary()
	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	before := f.deployment(t, "podinfo-primary")

	target := f.deployment(t, "podinfo")
	target.Spec.Template.Spec.Containers[0].Image = "stefanprodan/podinfo:3.1.1"
	_, err := f.kube.AppsV1().Deployments(ns).Update(t.Context(), target, metav1.UpdateOptions{})
	require.NoError(t, err)

	require.NoError(t, f.d.EnsurePrimary(t.Context(), c))
	require.Equal(t, before, f.deployment(t, "podinfo-primary"))
	require.Equal(t, 1, f.actions("create", "deployments"))
	require.Equal(t, 1, f.actions("update", "deployments"), "only the test's own update")
}

func TestEnsurePrimaryErrors(t *testing.T) {
	tests := []struct {
		name    string
		canary  *v1beta1.Canary
		objs    []runtime.Object
		wantErr string
	}{
		{
			name:    "missing target",
			canary:  newCanary(),
			wantErr: `deployment podinfo.test get query error: deployments.apps "podinfo" not found`,
		},
		{
			name:   "missing selector label",
			canary: newCanary(),
			objs: []runtime.Object{newTarget(func(d *appsv1.Deployment) {
				d.Spec.Selector.MatchLabels = map[string]string{"role": "web"}
			})},
			wantErr: "deployment podinfo.test spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]",
		},
		{
			name:    "missing mandatory config",
			canary:  newCanary(),
			objs:    []runtime.Object{newTarget(withConfigRefs)},
			wantErr: `configmap cm-disabled.test get query error: configmaps "cm-disabled" not found`,
		},
		{
			name:    "missing target autoscaler",
			canary:  newCanary(withHPA("podinfo")),
			objs:    []runtime.Object{newTarget()},
			wantErr: `HorizontalPodAutoscaler podinfo.test get query error: horizontalpodautoscalers.autoscaling "podinfo" not found`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{}, tt.objs...)
			require.EqualError(t, f.d.EnsurePrimary(t.Context(), tt.canary), tt.wantErr)
		})
	}
}
