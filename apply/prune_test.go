package apply

import (
	"errors"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func refs(rs []ObjectRef) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

// TestApplyRefusesAnEmptySet: a commit that empties an overlay must not prune what it applied,
// unless the overlay is marked intentionally empty.
func TestApplyRefusesAnEmptySet(t *testing.T) {
	c := newFakeCluster(t)
	a := c.applier()
	cm := obj("v1", "ConfigMap", "test", "settings", nil)
	_, err := a.Apply(t.Context(), Set{Name: "apps/podinfo", Objects: []*unstructured.Unstructured{cm}})
	require.NoError(t, err)

	res, err := a.Apply(t.Context(), Set{Name: "apps/podinfo"})
	require.ErrorIs(t, err, ErrEmptySet)
	require.ErrorContains(t, err, "set apps/podinfo renders no objects: refusing to prune the 1 object(s) it applied before")
	require.Nil(t, res)
	require.True(t, c.exists(t, cm), "nothing pruned")
	require.Equal(t, []string{"ConfigMap test/settings"}, c.inventory(t, "apps/podinfo"))

	res, err = a.Apply(t.Context(), Set{Name: "apps/podinfo", AllowEmpty: true})
	require.NoError(t, err)
	require.Equal(t, []string{"ConfigMap test/settings"}, refs(res.Pruned))
	require.False(t, c.exists(t, cm))

	_, err = a.Apply(t.Context(), Set{Name: "apps/new"})
	require.NoError(t, err, "an overlay that never applied anything may be empty")
}

// TestPruneKeepsNamespacesAndPruneDisabled: a Namespace leaves Git only when it opted in (its
// deletion deletes everything in it); Flux's prune: disabled keeps any object.
func TestPruneKeepsNamespacesAndPruneDisabled(t *testing.T) {
	c := newFakeCluster(t)
	a := c.applier()
	plainNS := obj("v1", "Namespace", "", "plain", nil)
	optInNS := obj("v1", "Namespace", "", "opted-in", nil)
	keepCM := obj("v1", "ConfigMap", "test", "keep", nil)
	goneCM := obj("v1", "ConfigMap", "test", "gone", nil)
	stays := obj("v1", "ConfigMap", "test", "stays", nil)
	_, err := a.Apply(t.Context(), Set{Name: "apps/podinfo", Objects: []*unstructured.Unstructured{plainNS, optInNS, keepCM, goneCM, stays}})
	require.NoError(t, err)
	c.annotate(t, optInNS, map[string]string{NamespacePruneAnnotation: NamespacePruneEnabled})
	c.annotate(t, keepCM, map[string]string{FluxPruneAnnotation: "disabled"})

	res, err := a.Apply(t.Context(), Set{Name: "apps/podinfo", Objects: []*unstructured.Unstructured{stays}})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"Namespace opted-in", "ConfigMap test/gone"}, refs(res.Pruned))
	require.ElementsMatch(t, []string{"Namespace plain", "ConfigMap test/keep"}, refs(res.Kept))
	require.True(t, c.exists(t, plainNS))
	require.True(t, c.exists(t, keepCM))
	require.False(t, c.exists(t, optInNS))
	require.False(t, c.exists(t, goneCM))
	require.Equal(t, []string{"ConfigMap test/stays"}, c.inventory(t, "apps/podinfo"), "kept objects leave the inventory")
}

// TestInventoryRecordsAPartialApply: the inventory names every object an apply may have created
// before the apply starts, so a failure (or a crash) mid-apply does not forget one, and the next
// apply prunes what left Git since.
func TestInventoryRecordsAPartialApply(t *testing.T) {
	c := newFakeCluster(t)
	a := c.applier()
	old := obj("v1", "ConfigMap", "test", "old", nil)
	_, err := a.Apply(t.Context(), Set{Name: "apps/podinfo", Revision: "r1", Objects: []*unstructured.Unstructured{old}})
	require.NoError(t, err)

	first := obj("v1", "ConfigMap", "test", "first", nil)
	second := obj("v1", "Service", "test", "second", nil)
	c.failApply["Service test/second"] = true
	_, err = a.Apply(t.Context(), Set{Name: "apps/podinfo", Revision: "r2", Objects: []*unstructured.Unstructured{first, second}})
	var oe *ObjectError
	require.True(t, errors.As(err, &oe), "%v", err)
	require.True(t, c.exists(t, first), "applied before the failure")
	require.True(t, c.exists(t, old), "nothing pruned after a failed apply")
	require.ElementsMatch(t, []string{"ConfigMap test/first", "Service test/second", "ConfigMap test/old"}, c.inventory(t, "apps/podinfo"))

	delete(c.failApply, "Service test/second")
	res, err := a.Apply(t.Context(), Set{Name: "apps/podinfo", Revision: "r3", Objects: []*unstructured.Unstructured{second}})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"ConfigMap test/first", "ConfigMap test/old"}, refs(res.Pruned), "the object of the failed apply is pruned too")
	require.Equal(t, []string{"Service test/second"}, c.inventory(t, "apps/podinfo"))
}

