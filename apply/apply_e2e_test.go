//go:build e2e

package apply

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

func TestMain(m *testing.M) { env.Main(m, env.Options{}) }

// fixture is an Applier against the package's environment, applying into a fresh namespace.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	ns      string
	kube    kubernetes.Interface
	applier *Applier
}

func newFixture(t *testing.T) *fixture {
	e := env.Get(t)
	cfg := e.RESTConfig()
	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	kube := e.Client()
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kube.Discovery()))
	ns := e.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &fixture{t: t, ctx: ctx, ns: ns, kube: kube,
		applier: New(dyn, kube, mapper, Options{FieldManager: "gitcanary-test", Namespace: ns, Logger: testr.New(t)})}
}

// objects decodes YAML documents, putting namespaced ones into the fixture's namespace.
func (f *fixture) objects(docs ...string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, d := range docs {
		o := &unstructured.Unstructured{}
		require.NoError(f.t, yaml.Unmarshal([]byte(strings.ReplaceAll(d, "NS", f.ns)), &o.Object))
		out = append(out, o)
	}
	return out
}

const cmDoc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: NS}\ndata: {color: blue}\n"
const deployDoc = `apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo, namespace: NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: podinfo}}
  template:
    metadata: {labels: {app: podinfo}}
    spec:
      containers: [{name: podinfod, image: ghcr.io/stefanprodan/podinfo:6.0.0}]
`

func TestApplyUpdateAndPrune(t *testing.T) {
	f := newFixture(t)
	// Given an overlay with a ConfigMap and a Deployment that a Canary targets
	set := Set{Name: "apps/" + f.ns, Revision: "r1", Objects: f.objects(cmDoc, deployDoc), CanaryTargets: map[string]bool{f.ns + "/podinfo": true}}

	// When it is applied
	res, err := f.applier.Apply(f.ctx, set)
	require.NoError(t, err)
	require.Len(t, res.Applied, 2)

	// Then both exist, labelled with the inventory, and the target's replicas were left alone
	d, err := f.kube.AppsV1().Deployments(f.ns).Get(f.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, inventoryID(set.Name), d.Labels[InventoryLabel])
	require.Equal(t, int32(1), *d.Spec.Replicas, "defaulted: the manifest's replicas were not applied")

	// When the engine scales the target and the same set is applied again
	_, err = f.kube.AppsV1().Deployments(f.ns).Patch(f.ctx, "podinfo", types.MergePatchType, []byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{FieldManager: "gitcanary-engine"})
	require.NoError(t, err)
	_, err = f.applier.Apply(f.ctx, set)
	require.NoError(t, err)

	// Then the sync does not fight the engine
	d, err = f.kube.AppsV1().Deployments(f.ns).Get(f.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, int32(0), *d.Spec.Replicas)

	// When someone else creates a ConfigMap that happens to share a name with a later prune
	_, err = f.kube.CoreV1().ConfigMaps(f.ns).Create(f.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: f.ns}}, metav1.CreateOptions{})
	require.NoError(t, err)

	// And the ConfigMap leaves Git
	set.Objects, set.Revision = f.objects(deployDoc), "r2"
	res, err = f.applier.Apply(f.ctx, set)
	require.NoError(t, err)

	// Then it is pruned, and nothing else is
	require.Equal(t, []ObjectRef{{Version: "v1", Kind: "ConfigMap", Namespace: f.ns, Name: "cfg"}}, res.Pruned)
	_, err = f.kube.CoreV1().ConfigMaps(f.ns).Get(f.ctx, "cfg", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err) || err == nil, "deletion may still be in progress: %v", err)
	_, err = f.kube.CoreV1().ConfigMaps(f.ns).Get(f.ctx, "foreign", metav1.GetOptions{})
	require.NoError(t, err, "objects the applier did not create are never pruned")
}

func TestApplyIsAllOrNothing(t *testing.T) {
	f := newFixture(t)
	// Given a set whose Deployment the API server rejects
	broken := strings.Replace(deployDoc, "replicas: 2", "replicas: two", 1)
	set := Set{Name: "apps/" + f.ns, Objects: f.objects(cmDoc, broken)}

	// When it is applied
	_, err := f.applier.Apply(f.ctx, set)

	// Then the error names the object and nothing was applied
	require.ErrorContains(t, err, "validate Deployment "+f.ns+"/podinfo")
	require.ErrorContains(t, err, "nothing was applied")
	_, err = f.kube.CoreV1().ConfigMaps(f.ns).Get(f.ctx, "cfg", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "the valid ConfigMap was not applied either: %v", err)
}

func TestApplySkipsGeneratedObjects(t *testing.T) {
	f := newFixture(t)
	// Given a Service generated by a Canary (controller owner reference)
	yes := true
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo-primary", Namespace: f.ns,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "flagger.app/v1beta1", Kind: "Canary", Name: "podinfo", UID: "1234", Controller: &yes}}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "podinfo-primary"}, Ports: []corev1.ServicePort{{Port: 9898}}},
	}
	_, err := f.kube.CoreV1().Services(f.ns).Create(f.ctx, svc, metav1.CreateOptions{})
	require.NoError(t, err)

	// When Git declares a Service of the same name with another selector
	doc := "apiVersion: v1\nkind: Service\nmetadata: {name: podinfo-primary, namespace: NS}\nspec: {selector: {app: other}, ports: [{port: 80}]}\n"
	res, err := f.applier.Apply(f.ctx, Set{Name: "apps/" + f.ns, Objects: f.objects(doc)})
	require.NoError(t, err)

	// Then the generated Service is left to the engine
	require.Len(t, res.Skipped, 1)
	live, err := f.kube.CoreV1().Services(f.ns).Get(f.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "podinfo-primary", live.Spec.Selector["app"])
}

