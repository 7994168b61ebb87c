package ledger

import (
	"fmt"
	"math"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Transition is one change of a Canary's status, as the controller observed it: the status after
// the change, the events emitted with it and the metric results of the analysis that led to it.
type Transition struct {
	// Namespace of the Canary.
	Namespace string
	// Name of the Canary.
	Name string
	// UID of the Canary, and Sequence, the transition's number among the Canary's
	// (status.journal). With a Sequence, the ledger commits each transition once: one that the
	// branch already records (same UID, Sequence not above the file's) is dropped, so a
	// controller that restarts may hand over its uncommitted transitions again.
	UID      string
	Sequence int64
	// Phase after the transition, such as Progressing or Succeeded.
	Phase string
	// Weight routed to the canary after the transition.
	Weight int
	// FailedChecks of the current analysis.
	FailedChecks int
	// SourceCommit is the Git commit whose manifests started this revision.
	SourceCommit string
	// TargetRevision names what is being rolled out, for example the target's container image
	// ("ghcr.io/stefanprodan/podinfo:6.0.1") or its pod template hash.
	TargetRevision string
	// Time of the transition; zero means the ledger's clock at Record.
	Time time.Time
	// Events emitted with the transition, oldest first.
	Events []Event
	// Metrics are the metric results of the analysis step that caused the transition; none
	// (and no Webhooks) keeps the previous results.
	Metrics []MetricResult
	// Webhooks are the webhook calls of that analysis step.
	Webhooks []WebhookResult
}

// Event is a Kubernetes event of a Canary as the ledger keeps it.
type Event struct {
	// Time the event was emitted.
	Time time.Time `json:"time" yaml:"time"`
	// Type is Normal or Warning.
	Type string `json:"type" yaml:"type"`
	// Reason is the event reason, such as Synced.
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
	// Message is the event text, such as "Advance podinfo.test canary weight 10".
	Message string `json:"message" yaml:"message"`
}

// MetricResult is one metric check: its value against its thresholds.
type MetricResult struct {
	// Name of the metric, such as request-success-rate.
	Name string `json:"name" yaml:"name"`
	// Value the query returned; meaningless when Error is set.
	Value float64 `json:"value" yaml:"value"`
	// Min is the lower threshold (thresholdRange.min), if any.
	Min *float64 `json:"min,omitempty" yaml:"min,omitempty"`
	// Max is the upper threshold (thresholdRange.max), if any.
	Max *float64 `json:"max,omitempty" yaml:"max,omitempty"`
	// Query is the query that was run, when known (credentials never).
	Query string `json:"query,omitempty" yaml:"query,omitempty"`
	// Address is the metrics server the query was sent to, without credentials.
	Address string `json:"address,omitempty" yaml:"address,omitempty"`
	// Passed tells whether the value was within the thresholds.
	Passed bool `json:"passed" yaml:"passed"`
	// Verdict is Passed, Failed, Skipped (no data under noData Skip) or Held (metrics
	// unavailable under queryErrors Hold); empty in files written before it existed.
	Verdict string `json:"verdict,omitempty" yaml:"verdict,omitempty"`
	// Error is set when the query failed or returned no usable value.
	Error string `json:"error,omitempty" yaml:"error,omitempty"`
}

// key is "<namespace>/<name>".
func (t Transition) key() string { return t.Namespace + "/" + t.Name }

// validate checks the fields that become file paths and the phase.
func (t Transition) validate() error {
	if errs := validation.IsDNS1123Label(t.Namespace); len(errs) > 0 {
		return fmt.Errorf("%w: namespace %q: %s", ErrInvalidTransition, t.Namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(t.Name); len(errs) > 0 {
		return fmt.Errorf("%w: name %q: %s", ErrInvalidTransition, t.Name, strings.Join(errs, "; "))
	}
	if t.Phase == "" {
		return fmt.Errorf("%w: %s has no phase", ErrInvalidTransition, t.key())
	}
	return nil
}

// sanitized returns metric values that YAML and JSON can hold: NaN and infinities become errors.
func sanitized(ms []MetricResult) []MetricResult {
	out := make([]MetricResult, len(ms))
	for i, m := range ms {
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			if m.Error == "" {
				m.Error = fmt.Sprintf("value is %v", m.Value)
			}
			m.Value = 0
		}
		out[i] = m
	}
	return out
}

// cost is how much of a canary's event history a transition fills.
func (t Transition) cost() int { return max(1, len(t.Events)) }
