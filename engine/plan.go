package engine

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// plan accumulates the decision of one tick while a phase function runs. The phase functions
// describe Flagger's tick in order; whenever they need a result the observation does not hold
// yet, they call a check helper that sets need and return, and Decide returns that need.
type plan struct {
	c   *v1beta1.Canary
	obs *Observation
	now time.Time

	// st is the next status; its phase is also the phase stamped on events as they are added,
	// as Flagger's in-memory canary carries it.
	st      v1beta1.CanaryStatus
	actions []Action
	need    *Check
	report  TickReport
	// requeue overrides the analysis interval when set.
	requeue time.Duration
	// ready and stalled override the conditions derived from the phase (suspend, invalid spec).
	ready, stalled *condition
	// evidence holds the metric checks of the tick as status.analysis.checks keeps them.
	evidence []v1beta1.CanaryCheck
}

func newPlan(c *v1beta1.Canary, obs *Observation, now time.Time) *plan {
	return &plan{c: c, obs: obs, now: now, st: *c.Status.DeepCopy()}
}

func (p *plan) act(a Action) { p.actions = append(p.actions, a) }

func (p *plan) do(kind ActionKind) { p.act(Action{Kind: kind}) }

func (p *plan) setRoutes(primary, canary int) {
	p.act(Action{Kind: ActSetRoutes, Primary: primary, Canary: canary})
}

// event records an event stamped with the phase the canary has at this point of the tick.
func (p *plan) event(eventType, message string) {
	p.act(Action{Kind: ActRecordEvent, Phase: p.st.Phase, Event: Event{Type: eventType, Message: message}})
}

func (p *plan) info(message string) { p.event(corev1.EventTypeNormal, message) }

func (p *plan) warn(message string) { p.event(corev1.EventTypeWarning, message) }

func (p *plan) alert(message string, severity v1beta1.AlertSeverity, metadata bool) {
	p.act(Action{Kind: ActNotify, Notification: Notification{Message: message, Severity: severity, WithMetadata: metadata}})
}

func (p *plan) postRolloutHooks() {
	p.act(Action{Kind: ActPostRolloutHooks, Phase: p.st.Phase})
}

// reconcile is the part of Flagger's tick that runs in every phase after initialisation:
// make sure the primary and the routing objects exist.
func (p *plan) reconcile() {
	p.do(ActEnsurePrimary)
	p.do(ActReconcileRouter)
}

// observed reports whether Workloads.Observe ran, and asks for it when it did not.
func (p *plan) observed() bool {
	if p.obs.Workload == nil {
		p.need = &Check{Kind: CheckWorkload}
		return false
	}
	return true
}

// routes returns the routed weights, or asks for them. A read error is recorded as a Warning
// event and ends the tick, as in Flagger.
func (p *plan) routes() (primary, canary int, ok bool) {
	r := p.obs.Routes
	if r == nil {
		p.need = &Check{Kind: CheckRoutes}
		return 0, 0, false
	}
	if r.Err != nil {
		p.warn(r.Err.Error())
		return 0, 0, false
	}
	p.report.PrimaryWeight, p.report.CanaryWeight, p.report.Routed = r.Primary, r.Canary, true
	return r.Primary, r.Canary, true
}

// hookRun is the outcome of calling the webhooks of one type in list order: the names of those
// that answered 2xx, and the first that failed (nil when all passed) with its error.
type hookRun struct {
	passed []string
	failed *v1beta1.CanaryWebhook
	err    error
}

// hooks calls the webhooks of type t in list order with the given payload phase and stops at
// the first failure. ok is false while a call is pending.
func (p *plan) hooks(t v1beta1.HookType, phase v1beta1.CanaryPhase) (run hookRun, ok bool) {
	for i, h := range p.webhooks() {
		if h.EffectiveType() != t {
			continue
		}
		res, done := p.obs.Hooks[i]
		if !done {
			p.need = &Check{Kind: CheckHook, Index: i, Name: h.Name, Hook: t, Phase: phase}
			return hookRun{}, false
		}
		if res != nil {
			run.failed, run.err = &p.webhooks()[i], res
			return run, true
		}
		run.passed = append(run.passed, h.Name)
	}
	return run, true
}

func (p *plan) webhooks() []v1beta1.CanaryWebhook {
	if p.c.Spec.Analysis == nil {
		return nil
	}
	return p.c.Spec.Analysis.Webhooks
}

// gate runs the webhooks of a gate type (confirm-rollout, confirm-traffic-increase,
// confirm-promotion) with a success event for each that passes.
func (p *plan) gate(t v1beta1.HookType, phase v1beta1.CanaryPhase) (failed *v1beta1.CanaryWebhook, ok bool) {
	run, ok := p.hooks(t, phase)
	if !ok {
		return nil, false
	}
	for _, name := range run.passed {
		p.info(msgHookPassed(t, name))
	}
	return run.failed, true
}

// interval is the canary's analysis interval with the controller's floor.
func (p *plan) interval() time.Duration {
	floor := p.obs.IntervalFloor
	if floor <= 0 {
		floor = v1beta1.MinAnalysisInterval
	}
	return p.c.AnalysisIntervalAtLeast(floor)
}

// finish turns the plan into a Decision.
func (p *plan) finish() Decision {
	if p.need != nil {
		return Decision{Need: p.need}
	}
	p.st.ObservedGeneration = p.c.Generation
	if p.st.Phase != v1beta1.CanaryPhaseWaiting {
		p.st.Queue = nil // only a waiting canary has a place in the queue
	}
	p.recordEvidence()
	p.setConditions()
	changed := statusChanged(&p.c.Status, &p.st)
	if changed {
		p.st.LastTransitionTime = metaTime(p.now)
	}
	requeue := p.interval()
	if p.requeue > 0 {
		requeue = min(requeue, p.requeue)
	}
	p.report.Phase = p.st.Phase
	p.report.MetricValues = metricValues(p.c, p.obs)
	for _, a := range p.actions {
		if a.Kind == ActSetRoutes {
			p.report.PrimaryWeight, p.report.CanaryWeight, p.report.Routed = a.Primary, a.Canary, true
		}
	}
	return Decision{Status: p.st, StatusChanged: changed, Actions: p.actions, Requeue: requeue, Report: p.report}
}

// metricValues returns the value of every metric queried this tick, request-duration in
// seconds as Flagger's flagger_canary_metric_analysis gauge has it.
func metricValues(c *v1beta1.Canary, obs *Observation) map[string]float64 {
	if len(obs.Metrics) == 0 || c.Spec.Analysis == nil {
		return nil
	}
	out := map[string]float64{}
	for i, m := range c.Spec.Analysis.Metrics {
		r, ok := obs.Metrics[i]
		if !ok || r.Err != nil {
			continue
		}
		v := r.Value
		if m.IsBuiltin() && m.Name == v1beta1.BuiltinRequestDuration {
			v /= 1000
		}
		out[m.Name] = v
	}
	return out
}
