package engine

import (
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Decide is the canary state machine: given a Canary as read this tick, what has been observed
// so far and the time, it returns what happens next. It is pure: no I/O, no clock, no logging.
//
// When the decision depends on something not observed yet (the workload, the routed weights, a
// webhook's answer, a metric's value), Decide returns a Decision whose Need names that check;
// the caller runs it, records the result in obs and calls Decide again. Checks are asked for in
// the order Flagger performs them and stop where Flagger short-circuits, so the webhook calls
// and metric queries happen exactly as in Flagger. The final Decision holds the next status,
// the ordered actions and the requeue delay.
func Decide(c *v1beta1.Canary, obs Observation, now time.Time) Decision {
	p := newPlan(c, &obs, now)
	decide(p)
	return p.finish()
}

// decide routes the tick: deletion, an invalid spec and suspension come first, then one
// function per phase.
func decide(p *plan) {
	c := p.c
	switch {
	case c.DeletionTimestamp != nil:
		decideDeletion(p)
		return
	case p.obs.Invalid != nil:
		decideInvalid(p)
		return
	case c.Spec.Suspend:
		decideSuspended(p)
		return
	}
	p.maintainFinalizer()
	if !p.observed() {
		return
	}
	if err := p.obs.Workload.Err; err != nil {
		if p.st.Phase == "" {
			p.setPhase(v1beta1.CanaryPhaseInitializing)
		}
		p.warn(err.Error())
		return
	}
	switch c.Status.Phase {
	case "", v1beta1.CanaryPhaseInitializing:
		decideInitializing(p)
	case v1beta1.CanaryPhaseWaiting:
		decideWaiting(p)
	case v1beta1.CanaryPhaseProgressing, v1beta1.CanaryPhaseWaitingPromotion:
		decideAnalysing(p)
	case v1beta1.CanaryPhasePromoting:
		decidePromoting(p)
	case v1beta1.CanaryPhaseFinalising:
		decideFinalising(p)
	default:
		// Initialized, Succeeded, Failed, and Terminating or Terminated on a Canary whose
		// deletion was called off: idle until the target changes.
		decideIdle(p)
	}
}

// maintainFinalizer adds the finalizer when revertOnDeletion is set and removes it when unset.
func (p *plan) maintainFinalizer() {
	has := slices.Contains(p.c.Finalizers, v1beta1.Finalizer)
	if want := p.c.Spec.RevertOnDeletion; want != has {
		p.act(Action{Kind: ActSetFinalizer, Finalizer: want})
	}
}

// decideInvalid handles a Canary that fails validation: no action at all, Stalled and Ready
// False with the validation error, and a Warning event when the error is new.
func decideInvalid(p *plan) {
	msg := msgInvalid(p.obs.Invalid)
	if !conditionIs(&p.c.Status, v1beta1.StalledType, ReasonInvalidSpec, msg) {
		p.warn(msg)
	}
	p.stalled = &condition{status: corev1.ConditionTrue, reason: ReasonInvalidSpec, message: msg}
	p.ready = &condition{status: corev1.ConditionFalse, reason: ReasonInvalidSpec, message: msg}
}

// decideSuspended handles spec.suspend: nothing happens. Flagger emits its Normal event on every
// tick (quirk S12); gitcanary emits it once, when the canary becomes suspended. The memory of
// having said it is the Ready condition's reason Suspended: it lives in the status, so it
// survives controller restarts and shows in kubectl describe, and needs no new status field.
func decideSuspended(p *plan) {
	if !conditionIs(&p.c.Status, v1beta1.ReadyType, ReasonSuspended, msgSuspended) {
		p.info(msgSuspended)
	}
	p.ready = &condition{status: corev1.ConditionUnknown, reason: ReasonSuspended, message: msgSuspended}
}

// decideInitializing checks the metrics providers (on the tick that creates the primary, unless
// the analysis is skipped), creates the primary, waits for it to be ready (unless the analysis
// is skipped), routes all traffic to it and scales the target to zero.
func decideInitializing(p *plan) {
	c, w := p.c, p.obs.Workload.Workload
	p.setPhase(v1beta1.CanaryPhaseInitializing)
	if !c.SkipAnalysis() && !w.PrimaryExists && !p.providersChecked() {
		return
	}
	p.do(ActEnsurePrimary)
	if !c.SkipAnalysis() {
		if !w.PrimaryExists {
			// Created by this tick's EnsurePrimary; its readiness is known next tick.
			return
		}
		if !w.Primary.Ready {
			p.warn(msgPrimaryNotReady(c, readinessText(w.Primary)))
			return
		}
	}
	p.do(ActReconcileRouter)
	p.do(ActScaleToZero)
	p.syncStatus(v1beta1.CanaryPhaseInitialized, 0)
	p.info(msgInitialized(c))
	p.alert(alertInitialized(c), v1beta1.SeverityInfo, true)
}

// providersChecked asks whether the canary's metrics providers answer, and records Flagger's
// Normal or Warning event. The check's failure does not stop the initialization, as in Flagger.
func (p *plan) providersChecked() bool {
	r := p.obs.Providers
	if r == nil {
		p.need = &Check{Kind: CheckProviders}
		return false
	}
	if r.Err != nil {
		p.warn(msgProvidersError(r.Err))
	} else {
		p.info(msgProvidersAvailable)
	}
	return true
}

// decideIdle handles Initialized, Succeeded and Failed: nothing happens until the target's
// revision or tracked configs change; then a new analysis starts.
func decideIdle(p *plan) {
	p.reconcile()
	if p.manualRevision() {
		return
	}
	if p.targetChanged() {
		p.startAnalysis()
		return
	}
	if p.c.Status.Phase == v1beta1.CanaryPhaseFailed {
		// Flagger re-syncs a failed canary's applied revision every tick, so that after a manual
		// rollback to the promoted spec, re-applying the failed revision starts an analysis.
		w := p.obs.Workload.Workload
		p.st.LastAppliedSpec = w.Revision
		p.st.TrackedConfigs = maps.Clone(w.Configs)
	}
}

// decideWaiting repeats the confirm-rollout gate until it opens.
func decideWaiting(p *plan) {
	p.reconcile()
	p.startAnalysis()
}

// manualRevision holds back a new target revision that is not the one Git applied (set by
// hand, with kubectl set image for instance) while drift correction is on (Desired): no
// analysis starts or restarts for it; the canary keeps its phase, says why in a Warning and asks
// for Git's version to be restored. Git's version coming back (the promoted revision, or the
// one under analysis) is no new revision, so nothing starts for it either.
func (p *plan) manualRevision() bool {
	w := p.obs.Workload.Workload
	if w.GitRevision == "" || w.Revision == w.GitRevision || !p.targetChanged() {
		return false
	}
	p.warn(msgNotGitRevision(p.c, w.Revision, w.GitRevision))
	p.do(ActRestoreTarget)
	return true
}

// targetChanged is Flagger's HasTargetChanged or HaveDependenciesChanged: the target's pod
// template hash differs from the applied one (a return to the promoted one is not a change:
// manual rollback), or a tracked config changed.
func (p *plan) targetChanged() bool {
	w, st := p.obs.Workload.Workload, &p.c.Status
	specChanged := st.LastAppliedSpec == "" ||
		(w.Revision != st.LastPromotedSpec && w.Revision != st.LastAppliedSpec)
	return specChanged || configsChanged(st.TrackedConfigs, w.Configs)
}

func configsChanged(tracked, current map[string]string) bool {
	switch {
	case len(current) == 0 && tracked == nil:
		return false
	case tracked == nil, len(tracked) != len(current):
		return true
	}
	for k, v := range current {
		if tracked[k] != v {
			return true
		}
	}
	return false
}

// readinessText is the waiting text of a Deployment that is not ready.
func readinessText(r Readiness) string {
	if r.Message == "" {
		return msgPrimaryCreated
	}
	return r.Message
}
