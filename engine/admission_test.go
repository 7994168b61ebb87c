package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/enginetest"
)

// queued gives a Waiting canary analysing revB a place in the analysis queue since 2 minutes.
func queued(position int) func(*v1beta1.Canary) {
	return func(c *v1beta1.Canary) {
		analysing(v1beta1.CanaryPhaseWaiting, 0, 0)(c)
		c.Status.LastAppliedSpec = revA
		c.Status.Queue = &v1beta1.CanaryQueueStatus{Since: metaAgo(120), Position: position, Running: 2, Limit: 2}
	}
}

// full is a cap of 2 with both slots taken; the canary would be at position.
func full(position int) *engine.AdmissionResult {
	return &engine.AdmissionResult{Position: position, Running: 2, Limit: 2}
}

// inQueue asserts status.queue and the Ready and Promoted conditions of a waiting canary.
func inQueue(since metav1.Time, position int, ready string) func(t *testing.T, st v1beta1.CanaryStatus) {
	return func(t *testing.T, st v1beta1.CanaryStatus) {
		t.Helper()
		require.Equal(t, &v1beta1.CanaryQueueStatus{Since: since, Position: position, Running: 2, Limit: 2}, st.Queue)
		require.Equal(t, ready, st.Condition(v1beta1.ReadyType).Message)
		require.Equal(t, "Unknown", string(st.Condition(v1beta1.ReadyType).Status))
		require.Equal(t, "Waiting for an analysis slot.", st.Condition(v1beta1.PromotedType).Message)
		require.Equal(t, revA, st.LastAppliedSpec, "the revision is applied when its analysis starts")
	}
}

func noQueue(t *testing.T, st v1beta1.CanaryStatus) {
	t.Helper()
	require.Nil(t, st.Queue)
}

func TestDecideAdmission(t *testing.T) {
	started := []string{
		"EnsurePrimary", "ReconcileRouter",
		"Event Normal: New revision detected! Scaling up podinfo.test",
		"Notify info: New revision detected, progressing canary analysis.",
		"ScaleFromZero",
	}
	gated := withHooks(hook(v1beta1.ConfirmRolloutHook, "gate"))
	primaryDead := ready(revB)
	primaryDead.Primary = engine.Readiness{Message: `deployment "podinfo-primary" exceeded its progress deadline`}
	runDecideCases(t, []decideCase{{
		name:   "a new revision beyond the cap waits for a slot",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)),
		world:  world{workload: ready(revB), primary: 100, admission: full(3)},
		want: []string{"EnsurePrimary", "ReconcileRouter",
			"Event Normal: Halt podinfo.test advancement waiting for an analysis slot: 2 of 2 running, position 3"},
		phase:  v1beta1.CanaryPhaseWaiting,
		checks: []string{"Workload", "Routes", "Admission"},
		status: inQueue(metav1.NewTime(t0), 3, "Waiting for an analysis slot: 2 of 2 running, position 3."),
	}, {
		name:   "a waiting canary moves up the queue silently and keeps its place in time",
		canary: seedCanary(t, queued(3)),
		world:  world{workload: ready(revB), primary: 100, admission: full(1)},
		want:   []string{"EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseWaiting,
		status: inQueue(metaAgo(120), 1, "Waiting for an analysis slot: 2 of 2 running, position 1."),
	}, {
		name:   "the namespace's cap is named",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized)),
		world: world{workload: ready(revB), primary: 100,
			admission: &engine.AdmissionResult{Position: 2, Running: 1, Limit: 1, Namespace: "test"}},
		want: []string{"EnsurePrimary", "ReconcileRouter",
			"Event Normal: Halt podinfo.test advancement waiting for an analysis slot in namespace test: 1 of 1 running, position 2"},
		phase: v1beta1.CanaryPhaseWaiting,
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			require.Equal(t, "test", st.Queue.Namespace)
			require.Equal(t, "Waiting for an analysis slot in namespace test: 1 of 1 running, position 2.", st.Condition(v1beta1.ReadyType).Message)
		},
	}, {
		name:   "a free slot starts the waiting canary's analysis and it leaves the queue",
		canary: seedCanary(t, queued(1)),
		world:  world{workload: ready(revB), primary: 100, admission: &engine.Admitted},
		want:   started,
		phase:  v1beta1.CanaryPhaseProgressing,
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			noQueue(t, st)
			require.Equal(t, revB, st.LastAppliedSpec)
			require.Equal(t, "New revision detected, progressing canary analysis.", st.Condition(v1beta1.PromotedType).Message)
		},
	}, {
		name:   "the confirm-rollout gate is asked before a slot",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized), gated),
		world:  world{workload: ready(revB), primary: 100, hooks: map[string]error{"gate": errForbidden}, admission: full(1)},
		want: []string{"EnsurePrimary", "ReconcileRouter",
			"Event Warning: Halt podinfo.test advancement waiting for approval gate",
			"Notify warn: Canary is waiting for approval."},
		phase:  v1beta1.CanaryPhaseWaiting,
		checks: []string{"Workload", "Routes", "Hook confirm-rollout gate phase=Initialized"},
		status: noQueue,
	}, {
		name:   "a queued canary whose gate closes leaves the queue and waits for approval",
		canary: seedCanary(t, queued(1), gated),
		world:  world{workload: ready(revB), primary: 100, hooks: map[string]error{"gate": errForbidden}, admission: full(1)},
		want: []string{"EnsurePrimary", "ReconcileRouter",
			"Event Warning: Halt podinfo.test advancement waiting for approval gate",
			"Notify warn: Canary is waiting for approval."},
		phase:  v1beta1.CanaryPhaseWaiting,
		status: noQueue,
	}, {
		name:   "an idle canary asks for no slot",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)),
		world:  world{workload: ready(revA), admission: full(1)},
		want:   []string{"EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseSucceeded,
		checks: []string{"Workload"},
	}, {
		name:   "a queued canary rolled back for a dead primary leaves the queue",
		canary: seedCanary(t, queued(1)),
		world:  world{workload: primaryDead, primary: 100, admission: full(1)},
		want: []string{"EnsurePrimary", "ReconcileRouter",
			"Event Warning: podinfo-primary.test not ready: deployment \"podinfo-primary\" exceeded its progress deadline",
			"SetRoutes 100/0", "Event Warning: Canary failed! Scaling down podinfo.test",
			"ScaleToZero", "PostRolloutHooks Failed"},
		phase:  v1beta1.CanaryPhaseFailed,
		status: noQueue,
	}})
}

