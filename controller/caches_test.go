package controller

import (
	"context"
	"reflect"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/webhook"
	"github.com/gitcanary/gitcanary/status"
)

// TestAdapterInformers: the informers behind every lister the adapters read are started with
// the factory (so caches.wait waits for them before the workers start), and they cache objects
// without managedFields.
func TestAdapterInformers(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test", ManagedFields: managed}}
	flagger, err := client.New(&rest.Config{Host: "http://127.0.0.1:1"})
	require.NoError(t, err)
	cl := &clients{kube: fake.NewClientset(svc), dyn: dynamicfake.NewSimpleDynamicClient(runtime.NewScheme()), flagger: flagger}
	opts := Options{MeshProvider: "smi:crossover", EnableConfigTracking: true}.withDefaults()
	c, err := newCaches(cl, opts)
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	telemetry, err := status.NewTelemetry(reg, status.TelemetryOptions{})
	require.NoError(t, err)
	_, err = newAnalysis(cl, c, reg, telemetry, nil, nil, nil, opts, logr.Discard(),
		func(func() engine.Recorder) (webhook.Gates, error) { return nil, nil }, nil)
	require.NoError(t, err)
	require.Equal(t, "v1alpha1", c.splitVersion, "the default provider's TrafficSplit version is synced before the workers")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c.kube.Start(ctx.Done())
	synced := c.kube.WaitForCacheSync(ctx.Done())
	for _, obj := range []any{&appsv1.Deployment{}, &autoscalingv2.HorizontalPodAutoscaler{}, &corev1.Service{},
		&corev1.ConfigMap{}, &corev1.Secret{}} {
		typ := reflect.TypeOf(obj)
		require.True(t, synced[typ], "informer of %v started and synced", typ)
	}
	cached, err := c.kube.Core().V1().Services().Lister().Services("test").Get("podinfo")
	require.NoError(t, err)
	require.Empty(t, cached.ManagedFields, "trimmed before caching")
}

// TestSecretInformerLeavesOutHelmReleases: the Secret informer, the one every adapter's lister
// reads, lists and watches with the field selector that leaves Helm's release records out.
func TestSecretInformerLeavesOutHelmReleases(t *testing.T) {
	kube := fake.NewClientset()
	selectors := make(chan string, 2)
	kube.PrependReactor("list", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		selectors <- "list " + a.(k8stesting.ListAction).GetListRestrictions().Fields.String()
		return false, nil, nil
	})
	kube.PrependWatchReactor("secrets", func(a k8stesting.Action) (bool, watch.Interface, error) {
		selectors <- "watch " + a.(k8stesting.WatchAction).GetWatchRestrictions().Fields.String()
		return false, nil, nil
	})
	flagger, err := client.New(&rest.Config{Host: "http://127.0.0.1:1"})
	require.NoError(t, err)
	c, err := newCaches(&clients{kube: kube, flagger: flagger}, Options{MeshProvider: "smi:crossover"}.withDefaults())
	require.NoError(t, err)
	_ = c.kube.Core().V1().Secrets().Lister() // as the adapters ask for it

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c.kube.Start(ctx.Done())
	require.True(t, c.kube.WaitForCacheSync(ctx.Done())[reflect.TypeOf(&corev1.Secret{})])
	require.Equal(t, "list type!=helm.sh/release.v1", <-selectors)
	require.Equal(t, "watch type!=helm.sh/release.v1", <-selectors)
}
