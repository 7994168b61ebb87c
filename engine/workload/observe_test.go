package workload

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

func TestObserve(t *testing.T) {
	target := newTarget()
	target.Status = appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 1}
	primary := newTarget()
	primary.Name = "podinfo-primary"
	primary.Status = appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}

	tests := []struct {
		name    string
		canary  *v1beta1.Canary
		opts    Options
		objs    []runtime.Object
		want    engine.Workload
		wantErr string
		errIs   error
	}{
		{
			name:   "target and primary",
			canary: newCanary(),
			objs:   []runtime.Object{target, primary},
			want: engine.Workload{
				Kind:     "Deployment",
				Revision: engine.PodTemplateHash(&target.Spec.Template),
				Configs:  map[string]string{},
				Target: engine.Readiness{
					Message:   "waiting for rollout to finish: 1 of 2 (readyThreshold 100%) updated replicas are available",
					Retriable: true,
				},
				PrimaryExists: true,
				Primary:       engine.Readiness{Ready: true, Retriable: true},
			},
		},
		{
			name: "canary ready threshold",
			canary: newCanary(func(c *v1beta1.Canary) {
				c.Spec.Analysis.CanaryReadyThreshold = ptr.To(50)
			}),
			objs: []runtime.Object{target},
			want: engine.Workload{
				Kind:     "Deployment",
				Revision: engine.PodTemplateHash(&target.Spec.Template),
				Configs:  map[string]string{},
				Target:   engine.Readiness{Ready: true, Retriable: true},
				Primary:  engine.Readiness{Retriable: true},
			},
		},
		{
			name:   "config tracking disabled",
			canary: newCanary(),
			opts:   Options{DisableConfigTracking: true},
			objs:   []runtime.Object{newTarget(withConfigRefs)},
			want: engine.Workload{
				Kind:     "Deployment",
				Revision: engine.PodTemplateHash(&newTarget(withConfigRefs).Spec.Template),
				Target:   engine.Readiness{Message: "waiting for rollout to finish: 0 out of 2 new replicas have been updated", Retriable: true},
				Primary:  engine.Readiness{Retriable: true},
			},
		},
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
			errIs:   ErrNoSelectorLabel,
		},
		{
			name:    "configured selector labels",
			canary:  newCanary(),
			opts:    Options{SelectorLabels: []string{"role"}},
			objs:    []runtime.Object{newTarget()},
			wantErr: "deployment podinfo.test spec.selector.matchLabels must contain one of [role]",
			errIs:   ErrNoSelectorLabel,
		},
		{
			name:    "missing mandatory config",
			canary:  newCanary(),
			objs:    []runtime.Object{newTarget(withConfigRefs)},
			wantErr: `configmap cm-disabled.test get query error: configmaps "cm-disabled" not found`,
		},
		{
			name: "ScaledObject autoscaler",
			canary: newCanary(func(c *v1beta1.Canary) {
				c.Spec.AutoscalerRef = &v1beta1.AutoscalerReference{APIVersion: "keda.sh/v1alpha1", Kind: "ScaledObject", Name: "podinfo"}
			}),
			objs:    []runtime.Object{target},
			wantErr: `canary podinfo.test autoscalerRef kind "ScaledObject": unsupported by the Deployment workload adapter (only HorizontalPodAutoscaler is supported, KEDA ScaledObjects are not)`,
			errIs:   ErrUnsupported,
		},
		{
			name: "DaemonSet target",
			canary: newCanary(func(c *v1beta1.Canary) {
				c.Spec.TargetRef.Kind = "DaemonSet"
			}),
			wantErr: `canary podinfo.test targetRef kind "DaemonSet": unsupported by the Deployment workload adapter (only Deployment targets are supported)`,
			errIs:   ErrUnsupported,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts, tt.objs...)
			got, err := f.d.Observe(t.Context(), tt.canary)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				if tt.errIs != nil {
					require.ErrorIs(t, err, tt.errIs)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, "stefanprodan/podinfo:3.1.0", got.Images, "the target's images")
			got.Images = ""
			require.Equal(t, tt.want, got)
		})
	}
}

func TestObserveProgressDeadline(t *testing.T) {
	target := newTarget()
	target.Status = appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, Conditions: []appsv1.DeploymentCondition{
		{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated"},
		{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable"},
	}}
	target.Status.Conditions[1].LastUpdateTime.Time = now
	f := newFixture(t, Options{}, target)
	c := newCanary(func(c *v1beta1.Canary) { c.Spec.ProgressDeadlineSeconds = ptr.To[int32](60) })

	w, err := f.d.Observe(t.Context(), c)
	require.NoError(t, err)
	require.True(t, w.Target.Retriable, "within the deadline")

	f.clock.SetTime(now.Add(61e9))
	w, err = f.d.Observe(t.Context(), c)
	require.NoError(t, err)
	require.False(t, w.Target.Retriable, "past the deadline")
	require.Equal(t, "waiting for rollout to finish: 0 of 2 (readyThreshold 100%) updated replicas are available", w.Target.Message)
}

func TestObserveConfigs(t *testing.T) {
	objs := append(trackedObjects(), newTarget(withConfigRefs))
	f := newFixture(t, Options{}, objs...)
	w, err := f.d.Observe(t.Context(), newCanary())
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"configmap/cm-vol":     checksum(map[string]string{"a": "1"}),
		"configmap/cm-proj":    checksum(map[string]string{"b": "2"}),
		"configmap/cm-env":     checksum(map[string]string{"a": "3"}),
		"configmap/cm-envfrom": checksum(map[string]string{"c": "4"}),
		"configmap/cm-init":    checksum(map[string]string{"d": "5"}),
		"secret/secret-vol":    checksum(map[string][]byte{"k": []byte("v1")}),
		"secret/secret-proj":   checksum(map[string][]byte{"tls.crt": []byte("c")}),
		"secret/secret-env":    checksum(map[string][]byte{"b": []byte("v2")}),
	}, w.Configs, "annotated and registry configs are not tracked")
}

