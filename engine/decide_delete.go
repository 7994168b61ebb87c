package engine

import (
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// deletionRequeue is the tick period while a Canary with revertOnDeletion is being deleted
// (never longer than the analysis interval).
const deletionRequeue = 5 * time.Second

// decideDeletion handles a Canary being deleted. Without revertOnDeletion there is nothing to
// do: garbage collection removes the generated objects. With it, the deletion takes three
// ticks, so that each status is written before the finalizer goes: Terminating (revert the
// target's replicas), Terminated once the target is ready again or the wait exceeded one
// interval (hand the apex Service back), then the finalizer is removed.
func decideDeletion(p *plan) {
	c := p.c
	if !slices.Contains(c.Finalizers, v1beta1.Finalizer) {
		return
	}
	if !c.Spec.RevertOnDeletion || p.obs.Invalid != nil {
		p.act(Action{Kind: ActSetFinalizer, Finalizer: false})
		return
	}
	p.requeue = deletionRequeue
	switch c.Status.Phase {
	case v1beta1.CanaryPhaseTerminated:
		p.act(Action{Kind: ActSetFinalizer, Finalizer: false})
	case v1beta1.CanaryPhaseTerminating:
		finishTermination(p)
	default:
		startTermination(p)
	}
}

// startTermination moves to Terminating and reverts the target, unless it is gone.
func startTermination(p *plan) {
	if !p.observed() {
		return
	}
	gone, ok := p.targetGone()
	if !ok {
		return
	}
	p.setPhase(v1beta1.CanaryPhaseTerminating)
	p.info(msgTerminating(p.c))
	if !gone {
		p.do(ActRevert)
	}
}

// finishTermination waits for the reverted target, then hands the apex Service back.
func finishTermination(p *plan) {
	if !p.observed() {
		return
	}
	gone, ok := p.targetGone()
	if !ok {
		return
	}
	t := p.obs.Workload.Workload.Target
	waited := p.now.Sub(p.c.Status.LastTransitionTime.Time) >= p.interval()
	if !gone && !t.Ready && t.Retriable && !waited {
		return
	}
	p.do(ActFinalizeRouter)
	p.setPhase(v1beta1.CanaryPhaseTerminated)
	p.info(msgTerminated(p.c))
}

// targetGone reports whether the target no longer exists. Any other observation error is
// recorded and ends the tick (ok false).
func (p *plan) targetGone() (gone, ok bool) {
	err := p.obs.Workload.Err
	switch {
	case err == nil:
		return false, true
	case apierrors.IsNotFound(err):
		return true, true
	default:
		p.warn(err.Error())
		return false, false
	}
}
