package engine_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/engine"
)

// podinfoTemplate is the pod template of Flagger's kustomize/podinfo Deployment.
func podinfoTemplate(image string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      map[string]string{"app": "podinfo"},
			Annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "9797"},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:  "podinfod",
			Image: image,
			Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 9898, Protocol: corev1.ProtocolTCP},
				{Name: "http-metrics", ContainerPort: 9797, Protocol: corev1.ProtocolTCP},
				{Name: "grpc", ContainerPort: 9999, Protocol: corev1.ProtocolTCP},
			},
			Command: []string{"./podinfo", "--port=9898", "--port-metrics=9797", "--grpc-port=9999"},
			Env:     []corev1.EnvVar{{Name: "PODINFO_UI_COLOR", Value: "#34577c"}},
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2000m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			},
		}}},
	}
}

// TestPodTemplateHashPinned pins known hashes: a change of the canonical form would make every
// canary re-run its analysis after an upgrade, so it must be deliberate. The values were
// checked against an independent implementation: Python's json.dumps(template, sort_keys=True,
// separators=(",", ":")) of the same template without its empty fields, then SHA-256.
func TestPodTemplateHashPinned(t *testing.T) {
	tests := []struct {
		name     string
		template *corev1.PodTemplateSpec
		want     string
	}{
		{"empty", &corev1.PodTemplateSpec{}, "44136fa355b3678a"},
		{"podinfo 6.0.0", podinfoTemplate("ghcr.io/stefanprodan/podinfo:6.0.0"), "d8c4a6ee587d37e0"},
		{"podinfo 6.0.1", podinfoTemplate("ghcr.io/stefanprodan/podinfo:6.0.1"), "052dd94e8c97a1e1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, engine.PodTemplateHash(tc.template))
		})
	}
}

func TestPodTemplateHashCanonical(t *testing.T) {
	base := podinfoTemplate("ghcr.io/stefanprodan/podinfo:6.0.0")
	want := engine.PodTemplateHash(base)

	t.Run("map ordering", func(t *testing.T) {
		a := `{"metadata":{"labels":{"app":"podinfo","tier":"web"},"annotations":{"a":"1","b":"2"}},"spec":{"containers":[{"name":"c","image":"i"}]}}`
		b := `{"spec":{"containers":[{"image":"i","name":"c"}]},"metadata":{"annotations":{"b":"2","a":"1"},"labels":{"tier":"web","app":"podinfo"}}}`
		require.Equal(t, engine.PodTemplateHash(decodeTemplate(t, a)), engine.PodTemplateHash(decodeTemplate(t, b)))
	})
	t.Run("zero values written out or omitted", func(t *testing.T) {
		explicit := base.DeepCopy()
		explicit.ObjectMeta.Namespace = ""
		explicit.ObjectMeta.Finalizers = []string{}
		explicit.Spec.Volumes = []corev1.Volume{}
		explicit.Spec.NodeSelector = map[string]string{}
		explicit.Spec.SecurityContext = &corev1.PodSecurityContext{}
		explicit.Spec.ImagePullSecrets = []corev1.LocalObjectReference{}
		c := &explicit.Spec.Containers[0]
		c.Args = []string{}
		c.EnvFrom = []corev1.EnvFromSource{}
		c.VolumeMounts = []corev1.VolumeMount{}
		c.WorkingDir = ""
		c.Resources.Claims = []corev1.ResourceClaim{}
		c.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{}}}
		require.Equal(t, want, engine.PodTemplateHash(explicit))
		fromJSON := decodeTemplate(t, `{"metadata":{"labels":{"app":"podinfo"},"annotations":{"prometheus.io/port":"9797","prometheus.io/scrape":"true"},"creationTimestamp":null},
			"spec":{"containers":[{"name":"podinfod","image":"ghcr.io/stefanprodan/podinfo:6.0.0","env":[{"name":"PODINFO_UI_COLOR","value":"#34577c"}],
			"command":["./podinfo","--port=9898","--port-metrics=9797","--grpc-port=9999"],"args":null,
			"ports":[{"name":"http","containerPort":9898,"protocol":"TCP"},{"name":"http-metrics","containerPort":9797,"protocol":"TCP"},{"name":"grpc","containerPort":9999,"protocol":"TCP"}],
			"resources":{"limits":{"cpu":"2","memory":"512Mi"},"requests":{"cpu":"100m","memory":"64Mi"}}}],"volumes":[]}}`)
		require.Equal(t, want, engine.PodTemplateHash(fromJSON), "2000m and 2 are the same quantity")
	})
	t.Run("changes are new revisions", func(t *testing.T) {
		changes := map[string]func(p *corev1.PodTemplateSpec){
			"image":      func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Image += "-rc" },
			"annotation": func(p *corev1.PodTemplateSpec) { p.Annotations["kubectl.kubernetes.io/restartedAt"] = "now" },
			"env":        func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Env[0].Value = "#ffffff" },
			"false flag": func(p *corev1.PodTemplateSpec) { p.Spec.AutomountServiceAccountToken = new(bool) },
			"big number": func(p *corev1.PodTemplateSpec) { p.Spec.ActiveDeadlineSeconds = ptr(int64(1<<53 + 1)) },
		}
		seen := map[string]string{want: "base"}
		for name, change := range changes {
			p := base.DeepCopy()
			change(p)
			h := engine.PodTemplateHash(p)
			require.NotContains(t, seen, h, "%s hashes like %s", name, seen[h])
			seen[h] = name
		}
		big := base.DeepCopy()
		big.Spec.ActiveDeadlineSeconds = ptr(int64(1 << 53))
		require.NotContains(t, seen, engine.PodTemplateHash(big), "numbers beyond float64 precision keep their digits")
	})
}

func decodeTemplate(t *testing.T, s string) *corev1.PodTemplateSpec {
	t.Helper()
	p := &corev1.PodTemplateSpec{}
	require.NoError(t, json.Unmarshal([]byte(s), p))
	return p
}
