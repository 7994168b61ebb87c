package v1beta1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Bounds of CanaryJournal, so that a Canary's status stays small while the ledger cannot push.
const (
	// MaxPendingTransitions is how many uncommitted transitions the status keeps; older ones
	// are dropped, and the ledger counts the gap.
	MaxPendingTransitions = 16
	// MaxTransitionEvents is how many events of one transition the status keeps.
	MaxTransitionEvents = 16
)

// CanaryJournal numbers a Canary's transitions (each change of phase, weight, failed checks,
// iterations or revision) and keeps those the status ledger has not committed yet. The engine
// writes it with the status that makes the transition, in the same request, so a transition
// exists exactly when its status was written; the ledger commits each sequence number once.
type CanaryJournal struct {
	// Sequence is the number of the Canary's last transition; the first is 1.
	Sequence int64 `json:"sequence"`
	// SourceCommit is the source commit of the last transition.
	// +optional
	SourceCommit string `json:"sourceCommit,omitempty"`
	// Pending are the transitions not known to be committed, oldest first (at most 16).
	// +optional
	Pending []CanaryTransition `json:"pending,omitempty"`
}

// CanaryTransition is one transition of a Canary, as the status ledger records it.
type CanaryTransition struct {
	// Sequence numbers the transition among the Canary's.
	Sequence int64 `json:"sequence"`
	// Time of the transition.
	Time metav1.Time `json:"time"`
	// Phase, CanaryWeight, FailedChecks and Iterations after the transition.
	Phase        CanaryPhase `json:"phase"`
	CanaryWeight int         `json:"canaryWeight"`
	FailedChecks int         `json:"failedChecks"`
	Iterations   int         `json:"iterations"`
	// Revision is the target's pod template hash (lastAppliedSpec).
	// +optional
	Revision string `json:"revision,omitempty"`
	// Images are the target's container images, comma-separated.
	// +optional
	Images string `json:"images,omitempty"`
	// SourceCommit is the Git commit that applied the Canary's overlay.
	// +optional
	SourceCommit string `json:"sourceCommit,omitempty"`
	// Events are the events of the tick that made the transition (at most 16).
	// +optional
	Events []TransitionEvent `json:"events,omitempty"`
	// Checks are the checks of that tick, as in status.analysis.checks.
	// +optional
	Checks []CanaryCheck `json:"checks,omitempty"`
}

// TransitionEvent is a Kubernetes event of a transition.
type TransitionEvent struct {
	// Type is Normal or Warning.
	Type string `json:"type"`
	// Message is the event text.
	Message string `json:"message"`
}
