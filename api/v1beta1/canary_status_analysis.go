package v1beta1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Bounds of the evidence kept in CanaryAnalysisStatus, so that a Canary's status stays small
// whatever the repository's queries and webhooks return.
const (
	// MaxStatusChecks is how many checks of one tick the status keeps.
	MaxStatusChecks = 16
	// MaxCheckQuery is the longest rendered query kept, in bytes.
	MaxCheckQuery = 2048
	// MaxCheckText is the longest message or webhook response body kept, in bytes.
	MaxCheckText = 512
)

// CanaryAnalysisStatus is gitcanary's record of the running analysis (a gitcanary extension of
// Flagger's status): the evidence of the last tick that ran checks, and the counters of the
// no-data and query-error policies, which must survive controller restarts.
type CanaryAnalysisStatus struct {
	// CheckedAt is when the checks below ran.
	// +optional
	CheckedAt *metav1.Time `json:"checkedAt,omitempty"`

	// Checks are the metric checks and webhook calls of the last tick that ran any, in the
	// order they ran (at most 16).
	// +optional
	Checks []CanaryCheck `json:"checks,omitempty"`

	// NoDataIntervals counts, by metric name, the consecutive ticks whose query returned no
	// data under the Skip policy.
	// +optional
	NoDataIntervals map[string]int `json:"noDataIntervals,omitempty"`

	// HoldingSince is when the Hold policy started waiting for the metrics backend; unset
	// while the backend answers.
	// +optional
	HoldingSince *metav1.Time `json:"holdingSince,omitempty"`
}

// CheckVerdict is the outcome of one check.
type CheckVerdict string

// Check verdicts.
const (
	// CheckPassed: the value is within the threshold range, or the webhook answered 2xx.
	CheckPassed CheckVerdict = "Passed"
	// CheckFailed: the check failed and counts as a failed check.
	CheckFailed CheckVerdict = "Failed"
	// CheckSkipped: no data under the Skip policy; the tick neither advanced nor failed.
	CheckSkipped CheckVerdict = "Skipped"
	// CheckHeld: the metrics backend did not answer under the Hold policy; the weight is held.
	CheckHeld CheckVerdict = "Held"
)

// CheckKind says what was checked.
type CheckKind string

// Check kinds.
const (
	// CheckMetric is a metric query judged against its threshold range.
	CheckMetric CheckKind = "Metric"
	// CheckWebhook is a webhook call.
	CheckWebhook CheckKind = "Webhook"
)

// CanaryCheck is the evidence of one check: what was asked, what came back, and the verdict.
type CanaryCheck struct {
	// Kind is Metric or Webhook.
	Kind CheckKind `json:"kind"`
	// Name of the metric or webhook.
	Name string `json:"name"`
	// Verdict is Passed, Failed, Skipped or Held.
	Verdict CheckVerdict `json:"verdict"`
	// Value the metric query returned, as text (request-duration in milliseconds); empty
	// without a value.
	// +optional
	Value string `json:"value,omitempty"`
	// ThresholdRange the value was judged against (thresholdRange, or the deprecated
	// threshold as a minimum or maximum).
	// +optional
	ThresholdRange *CanaryThresholdRange `json:"thresholdRange,omitempty"`
	// Query is the rendered query as it was sent (whitespace collapsed, at most 2048 bytes).
	// +optional
	Query string `json:"query,omitempty"`
	// Address is the metrics server's address, without credentials.
	// +optional
	Address string `json:"address,omitempty"`
	// StatusCode is the HTTP status of a failed webhook's answer.
	// +optional
	StatusCode int `json:"statusCode,omitempty"`
	// Body is a failed webhook's response body (at most 512 bytes).
	// +optional
	Body string `json:"body,omitempty"`
	// Message is the event the check caused (at most 512 bytes); empty when it passed.
	// +optional
	Message string `json:"message,omitempty"`
}
