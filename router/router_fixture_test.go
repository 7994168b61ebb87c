package router

import (
	"context"
	"testing"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamiclister"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	appslisters "k8s.io/client-go/listers/apps/v1"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/client/clienttest"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/api/v1beta1/canarytest"
	"github.com/gitcanary/gitcanary/engine/workload"
)

const ns = "test"

// versions are the TrafficSplit versions every SMI contract test runs over.
var versions = []string{v1beta1.SMIv1alpha1, v1beta1.SMIv1alpha2, v1beta1.SMIv1alpha3}

// canaryOwner is the owner reference every generated object carries.
var canaryOwner = metav1.OwnerReference{
	APIVersion: "flagger.app/v1beta1", Kind: "Canary", Name: "podinfo", UID: "canary-uid",
	Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
}

func newCanary(opts ...canarytest.Option) *v1beta1.Canary {
	return canarytest.New(append([]canarytest.Option{canarytest.Namespace(ns)}, opts...)...)
}

func withProvider(p string) func(*v1beta1.Canary) {
	return func(c *v1beta1.Canary) { c.Spec.Provider = p }
}

func newTarget() *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "podinfo"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "podinfo"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "podinfod",
					Ports: []corev1.ContainerPort{
						{Name: "http", ContainerPort: 9898}, {Name: "http-metrics", ContainerPort: 9797}, {ContainerPort: 8080},
					},
				}}},
			},
		},
	}
}

// newSplitClient returns a fake dynamic client that serves every TrafficSplit version and
// versions objects as the API server does (clienttest.Tracker).
func newSplitClient(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	kinds := map[schema.GroupVersionResource]string{}
	for _, v := range versions {
		kinds[SplitResource(v)] = "TrafficSplitList"
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), kinds)
	tracker := clienttest.Install(&dyn.Fake, dyn.Tracker())
	for _, o := range objs {
		if err := tracker.Add(o); err != nil {
			panic(err)
		}
	}
	return dyn
}

// trackerSplits is a Splits whose caches read the fake dynamic client's objects: informers that
// never lag, until freeze.
type trackerSplits struct {
	indexers map[string]*clienttest.Indexer
	caches   map[string]*client.Cached[*unstructured.Unstructured]
}

func newTrackerSplits(dyn *dynamicfake.FakeDynamicClient) *trackerSplits {
	s := &trackerSplits{indexers: map[string]*clienttest.Indexer{}, caches: map[string]*client.Cached[*unstructured.Unstructured]{}}
	for _, v := range versions {
		gvr := SplitResource(v)
		idx := clienttest.NewIndexer(dyn.Tracker(), gvr, gvr.GroupVersion().WithKind(splitKind))
		lister := dynamiclister.New(idx, gvr)
		s.indexers[v] = idx
		s.caches[v] = client.NewCached(gvr.GroupResource(), func(namespace, name string) (*unstructured.Unstructured, error) {
			return lister.Namespace(namespace).Get(name)
		})
	}
	return s
}

func (s *trackerSplits) Cache(_ context.Context, version string) (*client.Cached[*unstructured.Unstructured], error) {
	return s.caches[version], nil
}

// stubTargets is a Targets that fails, for the error paths.
type stubTargets struct{ err error }

func (s stubTargets) Selector(context.Context, *v1beta1.Canary) (string, string, map[string]int32, error) {
	return "", "", nil, s.err
}

// fixture holds the routers over fake clientsets that version objects as the API server does,
// with listers that read the fakes' objects, and the Deployment adapter as Targets.
type fixture struct {
	kube     *fake.Clientset
	dyn      *dynamicfake.FakeDynamicClient
	indexers []*clienttest.Indexer
	splits   *trackerSplits
	// serviceLister and targets are what services was built with.
	serviceLister corelisters.ServiceLister
	targets       *workload.Deployments
	services      *Services
	router        *Dispatcher
}

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	kube, tracker := clienttest.NewClientset(objs...)
	f := &fixture{kube: kube, dyn: newSplitClient()}
	f.splits = newTrackerSplits(f.dyn)
	indexer := func(gv schema.GroupVersion, resource, kind string) *clienttest.Indexer {
		i := clienttest.NewIndexer(tracker, gv.WithResource(resource), gv.WithKind(kind))
		f.indexers = append(f.indexers, i)
		return i
	}
	var err error
	f.targets, err = workload.New(kube, workload.Listers{
		Deployments: appslisters.NewDeploymentLister(indexer(appsv1.SchemeGroupVersion, "deployments", "Deployment")),
		HPAs:        autoscalinglisters.NewHorizontalPodAutoscalerLister(indexer(autoscalingv2.SchemeGroupVersion, "horizontalpodautoscalers", "HorizontalPodAutoscaler")),
		ConfigMaps:  corelisters.NewConfigMapLister(indexer(corev1.SchemeGroupVersion, "configmaps", "ConfigMap")),
		Secrets:     corelisters.NewSecretLister(indexer(corev1.SchemeGroupVersion, "secrets", "Secret")),
	}, workload.Options{})
	require.NoError(t, err)
	f.serviceLister = corelisters.NewServiceLister(indexer(corev1.SchemeGroupVersion, "services", "Service"))
	f.services = NewServices(f.kube, f.serviceLister, f.targets, ServicesOptions{Logger: testr.New(t)})
	f.router = New(f.services, f.dyn, f.splits, Options{Logger: testr.New(t)})
	return f
}

// freeze makes every lister serve what the fakes hold now, as informers that lag.
func (f *fixture) freeze(t *testing.T) {
	t.Helper()
	for _, i := range f.indexers {
		require.NoError(t, i.Freeze())
	}
	for _, i := range f.splits.indexers {
		require.NoError(t, i.Freeze())
	}
}

func (f *fixture) service(t *testing.T, name string) *corev1.Service {
	t.Helper()
	s, err := f.kube.CoreV1().Services(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return s
}

func (f *fixture) split(t *testing.T, version, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := f.dyn.Resource(SplitResource(version)).Namespace(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return u
}

func (f *fixture) updateSplit(t *testing.T, version string, u *unstructured.Unstructured) {
	t.Helper()
	_, err := f.dyn.Resource(SplitResource(version)).Namespace(ns).Update(t.Context(), u, metav1.UpdateOptions{})
	require.NoError(t, err)
}

func (f *fixture) kubeActions(verb, resource string) int {
	n := 0
	for _, a := range f.kube.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == resource {
			n++
		}
	}
	return n
}

func (f *fixture) splitActions(verb string) int {
	n := 0
	for _, a := range f.dyn.Actions() {
		if a.GetVerb() == verb {
			n++
		}
	}
	return n
}
