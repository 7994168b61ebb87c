package apply

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prune deletes the objects of prev that are not in next and still carry the set's inventory
// label. Objects that fail to be pruned stay in next, so that a later apply retries them.
func (a *Applier) prune(ctx context.Context, set string, prev, next *Inventory, res *Result) []error {
	keep := map[string]bool{}
	for _, r := range next.Objects {
		keep[r.key()] = true
	}
	var errs []error
	for i := len(prev.Objects) - 1; i >= 0; i-- {
		r := prev.Objects[i]
		if keep[r.key()] || r.Kind == "CustomResourceDefinition" {
			continue
		}
		outcome, err := a.pruneOne(ctx, set, r)
		switch {
		case err != nil:
			errs = append(errs, &ObjectError{Object: r, Op: "prune", Err: err})
			next.Objects = append(next.Objects, r)
		case outcome == pruned:
			res.Pruned = append(res.Pruned, r)
			a.opts.Logger.Info("pruned", "object", r.String())
		case outcome == keptByAnnotation:
			res.Kept = append(res.Kept, r)
			a.opts.Logger.Info("left Git but kept: pruning it is disabled", "object", r.String(), "annotation", FluxPruneAnnotation+": disabled")
		case outcome == keptNamespace:
			res.Kept = append(res.Kept, r)
			a.opts.Logger.Info("left Git but kept: a Namespace is pruned only when it opts in", "object", r.String(),
				"annotation", NamespacePruneAnnotation+": "+NamespacePruneEnabled)
		}
	}
	return errs
}

// pruneOutcome is what pruneOne did with an object.
type pruneOutcome int

const (
	notOurs pruneOutcome = iota // gone already, or not the applier's any more
	pruned
	keptByAnnotation
	keptNamespace
)

// pruneOne deletes one object when it still carries the set's label and its annotations allow
// it: never with Flux's prune: disabled, and a Namespace only with the opt-in annotation.
func (a *Applier) pruneOne(ctx context.Context, set string, r ObjectRef) (pruneOutcome, error) {
	m, err := a.mapper.RESTMapping(r.GroupVersionKind().GroupKind(), r.Version)
	if meta.IsNoMatchError(err) {
		return notOurs, nil // the kind is gone, and with it the object
	}
	if err != nil {
		return notOurs, err
	}
	ri := a.dyn.Resource(m.Resource).Namespace(r.Namespace)
	live, err := ri.Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return notOurs, nil
	}
	if err != nil {
		return notOurs, err
	}
	if live.GetLabels()[InventoryLabel] != inventoryID(set) || ownedByEngine(live) {
		return notOurs, nil // not ours any more: never delete what the applier did not create
	}
	switch {
	case live.GetAnnotations()[FluxPruneAnnotation] == "disabled":
		return keptByAnnotation, nil
	case r.Group == "" && r.Kind == "Namespace" && live.GetAnnotations()[NamespacePruneAnnotation] != NamespacePruneEnabled:
		return keptNamespace, nil
	}
	policy := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, r.Name, metav1.DeleteOptions{PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: ptrUID(live.GetUID())}})
	if apierrors.IsNotFound(err) {
		return notOurs, nil
	}
	if err != nil {
		return notOurs, err
	}
	return pruned, nil
}
