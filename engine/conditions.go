package engine

import (
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Condition reasons that are not phases.
const (
	// ReasonSuspended is the Ready reason while spec.suspend is set.
	ReasonSuspended = "Suspended"
	// ReasonInvalidSpec is the Ready and Stalled reason of a Canary that fails validation.
	ReasonInvalidSpec = "InvalidSpec"
)

// setPhase changes the phase as Flagger's SetStatusPhase does: weight and iterations go back to
// 0 except in Progressing, Waiting and Promoting (WaitingPromotion keeps iterations-1, never
// below 0), and Initialized and Succeeded make the applied spec the promoted one.
func (p *plan) setPhase(phase v1beta1.CanaryPhase) {
	p.st.Phase = phase
	switch phase {
	case v1beta1.CanaryPhaseProgressing, v1beta1.CanaryPhaseWaiting, v1beta1.CanaryPhasePromoting:
	case v1beta1.CanaryPhaseWaitingPromotion:
		p.st.CanaryWeight = 0
		p.st.Iterations = p.iterationsBeforeLast()
	default:
		p.st.CanaryWeight = 0
		p.st.Iterations = 0
	}
	if phase == v1beta1.CanaryPhaseInitialized || phase == v1beta1.CanaryPhaseSucceeded {
		p.st.LastPromotedSpec = p.st.LastAppliedSpec
	}
}

// syncStatus is Flagger's SyncStatus: a new phase and weight, the counters at 0, and the
// target's current revision and config checksums as the applied ones.
func (p *plan) syncStatus(phase v1beta1.CanaryPhase, weight int) {
	w := p.obs.Workload.Workload
	p.st.Phase = phase
	p.st.CanaryWeight = weight
	p.st.FailedChecks = 0
	p.st.Iterations = 0
	p.st.LastAppliedSpec = w.Revision
	p.st.TrackedConfigs = maps.Clone(w.Configs)
	if phase == v1beta1.CanaryPhaseInitialized {
		p.st.LastPromotedSpec = w.Revision
	}
}

func (p *plan) iterationsBeforeLast() int {
	if a := p.c.Spec.Analysis; a != nil && a.Iterations > 0 {
		return a.Iterations - 1
	}
	return 0
}

// condition is the wanted status, reason and message of a condition type.
type condition struct {
	status  corev1.ConditionStatus
	reason  string
	message string
}

// setConditions derives the conditions from the next phase: Flagger's Promoted (reference §1.5),
// and kstatus Ready (True when idle, False when failed, Unknown while in progress) and Stalled
// (present only while True: a failed rollout or an invalid spec). The plan's ready and stalled
// overrides (suspended, invalid spec) win over the phase.
func (p *plan) setConditions() {
	phase := p.st.Phase
	ready, stalled := p.ready, p.stalled
	if phase != "" {
		promoted := promotedCondition(p.c.Spec.TargetRef.Kind, phase)
		if phase == v1beta1.CanaryPhaseWaiting && p.st.Queue != nil {
			promoted.message = msgQueued
		}
		p.setCondition(v1beta1.PromotedType, promoted)
		if ready == nil {
			ready = &condition{status: corev1.ConditionUnknown, reason: string(phase), message: promoted.message}
			switch phase {
			case v1beta1.CanaryPhaseInitialized, v1beta1.CanaryPhaseSucceeded:
				ready.status = corev1.ConditionTrue
			case v1beta1.CanaryPhaseFailed:
				ready.status = corev1.ConditionFalse
			}
		}
		if stalled == nil && phase == v1beta1.CanaryPhaseFailed {
			stalled = &condition{status: corev1.ConditionTrue, reason: string(phase), message: promoted.message}
		}
	}
	if ready != nil {
		p.setCondition(v1beta1.ReadyType, *ready)
	}
	p.setStalled(stalled)
}

// promotedCondition is Flagger's MakeStatusConditions: status and message of Promoted per phase.
func promotedCondition(kind string, phase v1beta1.CanaryPhase) condition {
	c := condition{status: corev1.ConditionUnknown, reason: string(phase)}
	switch phase {
	case v1beta1.CanaryPhaseInitialized:
		c.status, c.message = corev1.ConditionTrue, fmt.Sprintf("%s initialization completed.", kind)
	case v1beta1.CanaryPhaseWaiting, v1beta1.CanaryPhaseWaitingPromotion:
		c.message = "Waiting for approval."
	case v1beta1.CanaryPhaseProgressing:
		c.message = "New revision detected, progressing canary analysis."
	case v1beta1.CanaryPhasePromoting:
		c.message = "Canary analysis completed, starting primary rolling update."
	case v1beta1.CanaryPhaseFinalising:
		c.message = "Canary analysis completed, routing all traffic to primary."
	case v1beta1.CanaryPhaseSucceeded:
		c.status, c.message = corev1.ConditionTrue, "Canary analysis completed successfully, promotion finished."
	case v1beta1.CanaryPhaseFailed:
		c.status, c.message = corev1.ConditionFalse, fmt.Sprintf("Canary analysis failed, %s scaled to zero.", kind)
	default:
		c.message = fmt.Sprintf("New %s detected, starting initialization.", kind)
	}
	return c
}

// setCondition writes a condition when its status, reason or message changed. The transition
// time moves only when the status changes.
func (p *plan) setCondition(t v1beta1.CanaryConditionType, want condition) {
	now := metaTime(p.now)
	for i := range p.st.Conditions {
		cur := &p.st.Conditions[i]
		if cur.Type != t {
			continue
		}
		if cur.Status == want.status && cur.Reason == want.reason && cur.Message == want.message {
			return
		}
		if cur.Status != want.status {
			cur.LastTransitionTime = now
		}
		cur.Status, cur.Reason, cur.Message, cur.LastUpdateTime = want.status, want.reason, want.message, now
		return
	}
	p.st.Conditions = append(p.st.Conditions, v1beta1.CanaryCondition{
		Type: t, Status: want.status, Reason: want.reason, Message: want.message,
		LastUpdateTime: now, LastTransitionTime: now,
	})
}

// setStalled sets the Stalled condition, or removes it when s is nil.
func (p *plan) setStalled(s *condition) {
	if s != nil {
		p.setCondition(v1beta1.StalledType, *s)
		return
	}
	kept := p.st.Conditions[:0:0]
	for _, c := range p.st.Conditions {
		if c.Type != v1beta1.StalledType {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	p.st.Conditions = kept
}

// conditionIs reports whether the canary's current condition of type t has the given reason and
// message.
func conditionIs(s *v1beta1.CanaryStatus, t v1beta1.CanaryConditionType, reason, message string) bool {
	c := s.Condition(t)
	return c != nil && c.Reason == reason && c.Message == message
}

// statusChanged compares two statuses, ignoring lastTransitionTime, which Flagger sets on every
// write, and treating an empty tracked-configs map like a missing one.
func statusChanged(old, next *v1beta1.CanaryStatus) bool {
	a, b := old.DeepCopy(), next.DeepCopy()
	a.LastTransitionTime, b.LastTransitionTime = metav1.Time{}, metav1.Time{}
	if len(a.TrackedConfigs) == 0 {
		a.TrackedConfigs = nil
	}
	if len(b.TrackedConfigs) == 0 {
		b.TrackedConfigs = nil
	}
	if len(a.Conditions) == 0 {
		a.Conditions = nil
	}
	if len(b.Conditions) == 0 {
		b.Conditions = nil
	}
	return !equality.Semantic.DeepEqual(a, b)
}

// metaTime is a time as the API server stores it: in UTC, to the second.
func metaTime(t time.Time) metav1.Time {
	return metav1.NewTime(t.UTC().Truncate(time.Second))
}
