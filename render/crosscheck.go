package render

import (
	"fmt"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// crossCheck checks the references between the bundle's objects. A reference the bundle does
// not satisfy is a warning (the object may exist in the cluster); two Canaries that target the
// same Deployment are an error (Flagger only logs "Bad things will happen!").
func (b *Bundle) crossCheck() {
	has := map[string]bool{}
	for _, o := range b.Objects {
		has[fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())] = true
	}
	targets := map[string]string{}
	for _, c := range b.Canaries {
		spec := field.NewPath("spec")
		if ref := c.Spec.TargetRef; ref.Name != "" {
			key := fmt.Sprintf("%s %s/%s", ref.Kind, c.Namespace, ref.Name)
			if other, dup := targets[key]; dup {
				b.problems = append(b.problems, &v1beta1.ValidationError{Kind: v1beta1.CanaryKind, Namespace: c.Namespace, Name: c.Name,
					Errs: field.ErrorList{field.Duplicate(spec.Child("targetRef", "name"), fmt.Sprintf("%s is already the target of %s", key, other))}})
			}
			targets[key] = c.String()
			b.warnUnless(has[key], c, spec.Child("targetRef"), key)
		}
		if ref := c.Spec.AutoscalerRef; ref != nil && ref.Name != "" {
			key := fmt.Sprintf("HorizontalPodAutoscaler %s/%s", c.Namespace, ref.Name)
			b.warnUnless(has[key], c, spec.Child("autoscalerRef"), key)
		}
		if c.Spec.Analysis == nil {
			continue
		}
		for i, m := range c.Spec.Analysis.Metrics {
			if m.TemplateRef == nil || m.TemplateRef.Name == "" {
				continue
			}
			key := fmt.Sprintf("%s %s/%s", v1beta1.MetricTemplateKind, c.TemplateNamespace(m.TemplateRef), m.TemplateRef.Name)
			b.warnUnless(has[key], c, spec.Child("analysis", "metrics").Index(i).Child("templateRef"), key)
		}
		for i, a := range c.Spec.Analysis.Alerts {
			if a.ProviderRef.Name == "" {
				continue
			}
			key := fmt.Sprintf("%s %s/%s", v1beta1.AlertProviderKind, c.TemplateNamespace(&a.ProviderRef), a.ProviderRef.Name)
			b.warnUnless(has[key], c, spec.Child("analysis", "alerts").Index(i).Child("providerRef"), key)
		}
	}
}

func (b *Bundle) warnUnless(found bool, c *v1beta1.Canary, path *field.Path, key string) {
	if !found {
		b.Warnings = append(b.Warnings, fmt.Sprintf("%s: %s: %s is not in this overlay; it must exist in the cluster", c, path, key))
	}
}
