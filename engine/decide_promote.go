package engine

import "github.com/gitcanary/gitcanary/api/v1beta1"

// decidePromoting is a tick after Promote: once the primary has rolled out, the primary
// autoscaler is updated and the traffic goes back to the primary, in one step or by
// stepWeightPromotion per tick, then Finalising.
func decidePromoting(p *plan) {
	c := p.c
	if !p.promotionGates() {
		return
	}
	if c.Spec.AutoscalerRef != nil {
		p.do(ActSyncPrimaryAutoscaler)
	}
	step := c.Spec.Analysis.StepWeightPromotion
	canary := p.obs.Routes.Canary
	switch {
	case step == 0:
		p.info(msgRoutingPrimary)
		p.setRoutes(v1beta1.TotalWeight, 0)
		p.setPhase(v1beta1.CanaryPhaseFinalising)
	case canary > 0:
		w := retreat(c.Spec.Analysis, canary)
		p.setRoutes(v1beta1.TotalWeight-w, w)
		p.info(msgAdvancePrimary(c, v1beta1.TotalWeight-w))
		if w == 0 {
			p.setPhase(v1beta1.CanaryPhaseFinalising)
		} else {
			p.st.CanaryWeight = w
		}
	default:
		p.setPhase(v1beta1.CanaryPhaseFinalising)
	}
}

// decideFinalising scales the target to zero and ends the analysis: Succeeded.
func decideFinalising(p *plan) {
	c := p.c
	if !p.promotionGates() {
		return
	}
	p.do(ActScaleToZero)
	p.setPhase(v1beta1.CanaryPhaseSucceeded)
	p.postRolloutHooks()
	p.info(msgPromoted(c))
	p.alert(alertPromotionSucceeded, v1beta1.SeverityInfo, false)
	p.report.Succeeded = true
}

// promotionGates is the part of a Promoting or Finalising tick before its own work: reconcile,
// the primary (a failed promotion past its deadline), the routes, the target, and skipAnalysis,
// which promotes at once. It reports whether the tick goes on.
func (p *plan) promotionGates() bool {
	p.reconcile()
	if !p.primaryGate(true) {
		return false
	}
	if _, _, ok := p.routes(); !ok {
		return false
	}
	if !p.canaryGate() {
		return false
	}
	if p.c.SkipAnalysis() {
		p.skipAnalysis()
		return false
	}
	return true
}

// skipAnalysis promotes the target without analysis (skipAnalysis, or no analysis at all).
func (p *plan) skipAnalysis() {
	c := p.c
	p.setRoutes(v1beta1.TotalWeight, 0)
	p.info(msgCopying(c))
	p.do(ActPromote)
	if c.Spec.AutoscalerRef != nil {
		p.do(ActSyncPrimaryAutoscaler)
	}
	p.do(ActScaleToZero)
	p.setPhase(v1beta1.CanaryPhaseSucceeded)
	p.postRolloutHooks()
	p.info(msgSkipped(c))
	p.alert(alertSkipped, v1beta1.SeverityInfo, false)
	p.report.Succeeded, p.report.Skipped = true, true
}
