package workload

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// EnsurePrimary creates what is missing of the primary: the -primary configs and Deployment
// (together, when the Deployment is missing) and the primary autoscaler. It never updates a
// primary Deployment or autoscaler that exists.
func (d *Deployments) EnsurePrimary(ctx context.Context, c *v1beta1.Canary) error {
	if err := check(c); err != nil {
		return err
	}
	if err := d.ensurePrimaryDeployment(ctx, c); err != nil {
		return err
	}
	if c.Spec.AutoscalerRef != nil {
		return d.reconcilePrimaryHPA(ctx, c, false)
	}
	return nil
}

// ensurePrimaryDeployment creates the primary Deployment and its configs when the primary is
// missing. A create that finds the primary there (the cache was behind) is done.
func (d *Deployments) ensurePrimaryDeployment(ctx context.Context, c *v1beta1.Canary) error {
	name := c.PrimaryName()
	_, err := d.cache.deployments.Get(c.Namespace, name)
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("deployment %s.%s get query error: %w", name, c.Namespace, err)
	}
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
	if err := d.writePrimaryConfigs(ctx, c, cs); err != nil {
		return err
	}
	primary := d.newPrimary(c, target, label, value, cs)
	created, err := d.kube.AppsV1().Deployments(c.Namespace).Create(ctx, primary, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating deployment %s.%s failed: %w", name, c.Namespace, err)
	}
	d.cache.deployments.Wrote("", created)
	d.logFor(c).Info(fmt.Sprintf("Deployment %s.%s created", name, c.Namespace))
	return nil
}

// newPrimary builds the primary Deployment of reference §4.1: the selector rewritten to
// <value>-primary, the fields Flagger copies, and the pod template of primaryTemplate. target
// is the informer's: it is only read.
func (d *Deployments) newPrimary(c *v1beta1.Canary, target *appsv1.Deployment, label, value string, cs configs) *appsv1.Deployment {
	primaryValue := value + v1beta1.PrimarySuffix
	replicas := int32(1)
	if r := target.Spec.Replicas; r != nil && *r > 0 {
		replicas = *r
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name:            c.PrimaryName(),
			Namespace:       c.Namespace,
			Labels:          primaryLabels(includeByPrefix(target.Labels, d.prefix), label, primaryValue),
			Annotations:     withoutToolkit(target.Annotations),
			OwnerReferences: []metav1.OwnerReference{controllerRef(c)},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas:                ptr.To(replicas),
			Selector:                &metav1.LabelSelector{MatchLabels: map[string]string{label: primaryValue}},
			Template:                d.primaryTemplate(target, label, primaryValue, cs),
			Strategy:                *target.Spec.Strategy.DeepCopy(),
			MinReadySeconds:         target.Spec.MinReadySeconds,
			RevisionHistoryLimit:    clonePtr(target.Spec.RevisionHistoryLimit),
			ProgressDeadlineSeconds: clonePtr(target.Spec.ProgressDeadlineSeconds),
		},
	}
}

// primaryTemplate is the target's pod template for the primary: labels with the selector
// label rewritten, annotations with a fresh flagger-id, no Flux ownership keys, -primary
// config references and rewritten anti-affinity and topology spread selectors.
func (d *Deployments) primaryTemplate(target *appsv1.Deployment, label, primaryValue string, cs configs) corev1.PodTemplateSpec {
	spec := target.Spec.Template.Spec.DeepCopy()
	usePrimaryConfigs(spec, cs)
	d.rewriteSelectors(spec, target.Name)
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      primaryLabels(target.Spec.Template.Labels, label, primaryValue),
			Annotations: podAnnotations(target.Spec.Template.Annotations, d.newID()),
		},
		Spec: *spec,
	}
}

// rewriteSelectors appends -primary to the values of selector labels that name the target
// Deployment in the pod anti-affinity terms and topology spread constraints, so the primary
// spreads against its own pods.
func (d *Deployments) rewriteSelectors(spec *corev1.PodSpec, targetName string) {
	for i := range spec.TopologySpreadConstraints {
		d.rewriteSelector(spec.TopologySpreadConstraints[i].LabelSelector, targetName)
	}
	if spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil {
		return
	}
	anti := spec.Affinity.PodAntiAffinity
	for i := range anti.PreferredDuringSchedulingIgnoredDuringExecution {
		d.rewriteSelector(anti.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm.LabelSelector, targetName)
	}
	for i := range anti.RequiredDuringSchedulingIgnoredDuringExecution {
		d.rewriteSelector(anti.RequiredDuringSchedulingIgnoredDuringExecution[i].LabelSelector, targetName)
	}
}

func (d *Deployments) rewriteSelector(s *metav1.LabelSelector, targetName string) {
	if s == nil {
		return
	}
	for i := range s.MatchExpressions {
		e := &s.MatchExpressions[i]
		if !slices.Contains(d.labels, e.Key) {
			continue
		}
		if j := slices.Index(e.Values, targetName); j >= 0 {
			e.Values[j] += v1beta1.PrimarySuffix
		}
	}
	for k, v := range s.MatchLabels {
		if slices.Contains(d.labels, k) && v == targetName {
			s.MatchLabels[k] = v + v1beta1.PrimarySuffix
		}
	}
}