func TestObserveOptionalConfig(t *testing.T) {
	target := newTarget(func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "opt", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Optional: ptr.To(true)},
		}}}
		d.Spec.Template.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{
			{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "absent-secret"}, Optional: ptr.To(true)}},
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "present"}, Optional: ptr.To(true)}},
		}
	})
	f := newFixture(t, Options{}, target, newConfigMap("present", map[string]string{"a": "1"}))
	w, err := f.d.Observe(t.Context(), newCanary())
	require.NoError(t, err)
	require.Equal(t, map[string]string{"configmap/present": "9afeb0f2b203f254"}, w.Configs)
}

func TestChecksum(t *testing.T) {
	// sha256(`{"a":"1"}`)[:8] and sha256(`{"k":"djE="}`)[:8], computed outside Go.
	require.Equal(t, "9afeb0f2b203f254", checksum(map[string]string{"a": "1"}))
	require.Equal(t, "6464ec9301fc51a9", checksum(map[string][]byte{"k": []byte("v1")}))
}

func TestSelector(t *testing.T) {
	containers := func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers = []corev1.Container{
			{Name: "podinfod", Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 9898}, {Name: "http-metrics", ContainerPort: 9797}, {ContainerPort: 9999},
			}},
			{Name: "envoy", Ports: []corev1.ContainerPort{{Name: "admin", ContainerPort: 9901}}},
			{Name: "istio-proxy", Ports: []corev1.ContainerPort{{Name: "tcp", ContainerPort: 15001}}},
			{Name: "sidecar", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}},
		}
	}
	tests := []struct {
		name       string
		service    v1beta1.CanaryService
		target     *appsv1.Deployment
		wantLabel  string
		wantValue  string
		wantPorts  map[string]int32
		wantErrMsg string
	}{
		{
			name:      "no discovery",
			service:   v1beta1.CanaryService{Port: 9898},
			target:    newTarget(containers),
			wantLabel: "app", wantValue: "podinfo",
		},
		{
			name:      "discovery excludes the main port and sidecars",
			service:   v1beta1.CanaryService{Port: 9898, PortDiscovery: true},
			target:    newTarget(containers),
			wantLabel: "app", wantValue: "podinfo",
			wantPorts: map[string]int32{"http-metrics": 9797, "tcp-podinfod-2": 9999, "tcp-sidecar-0": 8080},
		},
		{
			name:      "main port matched by targetPort number",
			service:   v1beta1.CanaryService{Port: 80, TargetPort: intstr.FromInt32(9797), PortDiscovery: true},
			target:    newTarget(containers),
			wantLabel: "app", wantValue: "podinfo",
			wantPorts: map[string]int32{"http": 9898, "tcp-podinfod-2": 9999, "tcp-sidecar-0": 8080},
		},
		{
			name:      "main port matched by targetPort name",
			service:   v1beta1.CanaryService{Port: 80, TargetPort: intstr.FromString("http"), PortDiscovery: true},
			target:    newTarget(containers),
			wantLabel: "app", wantValue: "podinfo",
			wantPorts: map[string]int32{"http-metrics": 9797, "tcp-podinfod-2": 9999, "tcp-sidecar-0": 8080},
		},
		{
			name:    "second selector label",
			service: v1beta1.CanaryService{Port: 9898},
			target: newTarget(func(d *appsv1.Deployment) {
				d.Spec.Selector.MatchLabels = map[string]string{"app.kubernetes.io/name": "web"}
			}),
			wantLabel: "app.kubernetes.io/name", wantValue: "web",
		},
		{
			name:    "no selector label",
			service: v1beta1.CanaryService{Port: 9898},
			target: newTarget(func(d *appsv1.Deployment) {
				d.Spec.Selector.MatchLabels = map[string]string{"x": "y"}
			}),
			wantErrMsg: "deployment podinfo.test spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{}, tt.target)
			c := newCanary(func(c *v1beta1.Canary) { c.Spec.Service = tt.service })
			label, value, ports, err := f.d.Selector(t.Context(), c)
			if tt.wantErrMsg != "" {
				require.EqualError(t, err, tt.wantErrMsg)
				require.True(t, errors.Is(err, ErrNoSelectorLabel))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantLabel, label)
			require.Equal(t, tt.wantValue, value)
			require.Equal(t, tt.wantPorts, ports)
		})
	}
}