// The engine works without an Admission port: every analysis is admitted, and the reconciler
// never asks.
func TestAdmittedIsAnAdmission(t *testing.T) {
	require.True(t, engine.Admitted.Admitted)
	require.Equal(t, "Admission", engine.Check{Kind: engine.CheckAdmission}.String())
}

func TestOccupiesSlotAndQueued(t *testing.T) {
	for phase, want := range map[v1beta1.CanaryPhase]bool{
		v1beta1.CanaryPhaseProgressing: true, v1beta1.CanaryPhaseWaitingPromotion: true,
		v1beta1.CanaryPhasePromoting: true, v1beta1.CanaryPhaseFinalising: true,
		v1beta1.CanaryPhaseWaiting: false, v1beta1.CanaryPhaseSucceeded: false, v1beta1.CanaryPhaseInitializing: false,
	} {
		require.Equal(t, want, engine.OccupiesSlot(phase), phase)
	}
	c := seedCanary(t, queued(1))
	require.True(t, engine.Queued(c))
	c.Spec.Suspend = true
	require.False(t, engine.Queued(c), "a suspended canary does not wait")
	require.False(t, engine.Queued(seedCanary(t, inPhase(v1beta1.CanaryPhaseWaiting))), "waiting for approval is not the queue")
}

// TestGoldenQueued drives the seed's Canary under a full cap: its new revision waits two ticks
// for a slot, moving up the queue, then its analysis runs to the promotion. The caps are asked
// once per tick while it waits, and never before or after.
func TestGoldenQueued(t *testing.T) {
	h := &harness{World: enginetest.NewWorld(), clock: clocktesting.NewFakeClock(t0), c: seedCanary(t)}
	ports := h.Ports()
	ports.Admission = h.Admission
	r, err := engine.NewReconciler(ports, engine.Options{Clock: h.clock})
	require.NoError(t, err)
	h.r = r
	h.Canaries.Put(h.c)
	h.Metrics.Set("error-rate", 0.12)
	h.Metrics.Set("latency", 0.25)
	h.Admission.Set(*full(2), *full(1), engine.Admitted)

	s := newCluster(h, revA)
	lines := s.run(t, 10, inPhases(v1beta1.CanaryPhaseInitialized))
	s.revision = revB
	s.observe()
	lines = append(lines, s.run(t, 40, inPhases(v1beta1.CanaryPhaseSucceeded, v1beta1.CanaryPhaseFailed))...)
	golden(t, "queued", lines)
	require.Nil(t, h.stored(t).Status.Queue)
	require.Len(t, enginetest.Lines(h.Journal.Calls(), "Admission"), 3)
}
