package workload

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Promote copies the target to the primary (reference §4.2): the tracked configs to their
// -primary copies, then the pod template (with a fresh flagger-id, -primary config references
// and rewritten selectors), progressDeadlineSeconds, minReadySeconds, revisionHistoryLimit,
// strategy, replicas when there is no autoscaler, and the prefix-filtered labels and
// annotations. The primary is updated from the cache; conflicts are retried on fresh reads.
func (d *Deployments) Promote(ctx context.Context, c *v1beta1.Canary) error {
	if err := check(c); err != nil {
		return err
	}
	if err := d.promote(ctx, c); err != nil {
		return fmt.Errorf("updating deployment %s.%s template spec failed: %w", c.PrimaryName(), c.Namespace, err)
	}
	return nil
}

func (d *Deployments) promote(ctx context.Context, c *v1beta1.Canary) error {
	target, err := d.getDeployment(c.Namespace, c.Spec.TargetRef.Name)
	if err != nil {
		return err
	}
	label, value, err := d.selectorLabel(target)
	if err != nil {
		return err
	}
	cs, err := d.trackedConfigs(c, &target.Spec.Template.Spec)
	if err != nil {
		return err
	}
	if _, err := d.getDeployment(c.Namespace, c.PrimaryName()); err != nil {
		return err
	}
	if err := d.writePrimaryConfigs(ctx, c, cs); err != nil {
		return err
	}
	api := d.kube.AppsV1().Deployments(c.Namespace)
	_, err = d.cache.deployments.Write(ctx, c.Namespace, c.PrimaryName(), client.Write[*appsv1.Deployment]{
		Change: func(live *appsv1.Deployment) (*appsv1.Deployment, bool) {
			promoted := live.DeepCopy()
			d.copyToPrimary(c, target, promoted, label, value+v1beta1.PrimarySuffix, cs)
			return promoted, true // a fresh flagger-id: every promotion rolls the primary
		},
		Update: func(ctx context.Context, dep *appsv1.Deployment) (*appsv1.Deployment, error) {
			return api.Update(ctx, dep, metav1.UpdateOptions{})
		},
	})
	return err
}

// copyToPrimary applies the promoted fields of target to primary.
func (d *Deployments) copyToPrimary(c *v1beta1.Canary, target, primary *appsv1.Deployment, label, primaryValue string, cs configs) {
	primary.Spec.ProgressDeadlineSeconds = clonePtr(target.Spec.ProgressDeadlineSeconds)
	primary.Spec.MinReadySeconds = target.Spec.MinReadySeconds
	primary.Spec.RevisionHistoryLimit = clonePtr(target.Spec.RevisionHistoryLimit)
	primary.Spec.Strategy = *target.Spec.Strategy.DeepCopy()
	if c.Spec.AutoscalerRef == nil {
		primary.Spec.Replicas = clonePtr(target.Spec.Replicas)
	}
	primary.Spec.Template = d.primaryTemplate(target, label, primaryValue, cs)
	primary.Annotations = includeByPrefix(target.Annotations, d.prefix)
	primary.Labels = primaryLabels(includeByPrefix(target.Labels, d.prefix), label, primaryValue)
}
