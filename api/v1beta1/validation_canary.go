package v1beta1

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// supportedTargetKinds are the targetRef kinds gitcanary can run an analysis for.
var supportedTargetKinds = []string{"Deployment"}

// webhookTypes are the valid webhook types ("" means rollout).
var webhookTypes = []string{"", string(ConfirmRolloutHook), string(PreRolloutHook), string(RolloutHook),
	string(ConfirmPromotionHook), string(PostRolloutHook), string(EventHook), string(RollbackHook),
	string(ConfirmTrafficIncreaseHook)}

// ValidateCanary returns nil, or a *ValidationError listing every problem of the Canary: what
// Flagger's CRD and controller reject, plus what gitcanary rejects on purpose (DESIGN §1): an
// unknown provider, and the routing settings its provider cannot honour (validateRouting).
// A Canary without spec.provider is checked as DefaultProvider's; callers that know the
// controller's -mesh-provider fill spec.provider first.
func ValidateCanary(c *Canary) error {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	if p, err := c.EffectiveProvider(); err != nil {
		errs = append(errs, field.Invalid(spec.Child("provider"), c.Spec.Provider, "unsupported provider: "+supportedProviders))
	} else {
		errs = append(errs, validateRouting(c, p, spec)...)
	}
	if c.Spec.MetricsServer != "" {
		errs = append(errs, validateURL(c.Spec.MetricsServer, spec.Child("metricsServer"))...)
	}
	errs = append(errs, validateTargetRef(c.Spec.TargetRef, spec.Child("targetRef"))...)
	if r := c.Spec.AutoscalerRef; r != nil {
		errs = append(errs, validateAutoscalerRef(r, spec.Child("autoscalerRef"))...)
	}
	errs = append(errs, validateService(&c.Spec.Service, spec.Child("service"))...)
	if d := c.Spec.ProgressDeadlineSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(spec.Child("progressDeadlineSeconds"), *d, "must be greater than zero"))
	}
	if a := c.Spec.Analysis; a != nil {
		errs = append(errs, validateAnalysis(a, c.Spec.SkipAnalysis, spec.Child("analysis"))...)
	}
	return newValidationError(CanaryKind, c.Namespace, c.Name, errs)
}

func validateTargetRef(r LocalObjectReference, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), "the target Deployment's name"))
	}
	if r.APIVersion == "" {
		errs = append(errs, field.Required(path.Child("apiVersion"), "e.g. apps/v1"))
	} else if r.APIVersion != "apps/v1" {
		errs = append(errs, field.NotSupported(path.Child("apiVersion"), r.APIVersion, []string{"apps/v1"}))
	}
	switch r.Kind {
	case "":
		errs = append(errs, field.Required(path.Child("kind"), "e.g. Deployment"))
	case "Deployment":
	default:
		errs = append(errs, field.NotSupported(path.Child("kind"), r.Kind, supportedTargetKinds))
	}
	return errs
}

func validateAutoscalerRef(r *AutoscalerReference, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	}
	if r.Kind != "HorizontalPodAutoscaler" {
		errs = append(errs, field.NotSupported(path.Child("kind"), r.Kind, []string{"HorizontalPodAutoscaler"}))
	}
	if r.HPAAPIVersion() != AutoscalingV2 {
		errs = append(errs, field.NotSupported(path.Child("apiVersion"), r.APIVersion,
			[]string{AutoscalingV2, "autoscaling/v2beta2", "autoscaling/v2beta1"}))
	}
	if s := r.PrimaryScalerReplicas; s != nil && s.MinReplicas != nil && s.MaxReplicas != nil && *s.MinReplicas > *s.MaxReplicas {
		errs = append(errs, field.Invalid(path.Child("primaryScalerReplicas", "minReplicas"), *s.MinReplicas,
			fmt.Sprintf("must not be greater than maxReplicas (%d)", *s.MaxReplicas)))
	}
	return errs
}

func validateService(s *CanaryService, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Port == 0 {
		errs = append(errs, field.Required(path.Child("port"), "the port of the generated Services"))
	} else if s.Port < 0 || s.Port > 65535 {
		errs = append(errs, field.Invalid(path.Child("port"), s.Port, "must be between 1 and 65535"))
	}
	return errs
}

func validateAnalysis(a *CanaryAnalysis, skip bool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if a.Interval == "" {
		errs = append(errs, field.Required(path.Child("interval"), "e.g. 1m"))
	}
	errs = append(errs, validateDuration(a.Interval, path.Child("interval"))...)
	if a.Threshold < 0 {
		errs = append(errs, field.Invalid(path.Child("threshold"), a.Threshold, "must not be negative"))
	}
	errs = append(errs, validateStrategy(a, skip, path)...)
	errs = append(errs, validatePercent(a.MaxWeight, path.Child("maxWeight"))...)
	errs = append(errs, validatePercent(a.StepWeightPromotion, path.Child("stepWeightPromotion"))...)
	if a.PrimaryReadyThreshold != nil {
		errs = append(errs, validatePercent(*a.PrimaryReadyThreshold, path.Child("primaryReadyThreshold"))...)
	}
	if a.CanaryReadyThreshold != nil {
		errs = append(errs, validatePercent(*a.CanaryReadyThreshold, path.Child("canaryReadyThreshold"))...)
	}
	for i := range a.Metrics {
		errs = append(errs, validateMetric(&a.Metrics[i], path.Child("metrics").Index(i))...)
	}
	for i := range a.Webhooks {
		errs = append(errs, validateWebhook(&a.Webhooks[i], path.Child("webhooks").Index(i))...)
	}
	for i := range a.Alerts {
		errs = append(errs, validateAlert(&a.Alerts[i], path.Child("alerts").Index(i))...)
	}
	errs = append(errs, validateQueryErrors(a.QueryErrors, path.Child("queryErrors"))...)
	return errs
}

