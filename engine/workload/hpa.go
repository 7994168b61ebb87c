package workload

import (
	"context"
	"fmt"
	"maps"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// SyncPrimaryAutoscaler copies the target autoscaler's settings to the primary autoscaler
// (reference §4.5): min and max replicas (overridden by primaryScalerReplicas), metrics and
// behavior, its labels without the Flux keys, and its prefix-filtered annotations. It writes
// only when they differ and creates the primary autoscaler when it is missing. Without an
// autoscalerRef it does nothing.
//
// The labels are those the primary autoscaler was created with, where Flagger writes the
// prefix-filtered ones at an update: with the default prefixes (none) every promotion of a
// target autoscaler with labels would otherwise rewrite them, a write that changes nothing the
// autoscaler does.
func (d *Deployments) SyncPrimaryAutoscaler(ctx context.Context, c *v1beta1.Canary) error {
	if err := check(c); err != nil {
		return err
	}
	if c.Spec.AutoscalerRef == nil {
		return nil
	}
	return d.reconcilePrimaryHPA(ctx, c, true)
}

// reconcilePrimaryHPA creates the <hpa>-primary HorizontalPodAutoscaler when it is missing and,
// when update is set, brings an existing one in line with the target's. It writes nothing when
// the primary autoscaler is as wanted.
func (d *Deployments) reconcilePrimaryHPA(ctx context.Context, c *v1beta1.Canary, update bool) error {
	ref := c.Spec.AutoscalerRef
	target, err := d.cache.hpas.Get(c.Namespace, ref.Name)
	if err != nil {
		return fmt.Errorf("HorizontalPodAutoscaler %s.%s get query error: %w", ref.Name, c.Namespace, err)
	}
	api := d.kube.AutoscalingV2().HorizontalPodAutoscalers(c.Namespace)
	name := ref.Name + v1beta1.PrimarySuffix
	spec := primaryHPASpec(c, target)
	labels := withoutToolkit(target.Labels)
	annotations := includeByPrefix(target.Annotations, d.prefix)
	w := client.Write[*autoscalingv2.HorizontalPodAutoscaler]{
		Create: func(ctx context.Context) (*autoscalingv2.HorizontalPodAutoscaler, error) {
			hpa := &autoscalingv2.HorizontalPodAutoscaler{
				ObjectMeta: metav1.ObjectMeta{
					Name:            name,
					Namespace:       c.Namespace,
					Labels:          labels,
					Annotations:     annotations,
					OwnerReferences: []metav1.OwnerReference{controllerRef(c)},
				},
				Spec: spec,
			}
			created, err := api.Create(ctx, hpa, metav1.CreateOptions{})
			if err != nil {
				return nil, fmt.Errorf("creating HorizontalPodAutoscaler %s.%s failed: %w", name, c.Namespace, err)
			}
			d.logFor(c).Info(fmt.Sprintf("HorizontalPodAutoscaler %s.%s created", name, c.Namespace))
			return created, nil
		},
	}
	if update {
		w.Change = func(live *autoscalingv2.HorizontalPodAutoscaler) (*autoscalingv2.HorizontalPodAutoscaler, bool) {
			if !hpaDiffers(live, spec, labels, annotations) {
				return nil, false
			}
			hpa := live.DeepCopy()
			hpa.Spec.ScaleTargetRef = spec.ScaleTargetRef
			hpa.Spec.MinReplicas = spec.MinReplicas
			hpa.Spec.MaxReplicas = spec.MaxReplicas
			hpa.Spec.Metrics = spec.Metrics
			hpa.Spec.Behavior = spec.Behavior
			hpa.Labels = labels
			hpa.Annotations = annotations
			return hpa, true
		}
		w.Update = func(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler) (*autoscalingv2.HorizontalPodAutoscaler, error) {
			updated, err := api.Update(ctx, hpa, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("updating HorizontalPodAutoscaler %s.%s failed: %w", name, c.Namespace, err)
			}
			d.logFor(c).Info(fmt.Sprintf("HorizontalPodAutoscaler %s.%s updated", name, c.Namespace))
			return updated, nil
		}
	}
	_, err = d.cache.hpas.Write(ctx, c.Namespace, name, w)
	return err
}

// primaryHPASpec is the target autoscaler's spec pointed at the primary Deployment, with the
// primaryScalerReplicas overrides.
func primaryHPASpec(c *v1beta1.Canary, target *autoscalingv2.HorizontalPodAutoscaler) autoscalingv2.HorizontalPodAutoscalerSpec {
	src := target.Spec.DeepCopy()
	spec := autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
			Kind:       src.ScaleTargetRef.Kind,
			Name:       c.PrimaryName(),
			APIVersion: src.ScaleTargetRef.APIVersion,
		},
		MinReplicas: src.MinReplicas,
		MaxReplicas: src.MaxReplicas,
		Metrics:     src.Metrics,
		Behavior:    src.Behavior,
	}
	if o := c.Spec.AutoscalerRef.PrimaryScalerReplicas; o != nil {
		if o.MinReplicas != nil {
			spec.MinReplicas = ptr.To(*o.MinReplicas)
		}
		if o.MaxReplicas != nil {
			spec.MaxReplicas = *o.MaxReplicas
		}
	}
	return spec
}

// hpaDiffers reports whether the live primary autoscaler differs from the wanted one.
func hpaDiffers(live *autoscalingv2.HorizontalPodAutoscaler, spec autoscalingv2.HorizontalPodAutoscalerSpec, labels, annotations map[string]string) bool {
	return live.Spec.ScaleTargetRef != spec.ScaleTargetRef ||
		ptr.Deref(live.Spec.MinReplicas, 1) != ptr.Deref(spec.MinReplicas, 1) ||
		live.Spec.MaxReplicas != spec.MaxReplicas ||
		!equality.Semantic.DeepEqual(live.Spec.Metrics, spec.Metrics) ||
		!equality.Semantic.DeepEqual(live.Spec.Behavior, spec.Behavior) ||
		!maps.Equal(live.Labels, labels) ||
		!maps.Equal(live.Annotations, annotations)
}
