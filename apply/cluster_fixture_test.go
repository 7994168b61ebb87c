package apply

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

// fakeCluster is a dynamic client whose server-side apply creates or replaces the object, a
// REST mapper for the kinds of the tests, and a clientset for the inventories. failApply names
// objects ("Kind namespace/name") whose real apply fails, as an API server may mid-apply.
type fakeCluster struct {
	dyn       *dynamicfake.FakeDynamicClient
	kube      *fake.Clientset
	mapper    meta.ResettableRESTMapper
	mu        sync.Mutex
	failApply map[string]bool
}

var fakeKinds = map[schema.GroupVersionKind]meta.RESTScope{
	{Version: "v1", Kind: "Namespace"}:                 meta.RESTScopeRoot,
	{Version: "v1", Kind: "ConfigMap"}:                 meta.RESTScopeNamespace,
	{Version: "v1", Kind: "Service"}:                   meta.RESTScopeNamespace,
	{Group: "apps", Version: "v1", Kind: "Deployment"}: meta.RESTScopeNamespace,
}

type resettable struct{ meta.RESTMapper }

func (resettable) Reset() {}

func newFakeCluster(t *testing.T) *fakeCluster {
	t.Helper()
	m := meta.NewDefaultRESTMapper(nil)
	listKinds := map[schema.GroupVersionResource]string{}
	for gvk, scope := range fakeKinds {
		m.Add(gvk, scope)
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		listKinds[plural] = gvk.Kind + "List"
	}
	c := &fakeCluster{
		dyn:       dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds),
		kube:      fake.NewClientset(),
		mapper:    resettable{m},
		failApply: map[string]bool{},
	}
	c.dyn.PrependReactor("patch", "*", c.apply)
	return c
}

// apply implements server-side apply as create-or-replace; dry runs change nothing.
func (c *fakeCluster) apply(action clienttesting.Action) (bool, runtime.Object, error) {
	p := action.(clienttesting.PatchActionImpl)
	if p.GetPatchType() != types.ApplyPatchType {
		return false, nil, nil
	}
	obj := &unstructured.Unstructured{}
	if err := json.Unmarshal(p.GetPatch(), &obj.Object); err != nil {
		return true, nil, err
	}
	if len(p.PatchOptions.DryRun) > 0 {
		return true, obj, nil
	}
	c.mu.Lock()
	fail := c.failApply[RefOf(obj).String()]
	c.mu.Unlock()
	if fail {
		return true, nil, apierrors.NewInternalError(fmt.Errorf("etcd went away"))
	}
	tracker := c.dyn.Tracker()
	gvr := p.GetResource()
	if _, err := tracker.Get(gvr, p.GetNamespace(), p.GetName()); apierrors.IsNotFound(err) {
		return true, obj, tracker.Create(gvr, obj, p.GetNamespace())
	}
	return true, obj, tracker.Update(gvr, obj, p.GetNamespace())
}

// applier returns an Applier on the fake cluster.
func (c *fakeCluster) applier() *Applier {
	return New(c.dyn, c.kube, c.mapper, Options{Namespace: "gitcanary-system", Logger: logr.Discard()})
}

// exists reports whether the object is in the fake cluster.
func (c *fakeCluster) exists(t *testing.T, o *unstructured.Unstructured) bool {
	t.Helper()
	m, err := c.mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version)
	require.NoError(t, err)
	_, err = c.dyn.Resource(m.Resource).Namespace(o.GetNamespace()).Get(t.Context(), o.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false
	}
	require.NoError(t, err)
	return true
}

// annotate sets annotations on the live object, as a user would with kubectl annotate.
func (c *fakeCluster) annotate(t *testing.T, o *unstructured.Unstructured, annotations map[string]string) {
	t.Helper()
	m, err := c.mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version)
	require.NoError(t, err)
	ri := c.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	live, err := ri.Get(t.Context(), o.GetName(), metav1.GetOptions{})
	require.NoError(t, err)
	live.SetAnnotations(annotations)
	_, err = ri.Update(t.Context(), live, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// inventory returns the saved inventory of a set.
func (c *fakeCluster) inventory(t *testing.T, set string) []string {
	t.Helper()
	inv, found, err := (&inventoryStore{kube: c.kube, namespace: "gitcanary-system"}).load(t.Context(), set)
	require.NoError(t, err)
	require.True(t, found)
	var out []string
	for _, r := range inv.Objects {
		out = append(out, r.String())
	}
	return out
}

// edit changes the live object, as a user would with kubectl edit.
func (c *fakeCluster) edit(t *testing.T, o *unstructured.Unstructured, change func(*unstructured.Unstructured)) {
	t.Helper()
	m, err := c.mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version)
	require.NoError(t, err)
	ri := c.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	live, err := ri.Get(t.Context(), o.GetName(), metav1.GetOptions{})
	require.NoError(t, err)
	change(live)
	_, err = ri.Update(t.Context(), live, metav1.UpdateOptions{})
	require.NoError(t, err)
}
