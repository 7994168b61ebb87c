package controller

import (
	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/gitcanary/gitcanary/status"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// The ledger receives every transition from the tick that made it (engine.TickReport), never
// from the informer: the reconciler numbers the transition and writes it into the Canary's
// status with the status change itself (status.journal), and the ledger commits each number
// once. A transition written but not yet committed when the controller stops is still in the
// status, and recoverTransitions hands it over again at the next start.

// journal is the engine.Journal of the controller: what the ledger has committed, and the commit
// that applied each Canary.
type journal struct {
	ledger  *ledger.Ledger
	sources *gitsync.Loop
}

var _ engine.Journal = journal{}

// Committed implements engine.Journal.
func (j journal) Committed(c *v1beta1.Canary) int64 {
	return j.ledger.Committed(c.Namespace, c.Name, string(c.UID))
}

// SourceCommit implements engine.Journal.
func (j journal) SourceCommit(c *v1beta1.Canary) string {
	commit, _ := j.sources.SourceCommit(c.Namespace, c.Name)
	return commit
}

// tickSink is the engine's Telemetry: each tick's report goes to the controller metrics, and its
// transition, when it made one, to the ledger.
type tickSink struct {
	telemetry *status.Telemetry
	ledger    *ledger.Ledger // nil without a ledger
	after     func(ledger.Transition)
	log       logr.Logger
}

// Record implements engine.Telemetry.
func (s tickSink) Record(c *v1beta1.Canary, r engine.TickReport) {
	s.telemetry.Record(c, r)
	if s.ledger != nil && r.Transition != nil {
		recordTransition(s.ledger, c, *r.Transition, s.log)
		if s.after != nil {
			s.after(ledgerTransition(c, *r.Transition))
		}
	}
}

// recoverTransitions hands the ledger the transitions that the Canaries' status keeps as not yet
// committed, oldest first; the ledger drops those its branch records already. It runs before the
// analysis workers start, so recovered transitions precede new ones.
func recoverTransitions(canaries []any, l *ledger.Ledger, log logr.Logger) int {
	n := 0
	for _, o := range canaries {
		c, ok := o.(*v1beta1.Canary)
		if !ok || c.Status.Journal == nil {
			continue
		}
		for _, t := range c.Status.Journal.Pending {
			recordTransition(l, c, t, log)
			n++
		}
	}
	return n
}

func recordTransition(l *ledger.Ledger, c *v1beta1.Canary, t v1beta1.CanaryTransition, log logr.Logger) {
	if err := l.Record(ledgerTransition(c, t)); err != nil {
		log.Error(err, "ledger did not record a transition", "canary", c.ID(), "sequence", t.Sequence, "phase", t.Phase)
	}
}

// ledgerTransition is the ledger's form of a Canary's transition.
func ledgerTransition(c *v1beta1.Canary, t v1beta1.CanaryTransition) ledger.Transition {
	out := ledger.Transition{
		Namespace: c.Namespace, Name: c.Name, UID: string(c.UID), Sequence: t.Sequence,
		Phase: string(t.Phase), Weight: t.CanaryWeight, FailedChecks: t.FailedChecks,
		SourceCommit: t.SourceCommit, TargetRevision: t.Images, Time: t.Time.Time,
	}
	if out.TargetRevision == "" {
		out.TargetRevision = t.Revision
	}
	for _, e := range t.Events {
		out.Events = append(out.Events, ledger.Event{Time: t.Time.Time, Type: e.Type, Reason: status.ReasonSynced, Message: e.Message})
	}
	out.Metrics, out.Webhooks = ledger.Checks(t.Checks)
	return out
}
