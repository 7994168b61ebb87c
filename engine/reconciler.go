package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Ports are the adapters a Reconciler works through. All are required but Admission.
type Ports struct {
	Workloads Workloads
	Scaler    Scaler
	Router    Router
	Metrics   Metrics
	Hooks     Hooks
	Notifier  Notifier
	Recorder  Recorder
	Canaries  Canaries
	Telemetry Telemetry
	// Admission applies the concurrency caps; optional (nil admits every analysis).
	Admission Admission
}

// Options tune a Reconciler. The zero value is Flagger's behaviour with the real clock.
type Options struct {
	// Clock gives the time of each tick (default: the real clock).
	Clock clock.PassiveClock
	// DefaultProvider is the mesh provider of canaries without spec.provider (default
	// v1beta1.DefaultProvider, smi:crossover).
	DefaultProvider string
	// MinInterval is the shortest analysis interval (default Flagger's 10s). Tests and the
	// demo use shorter ones.
	MinInterval time.Duration
	// Logger receives the reconciler's structured logs (default: discarded).
	Logger logr.Logger
	// Journal, when set, numbers the canaries' transitions and keeps the uncommitted ones in
	// their status for the status ledger (TickReport.Transition); nil records none.
	Journal Journal
	// Desired, when set, tells the revision of each target that Git wants: a new target
	// revision that is not Git's (set by hand) is not analysed, and Git's is restored.
	Desired Desired
}

// Reconciler runs one canary tick at a time: observe, decide, act, record. It keeps no state
// between ticks: everything it needs is in the Canary and what the ports observe.
type Reconciler struct {
	ports    Ports
	clock    clock.PassiveClock
	provider string
	floor    time.Duration
	log      logr.Logger
	journal  Journal
	desired  Desired
}

// NewReconciler returns a Reconciler over the given ports.
func NewReconciler(p Ports, o Options) (*Reconciler, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.DefaultProvider == "" {
		o.DefaultProvider = v1beta1.DefaultProvider
	}
	if o.MinInterval <= 0 {
		o.MinInterval = v1beta1.MinAnalysisInterval
	}
	return &Reconciler{ports: p, clock: o.Clock, provider: o.DefaultProvider, floor: o.MinInterval, log: o.Logger, journal: o.Journal, desired: o.Desired}, nil
}

