package engine_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// fakeJournal is an engine.Journal with a settable committed sequence number.
type fakeJournal struct {
	committed int64
	source    string
}

func (f *fakeJournal) Committed(*v1beta1.Canary) int64     { return f.committed }
func (f *fakeJournal) SourceCommit(*v1beta1.Canary) string { return f.source }

func TestReconcileJournalsTransitionsInTheStatus(t *testing.T) {
	j := &fakeJournal{source: "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d"}
	h := newHarness(t, seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 5, 0)), engine.Options{Journal: j})
	w := ready(revB)
	w.Images = "ghcr.io/stefanprodan/podinfo:6.0.1"
	h.Workloads.Set(w)
	h.Router.Route(95, 5)
	h.Metrics.Set("error-rate", 0.25)
	h.Metrics.Set("latency", 0.3)

	h.tick(t)
	report := h.Telemetry.Reports()[0]
	require.NotNil(t, report.Transition, "weight 5 → 10 is a transition")
	tr := *report.Transition
	require.Equal(t, int64(1), tr.Sequence)
	require.Equal(t, []any{v1beta1.CanaryPhaseProgressing, 10, revB, "ghcr.io/stefanprodan/podinfo:6.0.1", j.source},
		[]any{tr.Phase, tr.CanaryWeight, tr.Revision, tr.Images, tr.SourceCommit})
	require.Contains(t, tr.Events, v1beta1.TransitionEvent{Type: "Normal", Message: "Advance podinfo.test canary weight 10"})
	require.Len(t, tr.Checks, 3, "the tick's load test and metric checks")
	st := h.stored(t).Status
	require.Equal(t, &v1beta1.CanaryJournal{Sequence: 1, SourceCommit: j.source, Pending: []v1beta1.CanaryTransition{tr}}, st.Journal,
		"written with the status that makes it")

	// A tick that changes nothing the ledger records makes no transition.
	h.clock.Step(time.Minute)
	h.Metrics.Set("error-rate", 30)
	h.tick(t)
	require.Equal(t, int64(2), h.Telemetry.Reports()[1].Transition.Sequence, "a failed check is a transition")
	require.Len(t, h.stored(t).Status.Journal.Pending, 2, "nothing committed yet")

	// What the ledger committed leaves the status with the next write.
	j.committed = 2
	h.clock.Step(time.Minute)
	h.Metrics.Set("error-rate", 0.1)
	h.tick(t)
	got := h.stored(t).Status.Journal
	require.Equal(t, int64(3), got.Sequence)
	require.Len(t, got.Pending, 1)
	require.Equal(t, int64(3), got.Pending[0].Sequence)
}

func TestReconcileJournalsAWaitingCanaryWhoseSourceMoved(t *testing.T) {
	j := &fakeJournal{source: "aaaa"}
	c := seedCanary(t, inPhase(v1beta1.CanaryPhaseWaiting),
		withHooks(v1beta1.CanaryWebhook{Name: "approval", Type: v1beta1.ConfirmRolloutHook, URL: "http://gate/"}))
	c.Status.Journal = &v1beta1.CanaryJournal{Sequence: 4, SourceCommit: "aaaa"}
	h := newHarness(t, c, engine.Options{Journal: j})
	h.Workloads.Set(ready(revB))
	h.Router.Route(100, 0)
	h.Hooks.Set("approval", errors.New("closed"))
	h.tick(t)
	require.Nil(t, h.Telemetry.Reports()[0].Transition, "still waiting for the same commit")

	j.source = "bbbb" // a newer commit changed the target again
	h.clock.Step(time.Minute)
	h.tick(t)
	tr := h.Telemetry.Reports()[1].Transition
	require.NotNil(t, tr, "the status branch must name the revision the gate waits for")
	require.Equal(t, []any{int64(5), v1beta1.CanaryPhaseWaiting, "bbbb"}, []any{tr.Sequence, tr.Phase, tr.SourceCommit})
	require.Equal(t, "bbbb", h.stored(t).Status.Journal.SourceCommit)
}

func TestReconcileWithoutJournalRecordsNoTransition(t *testing.T) {
	h := newHarness(t, seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 5, 0)), engine.Options{})
	h.Workloads.Set(ready(revB))
	h.Router.Route(95, 5)
	h.Metrics.Set("error-rate", 0.25)
	h.Metrics.Set("latency", 0.3)
	h.tick(t)
	require.Nil(t, h.Telemetry.Reports()[0].Transition)
	require.Nil(t, h.stored(t).Status.Journal)
}

func TestReconcileKeepsTheIntervalWhenWokenEarly(t *testing.T) {
	h := newHarness(t, seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 5, 0)), engine.Options{})
	h.Workloads.Set(ready(revB))
	h.Router.Route(95, 5)
	h.Metrics.Set("error-rate", 0.25)
	h.Metrics.Set("latency", 0.3)
	require.Equal(t, time.Minute, h.tick(t))
	require.Equal(t, 10, h.stored(t).Status.CanaryWeight)

	// An informer event wakes the canary 4 s later (an edit of the Canary in the same commit):
	// nothing is read, nothing advances, and the next tick is due when the interval ends.
	h.clock.Step(4 * time.Second)
	mark := h.Journal.Len()
	require.Equal(t, 56*time.Second, h.tick(t))
	require.Empty(t, h.lines(mark, "Workloads"), "an early wake reads nothing")
	require.Equal(t, 10, h.stored(t).Status.CanaryWeight)

	h.clock.Step(56 * time.Second)
	h.tick(t)
	require.Equal(t, 15, h.stored(t).Status.CanaryWeight, "the step is taken on time")
}

func TestPace(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(phase v1beta1.CanaryPhase, ago time.Duration) *v1beta1.Canary {
		c := seedCanary(t, inPhase(phase))
		c.Status.LastTransitionTime = metav1.NewTime(now.Add(-ago))
		return c
	}
	deleted := at(v1beta1.CanaryPhaseProgressing, time.Second)
	deleted.DeletionTimestamp = &metav1.Time{Time: now}
	queued := at(v1beta1.CanaryPhaseWaiting, time.Second)
	queued.Status.Queue = &v1beta1.CanaryQueueStatus{Since: metav1.NewTime(now.Add(-time.Minute)), Position: 1, Running: 1, Limit: 1}
	tests := []struct {
		name string
		c    *v1beta1.Canary
		want time.Duration
	}{
		{name: "progressing, woken early", c: at(v1beta1.CanaryPhaseProgressing, 15*time.Second), want: 45 * time.Second},
		{name: "progressing, on time", c: at(v1beta1.CanaryPhaseProgressing, time.Minute)},
		{name: "waiting for a gate", c: at(v1beta1.CanaryPhaseWaiting, time.Second), want: 59 * time.Second},
		{name: "finalising", c: at(v1beta1.CanaryPhaseFinalising, 30*time.Second), want: 30 * time.Second},
		{name: "idle canaries see a new revision at once", c: at(v1beta1.CanaryPhaseSucceeded, time.Second)},
		{name: "new canary", c: seedCanary(t)},
		{name: "deletion", c: deleted},
		{name: "waiting for an analysis slot, woken when one frees", c: queued},
		{name: "clock went back", c: at(v1beta1.CanaryPhaseProgressing, -time.Hour), want: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, engine.Pace(tt.c, 10*time.Second, now))
		})
	}
}
