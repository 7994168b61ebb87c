package router

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine/workload"
)

var fluxDisabledAnnotations = map[string]string{
	"kustomize.toolkit.fluxcd.io/reconcile": "disabled",
	"helm.toolkit.fluxcd.io/driftDetection": "disabled",
}

func httpPort(port int32, target intstr.IntOrString) corev1.ServicePort {
	return corev1.ServicePort{Name: "http", Protocol: corev1.ProtocolTCP, Port: port, TargetPort: target}
}

func TestKubernetesReconcileCreates(t *testing.T) {
	f := newFixture(t, newTarget())
	require.NoError(t, f.services.Reconcile(t.Context(), newCanary()))

	for _, tt := range []struct{ name, selector string }{
		{"podinfo", "podinfo-primary"},
		{"podinfo-primary", "podinfo-primary"},
		{"podinfo-canary", "podinfo"},
	} {
		s := f.service(t, tt.name)
		require.Equal(t, map[string]string{"app": tt.name}, s.Labels, tt.name)
		require.Equal(t, fluxDisabledAnnotations, s.Annotations, tt.name)
		require.Equal(t, []metav1.OwnerReference{canaryOwner}, s.OwnerReferences, tt.name)
		require.Equal(t, corev1.ServiceTypeClusterIP, s.Spec.Type, tt.name)
		require.Empty(t, s.Spec.ClusterIP, tt.name)
		require.Equal(t, map[string]string{"app": tt.selector}, s.Spec.Selector, tt.name)
		require.Equal(t, []corev1.ServicePort{httpPort(9898, intstr.FromInt32(9898))}, s.Spec.Ports, tt.name)
	}
}

func TestKubernetesServiceSpec(t *testing.T) {
	tests := []struct {
		name        string
		service     v1beta1.CanaryService
		wantName    string
		wantPorts   []corev1.ServicePort
		wantLabels  map[string]string
		wantAnnot   map[string]string
		wantHead    bool
		wantTraffic *string
	}{
		{
			name:      "port name, target port name and app protocol",
			service:   v1beta1.CanaryService{Port: 80, PortName: "web", TargetPort: intstr.FromString("http"), AppProtocol: ptr.To("http")},
			wantName:  "podinfo",
			wantPorts: []corev1.ServicePort{{Name: "web", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromString("http"), AppProtocol: ptr.To("http")}},
		},
		{
			name:      "target port number",
			service:   v1beta1.CanaryService{Port: 80, TargetPort: intstr.FromInt32(9898)},
			wantName:  "podinfo",
			wantPorts: []corev1.ServicePort{httpPort(80, intstr.FromInt32(9898))},
		},
		{
			name:     "port discovery, sorted by port",
			service:  v1beta1.CanaryService{Port: 9898, PortDiscovery: true},
			wantName: "podinfo",
			wantPorts: []corev1.ServicePort{
				{Name: "tcp-podinfod-2", Protocol: corev1.ProtocolTCP, Port: 8080, TargetPort: intstr.FromInt32(8080)},
				{Name: "http-metrics", Protocol: corev1.ProtocolTCP, Port: 9797, TargetPort: intstr.FromInt32(9797)},
				httpPort(9898, intstr.FromInt32(9898)),
			},
		},
		{
			name:        "headless with traffic distribution",
			service:     v1beta1.CanaryService{Port: 9898, Headless: true, TrafficDistribution: ptr.To("PreferClose")},
			wantName:    "podinfo",
			wantPorts:   []corev1.ServicePort{httpPort(9898, intstr.FromInt32(9898))},
			wantHead:    true,
			wantTraffic: ptr.To("PreferClose"),
		},
		{
			name: "service name and apex metadata",
			service: v1beta1.CanaryService{Name: "web", Port: 9898, Apex: &v1beta1.CustomMetadata{
				Labels: map[string]string{"tier": "front"}, Annotations: map[string]string{"a": "b"},
			}},
			wantName:   "web",
			wantPorts:  []corev1.ServicePort{httpPort(9898, intstr.FromInt32(9898))},
			wantLabels: map[string]string{"app": "web", "tier": "front"},
			wantAnnot:  map[string]string{"a": "b", "kustomize.toolkit.fluxcd.io/reconcile": "disabled", "helm.toolkit.fluxcd.io/driftDetection": "disabled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, newTarget())
			c := newCanary(func(c *v1beta1.Canary) { c.Spec.Service = tt.service })
			require.NoError(t, f.services.Reconcile(t.Context(), c))
			s := f.service(t, tt.wantName)
			require.Equal(t, tt.wantPorts, s.Spec.Ports)
			require.Equal(t, tt.wantHead, s.Spec.ClusterIP == corev1.ClusterIPNone)
			require.Equal(t, tt.wantTraffic, s.Spec.TrafficDistribution)
			if tt.wantLabels != nil {
				require.Equal(t, tt.wantLabels, s.Labels)
				require.Equal(t, tt.wantAnnot, s.Annotations)
			}
			_ = f.service(t, tt.wantName+"-primary")
			_ = f.service(t, tt.wantName+"-canary")
			require.Nil(t, c.Spec.Service.Primary, "the canary spec is not modified")
		})
	}
}

