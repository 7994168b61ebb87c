package meshsim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ktypes "k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

var splitGVR = schema.GroupVersionResource{Group: SplitGroup, Version: "v1alpha2", Resource: "trafficsplits"}

func service(name, app string, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": app},
			Ports:    []corev1.ServicePort{{Port: port}},
		},
	}
}

func readyPod(name, app, image string, env ...corev1.EnvVar) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test", UID: ktypes.UID("uid-" + name), Labels: map[string]string{"app": app}},
		Spec:       *podSpec(image, env...),
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
}

// newTestSim starts a Sim over fake clients holding objs (typed) and splits (TrafficSplits
// v1alpha2), and waits until it watches the splits.
func newTestSim(t *testing.T, objs []runtime.Object, splits ...runtime.Object) *Sim {
	t.Helper()
	kube := fake.NewClientset(objs...)
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: SplitGroup + "/v1alpha2",
		APIResources: []metav1.APIResource{{Name: "trafficsplits", Kind: "TrafficSplit", Namespaced: true}},
	}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{splitGVR: "TrafficSplitList"}, splits...)
	s, err := newSim(kube, dyn, Options{DefaultNamespace: "test", DiscoveryInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s.Start(ctx)
	require.NoError(t, s.WaitForSync(ctx))
	require.Eventually(t, func() bool { return s.SplitVersion() == "v1alpha2" }, 5*time.Second, 10*time.Millisecond)
	return s
}

// waitSplit waits until the Sim routes podinfo with the canary weight w.
func waitSplit(t *testing.T, s *Sim, w int64) {
	t.Helper()
	require.Eventually(t, func() bool {
		sp, ok := s.SplitFor("test", "podinfo")
		return ok && len(sp.Backends) == 2 && sp.Backends[0].Weight == w
	}, 5*time.Second, 10*time.Millisecond, fmt.Sprintf("split with canary weight %d", w))
}

// podinfoObjects is Flagger's layout: apex, primary and canary Services and one pod each.
func podinfoObjects(canaryEnv ...corev1.EnvVar) []runtime.Object {
	return []runtime.Object{
		service("podinfo", "podinfo-primary", 9898),
		service("podinfo-primary", "podinfo-primary", 9898),
		service("podinfo-canary", "podinfo", 9898),
		readyPod("podinfo-primary-1", "podinfo-primary", "podinfo:6.0.0"),
		readyPod("podinfo-1", "podinfo", "podinfo:6.0.1", canaryEnv...),
	}
}
