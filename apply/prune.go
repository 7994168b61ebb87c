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
		pruned, err := a.pruneOne(ctx, set, r)
		if err != nil {
			errs = append(errs, &ObjectError{Object: r, Op: "prune", Err: err})
			next.Objects = append(next.Objects, r)
			continue
		}
		if pruned {
			res.Pruned = append(res.Pruned, r)
			a.opts.Logger.Info("pruned", "object", r.String())
		}
	}
	return errs
}

// pruneOne deletes one object when it still carries the set's label. It reports whether it
// deleted anything.
func (a *Applier) pruneOne(ctx context.Context, set string, r ObjectRef) (bool, error) {
	m, err := a.mapper.RESTMapping(r.GroupVersionKind().GroupKind(), r.Version)
	if meta.IsNoMatchError(err) {
		return false, nil // the kind is gone, and with it the object
	}
	if err != nil {
		return false, err
	}
	ri := a.dyn.Resource(m.Resource).Namespace(r.Namespace)
	live, err := ri.Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if live.GetLabels()[InventoryLabel] != inventoryID(set) || ownedByEngine(live) {
		return false, nil // not ours any more: never delete what the applier did not create
	}
	policy := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, r.Name, metav1.DeleteOptions{PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: ptrUID(live.GetUID())}})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
