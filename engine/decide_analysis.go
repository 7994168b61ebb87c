package engine

import "github.com/gitcanary/gitcanary/api/v1beta1"

// decideAnalysing is a tick of Progressing or WaitingPromotion: restart on a new revision, wait
// for the target, honour skipAnalysis and rollback hooks, roll back at the failed checks
// threshold, else run the checks and, when they pass, advance the strategy one step.
func decideAnalysing(p *plan) {
	c := p.c
	p.reconcile()
	if !p.primaryGate(false) {
		return
	}
	_, canaryWeight, ok := p.routes()
	if !ok {
		return
	}
	if p.manualRevision() {
		return
	}
	if p.targetChanged() {
		p.setRoutes(v1beta1.TotalWeight, 0)
		p.syncStatus(v1beta1.CanaryPhaseProgressing, 0)
		p.resetPolicies()
		p.info(msgRestart(c))
		return
	}
	if !p.canaryGate() {
		return
	}
	if c.SkipAnalysis() {
		p.skipAnalysis()
		return
	}
	if rolledBack, ok := p.rollbackHooks(); !ok || rolledBack {
		return
	}
	if c.Status.FailedChecks >= c.AnalysisThreshold() {
		p.rollback()
		return
	}
	p.report.Analysed = true
	outcome, ok := p.analyse(p.firstAnalysisTick(canaryWeight))
	switch {
	case !ok, outcome == tickHeld:
		return
	case outcome == tickFailed:
		p.st.FailedChecks++
		return
	}
	switch c.Strategy() {
	case v1beta1.CanaryStrategy:
		p.advanceCanary(canaryWeight)
	case v1beta1.ABTestingStrategy:
		p.advanceABTest()
	default:
		p.advanceIterations()
	}
}

// rollbackHooks calls the rollback webhooks in order; the first that answers 2xx rolls the
// canary back. Hooks that fail do not signal a rollback and the next one is asked.
func (p *plan) rollbackHooks() (rolledBack, ok bool) {
	c := p.c
	for i, h := range p.webhooks() {
		if h.EffectiveType() != v1beta1.RollbackHook {
			continue
		}
		err, done := p.obs.Hooks[i]
		if !done {
			p.need = &Check{Kind: CheckHook, Index: i, Name: h.Name, Hook: v1beta1.RollbackHook, Phase: c.Status.Phase}
			return false, false
		}
		if err != nil {
			p.info(msgRollbackNotSignaled(h.Name))
			continue
		}
		p.warn(msgHookPassed(v1beta1.RollbackHook, h.Name))
		p.warn(msgManualRollback(c))
		p.alert(alertManualRollback, v1beta1.SeverityWarn, false)
		p.rollback()
		return true, true
	}
	return false, true
}

// analyse runs one tick's checks. The first analysis tick (nothing routed to the canary and no
// iteration yet) announces the analysis and runs the pre-rollout hooks; the first step follows
// in the same tick. Later ticks run the rollout hooks, then the metrics. The first failure
// records its event and fails the tick's check; the no-data and query-error policies may hold
// the tick instead (neither advance nor failure).
func (p *plan) analyse(first bool) (outcome tickOutcome, ok bool) {
	c := p.c
	if first {
		p.info(msgStarting(c))
		run, ok := p.hooks(v1beta1.PreRolloutHook, v1beta1.CanaryPhaseProgressing)
		if !ok {
			return tickFailed, false
		}
		for _, name := range run.passed {
			p.info(msgHookPassed(v1beta1.PreRolloutHook, name))
		}
		if run.failed != nil {
			p.warn(msgPreRolloutFailed(c, run.failed.Name, run.err))
			return tickFailed, true
		}
		return tickPassed, true
	}
	run, ok := p.hooks(v1beta1.RolloutHook, v1beta1.CanaryPhaseProgressing)
	if !ok {
		return tickFailed, false
	}
	if run.failed != nil {
		p.warn(msgRolloutFailed(c, run.failed.Name, run.err))
		return tickFailed, true
	}
	return p.metrics()
}