func TestApplyInstallsCRDsFirst(t *testing.T) {
	f := newFixture(t)
	// Given an overlay with a CRD and a custom resource of it, in one set
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.NS.example.com}
spec:
  group: NS.example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`
	cr := "apiVersion: NS.example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: NS}\nspec: {size: 3}\n"

	// When it is applied
	res, err := f.applier.Apply(f.ctx, Set{Name: "crds/" + f.ns, Objects: f.objects(cr, crd)})

	// Then the CRD was established before the Widget was validated and applied
	require.NoError(t, err)
	require.Len(t, res.Applied, 2)
	require.Equal(t, "CustomResourceDefinition", res.Applied[0].Kind)
	t.Cleanup(func() {
		dyn, _ := dynamic.NewForConfig(env.Get(t).RESTConfig())
		_ = dyn.Resource(crdGVRForTest).Delete(context.Background(), "widgets."+f.ns+".example.com", metav1.DeleteOptions{})
	})
}

var crdGVRForTest = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// TestReapplyCorrectsDrift: against a real API server, a re-apply of an unchanged set that
// nobody touched changes nothing (the resourceVersion stays), and one after a kubectl set image
// and a label edit sets both back, naming the fields; the engine's replicas stay its own.
func TestReapplyCorrectsDrift(t *testing.T) {
	f := newFixture(t)
	svcDoc := "apiVersion: v1\nkind: Service\nmetadata: {name: podinfo, namespace: NS, labels: {app: podinfo}}\nspec: {selector: {app: podinfo}, ports: [{port: 9898}]}\n"
	set := Set{Name: "apps/" + f.ns, Revision: "r1", Digest: "d1", Objects: f.objects(deployDoc, svcDoc), CanaryTargets: map[string]bool{f.ns + "/podinfo": true}}
	_, err := f.applier.Apply(f.ctx, set)
	require.NoError(t, err)

	// When nothing changed, a re-apply changes nothing (the Service, which no controller
	// updates, keeps its resourceVersion; the Deployment, whose status moves, its generation)
	before, err := f.kube.AppsV1().Deployments(f.ns).Get(f.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	svcBefore, err := f.kube.CoreV1().Services(f.ns).Get(f.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	res, err := f.applier.Apply(f.ctx, set)
	require.NoError(t, err)
	require.True(t, res.Reapplied)
	require.Empty(t, res.Changes)
	after, err := f.kube.AppsV1().Deployments(f.ns).Get(f.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, before.Generation, after.Generation)
	svcAfter, err := f.kube.CoreV1().Services(f.ns).Get(f.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, svcBefore.ResourceVersion, svcAfter.ResourceVersion)

	// When the image is set by hand (as kubectl set image does), the engine scales the target,
	// and the Service's label is edited
	_, err = f.kube.AppsV1().Deployments(f.ns).Patch(f.ctx, "podinfo", types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"ghcr.io/stefanprodan/podinfo:6.9.9"}]}}}}`),
		metav1.PatchOptions{FieldManager: "kubectl-set"})
	require.NoError(t, err)
	_, err = f.kube.AppsV1().Deployments(f.ns).Patch(f.ctx, "podinfo", types.MergePatchType, []byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{FieldManager: "gitcanary-engine"})
	require.NoError(t, err)
	_, err = f.kube.CoreV1().Services(f.ns).Patch(f.ctx, "podinfo", types.MergePatchType, []byte(`{"metadata":{"labels":{"app":"edited"}}}`),
		metav1.PatchOptions{FieldManager: "kubectl-edit"})
	require.NoError(t, err)

	// Then the re-apply sets both back and names the fields, and leaves the replicas alone
	res, err = f.applier.Apply(f.ctx, set)
	require.NoError(t, err)
	var got []string
	for _, c := range res.Changes {
		got = append(got, c.String())
	}
	require.ElementsMatch(t, []string{
		"Deployment " + f.ns + "/podinfo: spec.template.spec.containers[name=podinfod].image",
		"Service " + f.ns + "/podinfo: metadata.labels.app",
	}, got)
	d, err := f.kube.AppsV1().Deployments(f.ns).Get(f.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", d.Spec.Template.Spec.Containers[0].Image)
	require.Equal(t, int32(0), *d.Spec.Replicas)
	s, err := f.kube.CoreV1().Services(f.ns).Get(f.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "podinfo", s.Labels["app"])
}

// TestReadiness: a Deployment is ready by the kstatus rules once its rollout finished on the
// environment's nodes.
func TestReadiness(t *testing.T) {
	f := newFixture(t)
	set := Set{Name: "apps/" + f.ns, Objects: f.objects(cmDoc, deployDoc)}
	res, err := f.applier.Apply(f.ctx, set)
	require.NoError(t, err)
	var last Readiness
	require.Eventually(t, func() bool {
		last, err = f.applier.Readiness(f.ctx, res.Applied)
		return err == nil && last.Ready
	}, time.Minute, 200*time.Millisecond, "last: %+v %v", last, err)
	r, err := f.applier.Readiness(f.ctx, []ObjectRef{{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: f.ns, Name: "gone"}})
	require.NoError(t, err)
	require.False(t, r.Ready)
	require.Equal(t, "Deployment "+f.ns+"/gone: not found", r.Message)
}
