package workload

import (
	"context"
	"fmt"
	"maps"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// SyncPrimaryAutoscaler copies the target autoscaler's settings to the primary autoscaler
// (reference §4.5): min and max replicas (overridden by primaryScalerReplicas), metrics and
// behavior, and the prefix-filtered labels and annotations. It writes only when they differ and
// creates the primary autoscaler when it is missing. Without an autoscalerRef it does nothing.
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
// when update is set, brings an existing one in line with the target's.
func (d *Deployments) reconcilePrimaryHPA(ctx context.Context, c *v1beta1.Canary, update bool) error {
	ref := c.Spec.AutoscalerRef
	api := d.kube.AutoscalingV2().HorizontalPodAutoscalers(c.Namespace)
	target, err := api.Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("HorizontalPodAutoscaler %s.%s get query error: %w", ref.Name, c.Namespace, err)
	}
	name := ref.Name + v1beta1.PrimarySuffix
	spec := primaryHPASpec(c, target)
	live, err := api.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		hpa := &autoscalingv2.HorizontalPodAutoscaler{
			ObjectMeta: metav1.ObjectMeta{
				Name:            name,
				Namespace:       c.Namespace,
				Labels:          withoutToolkit(target.Labels),
				OwnerReferences: []metav1.OwnerReference{controllerRef(c)},
			},
			Spec: spec,
		}
		if _, err := api.Create(ctx, hpa, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating HorizontalPodAutoscaler %s.%s failed: %w", name, c.Namespace, err)
		}
		d.logFor(c).Info(fmt.Sprintf("HorizontalPodAutoscaler %s.%s created", name, c.Namespace))
		return nil
	case err != nil:
		return fmt.Errorf("HorizontalPodAutoscaler %s.%s get query failed: %w", name, c.Namespace, err)
	}
	labels := includeByPrefix(target.Labels, d.prefix)
	annotations := includeByPrefix(target.Annotations, d.prefix)
	if !update || !hpaDiffers(live, spec, labels, annotations) {
		return nil
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := api.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		hpa := live.DeepCopy()
		hpa.Spec.ScaleTargetRef = spec.ScaleTargetRef
		hpa.Spec.MinReplicas = spec.MinReplicas
		hpa.Spec.MaxReplicas = spec.MaxReplicas
		hpa.Spec.Metrics = spec.Metrics
		hpa.Spec.Behavior = spec.Behavior
		hpa.Labels = labels
		hpa.Annotations = annotations
		_, err = api.Update(ctx, hpa, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("updating HorizontalPodAutoscaler %s.%s failed: %w", name, c.Namespace, err)
	}
	d.logFor(c).Info(fmt.Sprintf("HorizontalPodAutoscaler %s.%s updated", name, c.Namespace))
	return nil
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