// advanceCanary is one passing tick of the canary strategy: below maxWeight the canary gets
// the next step (after the confirm-traffic-increase gate, which mirrored routes skip, and,
// with analysis.mirror, after one mirroring step); at maxWeight, after the confirm-promotion
// gate, the target is promoted.
func (p *plan) advanceCanary(current int) {
	c, a := p.c, p.c.Spec.Analysis
	if nextStepWeight(a, current) <= 0 {
		return // stepWeight 0 never advances, as in Flagger
	}
	if c.Status.Phase != v1beta1.CanaryPhaseWaitingPromotion && !p.mirrored() {
		failed, ok := p.gate(v1beta1.ConfirmTrafficIncreaseHook, v1beta1.CanaryPhaseProgressing)
		if !ok {
			return
		}
		if failed != nil {
			p.warn(msgWaitingTraffic(c, failed.Name))
			if !failed.MuteAlert {
				p.alert(alertWaitingTraffic, v1beta1.SeverityWarn, false)
			}
			return
		}
	}
	if current < c.MaxWeight() {
		if p.mirrorStep(current) {
			return
		}
		w := advance(a, current)
		p.setRoutes(v1beta1.TotalWeight-w, w)
		p.st.CanaryWeight = w
		p.info(msgAdvanceWeight(c, w))
		return
	}
	if p.confirmPromotion() {
		p.promote()
	}
}

// advanceABTest is one passing tick of A/B testing (Flagger's runAB): every iteration routes
// the requests that match analysis.match to the canary (SetRoutes 0/100: the router's
// matched rule; the others stay on the primary), then, after the confirm-promotion gate, the
// target is promoted. Validation allows match only for providers that can match requests
// (Gateway API), so SMI never sees the 0/100 (quirk S10).
func (p *plan) advanceABTest() {
	c := p.c
	n, it := c.Spec.Analysis.Iterations, c.Status.Iterations
	if n > it {
		p.setRoutes(0, v1beta1.TotalWeight)
		p.st.Iterations = it + 1
		p.info(msgAdvanceIteration(c, it+1, n))
		return
	}
	if p.confirmPromotion() {
		p.promote()
	}
}

// advanceIterations is one passing tick of Blue/Green: count the iterations with traffic on
// the primary (mirrored to the canary with analysis.mirror), then (after the
// confirm-promotion gate) route everything to the canary for one more tick, then promote.
func (p *plan) advanceIterations() {
	c := p.c
	n, it := c.Spec.Analysis.Iterations, c.Status.Iterations
	if n > it {
		p.mirrorIteration()
		p.st.Iterations = it + 1
		p.info(msgAdvanceIteration(c, it+1, n))
		return
	}
	if !p.confirmPromotion() {
		return
	}
	if n == it {
		p.info(p.cutOverMessage())
		p.setRoutes(0, v1beta1.TotalWeight)
		p.st.Iterations = it + 1
		return
	}
	p.promote()
}

// confirmPromotion runs the confirm-promotion gate. A closed gate moves the canary to
// WaitingPromotion once, with a Warning and an alert; later ticks keep asking.
func (p *plan) confirmPromotion() bool {
	c := p.c
	failed, ok := p.gate(v1beta1.ConfirmPromotionHook, v1beta1.CanaryPhaseProgressing)
	if !ok {
		return false
	}
	if failed == nil {
		return true
	}
	if c.Status.Phase != v1beta1.CanaryPhaseWaitingPromotion {
		p.setPhase(v1beta1.CanaryPhaseWaitingPromotion)
		p.warn(msgWaitingPromotion(c, failed.Name))
		if !failed.MuteAlert {
			p.alert(alertWaitingPromotion, v1beta1.SeverityWarn, false)
		}
	} else {
		p.st.Iterations = p.iterationsBeforeLast()
	}
	return false
}

// promote copies the target to the primary and moves to Promoting.
func (p *plan) promote() {
	p.info(msgCopying(p.c))
	p.do(ActPromote)
	p.setPhase(v1beta1.CanaryPhasePromoting)
}
