package v1beta1

import (
	"fmt"
	"time"
)

// Flagger's implicit defaults.
const (
	// DefaultProgressDeadlineSeconds is the canary progress deadline when none is set.
	DefaultProgressDeadlineSeconds = 600
	// DefaultAnalysisInterval is the tick period when the interval is empty or unparsable.
	DefaultAnalysisInterval = 60 * time.Second
	// MinAnalysisInterval is the shortest tick period Flagger allows.
	MinAnalysisInterval = 10 * time.Second
	// DefaultMetricInterval is the query window when a metric sets none. Flagger applies it to
	// built-in metrics only; gitcanary applies it to templates too (DESIGN §1, quirk S8).
	DefaultMetricInterval = "1m"
	// DefaultWebhookTimeout is the per-attempt webhook timeout.
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultReadyThreshold is the percentage of replicas that must be available.
	DefaultReadyThreshold = 100
	// TotalWeight is the sum of the primary and canary weights.
	TotalWeight = 100
	// PrimarySuffix is appended to the names of the generated primary objects.
	PrimarySuffix = "-primary"
	// CanarySuffix is appended to the name of the generated canary Service.
	CanarySuffix = "-canary"
)

// Built-in metric names.
const (
	BuiltinRequestSuccessRate = "request-success-rate"
	BuiltinRequestDuration    = "request-duration"
)

// DeploymentStrategy is the kind of analysis a Canary runs.
type DeploymentStrategy string

// Deployment strategies, spelled as Flagger's metrics label deployment_strategy.
const (
	CanaryStrategy    DeploymentStrategy = "canary"
	BlueGreenStrategy DeploymentStrategy = "blue-green"
	ABTestingStrategy DeploymentStrategy = "ab-testing"
)

// EventName returns "<name>.<namespace>", the form Flagger uses in events and alerts. Logs
// and keys use ID.
func (c *Canary) EventName() string {
	return c.Name + "." + c.Namespace
}

// ID returns "<namespace>/<name>".
func (c *Canary) ID() string {
	return c.Namespace + "/" + c.Name
}

// TargetEventName returns "<target>.<namespace>", the form Flagger uses in events.
func (c *Canary) TargetEventName() string {
	return c.Spec.TargetRef.Name + "." + c.Namespace
}

// PrimaryName returns the name of the primary workload, "<target>-primary".
func (c *Canary) PrimaryName() string {
	return c.Spec.TargetRef.Name + PrimarySuffix
}

// ServiceNames returns the apex, primary and canary Service names.
func (c *Canary) ServiceNames() (apex, primary, canary string) {
	apex = c.Spec.TargetRef.Name
	if c.Spec.Service.Name != "" {
		apex = c.Spec.Service.Name
	}
	return apex, apex + PrimarySuffix, apex + CanarySuffix
}

// ProgressDeadline returns the canary's progress deadline (default 600s).
func (c *Canary) ProgressDeadline() time.Duration {
	if c.Spec.ProgressDeadlineSeconds != nil {
		return time.Duration(*c.Spec.ProgressDeadlineSeconds) * time.Second
	}
	return DefaultProgressDeadlineSeconds * time.Second
}

// SkipAnalysis reports whether the canary is promoted without analysis: skipAnalysis is set or
// there is no analysis at all.
func (c *Canary) SkipAnalysis() bool {
	return c.Spec.SkipAnalysis || c.Spec.Analysis == nil
}

// AnalysisInterval returns the tick period with Flagger's rules: empty or unparsable means 60s,
// and anything shorter than 10s is raised to 10s.
func (c *Canary) AnalysisInterval() time.Duration {
	return c.AnalysisIntervalAtLeast(MinAnalysisInterval)
}

// AnalysisIntervalAtLeast is AnalysisInterval with another floor than 10s. Test environments use
// it to run analyses faster than Flagger allows.
func (c *Canary) AnalysisIntervalAtLeast(floor time.Duration) time.Duration {
	a := c.Spec.Analysis
	if a == nil || a.Interval == "" {
		return DefaultAnalysisInterval
	}
	d, err := time.ParseDuration(a.Interval)
	if err != nil {
		return DefaultAnalysisInterval
	}
	return max(d, floor)
}

// AnalysisThreshold returns the failed checks that trigger a rollback (at least 1).
func (c *Canary) AnalysisThreshold() int {
	if a := c.Spec.Analysis; a != nil && a.Threshold > 0 {
		return a.Threshold
	}
	return 1
}

// MaxWeight returns the highest canary weight of the analysis: with stepWeights the last step
// (at most 100), otherwise maxWeight or 100.
func (c *Canary) MaxWeight() int {
	a := c.Spec.Analysis
	if a == nil {
		return TotalWeight
	}
	if n := len(a.StepWeights); n > 0 {
		return min(TotalWeight, a.StepWeights[n-1])
	}
	if a.MaxWeight > 0 {
		return a.MaxWeight
	}
	return TotalWeight
}

