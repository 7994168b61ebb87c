package engine

import "github.com/gitcanary/gitcanary/api/v1beta1"

// Traffic mirroring (analysis.mirror), as Flagger's scheduler drives it: the router sends a
// copy of the requests to the canary and drops its answers, so the canary is measured under
// real traffic before any user sees it. Validation allows mirror only for routers that can
// mirror (Gateway API); the others never report mirrored routes.

// mirrors reports whether the canary's analysis mirrors traffic.
func (p *plan) mirrors() bool {
	return p.c.Spec.Analysis != nil && p.c.Spec.Analysis.Mirror
}

// mirrored reports whether the routes read this tick mirror the requests to the canary.
func (p *plan) mirrored() bool {
	return p.obs.Routes != nil && p.obs.Routes.Mirror
}

// firstAnalysisTick reports whether this tick starts the analysis (announce it, run the
// pre-rollout hooks): nothing routed to the canary, no iteration yet, and no mirroring under
// way (Flagger's condition, which the mirror step of the canary strategy relies on).
func (p *plan) firstAnalysisTick(canaryWeight int) bool {
	return canaryWeight == 0 && p.c.Status.Iterations == 0 && !(p.mirrors() && p.mirrored())
}

// mirrorStep is the canary strategy's mirroring before any weight (Flagger's runCanary): at
// weight 0, a passing tick first mirrors everything to the canary with all the traffic on the
// primary ("Advance … canary weight 0"); the next passing tick, with the mirror's results in
// its checks, stops mirroring and routes the first step. It reports whether it set the routes.
func (p *plan) mirrorStep(current int) bool {
	if !p.mirrors() || current != 0 || p.mirrored() {
		return false
	}
	p.setMirror()
	p.st.CanaryWeight = 0
	p.info(msgAdvanceWeight(p.c, 0))
	return true
}

// mirrorIteration is Blue/Green's mirroring (Flagger's runBlueGreen): the requests are
// mirrored to the canary during every iteration; the routes are set once, when they do not
// mirror yet.
func (p *plan) mirrorIteration() {
	if p.mirrors() && !p.mirrored() {
		p.setMirror()
	}
}

// setMirror routes everything to the primary and mirrors the requests to the canary.
func (p *plan) setMirror() {
	p.act(Action{Kind: ActSetRoutes, Primary: v1beta1.TotalWeight, Mirror: true})
}

// cutOverMessage is the event of Blue/Green's switch of all traffic to the canary.
func (p *plan) cutOverMessage() string {
	if p.mirrors() {
		return msgStopMirroring
	}
	return msgRoutingCanary
}