func TestKubernetesReconcileUpdates(t *testing.T) {
	f := newFixture(t, newTarget())
	c := newCanary()
	require.NoError(t, f.services.Reconcile(t.Context(), c))

	// Unchanged: no writes.
	require.NoError(t, f.services.Reconcile(t.Context(), c))
	require.Equal(t, 0, f.kubeActions("update", "services"))

	// A node port set on the live primary Service survives a port change.
	s := f.service(t, "podinfo-primary")
	s.Spec.Ports[0].NodePort = 30080
	_, err := f.kube.CoreV1().Services(ns).Update(t.Context(), s, metav1.UpdateOptions{})
	require.NoError(t, err)

	c.Spec.Service.TargetPort = intstr.FromString("http")
	c.Spec.Service.Primary = &v1beta1.CustomMetadata{Labels: map[string]string{"tier": "back"}}
	require.NoError(t, f.services.Reconcile(t.Context(), c))
	p := f.service(t, "podinfo-primary")
	require.Equal(t, []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 9898, TargetPort: intstr.FromString("http"), NodePort: 30080}}, p.Spec.Ports)
	require.Equal(t, map[string]string{"app": "podinfo-primary", "tier": "back"}, p.Labels)
	require.Equal(t, intstr.FromString("http"), f.service(t, "podinfo").Spec.Ports[0].TargetPort)
	require.Equal(t, 1+3, f.kubeActions("update", "services"), "the test's update and one per Service")
}

func TestKubernetesUnmanagedMetadata(t *testing.T) {
	f := newFixture(t, newTarget())
	c := newCanary(func(c *v1beta1.Canary) {
		c.Spec.Service.UnmanagedMetadata = &v1beta1.UnmanagedMetadata{Labels: []string{"keep"}, Annotations: []string{"cloud.io/lb"}}
	})
	require.NoError(t, f.services.Reconcile(t.Context(), c))
	s := f.service(t, "podinfo")
	s.Labels["keep"], s.Labels["drop"] = "1", "2"
	s.Annotations["cloud.io/lb"], s.Annotations["other"] = "x", "y"
	_, err := f.kube.CoreV1().Services(ns).Update(t.Context(), s, metav1.UpdateOptions{})
	require.NoError(t, err)

	require.NoError(t, f.services.Reconcile(t.Context(), c))
	s = f.service(t, "podinfo")
	require.Equal(t, map[string]string{"app": "podinfo", "keep": "1"}, s.Labels)
	require.Equal(t, map[string]string{
		"cloud.io/lb":                           "x",
		"kustomize.toolkit.fluxcd.io/reconcile": "disabled",
		"helm.toolkit.fluxcd.io/driftDetection": "disabled",
	}, s.Annotations)
}

func userApex() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: "podinfo", Namespace: ns,
			Labels:      map[string]string{"owner": "user"},
			Annotations: map[string]string{kubectlLastApplied: `{"apiVersion":"v1","kind":"Service","spec":{"selector":{"app":"podinfo"}}}`},
		},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{"app": "podinfo"},
			Ports:    []corev1.ServicePort{{Name: "web", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(9898)}},
		},
	}
}

