package engine

import "github.com/gitcanary/gitcanary/api/v1beta1"

// startAnalysis starts the analysis of a new revision from Initialized, Succeeded, Failed or
// Waiting (Flagger's checkCanaryStatus): the primary must be ready and the confirm-rollout gate
// open and, under concurrency caps, an analysis slot free; then the target scales up and the
// canary becomes Progressing. The tick ends there.
func (p *plan) startAnalysis() {
	c := p.c
	if !p.primaryGate(false) {
		return
	}
	if _, _, ok := p.routes(); !ok {
		return
	}
	failed, ok := p.gate(v1beta1.ConfirmRolloutHook, c.Status.Phase)
	if !ok {
		return
	}
	if failed != nil {
		// Waiting is entered, announced and alerted once; later ticks ask again silently. A
		// canary that waited for an analysis slot leaves the queue.
		if c.Status.Phase != v1beta1.CanaryPhaseWaiting || c.Status.Queue != nil {
			p.setPhase(v1beta1.CanaryPhaseWaiting)
			p.st.Queue = nil
			p.warn(msgWaitingApproval(c, failed.Name))
			if !failed.MuteAlert {
				p.alert(alertWaitingApproval, v1beta1.SeverityWarn, false)
			}
		}
		return
	}
	if !p.admitted() {
		return
	}
	p.syncStatus(v1beta1.CanaryPhaseProgressing, 0)
	p.resetPolicies()
	p.info(msgNewRevision(c))
	p.alert(alertNewRevision, v1beta1.SeverityInfo, true)
	p.do(ActScaleFromZero)
}

// primaryGate checks the primary's readiness (skipped without analysis). A primary that is not
// ready ends the tick with a Warning; one past its progress deadline fails the promotion when
// promoting, and rolls the canary back otherwise.
func (p *plan) primaryGate(promoting bool) bool {
	if p.c.SkipAnalysis() {
		return true
	}
	r := p.obs.Workload.Workload.Primary
	if r.Ready {
		return true
	}
	msg := msgPrimaryNotReady(p.c, readinessText(r))
	p.warn(msg)
	if !r.Retriable {
		if promoting {
			p.failPromotion(msg)
		} else {
			p.rollback()
		}
	}
	return false
}

// canaryGate checks the target's readiness. Waiting for a rollout is not a failed check. Past
// the progress deadline the canary is rolled back with the event and alert Flagger lost (quirk
// S6): "Rolling back … progress deadline exceeded …" and "Progress deadline exceeded …".
func (p *plan) canaryGate() bool {
	r := p.obs.Workload.Workload.Target
	if r.Ready {
		return true
	}
	msg := msgCanaryNotReady(p.c, r.Message)
	if r.Retriable {
		p.warn(msg)
		return false
	}
	p.warn(msgDeadline(p.c, msg))
	p.alert(alertDeadline(msg), v1beta1.SeverityError, false)
	p.rollback()
	return false
}

// rollback is Flagger's rollback(): all traffic back to the primary, the target scaled to zero,
// the canary Failed with the failed revision as the applied one, then the post-rollout hooks.
func (p *plan) rollback() {
	c := p.c
	if n := c.Status.FailedChecks; n >= c.AnalysisThreshold() {
		p.warn(msgThreshold(c, n))
		p.alert(alertThreshold(n), v1beta1.SeverityError, false)
	}
	p.setRoutes(v1beta1.TotalWeight, 0)
	p.syncStatus(v1beta1.CanaryPhaseFailed, 0)
	p.warn(msgCanaryFailed(c))
	p.do(ActScaleToZero)
	p.postRolloutHooks()
	p.report.Failed = true
}

// failPromotion handles a primary that cannot become ready after Promote (Flagger v1.44's
// handleFailedPromotion): the canary, still running the new revision, takes all the traffic.
func (p *plan) failPromotion(reason string) {
	c := p.c
	p.warn(msgPromotionFailed(c, reason))
	p.alert(alertPromotionFailed(reason), v1beta1.SeverityError, false)
	p.setRoutes(0, v1beta1.TotalWeight)
	p.syncStatus(v1beta1.CanaryPhaseFailed, v1beta1.TotalWeight)
	p.postRolloutHooks()
	p.report.Failed = true
}
