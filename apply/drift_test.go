package apply

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"
)

// decode reads a YAML document as the API machinery does (integers as int64).
func decode(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(doc))
	require.NoError(t, err)
	o := &unstructured.Unstructured{}
	require.NoError(t, o.UnmarshalJSON(js))
	return o
}

const driftDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo, namespace: test, labels: {app: podinfo}}
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
          ports: [{containerPort: 9898}]
        - name: sidecar
          image: envoy:1
`

func TestChangeOf(t *testing.T) {
	manifest := decode(t, driftDeployment)
	tests := []struct {
		name        string
		before      func(o *unstructured.Unstructured) // nil: no live object
		after       func(o *unstructured.Unstructured)
		want        []string
		wantCreated bool
		wantNone    bool
	}{
		{name: "created", wantCreated: true},
		{name: "same resourceVersion: nothing changed",
			before: func(o *unstructured.Unstructured) {
				o.SetResourceVersion("7")
				setImage(o, 0, "podinfo:manual")
			},
			after: func(o *unstructured.Unstructured) { o.SetResourceVersion("7") }, wantNone: true},
		{name: "image set by hand", before: func(o *unstructured.Unstructured) { setImage(o, 0, "podinfo:manual") },
			want: []string{"spec.template.spec.containers[name=podinfo].image"}},
		{name: "label edited", before: func(o *unstructured.Unstructured) { o.SetLabels(map[string]string{"app": "other"}) },
			want: []string{"metadata.labels.app"}},
		{name: "env entry removed", before: func(o *unstructured.Unstructured) {
			containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			containers[0].(map[string]any)["env"] = []any{map[string]any{"name": "A", "value": "1"}}
			require.NoError(t, unstructured.SetNestedSlice(o.Object, containers, "spec", "template", "spec", "containers"))
		}, want: []string{"spec.template.spec.containers[name=podinfo].env[name=B]"}},
		{name: "unnamed list compared whole", before: func(o *unstructured.Unstructured) {
			containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			containers[0].(map[string]any)["ports"] = []any{map[string]any{"containerPort": int64(80)}}
			require.NoError(t, unstructured.SetNestedSlice(o.Object, containers, "spec", "template", "spec", "containers"))
		}, want: []string{"spec.template.spec.containers[name=podinfo].ports"}},
		{name: "fields the manifest does not set are not drift",
			before: func(o *unstructured.Unstructured) {
				require.NoError(t, unstructured.SetNestedField(o.Object, int64(5), "spec", "replicas"))
				o.SetAnnotations(map[string]string{"edited": "by hand"})
			}, wantNone: true},
		{name: "several fields, sorted", before: func(o *unstructured.Unstructured) {
			setImage(o, 1, "envoy:2")
			o.SetLabels(map[string]string{"app": "other"})
		}, want: []string{"metadata.labels.app", "spec.template.spec.containers[name=sidecar].image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before *unstructured.Unstructured
			if tt.before != nil {
				before = manifest.DeepCopy()
				tt.before(before)
			}
			after := manifest.DeepCopy()
			if tt.after != nil {
				tt.after(after)
			}
			ch, changed := changeOf(manifest, before, after)
			require.Equal(t, !tt.wantNone, changed)
			if tt.wantNone {
				return
			}
			require.Equal(t, "Deployment test/podinfo", ch.Object.String())
			require.Equal(t, tt.wantCreated, ch.Created)
			require.Equal(t, tt.want, ch.Fields)
		})
	}
}

func setImage(o *unstructured.Unstructured, i int, image string) {
	containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
	containers[i].(map[string]any)["image"] = image
	_ = unstructured.SetNestedSlice(o.Object, containers, "spec", "template", "spec", "containers")
}

// TestReapplyReportsDrift: applying the digest the inventory holds again is a re-apply: it
// restores what was edited by hand, says which fields it changed, skips the dry run, and
// writes no inventory when nothing else changed.
func TestReapplyReportsDrift(t *testing.T) {
	c := newFakeCluster(t)
	a := c.applier()
	a.opts.TargetRevision = func(d *unstructured.Unstructured) (string, error) {
		containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		return containers[0].(map[string]any)["image"].(string), nil
	}
	deploy := decode(t, driftDeployment)
	svc := obj("v1", "Service", "test", "podinfo", map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "podinfo"}}})
	svc.SetNamespace("test")
	svc.SetName("podinfo")
	set := Set{Name: "apps/podinfo", Revision: "r1", Digest: "d1", Objects: []*unstructured.Unstructured{deploy, svc},
		CanaryTargets: map[string]bool{"test/podinfo": true}}
	res, err := a.Apply(t.Context(), set)
	require.NoError(t, err)
	require.False(t, res.Reapplied)
	require.Len(t, res.Changes, 2, "both created")
	require.Equal(t, map[string]string{"test/podinfo": "ghcr.io/stefanprodan/podinfo:6.0.0"}, res.Targets)
	inv, found, err := a.inv.load(t.Context(), "apps/podinfo")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "d1", inv.Digest)
	require.Equal(t, res.Targets, inv.Targets)

	// When someone sets the image and edits the Service's label
	c.edit(t, deploy, func(o *unstructured.Unstructured) { setImage(o, 0, "podinfo:manual") })
	c.edit(t, svc, func(o *unstructured.Unstructured) {
		o.SetLabels(map[string]string{"app": "edited", InventoryLabel: inventoryID("apps/podinfo")})
	})
	c.dyn.ClearActions()
	c.kube.ClearActions()

	// Then the re-apply restores both and names the fields
	res, err = a.Apply(t.Context(), set)
	require.NoError(t, err)
	require.True(t, res.Reapplied)
	var got []string
	for _, ch := range res.Changes {
		got = append(got, ch.String())
	}
	require.ElementsMatch(t, []string{
		"Deployment test/podinfo: spec.template.spec.containers[name=podinfo].image",
		"Service test/podinfo: metadata.labels.app",
	}, got)
	for _, act := range c.dyn.Actions() {
		if p, ok := act.(clienttesting.PatchActionImpl); ok {
			require.Empty(t, p.PatchOptions.DryRun, "a re-apply skips the dry run")
		}
	}
	require.Empty(t, writes(c.kube.Actions()), "nothing to write to the inventory")

	// And an object deleted by hand is recreated
	m, err := c.mapper.RESTMapping(svc.GroupVersionKind().GroupKind(), "v1")
	require.NoError(t, err)
	require.NoError(t, c.dyn.Resource(m.Resource).Namespace("test").Delete(t.Context(), "podinfo", metav1.DeleteOptions{}))
	res, err = a.Apply(t.Context(), set)
	require.NoError(t, err)
	require.Len(t, res.Changes, 1)
	require.Equal(t, "Service test/podinfo: created", res.Changes[0].String())
}

// TestReapplyReportsDriftMadeDuringIt: a re-apply reads each live object just before applying
// it, so an edit made by hand while the overlay is being re-applied (here, the Deployment's image
// set while the Service before it is applied) is reported as drift, not overwritten unseen.
func TestReapplyReportsDriftMadeDuringIt(t *testing.T) {
	c := newFakeCluster(t)
	a := c.applier()
	deploy := decode(t, driftDeployment)
	svc := obj("v1", "Service", "test", "podinfo", map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "podinfo"}}})
	svc.SetNamespace("test")
	svc.SetName("podinfo")
	set := Set{Name: "apps/podinfo", Revision: "r1", Digest: "d1", Objects: []*unstructured.Unstructured{deploy, svc}}
	_, err := a.Apply(t.Context(), set)
	require.NoError(t, err)

	// When the image is set by hand while the re-apply applies the Service
	deployments := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	edited := false
	c.dyn.PrependReactor("patch", "services", func(clienttesting.Action) (bool, runtime.Object, error) {
		if edited {
			return false, nil, nil
		}
		edited = true
		live, err := c.dyn.Tracker().Get(deployments, "test", "podinfo")
		require.NoError(t, err)
		u := live.(*unstructured.Unstructured).DeepCopy()
		setImage(u, 0, "podinfo:manual")
		require.NoError(t, c.dyn.Tracker().Update(deployments, u, "test"))
		return false, nil, nil
	})
	res, err := a.Apply(t.Context(), set)
	require.NoError(t, err)
	require.True(t, edited)

	// Then the re-apply restores the image and reports it
	require.True(t, res.Reapplied)
	var got []string
	for _, ch := range res.Changes {
		got = append(got, ch.String())
	}
	require.Equal(t, []string{"Deployment test/podinfo: spec.template.spec.containers[name=podinfo].image"}, got)
	live, err := c.dyn.Tracker().Get(deployments, "test", "podinfo")
	require.NoError(t, err)
	containers, _, _ := unstructured.NestedSlice(live.(*unstructured.Unstructured).Object, "spec", "template", "spec", "containers")
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", containers[0].(map[string]any)["image"])
}

// TestFailedApplyKeepsNoDigest: a set that did not apply in full is not recorded as applied,
// so the next apply of the same digest is a full apply again, not a re-apply.
func TestFailedApplyKeepsNoDigest(t *testing.T) {
	c := newFakeCluster(t)
	a := c.applier()
	cm := obj("v1", "ConfigMap", "test", "settings", nil)
	deploy := decode(t, driftDeployment)
	c.failApply["Deployment test/podinfo"] = true
	set := Set{Name: "apps/podinfo", Revision: "r1", Digest: "d1", Objects: []*unstructured.Unstructured{cm, deploy}}
	_, err := a.Apply(t.Context(), set)
	var oerr *ObjectError
	require.True(t, errors.As(err, &oerr))
	inv, _, err := a.inv.load(t.Context(), "apps/podinfo")
	require.NoError(t, err)
	require.Empty(t, inv.Digest)

	delete(c.failApply, "Deployment test/podinfo")
	res, err := a.Apply(t.Context(), set)
	require.NoError(t, err)
	require.False(t, res.Reapplied)
}

// writes are the create, update, patch and delete actions.
func writes(actions []clienttesting.Action) []string {
	var out []string
	for _, a := range actions {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
		}
	}
	return out
}