func TestKubernetesTakesOverApex(t *testing.T) {
	apex := userApex()
	f := newFixture(t, newTarget(), apex)
	require.NoError(t, f.services.Reconcile(t.Context(), newCanary()))
	s := f.service(t, "podinfo")
	require.Equal(t, map[string]string{"app": "podinfo-primary"}, s.Spec.Selector)
	require.Equal(t, []corev1.ServicePort{httpPort(9898, intstr.FromInt32(9898))}, s.Spec.Ports)
	require.Equal(t, apex.Labels, s.Labels, "metadata of a taken-over Service is untouched")
	require.Equal(t, apex.Annotations, s.Annotations)
	require.Empty(t, s.OwnerReferences)
}

func TestKubernetesFinalize(t *testing.T) {
	noApplied := userApex()
	delete(noApplied.Annotations, kubectlLastApplied)
	noApplied.Spec.Selector = map[string]string{"app": "podinfo-primary"}
	badApplied := userApex()
	badApplied.Annotations[kubectlLastApplied] = "{"
	tests := []struct {
		name         string
		objs         []runtime.Object
		setup        bool
		wantSelector map[string]string
		wantErr      string
	}{
		{
			name: "restored from kubectl's last-applied configuration", objs: []runtime.Object{userApex()},
			setup: true, wantSelector: map[string]string{"app": "podinfo"},
		},
		{
			name: "pointed at the target pods", objs: []runtime.Object{noApplied},
			wantSelector: map[string]string{"app": "podinfo"},
		},
		{
			name: "owned by the canary: left to garbage collection", setup: true,
			wantSelector: map[string]string{"app": "podinfo-primary"},
		},
		{
			name: "bad last-applied annotation", objs: []runtime.Object{badApplied},
			wantErr: "service podinfo.test failed to unmarshal annotation kubectl.kubernetes.io/last-applied-configuration: unexpected end of JSON input",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, append(tt.objs, newTarget())...)
			c := newCanary()
			if tt.setup {
				require.NoError(t, f.services.Reconcile(t.Context(), c))
			}
			err := f.services.Finalize(t.Context(), c)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantSelector, f.service(t, "podinfo").Spec.Selector)
		})
	}
}

func TestKubernetesFinalizeMissingApex(t *testing.T) {
	f := newFixture(t, newTarget())
	require.NoError(t, f.services.Finalize(t.Context(), newCanary()))
}

func TestKubernetesErrors(t *testing.T) {
	t.Run("missing target", func(t *testing.T) {
		f := newFixture(t)
		err := f.services.Reconcile(t.Context(), newCanary())
		require.EqualError(t, err, `deployment podinfo.test get query error: deployments.apps "podinfo" not found`)
		require.Equal(t, 0, f.kubeActions("create", "services"))
	})
	t.Run("missing selector label", func(t *testing.T) {
		target := newTarget()
		target.Spec.Selector.MatchLabels = map[string]string{"role": "web"}
		f := newFixture(t, target)
		err := f.services.Reconcile(t.Context(), newCanary())
		require.ErrorIs(t, err, workload.ErrNoSelectorLabel)
	})
	t.Run("targets fail", func(t *testing.T) {
		boom := errors.New("boom")
		f := newFixture(t)
		k := NewServices(f.kube, f.serviceLister, stubTargets{err: boom}, ServicesOptions{})
		require.ErrorIs(t, k.Reconcile(t.Context(), newCanary()), boom)
	})
	t.Run("create fails", func(t *testing.T) {
		f := newFixture(t, newTarget())
		f.kube.PrependReactor("create", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewServiceUnavailable("down")
		})
		require.EqualError(t, f.services.Reconcile(t.Context(), newCanary()), "service podinfo-canary.test create error: down")
	})
	t.Run("update fails", func(t *testing.T) {
		f := newFixture(t, newTarget(), userApex())
		f.kube.PrependReactor("update", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewServiceUnavailable("down")
		})
		require.EqualError(t, f.services.Reconcile(t.Context(), newCanary()), "service podinfo.test update error: down")
	})
}
