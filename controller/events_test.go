package controller

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

func eventCanary(mutate ...func(*v1beta1.Canary)) *v1beta1.Canary {
	c := &v1beta1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test", Generation: 1},
		Spec:       v1beta1.CanarySpec{TargetRef: v1beta1.LocalObjectReference{Kind: "Deployment", Name: "podinfo"}},
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func TestCanaryChanged(t *testing.T) {
	now := metav1.Now()
	tests := []struct {
		name   string
		mutate func(*v1beta1.Canary)
		want   bool
	}{
		{name: "status write by the engine", mutate: func(c *v1beta1.Canary) { c.Status.Phase = v1beta1.CanaryPhaseProgressing; c.Status.CanaryWeight = 10 }},
		{name: "label change", mutate: func(c *v1beta1.Canary) { c.Labels = map[string]string{"team": "a"} }},
		{name: "spec change", mutate: func(c *v1beta1.Canary) { c.Generation = 2 }, want: true},
		{name: "deletion", mutate: func(c *v1beta1.Canary) { c.DeletionTimestamp = &now }, want: true},
		{name: "finalizer removed", mutate: func(c *v1beta1.Canary) { c.Finalizers = []string{"x"} }, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, canaryChanged(eventCanary(), eventCanary(tt.mutate)))
		})
	}
}

func deployment(image string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "podinfo", Image: image}}}},
		},
	}
}

func TestPodTemplateChanged(t *testing.T) {
	require.False(t, podTemplateChanged(deployment("podinfo:6.0.0", 1), deployment("podinfo:6.0.0", 0)), "scaling is not a revision")
	require.True(t, podTemplateChanged(deployment("podinfo:6.0.0", 1), deployment("podinfo:6.0.1", 1)))
}

func TestConfigDataChanged(t *testing.T) {
	cm := func(v string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "test"}, Data: map[string]string{"k": v}}
	}
	secret := func(v string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "test"}, Data: map[string][]byte{"k": []byte(v)}}
	}
	labelled := cm("a")
	labelled.Labels = map[string]string{"x": "y"}
	require.False(t, configDataChanged(cm("a"), labelled), "metadata only")
	require.True(t, configDataChanged(cm("a"), cm("b")))
	require.False(t, configDataChanged(secret("a"), secret("a")))
	require.True(t, configDataChanged(secret("a"), secret("b")))
	require.False(t, configDataChanged(cm("a"), secret("b")), "a type mismatch is no change")
}

func TestWhichCanariesWake(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{targetIndex: indexByTarget, cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	tracking := eventCanary(func(c *v1beta1.Canary) {
		c.Status.TrackedConfigs = map[string]string{"configmap/cfg": "sum", "secret/s": "sum"}
	})
	other := eventCanary(func(c *v1beta1.Canary) { c.Name, c.Spec.TargetRef.Name = "backend", "backend" })
	elsewhere := eventCanary(func(c *v1beta1.Canary) {
		c.Namespace = "prod"
		c.Status.TrackedConfigs = map[string]string{"configmap/cfg": "sum"}
	})
	for _, c := range []*v1beta1.Canary{tracking, other, elsewhere} {
		require.NoError(t, idx.Add(c))
	}

	require.Equal(t, []*v1beta1.Canary{tracking}, targetCanaries(idx, "test", "podinfo"))
	require.Empty(t, targetCanaries(idx, "test", "frontend"))

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "test"}}
	require.Equal(t, []*v1beta1.Canary{tracking}, trackingCanaries(idx, cm), "only the namespace's canaries that track it")
	require.Equal(t, []*v1beta1.Canary{tracking}, trackingCanaries(idx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "test"}}))
	require.Empty(t, trackingCanaries(idx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "untracked", Namespace: "test"}}))
	require.Empty(t, trackingCanaries(idx, "not a config"))
}

func TestUnwrapDeleted(t *testing.T) {
	c := eventCanary()
	require.Same(t, c, unwrapDeleted(c))
	require.Same(t, c, unwrapDeleted(cache.DeletedFinalStateUnknown{Key: "test/podinfo", Obj: c}))
}

func TestPrimaryRolledOut(t *testing.T) {
	deploy := func(name string, mutate func(*appsv1.DeploymentStatus)) *appsv1.Deployment {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test"},
			Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2}}
		if mutate != nil {
			mutate(&d.Status)
		}
		return d
	}
	ready := func(s *appsv1.DeploymentStatus) { s.ReadyReplicas, s.AvailableReplicas = 2, 2 }
	tests := []struct {
		name       string
		old, cur   *appsv1.Deployment
		wantTarget string
		want       bool
	}{
		{name: "a primary becomes available", old: deploy("podinfo-primary", nil), cur: deploy("podinfo-primary", ready), wantTarget: "podinfo", want: true},
		{name: "a primary's new generation is observed", old: deploy("podinfo-primary", ready),
			cur: deploy("podinfo-primary", func(s *appsv1.DeploymentStatus) { ready(s); s.ObservedGeneration = 2 }), wantTarget: "podinfo", want: true},
		{name: "a primary resynced unchanged", old: deploy("podinfo-primary", ready), cur: deploy("podinfo-primary", ready), wantTarget: "podinfo"},
		{name: "a target becomes available", old: deploy("podinfo", nil), cur: deploy("podinfo", ready)},
		{name: "a Deployment called -primary", old: deploy("-primary", nil), cur: deploy("-primary", ready)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, ok := primaryRolledOut(tt.old, tt.cur)
			require.Equal(t, tt.want, ok)
			if ok || tt.wantTarget != "" {
				require.Equal(t, tt.wantTarget, target)
			}
		})
	}
	require.True(t, initializing(eventCanary()))
	require.True(t, initializing(eventCanary(func(c *v1beta1.Canary) { c.Status.Phase = v1beta1.CanaryPhaseInitializing })))
	require.False(t, initializing(eventCanary(func(c *v1beta1.Canary) { c.Status.Phase = v1beta1.CanaryPhaseInitialized })))
}
