package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// InventoryLabel marks every object the applier applied with the id of its overlay's inventory.
const InventoryLabel = "gitcanary.io/inventory"

// managedByLabel marks the inventory ConfigMaps.
const managedByLabel = "app.kubernetes.io/managed-by"

// ShardLabel (Flux's sharding key) marks the inventories of a shard of controller replicas:
// replicas of different shards share the controller namespace, and each lists only its own
// shard's inventories (Options.Shard).
const ShardLabel = "sharding.fluxcd.io/key"

// Inventory is what was applied for one overlay.
type Inventory struct {
	// Set is the overlay's name; Revision the source revision last applied.
	Set, Revision string
	// Digest is the digest of the rendered output last applied in full (Set.Digest); empty
	// until an apply of the set succeeded, and while one is under way.
	Digest string
	// Targets maps "<namespace>/<name>" of the canary targets the set applied to the revision
	// of their pod template as that apply left it (Options.TargetRevision).
	Targets map[string]string
	// Objects are the applied objects.
	Objects []ObjectRef
}

// inventoryID returns the short id of a set, used in the inventory label and ConfigMap name.
func inventoryID(set string) string {
	sum := sha256.Sum256([]byte(set))
	return hex.EncodeToString(sum[:6])
}

// inventoryStore keeps inventories as ConfigMaps in one namespace; with a shard, those of that
// shard only.
type inventoryStore struct {
	kube      kubernetes.Interface
	namespace string
	shard     string
}

func (s *inventoryStore) name(set string) string { return "gitcanary-inventory-" + inventoryID(set) }

// load returns the inventory of a set, and whether it was found; an empty one when none was
// saved yet.
func (s *inventoryStore) load(ctx context.Context, set string) (*Inventory, bool, error) {
	cm, err := s.kube.CoreV1().ConfigMaps(s.namespace).Get(ctx, s.name(set), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &Inventory{Set: set}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read inventory %s/%s of %s: %w", s.namespace, s.name(set), set, err)
	}
	inv, err := decodeInventory(cm)
	if err != nil {
		return nil, false, fmt.Errorf("decode inventory %s/%s of %s: %w", s.namespace, s.name(set), set, err)
	}
	inv.Set = set
	return inv, true, nil
}

// decodeInventory reads an inventory ConfigMap's data.
func decodeInventory(cm *corev1.ConfigMap) (*Inventory, error) {
	inv := &Inventory{Set: cm.Data["set"], Revision: cm.Data["revision"], Digest: cm.Data["digest"]}
	if err := json.Unmarshal([]byte(cm.Data["objects"]), &inv.Objects); err != nil {
		return nil, err
	}
	if t := cm.Data["targets"]; t != "" {
		if err := json.Unmarshal([]byte(t), &inv.Targets); err != nil {
			return nil, fmt.Errorf("targets: %w", err)
		}
	}
	return inv, nil
}

// encodeInventory is the ConfigMap data of an inventory.
func encodeInventory(inv *Inventory) (map[string]string, error) {
	objects, err := json.Marshal(inv.Objects)
	if err != nil {
		return nil, err
	}
	data := map[string]string{"set": inv.Set, "revision": inv.Revision, "objects": string(objects)}
	if inv.Digest != "" {
		data["digest"] = inv.Digest
	}
	if len(inv.Targets) > 0 {
		targets, err := json.Marshal(inv.Targets)
		if err != nil {
			return nil, err
		}
		data["targets"] = string(targets)
	}
	return data, nil
}

// list returns every inventory of the namespace and the store's shard (without a shard, those
// of no shard), sorted by set.
func (s *inventoryStore) list(ctx context.Context) ([]Inventory, error) {
	selector := managedByLabel + "=gitcanary," + InventoryLabel + ",!" + ShardLabel
	if s.shard != "" {
		selector = managedByLabel + "=gitcanary," + InventoryLabel + "," + ShardLabel + "=" + s.shard
	}
	cms, err := s.kube.CoreV1().ConfigMaps(s.namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list inventories in %s: %w", s.namespace, err)
	}
	out := make([]Inventory, 0, len(cms.Items))
	for i := range cms.Items {
		inv, err := decodeInventory(&cms.Items[i])
		if err != nil {
			return nil, fmt.Errorf("decode inventory %s/%s of %s: %w", s.namespace, cms.Items[i].Name, cms.Items[i].Data["set"], err)
		}
		out = append(out, *inv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Set < out[j].Set })
	return out, nil
}

// union returns an inventory of next's set and revision holding the objects of next and then
// those of prev that next does not hold. It has no digest: the set is being applied.
func union(prev, next *Inventory) *Inventory {
	u := &Inventory{Set: next.Set, Revision: next.Revision, Targets: prev.Targets, Objects: append([]ObjectRef(nil), next.Objects...)}
	have := map[string]bool{}
	for _, r := range next.Objects {
		have[r.key()] = true
	}
	for _, r := range prev.Objects {
		if !have[r.key()] {
			u.Objects = append(u.Objects, r)
		}
	}
	return u
}

// save writes the inventory of a set, creating its ConfigMap when needed.
func (s *inventoryStore) save(ctx context.Context, inv *Inventory) error {
	data, err := encodeInventory(inv)
	if err != nil {
		return fmt.Errorf("encode inventory of %s: %w", inv.Set, err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:      s.name(inv.Set),
			Namespace: s.namespace,
			Labels:    map[string]string{managedByLabel: "gitcanary", InventoryLabel: inventoryID(inv.Set)},
		},
		Data: data,
	}
	if s.shard != "" {
		cm.Labels[ShardLabel] = s.shard
	}
	cms := s.kube.CoreV1().ConfigMaps(s.namespace)
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("save inventory %s/%s of %s: %w", s.namespace, cm.Name, inv.Set, err)
	}
	return nil
}

// sameInventory reports whether saving b over a would change nothing.
func sameInventory(a, b *Inventory) bool {
	if a.Set != b.Set || a.Revision != b.Revision || a.Digest != b.Digest || len(a.Objects) != len(b.Objects) || len(a.Targets) != len(b.Targets) {
		return false
	}
	for i := range a.Objects {
		if a.Objects[i] != b.Objects[i] {
			return false
		}
	}
	for k, v := range a.Targets {
		if b.Targets[k] != v {
			return false
		}
	}
	return true
}
