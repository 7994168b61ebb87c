package v1beta1

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateMetricTemplate returns nil, or a *ValidationError listing every problem of the
// MetricTemplate. gitcanary queries Prometheus only: the other provider types of Flagger's schema
// are rejected here rather than failing at analysis time.
func ValidateMetricTemplate(t *MetricTemplate) error {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if t.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	p := t.Spec.Provider
	switch {
	case p.Type == "":
		errs = append(errs, field.Required(spec.Child("provider", "type"), "e.g. prometheus"))
	case p.Type == PrometheusProvider:
		if p.Address == "" {
			errs = append(errs, field.Required(spec.Child("provider", "address"), "the Prometheus URL, e.g. http://prometheus:9090"))
		} else {
			errs = append(errs, validateURL(p.Address, spec.Child("provider", "address"))...)
		}
	default:
		errs = append(errs, field.NotSupported(spec.Child("provider", "type"), string(p.Type), []string{string(PrometheusProvider)}))
	}
	if p.SecretRef != nil && p.SecretRef.Name == "" {
		errs = append(errs, field.Required(spec.Child("provider", "secretRef", "name"), ""))
	}
	if t.Spec.Query == "" {
		errs = append(errs, field.Required(spec.Child("query"), ""))
	} else {
		errs = append(errs, validateQueryTemplate(t.Spec.Query, spec.Child("query"))...)
	}
	return newValidationError(MetricTemplateKind, t.Namespace, t.Name, errs)
}

// ValidateAlertProvider returns nil, or a *ValidationError listing every problem of the
// AlertProvider.
func ValidateAlertProvider(a *AlertProvider) error {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if a.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	switch a.Spec.Type {
	case SlackProvider, MSTeamsProvider, DiscordProvider, RocketProvider, GChatProvider:
	case "":
		errs = append(errs, field.Required(spec.Child("type"), "one of slack, msteams, discord, rocket, gchat"))
	default:
		errs = append(errs, field.NotSupported(spec.Child("type"), string(a.Spec.Type), []string{"slack", "msteams", "discord", "rocket", "gchat"}))
	}
	switch {
	case a.Spec.SecretRef != nil:
		if a.Spec.SecretRef.Name == "" {
			errs = append(errs, field.Required(spec.Child("secretRef", "name"), ""))
		}
	case a.Spec.Address == "":
		errs = append(errs, field.Required(spec.Child("address"), "set address or secretRef"))
	}
	if a.Spec.Address != "" {
		errs = append(errs, validateURL(a.Spec.Address, spec.Child("address"))...)
	}
	if a.Spec.Proxy != "" {
		errs = append(errs, validateURL(a.Spec.Proxy, spec.Child("proxy"))...)
	}
	return newValidationError(AlertProviderKind, a.Namespace, a.Name, errs)
}