// Strategy returns the analysis strategy: iterations with match is A/B testing, iterations
// alone is Blue/Green, anything else is a canary.
func (c *Canary) Strategy() DeploymentStrategy {
	a := c.Spec.Analysis
	switch {
	case a == nil || a.Iterations == 0:
		return CanaryStrategy
	case len(a.Match) > 0:
		return ABTestingStrategy
	default:
		return BlueGreenStrategy
	}
}

// PrimaryReadyThreshold returns the percentage of primary replicas that must be available.
func (c *Canary) PrimaryReadyThreshold() int {
	if a := c.Spec.Analysis; a != nil && a.PrimaryReadyThreshold != nil {
		return *a.PrimaryReadyThreshold
	}
	return DefaultReadyThreshold
}

// CanaryReadyThreshold returns the percentage of canary replicas that must be available.
func (c *Canary) CanaryReadyThreshold() int {
	if a := c.Spec.Analysis; a != nil && a.CanaryReadyThreshold != nil {
		return *a.CanaryReadyThreshold
	}
	return DefaultReadyThreshold
}

// Webhooks returns the analysis webhooks of one type, in list order. An empty type counts as
// rollout.
func (c *Canary) Webhooks(t HookType) []CanaryWebhook {
	if c.Spec.Analysis == nil {
		return nil
	}
	var hooks []CanaryWebhook
	for _, h := range c.Spec.Analysis.Webhooks {
		if h.EffectiveType() == t {
			hooks = append(hooks, h)
		}
	}
	return hooks
}

// EffectiveInterval returns the metric's query window (default 1m).
func (m *CanaryMetric) EffectiveInterval() string {
	if m.Interval == "" {
		return DefaultMetricInterval
	}
	return m.Interval
}

// IsBuiltin reports whether the metric is one of the built-in Envoy metrics. A metric with a
// template or an inline query is never built in, whatever its name.
func (m *CanaryMetric) IsBuiltin() bool {
	if m.TemplateRef != nil || m.Query != "" {
		return false
	}
	return m.Name == BuiltinRequestSuccessRate || m.Name == BuiltinRequestDuration
}

// EffectiveType returns the webhook's type, rollout when empty.
func (h *CanaryWebhook) EffectiveType() HookType {
	if h.Type == "" {
		return RolloutHook
	}
	return h.Type
}

// IsGitGate reports whether the webhook is a Git gate (URL GitGateURL), answered from the status
// branch rather than called.
func (h *CanaryWebhook) IsGitGate() bool { return h.URL == GitGateURL }

// TimeoutDuration returns the per-attempt timeout (default 10s, also for unparsable values).
func (h *CanaryWebhook) TimeoutDuration() time.Duration {
	if len(h.Timeout) < 2 {
		return DefaultWebhookTimeout
	}
	d, err := time.ParseDuration(h.Timeout)
	if err != nil || d <= 0 {
		return DefaultWebhookTimeout
	}
	return d
}

// Effective returns the severity, info when empty (Flagger never fires empty severities: S7).
func (s AlertSeverity) Effective() AlertSeverity {
	if s == "" {
		return SeverityInfo
	}
	return s
}

// Receives reports whether an alert of severity s receives a notification of severity n: info
// receives everything, warn receives warn and error, error receives error only.
func (s AlertSeverity) Receives(n AlertSeverity) bool {
	switch s.Effective() {
	case SeverityInfo:
		return true
	case SeverityWarn:
		return n.Effective() == SeverityWarn || n.Effective() == SeverityError
	default:
		return s.Effective() == n.Effective()
	}
}

// TemplateNamespace returns the namespace of a metric's template, defaulting to the Canary's.
func (c *Canary) TemplateNamespace(ref *CrossNamespaceObjectReference) string {
	if ref == nil || ref.Namespace == "" {
		return c.Namespace
	}
	return ref.Namespace
}

// AutoscalingV2 is the only HorizontalPodAutoscaler API version gitcanary reads and writes.
const AutoscalingV2 = "autoscaling/v2"

// HPAAPIVersion returns the API version used for the autoscaler: autoscaling/v2beta1 and
// autoscaling/v2beta2 (removed from Kubernetes) are read as autoscaling/v2.
func (r *AutoscalerReference) HPAAPIVersion() string {
	switch r.APIVersion {
	case "", AutoscalingV2, "autoscaling/v2beta1", "autoscaling/v2beta2":
		return AutoscalingV2
	default:
		return r.APIVersion
	}
}

// String renders a Canary reference as "Canary <namespace>/<name>".
func (c *Canary) String() string {
	return fmt.Sprintf("%s %s", CanaryKind, c.ID())
}
