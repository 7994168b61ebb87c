package engine

import (
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Decision is what Decide concluded for one tick. When Need is set the decision is not final:
// the reconciler runs that check, adds its result to the Observation and calls Decide again.
// Otherwise Actions are executed in order and Status is written when StatusChanged.
type Decision struct {
	// Need is the next check Decide wants a result for; nil when the decision is final.
	Need *Check
	// Status is the status the canary has after the tick.
	Status v1beta1.CanaryStatus
	// StatusChanged reports whether Status differs from the canary's current status.
	StatusChanged bool
	// Actions are executed in order; the first failure ends the tick without a status write.
	Actions []Action
	// Requeue is when the next tick is due.
	Requeue time.Duration
	// Report is what the tick did, for Telemetry; the reconciler adds the duration.
	Report TickReport
}

// CheckKind says what a Check asks the reconciler to find out.
type CheckKind int

// Check kinds.
const (
	// CheckWorkload reads the target and the primary (Workloads.Observe).
	CheckWorkload CheckKind = iota + 1
	// CheckRoutes reads the routed weights (Router.Routes).
	CheckRoutes
	// CheckHook calls one webhook (Hooks.Call).
	CheckHook
	// CheckMetric queries one analysis metric (Metrics.Query).
	CheckMetric
	// CheckProviders checks that the canary's metrics providers answer (Metrics.Available).
	CheckProviders
	// CheckAdmission asks the concurrency caps for an analysis slot (Admission.Admit).
	CheckAdmission
)

// Check is a read, webhook call or metric query whose result the next decision depends on.
type Check struct {
	// Kind of the check.
	Kind CheckKind
	// Index of the webhook (CheckHook) or metric (CheckMetric) in spec.analysis.
	Index int
	// Name of the webhook or metric, for logs and tests.
	Name string
	// Hook is the webhook's effective type (CheckHook).
	Hook v1beta1.HookType
	// Phase is the phase sent in the webhook payload (CheckHook).
	Phase v1beta1.CanaryPhase
}

// String renders the check for logs and tests, e.g. "Hook pre-rollout acceptance-test phase=Progressing".
func (c Check) String() string {
	switch c.Kind {
	case CheckWorkload:
		return "Workload"
	case CheckRoutes:
		return "Routes"
	case CheckHook:
		return fmt.Sprintf("Hook %s %s phase=%s", c.Hook, c.Name, c.Phase)
	case CheckMetric:
		return "Metric " + c.Name
	case CheckProviders:
		return "Providers"
	case CheckAdmission:
		return "Admission"
	default:
		return fmt.Sprintf("Check(%d)", int(c.Kind))
	}
}

// ActionKind says which port call an Action makes.
type ActionKind int

// Action kinds, each one port call.
const (
	// ActEnsurePrimary creates the primary configs, Deployment and autoscaler when missing.
	ActEnsurePrimary ActionKind = iota + 1
	// ActReconcileRouter creates or updates the Services and the TrafficSplit.
	ActReconcileRouter
	// ActSetRoutes routes Primary% to the primary and Canary% to the canary, and mirrors the
	// requests to the canary when Mirror is set.
	ActSetRoutes
	// ActScaleToZero scales the target to zero.
	ActScaleToZero
	// ActScaleFromZero scales the target up.
	ActScaleFromZero
	// ActPromote copies the target's template and configs to the primary.
	ActPromote
	// ActSyncPrimaryAutoscaler copies the target autoscaler's settings to the primary's.
	ActSyncPrimaryAutoscaler
	// ActPostRolloutHooks calls the post-rollout webhooks with Phase; their failures are
	// recorded as events and never fail the tick.
	ActPostRolloutHooks
	// ActNotify sends Notification; a failing notifier never fails the tick.
	ActNotify
	// ActRecordEvent records Event, with Phase as the phase event webhooks see.
	ActRecordEvent
	// ActRevert gives the target the primary's replicas again (revertOnDeletion).
	ActRevert
	// ActFinalizeRouter hands the apex Service back to the target (revertOnDeletion).
	ActFinalizeRouter
	// ActSetFinalizer adds (Finalizer true) or removes gitcanary's finalizer.
	ActSetFinalizer
	// ActRestoreTarget asks for Git's version of the target to be applied again
	// (Desired.RestoreTarget).
	ActRestoreTarget
)

// Action is one step of a decision, executed by the reconciler through a port.
type Action struct {
	// Kind of the action; the other fields are used by the kinds named in their comments.
	Kind ActionKind
	// Primary and Canary weights (ActSetRoutes).
	Primary, Canary int
	// Mirror sends a copy of the requests to the canary (ActSetRoutes).
	Mirror bool
	// Phase of the canary for webhook payloads (ActPostRolloutHooks, ActRecordEvent).
	Phase v1beta1.CanaryPhase
	// Event to record (ActRecordEvent).
	Event Event
	// Notification to send (ActNotify).
	Notification Notification
	// Finalizer is true to add the finalizer, false to remove it (ActSetFinalizer).
	Finalizer bool
}

// Event is a Kubernetes Event on the Canary: type Normal or Warning and Flagger's message.
type Event struct {
	Type    string
	Message string
}

// String renders the action for logs and tests, e.g. "SetRoutes 95/5".
func (a Action) String() string {
	switch a.Kind {
	case ActEnsurePrimary:
		return "EnsurePrimary"
	case ActReconcileRouter:
		return "ReconcileRouter"
	case ActSetRoutes:
		if a.Mirror {
			return fmt.Sprintf("SetRoutes %d/%d mirror", a.Primary, a.Canary)
		}
		return fmt.Sprintf("SetRoutes %d/%d", a.Primary, a.Canary)
	case ActScaleToZero:
		return "ScaleToZero"
	case ActScaleFromZero:
		return "ScaleFromZero"
	case ActPromote:
		return "Promote"
	case ActSyncPrimaryAutoscaler:
		return "SyncPrimaryAutoscaler"
	case ActPostRolloutHooks:
		return "PostRolloutHooks " + string(a.Phase)
	case ActNotify:
		return fmt.Sprintf("Notify %s: %s", a.Notification.Severity, a.Notification.Message)
	case ActRecordEvent:
		return fmt.Sprintf("Event %s: %s", a.Event.Type, a.Event.Message)
	case ActRevert:
		return "Revert"
	case ActFinalizeRouter:
		return "FinalizeRouter"
	case ActSetFinalizer:
		return fmt.Sprintf("SetFinalizer %t", a.Finalizer)
	case ActRestoreTarget:
		return "RestoreTarget"
	default:
		return fmt.Sprintf("Action(%d)", int(a.Kind))
	}
}