func (p Ports) check() error {
	var missing []string
	for name, set := range map[string]bool{
		"Workloads": p.Workloads != nil, "Scaler": p.Scaler != nil, "Router": p.Router != nil,
		"Metrics": p.Metrics != nil, "Hooks": p.Hooks != nil, "Notifier": p.Notifier != nil,
		"Recorder": p.Recorder != nil, "Canaries": p.Canaries != nil, "Telemetry": p.Telemetry != nil,
	} {
		if !set {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("new reconciler: %w: %v", ErrMissingPort, missing)
	}
	return nil
}

// Reconcile runs one tick for the Canary namespace/name and returns when the next one is due.
// A Canary that does not exist needs no tick (0, nil). A failing action is recorded as a
// Warning event on the Canary and the tick is retried after the interval, without a status
// write; err is returned only when the Canary itself cannot be read or its status written.
func (r *Reconciler) Reconcile(ctx context.Context, namespace, name string) (requeueAfter time.Duration, err error) {
	begin := r.clock.Now()
	stored, err := r.ports.Canaries.Get(ctx, namespace, name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get canary %s/%s: %w", namespace, name, err)
	}
	if wait := Pace(stored, r.floor, begin); wait > 0 {
		return wait, nil // woken early: the next step is due after the interval
	}
	c := r.effective(stored)
	log := r.log.WithValues("canary", stored.ID())

	d, obs, err := r.decide(ctx, c, begin)
	if err != nil {
		return 0, err
	}
	report := d.Report
	events := &tickEvents{next: r.ports.Recorder}
	if err := r.act(ctx, stored, c, d.Actions, events, log); err != nil {
		report = TickReport{Phase: c.Status.Phase, MetricValues: report.MetricValues, Checks: report.Checks}
	} else if report.Transition, err = r.record(ctx, stored, d, obs, events.events, begin, log); err != nil {
		return d.Requeue, err
	}
	if report.Analysed {
		report.Duration = r.clock.Since(begin)
	}
	r.ports.Telemetry.Record(c, report)
	return d.Requeue, nil
}

// effective returns the Canary the ports see: spec.provider defaulted to the controller's
// provider. The stored object is kept unchanged for the writes to the Canary itself.
func (r *Reconciler) effective(c *v1beta1.Canary) *v1beta1.Canary {
	if c.Spec.Provider != "" {
		return c
	}
	e := c.DeepCopy()
	e.Spec.Provider = r.provider
	return e
}

// decide runs the decide loop: Decide, run the check it needs, record the result, until the
// decision is final. Validation runs first; its result is part of the observation.
func (r *Reconciler) decide(ctx context.Context, c *v1beta1.Canary, now time.Time) (Decision, Observation, error) {
	obs := Observation{Invalid: v1beta1.ValidateCanary(c), IntervalFloor: r.floor}
	if r.ports.Admission == nil {
		obs.SetAdmission(Admitted)
	}
	limit := 4
	if a := c.Spec.Analysis; a != nil {
		limit += len(a.Webhooks) + len(a.Metrics)
	}
	for range limit {
		d := Decide(c, obs, now)
		if d.Need == nil {
			return d, obs, nil
		}
		r.check(ctx, c, *d.Need, &obs, now)
	}
	return Decision{}, obs, fmt.Errorf("decide canary %s: %w after %d checks", c.EventName(), ErrNoDecision, limit)
}

// check runs one check and records its result.
func (r *Reconciler) check(ctx context.Context, c *v1beta1.Canary, ch Check, obs *Observation, now time.Time) {
	switch ch.Kind {
	case CheckWorkload:
		w, err := r.ports.Workloads.Observe(ctx, c)
		if err == nil && r.desired != nil {
			w.GitRevision, _ = r.desired.TargetRevision(c)
		}
		obs.SetWorkload(w, err)
	case CheckRoutes:
		obs.SetRoutes(r.ports.Router.Routes(ctx, c))
	case CheckHook:
		h := c.Spec.Analysis.Webhooks[ch.Index]
		obs.SetHook(ch.Index, r.ports.Hooks.Call(ctx, c, h, ch.Phase))
	case CheckMetric:
		m := c.Spec.Analysis.Metrics[ch.Index]
		// gitcanary defaults the query window of every metric, templates included (quirk S8).
		m.Interval = m.EffectiveInterval()
		s, err := r.ports.Metrics.Query(ctx, c, m)
		obs.SetMetric(ch.Index, s, err)
	case CheckProviders:
		obs.SetProviders(r.ports.Metrics.Available(ctx, c))
	case CheckAdmission:
		obs.SetAdmission(r.ports.Admission.Admit(c, now))
	}
}

// record writes the status when it changed and logs phase transitions. With a Journal, the
// tick's transition is numbered and written in the same status; it is returned once written.
func (r *Reconciler) record(ctx context.Context, stored *v1beta1.Canary, d Decision, obs Observation,
	events []v1beta1.TransitionEvent, now time.Time, log logr.Logger) (*v1beta1.CanaryTransition, error) {
	var t *v1beta1.CanaryTransition
	if r.journal != nil && d.Status.Phase != "" {
		facts := transitionFacts{events: events, checked: len(d.Report.Checks) > 0 || len(obs.Hooks) > 0,
			source: r.journal.SourceCommit(stored), committed: r.journal.Committed(stored), now: now}
		if obs.Workload != nil && obs.Workload.Err == nil {
			facts.images = obs.Workload.Workload.Images
		}
		t = journal(&stored.Status, &d.Status, facts)
	}
	if !d.StatusChanged && t == nil {
		return nil, nil
	}
	if err := r.ports.Canaries.WriteStatus(ctx, stored, d.Status); err != nil {
		return nil, fmt.Errorf("write status of canary %s: %w", stored.ID(), err)
	}
	if d.Status.Phase != stored.Status.Phase {
		kv := []any{"phase", d.Status.Phase, "weight", d.Status.CanaryWeight}
		if obs.Workload != nil && obs.Workload.Err == nil {
			kv = append(kv, "revision", obs.Workload.Workload.Revision)
		}
		log.Info("canary phase changed", kv...)
	}
	return t, nil
}
