package apply

import "errors"

// Sentinel errors of Apply.
var (
	// ErrEmptySet: a set without objects for an overlay that applied objects before, not marked
	// intentionally empty (Set.AllowEmpty). Applying it would prune all of them.
	ErrEmptySet = errors.New("renders no objects")
	// ErrInventoryMissing: the overlay's inventory ConfigMap is gone although objects in the
	// cluster carry the overlay's inventory label. Prune is skipped for that apply.
	ErrInventoryMissing = errors.New("inventory missing")
)

// Annotations that decide what prune may delete, on the live object.
const (
	// FluxPruneAnnotation set to "disabled" keeps any object that leaves Git (Flux's spelling,
	// so manifests written for Flux keep their meaning).
	FluxPruneAnnotation = "kustomize.toolkit.fluxcd.io/prune"
	// NamespacePruneAnnotation set to NamespacePruneEnabled lets prune delete a Namespace that
	// left Git. Without it a Namespace is never pruned: deleting one deletes everything in it,
	// also what gitcanary did not apply.
	NamespacePruneAnnotation = "gitcanary.io/prune"
	// NamespacePruneEnabled is the value of NamespacePruneAnnotation that opts in.
	NamespacePruneEnabled = "enabled"
)