// TestMissingInventoryIsReported: an inventory ConfigMap deleted by hand silently disabled prune;
// now the apply says so, prunes nothing, and rebuilds the inventory.
func TestMissingInventoryIsReported(t *testing.T) {
	c := newFakeCluster(t)
	a := c.applier()
	cm := obj("v1", "ConfigMap", "test", "settings", nil)
	gone := obj("v1", "ConfigMap", "test", "gone", nil)
	res, err := a.Apply(t.Context(), Set{Name: "apps/podinfo", Objects: []*unstructured.Unstructured{cm, gone}})
	require.NoError(t, err)
	require.False(t, res.InventoryMissing, "a first apply has no inventory and no labelled objects")

	require.NoError(t, c.kube.CoreV1().ConfigMaps("gitcanary-system").Delete(t.Context(), a.inv.name("apps/podinfo"), metav1.DeleteOptions{}))
	res, err = a.Apply(t.Context(), Set{Name: "apps/podinfo", Objects: []*unstructured.Unstructured{cm}})
	require.NoError(t, err)
	require.True(t, res.InventoryMissing)
	require.Empty(t, res.Pruned)
	require.True(t, c.exists(t, gone), "what left Git while the inventory was lost stays")
	require.Equal(t, []string{"ConfigMap test/settings"}, c.inventory(t, "apps/podinfo"), "the inventory is rebuilt")
}

func TestInventories(t *testing.T) {
	c := newFakeCluster(t)
	a := c.applier()
	for _, set := range []string{"apps/b", "apps/a"} {
		_, err := a.Apply(t.Context(), Set{Name: set, Revision: "r1", Objects: []*unstructured.Unstructured{obj("v1", "ConfigMap", "test", set[5:], nil)}})
		require.NoError(t, err)
	}
	invs, err := a.Inventories(t.Context())
	require.NoError(t, err)
	require.Len(t, invs, 2)
	require.Equal(t, "apps/a", invs[0].Set)
	require.Equal(t, "r1", invs[0].Revision)
	require.Equal(t, []string{"ConfigMap test/a"}, refs(invs[0].Objects))
}

// Shards sharing the controller namespace list only their own inventories: neither takes the
// other's overlays for orphans; the unsharded controller lists those of no shard.
func TestInventoriesOfAShard(t *testing.T) {
	c := newFakeCluster(t)
	appliers := map[string]*Applier{}
	for _, shard := range []string{"", "shard1", "shard2"} {
		appliers[shard] = New(c.dyn, c.kube, c.mapper, Options{Namespace: "gitcanary-system", Shard: shard, Logger: logr.Discard()})
		set := "apps/" + shard
		if shard == "" {
			set = "apps/main"
		}
		_, err := appliers[shard].Apply(t.Context(), Set{Name: set, Revision: "r1", Objects: []*unstructured.Unstructured{obj("v1", "ConfigMap", "test", "cm-"+set[5:], nil)}})
		require.NoError(t, err)
	}
	for shard, want := range map[string]string{"": "apps/main", "shard1": "apps/shard1", "shard2": "apps/shard2"} {
		invs, err := appliers[shard].Inventories(t.Context())
		require.NoError(t, err)
		require.Len(t, invs, 1, "shard %q", shard)
		require.Equal(t, want, invs[0].Set)
	}
	cm, err := c.kube.CoreV1().ConfigMaps("gitcanary-system").Get(t.Context(), (&inventoryStore{}).name("apps/shard1"), metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "shard1", cm.Labels[ShardLabel])
}
