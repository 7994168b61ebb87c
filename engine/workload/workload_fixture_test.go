package workload

import (
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	appslisters "k8s.io/client-go/listers/apps/v1"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/client/clienttest"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/api/v1beta1/canarytest"
)

const ns = "test"

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// newCanary returns the podinfo Canary of the Crossover tutorial.
// newCanary returns the podinfo Canary of the Crossover tutorial (interval 15s).
func newCanary(opts ...canarytest.Option) *v1beta1.Canary {
	return canarytest.New(append([]canarytest.Option{canarytest.Namespace(ns), canarytest.Interval("15s")}, opts...)...)
}

func withHPA(name string) func(*v1beta1.Canary) {
	return func(c *v1beta1.Canary) {
		c.Spec.AutoscalerRef = &v1beta1.AutoscalerReference{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler", Name: name}
	}
}

// newTarget returns the podinfo target Deployment.
func newTarget(opts ...func(*appsv1.Deployment)) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: "podinfo", Namespace: ns,
			Labels:      map[string]string{"app": "podinfo", "team": "a", "kustomize.toolkit.fluxcd.io/name": "apps"},
			Annotations: map[string]string{"note": "x", "kustomize.toolkit.fluxcd.io/checksum": "abc"},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas:                ptr.To[int32](2),
			Selector:                &metav1.LabelSelector{MatchLabels: map[string]string{"app": "podinfo"}},
			ProgressDeadlineSeconds: ptr.To[int32](60),
			MinReadySeconds:         3,
			RevisionHistoryLimit:    ptr.To[int32](5),
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      map[string]string{"app": "podinfo", "version": "1", "helm.toolkit.fluxcd.io/name": "x"},
					Annotations: map[string]string{"prometheus.io/scrape": "true", "flagger-id": "old", "kustomize.toolkit.fluxcd.io/x": "y"},
				},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:  "podinfod",
						Image: "stefanprodan/podinfo:3.1.0",
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9898}},
					}},
				},
			},
		},
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

func withReplicas(n *int32) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) { d.Spec.Replicas = n }
}

// withConfigRefs makes the target reference the ConfigMaps and Secrets of every kind of
// reference Flagger tracks.
func withConfigRefs(d *appsv1.Deployment) {
	spec := &d.Spec.Template.Spec
	spec.Volumes = []corev1.Volume{
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-vol"}}}},
		{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "secret-vol"}}},
		{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-proj"}}},
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "secret-proj"}}},
		}}}},
		{Name: "untracked", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-disabled"}}}},
	}
	spec.Containers[0].Env = []corev1.EnvVar{
		{Name: "A", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-env"}, Key: "a"}}},
		{Name: "B", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "secret-env"}, Key: "b"}}},
	}
	spec.Containers[0].EnvFrom = []corev1.EnvFromSource{
		{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-envfrom"}}},
		{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "secret-registry"}}},
	}
	spec.InitContainers = []corev1.Container{{
		Name: "init", Image: "busybox",
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-init"}}}},
	}}
}

// trackedObjects are the configs withConfigRefs references.
func trackedObjects() []runtime.Object {
	return []runtime.Object{
		newConfigMap("cm-vol", map[string]string{"a": "1"}),
		newConfigMap("cm-proj", map[string]string{"b": "2"}),
		newConfigMap("cm-env", map[string]string{"a": "3"}),
		newConfigMap("cm-envfrom", map[string]string{"c": "4"}),
		newConfigMap("cm-init", map[string]string{"d": "5"}),
		withAnnotation(newConfigMap("cm-disabled", map[string]string{"e": "6"}), configTrackingKey, "disabled"),
		newSecret("secret-vol", corev1.SecretTypeOpaque, map[string][]byte{"k": []byte("v1")}),
		newSecret("secret-proj", corev1.SecretTypeTLS, map[string][]byte{"tls.crt": []byte("c")}),
		newSecret("secret-env", corev1.SecretTypeBasicAuth, map[string][]byte{"b": []byte("v2")}),
		newSecret("secret-registry", corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte("{}")}),
	}
}

func newConfigMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "podinfo", "kustomize.toolkit.fluxcd.io/name": "apps"}},
		Data:       data,
	}
}

func newSecret(name string, typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Type:       typ,
		Data:       data,
	}
}

func withAnnotation[T metav1.Object](o T, k, v string) T {
	a := o.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[k] = v
	o.SetAnnotations(a)
	return o
}

func newHPA(name string, minReplicas *int32, maxReplicas int32) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "podinfo", "kustomize.toolkit.fluxcd.io/name": "apps"}},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			MinReplicas:    minReplicas,
			MaxReplicas:    maxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](99)},
				},
			}},
		},
	}
}

// fixture is a Deployments adapter over a fake clientset that versions objects as the API
// server does, with listers that read the fake's objects: an informer that never lags, until
// freeze.
type fixture struct {
	d        *Deployments
	kube     *fake.Clientset
	indexers []*clienttest.Indexer
	clock    *clocktesting.FakePassiveClock
	ids      int
}

func newFixture(t *testing.T, opts Options, objs ...runtime.Object) *fixture {
	t.Helper()
	kube, tracker := clienttest.NewClientset(objs...)
	f := &fixture{kube: kube, clock: clocktesting.NewFakePassiveClock(now)}
	indexer := func(gv schema.GroupVersion, resource, kind string) *clienttest.Indexer {
		i := clienttest.NewIndexer(tracker, gv.WithResource(resource), gv.WithKind(kind))
		f.indexers = append(f.indexers, i)
		return i
	}
	listers := Listers{
		Deployments: appslisters.NewDeploymentLister(indexer(appsv1.SchemeGroupVersion, "deployments", "Deployment")),
		HPAs:        autoscalinglisters.NewHorizontalPodAutoscalerLister(indexer(autoscalingv2.SchemeGroupVersion, "horizontalpodautoscalers", "HorizontalPodAutoscaler")),
		ConfigMaps:  corelisters.NewConfigMapLister(indexer(corev1.SchemeGroupVersion, "configmaps", "ConfigMap")),
		Secrets:     corelisters.NewSecretLister(indexer(corev1.SchemeGroupVersion, "secrets", "Secret")),
	}
	opts.Clock = f.clock
	if opts.Logger.GetSink() == nil {
		opts.Logger = testr.New(t)
	}
	opts.NewID = func() string {
		f.ids++
		return "id-" + string(rune('0'+f.ids))
	}
	var err error
	f.d, err = New(f.kube, listers, opts)
	require.NoError(t, err)
	return f
}

// fastRetries shortens client.CacheBackoff for a test whose writes keep conflicting.
func fastRetries(t *testing.T) {
	saved := client.CacheBackoff
	client.CacheBackoff = wait.Backoff{Steps: 3, Duration: time.Millisecond, Factor: 1}
	t.Cleanup(func() { client.CacheBackoff = saved })
}

// freeze makes the listers serve what the API server holds now, as informers that stop
// receiving events would.
func (f *fixture) freeze(t *testing.T) {
	t.Helper()
	for _, i := range f.indexers {
		require.NoError(t, i.Freeze())
	}
}

// thaw makes the listers catch up.
func (f *fixture) thaw() {
	for _, i := range f.indexers {
		i.Thaw()
	}
}

func (f *fixture) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d, err := f.kube.AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return d
}

func (f *fixture) actions(verb, resource string) int {
	n := 0
	for _, a := range f.kube.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == resource {
			n++
		}
	}
	return n
}
