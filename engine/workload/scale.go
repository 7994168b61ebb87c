package workload

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// ScaleToZero sets the target's spec.replicas to 0 with a JSON merge patch.
func (d *Deployments) ScaleToZero(ctx context.Context, c *v1beta1.Canary) error {
	if err := check(c); err != nil {
		return err
	}
	if err := d.patchReplicas(ctx, c, 0); err != nil {
		return fmt.Errorf("deployment %s.%s update query error: %w", c.Spec.TargetRef.Name, c.Namespace, err)
	}
	return nil
}

// ScaleFromZero scales the target up with Flagger's replica rules (reference §4.4): its own
// spec.replicas when above 0; else, without an autoscaler, the primary's replicas when above 0;
// else, with an autoscaler, its minReplicas when above 1; else 1.
func (d *Deployments) ScaleFromZero(ctx context.Context, c *v1beta1.Canary) error {
	if err := check(c); err != nil {
		return err
	}
	target, err := d.getDeployment(c.Namespace, c.Spec.TargetRef.Name)
	if err != nil {
		return err
	}
	var primary *appsv1.Deployment
	if ptr.Deref(target.Spec.Replicas, 0) == 0 && c.Spec.AutoscalerRef == nil {
		if primary, err = d.getDeployment(c.Namespace, c.PrimaryName()); err != nil {
			return err
		}
	}
	return d.scaleUp(ctx, c, d.fromZeroReplicas(c, target, primary))
}

// fromZeroReplicas applies the replica rules of ScaleFromZero; primary may be nil.
func (d *Deployments) fromZeroReplicas(c *v1beta1.Canary, target, primary *appsv1.Deployment) int32 {
	if r := ptr.Deref(target.Spec.Replicas, 0); r > 0 {
		return r
	}
	if c.Spec.AutoscalerRef == nil {
		if primary != nil && ptr.Deref(primary.Spec.Replicas, 0) > 0 {
			return *primary.Spec.Replicas
		}
		return 1
	}
	// As in Flagger, an unreadable autoscaler falls back to one replica.
	hpa, err := d.cache.hpas.Get(c.Namespace, c.Spec.AutoscalerRef.Name)
	if err == nil && ptr.Deref(hpa.Spec.MinReplicas, 0) > 1 {
		return *hpa.Spec.MinReplicas
	}
	return 1
}

func (d *Deployments) scaleUp(ctx context.Context, c *v1beta1.Canary, replicas int32) error {
	if err := d.patchReplicas(ctx, c, replicas); err != nil {
		return fmt.Errorf("scaling up %s.%s to %d failed: %w", c.Spec.TargetRef.Name, c.Namespace, replicas, err)
	}
	return nil
}

// Revert gives the target the primary's replicas again when the canary is deleted with
// revertOnDeletion (reference §2.10 step 3). When the primary is gone it applies the rules of
// ScaleFromZero without the primary (Flagger fails there instead).
func (d *Deployments) Revert(ctx context.Context, c *v1beta1.Canary) error {
	if err := check(c); err != nil {
		return err
	}
	target, err := d.getDeployment(c.Namespace, c.Spec.TargetRef.Name)
	if err != nil {
		return err
	}
	primary, err := d.cache.deployments.Get(c.Namespace, c.PrimaryName())
	if apierrors.IsNotFound(err) {
		return d.scaleUp(ctx, c, d.fromZeroReplicas(c, target, nil))
	}
	if err != nil {
		return fmt.Errorf("deployment %s.%s get query error: %w", c.PrimaryName(), c.Namespace, err)
	}
	replicas := ptr.Deref(primary.Spec.Replicas, 1)
	if ptr.Deref(target.Spec.Replicas, 1) == replicas {
		return nil
	}
	if err := d.patchReplicas(ctx, c, replicas); err != nil {
		return fmt.Errorf("scaling %s.%s to %d failed: %w", c.Spec.TargetRef.Name, c.Namespace, replicas, err)
	}
	return nil
}

// patchReplicas writes the target's spec.replicas, and nothing else, with a JSON merge patch,
// unless the cache shows it at replicas already.
func (d *Deployments) patchReplicas(ctx context.Context, c *v1beta1.Canary, replicas int32) error {
	name := c.Spec.TargetRef.Name
	var base string
	if cur, err := d.cache.deployments.Get(c.Namespace, name); err == nil {
		if cur.Spec.Replicas != nil && *cur.Spec.Replicas == replicas {
			return nil
		}
		base = cur.ResourceVersion
	}
	patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas)
	patched, err := d.kube.AppsV1().Deployments(c.Namespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return err
	}
	d.cache.deployments.Wrote(base, patched)
	return nil
}
