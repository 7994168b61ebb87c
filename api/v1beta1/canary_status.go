package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CanaryPhase is where a Canary is in its life cycle.
//
// +kubebuilder:validation:Enum="";Initializing;Initialized;Waiting;Progressing;WaitingPromotion;Promoting;Finalising;Succeeded;Failed;Terminating;Terminated
type CanaryPhase string

// Canary phases, with Flagger's spelling.
const (
	// CanaryPhaseInitializing means the canary is new and its generated objects are being created.
	CanaryPhaseInitializing CanaryPhase = "Initializing"
	// CanaryPhaseInitialized means the primary serves all traffic and the target is scaled to zero.
	CanaryPhaseInitialized CanaryPhase = "Initialized"
	// CanaryPhaseWaiting means a confirm-rollout hook holds the start of the analysis, or the
	// canary waits for an analysis slot (status.queue).
	CanaryPhaseWaiting CanaryPhase = "Waiting"
	// CanaryPhaseProgressing means the analysis is running.
	CanaryPhaseProgressing CanaryPhase = "Progressing"
	// CanaryPhaseWaitingPromotion means a confirm-promotion hook holds the promotion.
	CanaryPhaseWaitingPromotion CanaryPhase = "WaitingPromotion"
	// CanaryPhasePromoting means the canary spec was copied to the primary, which is rolling out.
	CanaryPhasePromoting CanaryPhase = "Promoting"
	// CanaryPhaseFinalising means all traffic is back on the primary and the target is scaled down.
	CanaryPhaseFinalising CanaryPhase = "Finalising"
	// CanaryPhaseSucceeded means the last revision was promoted.
	CanaryPhaseSucceeded CanaryPhase = "Succeeded"
	// CanaryPhaseFailed means the last revision was rolled back.
	CanaryPhaseFailed CanaryPhase = "Failed"
	// CanaryPhaseTerminating means the Canary is being deleted with revertOnDeletion.
	CanaryPhaseTerminating CanaryPhase = "Terminating"
	// CanaryPhaseTerminated means the deletion with revertOnDeletion finished.
	CanaryPhaseTerminated CanaryPhase = "Terminated"
)

// CanaryConditionType is the type of a Canary condition.
type CanaryConditionType string

// Condition types written on a Canary.
const (
	// PromotedType is Flagger's condition: True once a revision is initialised or promoted.
	PromotedType CanaryConditionType = "Promoted"
	// ReadyType is the kstatus Ready condition: True when the canary is idle and healthy.
	ReadyType CanaryConditionType = "Ready"
	// StalledType is the kstatus Stalled condition: True when the canary cannot make progress
	// without a change (invalid spec, failed rollout).
	StalledType CanaryConditionType = "Stalled"
)

// CanaryCondition is a condition of a Canary, in Flagger's shape.
type CanaryCondition struct {
	// Type of the condition.
	Type CanaryConditionType `json:"type"`
	// Status of the condition: True, False or Unknown.
	Status corev1.ConditionStatus `json:"status"`
	// LastUpdateTime is the last time the condition was written.
	// +optional
	LastUpdateTime metav1.Time `json:"lastUpdateTime,omitempty"`
	// LastTransitionTime is the last time the status changed.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// Reason is a CamelCase word; for Promoted it is the phase.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message is a human-readable explanation.
	// +optional
	Message string `json:"message,omitempty"`
}

// CanaryStatus is the observed state of a Canary.
type CanaryStatus struct {
	// Phase of the canary analysis.
	// +optional
	Phase CanaryPhase `json:"phase,omitempty"`

	// FailedChecks counts failed checks of the current analysis.
	// +optional
	FailedChecks int `json:"failedChecks"`

	// CanaryWeight is the last weight routed to the canary.
	// +optional
	CanaryWeight int `json:"canaryWeight"`

	// Iterations counts Blue/Green iterations.
	// +optional
	Iterations int `json:"iterations"`

	// LastAppliedSpec is the hash of the target's pod template under analysis.
	// +optional
	LastAppliedSpec string `json:"lastAppliedSpec,omitempty"`

	// LastPromotedSpec is the hash of the last initialised or promoted pod template.
	// +optional
	LastPromotedSpec string `json:"lastPromotedSpec,omitempty"`

	// TrackedConfigs maps configmap/<name> and secret/<name> to a checksum of their data.
	// +optional
	TrackedConfigs map[string]string `json:"trackedConfigs,omitempty"`

	// LastTransitionTime is the time of the last status write.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`

	// ObservedGeneration is the Canary generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions of the canary: Promoted, plus kstatus Ready and Stalled.
	// +optional
	Conditions []CanaryCondition `json:"conditions,omitempty"`

	// SessionAffinityCookie (Istio, Gateway API only).
	// +optional
	SessionAffinityCookie string `json:"sessionAffinityCookie,omitempty"`
	// PrimarySessionAffinityCookie (Istio, Gateway API only).
	// +optional
	PrimarySessionAffinityCookie string `json:"primarySessionAffinityCookie,omitempty"`
	// PreviousSessionAffinityCookie (Istio, Gateway API only).
	// +optional
	PreviousSessionAffinityCookie string `json:"previousSessionAffinityCookie,omitempty"`

	// Analysis is gitcanary's record of the analysis: the evidence of the last checks and the
	// counters of the no-data and query-error policies (gitcanary extension).
	// +optional
	Analysis *CanaryAnalysisStatus `json:"analysis,omitempty"`

	// Journal holds the transitions the status ledger has not committed yet, so that a
	// controller that crashes before committing them commits them after its restart
	// (gitcanary extension).
	// +optional
	Journal *CanaryJournal `json:"journal,omitempty"`

	// Queue is the canary's place in the analysis queue while it waits in phase Waiting for an
	// analysis slot under the controller's concurrency caps (gitcanary extension).
	// +optional
	Queue *CanaryQueueStatus `json:"queue,omitempty"`
}

// CanaryQueueStatus is a canary's place in the analysis queue: the controller runs at most
// -max-concurrent-analyses analyses (and -max-concurrent-analyses-per-namespace in one
// namespace); a canary beyond the cap waits, and the queue is served in order of Since.
type CanaryQueueStatus struct {
	// Since is when the canary started waiting.
	Since metav1.Time `json:"since"`
	// Position in the queue when the canary was last ticked; 1 is next.
	Position int `json:"position"`
	// Running is how many analyses of the cap ran then, and Limit the cap.
	Running int `json:"running"`
	Limit   int `json:"limit"`
	// Namespace is set when the canary waits for its namespace's cap rather than the global one.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// Condition returns the condition of the given type, or nil.
func (s *CanaryStatus) Condition(t CanaryConditionType) *CanaryCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}