// validateStrategy checks that exactly one of iterations, stepWeight and stepWeights is set, as
// Flagger's CRD oneOf does, and that the weights make sense.
func validateStrategy(a *CanaryAnalysis, skip bool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	var set []string
	if a.Iterations != 0 {
		set = append(set, "iterations")
	}
	if a.StepWeight != 0 {
		set = append(set, "stepWeight")
	}
	if len(a.StepWeights) > 0 {
		set = append(set, "stepWeights")
	}
	switch {
	case len(set) > 1:
		errs = append(errs, field.Invalid(path.Child(set[1]), "set",
			fmt.Sprintf("only one of iterations, stepWeight and stepWeights may be set, found %v", set)))
	case len(set) == 0 && !skip:
		errs = append(errs, field.Required(path.Child("stepWeight"), "one of iterations, stepWeight or stepWeights is required"))
	}
	if a.Iterations < 0 {
		errs = append(errs, field.Invalid(path.Child("iterations"), a.Iterations, "must not be negative"))
	}
	errs = append(errs, validatePercent(a.StepWeight, path.Child("stepWeight"))...)
	prev := 0
	for i, w := range a.StepWeights {
		p := path.Child("stepWeights").Index(i)
		switch {
		case w <= 0 || w > TotalWeight:
			errs = append(errs, field.Invalid(p, w, "must be between 1 and 100"))
		case w <= prev:
			errs = append(errs, field.Invalid(p, w, fmt.Sprintf("must be greater than the previous step (%d)", prev)))
		}
		prev = max(prev, w)
	}
	return errs
}

func validateMetric(m *CanaryMetric, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	}
	errs = append(errs, validateDuration(m.Interval, path.Child("interval"))...)
	if r := m.ThresholdRange; r != nil && r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		errs = append(errs, field.Invalid(path.Child("thresholdRange", "min"), *r.Min,
			fmt.Sprintf("must not be greater than thresholdRange.max (%v)", *r.Max)))
	}
	switch {
	case m.TemplateRef != nil:
		if m.TemplateRef.Name == "" {
			errs = append(errs, field.Required(path.Child("templateRef", "name"), "the MetricTemplate's name"))
		}
	case m.Query != "":
		errs = append(errs, validateQueryTemplate(m.Query, path.Child("query"))...)
	case m.Name != BuiltinRequestSuccessRate && m.Name != BuiltinRequestDuration:
		errs = append(errs, field.Required(path.Child("templateRef"),
			fmt.Sprintf("metric %q is not built in (%s, %s): set templateRef or query", m.Name, BuiltinRequestSuccessRate, BuiltinRequestDuration)))
	}
	errs = append(errs, validateNoData(m, path)...)
	return errs
}

func validateWebhook(h *CanaryWebhook, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if h.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	}
	if !slices.Contains(webhookTypes, string(h.Type)) {
		errs = append(errs, field.NotSupported(path.Child("type"), string(h.Type), webhookTypes[1:]))
	}
	if h.URL == "" {
		errs = append(errs, field.Required(path.Child("url"), ""))
	} else if strings.HasPrefix(h.URL, "git:") {
		errs = append(errs, validateGitGate(h, path)...)
	} else {
		errs = append(errs, validateURL(h.URL, path.Child("url"))...)
	}
	if terrs := validateDuration(h.Timeout, path.Child("timeout")); len(terrs) > 0 {
		errs = append(errs, terrs...)
	} else if h.TimeoutDuration() > MaxWebhookTimeout {
		errs = append(errs, field.Invalid(path.Child("timeout"), h.Timeout, fmt.Sprintf("must be at most %s", MaxWebhookTimeout)))
	}
	switch {
	case h.Retries < 0:
		errs = append(errs, field.Invalid(path.Child("retries"), h.Retries, "must not be negative"))
	case h.Retries > MaxWebhookRetries:
		errs = append(errs, field.Invalid(path.Child("retries"), h.Retries, fmt.Sprintf("must be at most %d", MaxWebhookRetries)))
	}
	return errs
}

// Bounds of a webhook's attempts: one analysis tick waits for them, so they bound how long a
// canary can hold a worker (at most (MaxWebhookRetries+1)·MaxWebhookTimeout plus the backoff).
const (
	MaxWebhookRetries = 10
	MaxWebhookTimeout = 5 * time.Minute
)

func validateAlert(a *CanaryAlert, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if a.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	}
	if a.ProviderRef.Name == "" {
		errs = append(errs, field.Required(path.Child("providerRef", "name"), "the AlertProvider's name"))
	}
	switch a.Severity {
	case "", SeverityInfo, SeverityWarn, SeverityError:
	default:
		errs = append(errs, field.NotSupported(path.Child("severity"), string(a.Severity), []string{"info", "warn", "error"}))
	}
	return errs
}

// validateGitGate checks a webhook answered by a decision committed to the status branch: its
// URL is exactly GitGateURL and its type one of the gates (see CanaryWebhook.IsGitGate).
func validateGitGate(h *CanaryWebhook, path *field.Path) field.ErrorList {
	if h.URL != GitGateURL {
		return field.ErrorList{field.Invalid(path.Child("url"), h.URL, `a Git gate's url must be exactly "git:"`)}
	}
	switch h.EffectiveType() {
	case ConfirmRolloutHook, ConfirmPromotionHook, RollbackHook:
		return nil
	}
	return field.ErrorList{field.Invalid(path.Child("url"), h.URL,
		fmt.Sprintf(`a Git gate (url "git:") must have type confirm-rollout, confirm-promotion or rollback, not %q`, h.EffectiveType()))}
}
