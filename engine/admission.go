package engine

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// msgQueued is the Promoted condition's message while a canary waits for an analysis slot.
const msgQueued = "Waiting for an analysis slot."

// admitted asks the concurrency caps for an analysis slot, once every gate before the start of
// an analysis has passed. A canary without a slot waits in phase Waiting with its place in the
// queue in status.queue; the event is recorded when it starts waiting, and the Ready condition
// follows its position. It keeps the time it started waiting, by which the queue is served.
func (p *plan) admitted() bool {
	r := p.obs.Admission
	if r == nil {
		p.need = &Check{Kind: CheckAdmission}
		return false
	}
	if r.Admitted {
		p.st.Queue = nil
		return true
	}
	c := p.c
	queued := c.Status.Phase == v1beta1.CanaryPhaseWaiting && c.Status.Queue != nil
	q := &v1beta1.CanaryQueueStatus{Since: metaTime(p.now), Position: r.Position, Running: r.Running, Limit: r.Limit, Namespace: r.Namespace}
	if queued {
		q.Since = c.Status.Queue.Since
	}
	p.setPhase(v1beta1.CanaryPhaseWaiting)
	p.st.Queue = q
	slot := slotText(*r)
	if !queued {
		p.info(fmt.Sprintf("Halt %s advancement %s", c.EventName(), slot))
	}
	p.ready = &condition{status: corev1.ConditionUnknown, reason: string(v1beta1.CanaryPhaseWaiting), message: "W" + slot[1:] + "."}
	return false
}

// slotText says which cap holds a canary and its place in the queue, e.g. "waiting for an
// analysis slot: 2 of 2 running, position 1".
func slotText(r AdmissionResult) string {
	scope := ""
	if r.Namespace != "" {
		scope = " in namespace " + r.Namespace
	}
	return fmt.Sprintf("waiting for an analysis slot%s: %d of %d running, position %d", scope, r.Running, r.Limit, r.Position)
}

// OccupiesSlot reports whether a canary in phase holds an analysis slot: from the start of its
// analysis until its promotion or rollback ends it.
func OccupiesSlot(phase v1beta1.CanaryPhase) bool {
	switch phase {
	case v1beta1.CanaryPhaseProgressing, v1beta1.CanaryPhaseWaitingPromotion, v1beta1.CanaryPhasePromoting,
		v1beta1.CanaryPhaseFinalising:
		return true
	}
	return false
}

// Queued reports whether c waits for an analysis slot: its place in the queue is kept in its
// status (a suspended canary keeps it but does not wait).
func Queued(c *v1beta1.Canary) bool {
	return c.Status.Phase == v1beta1.CanaryPhaseWaiting && c.Status.Queue != nil && !c.Spec.Suspend &&
		c.DeletionTimestamp == nil
}
