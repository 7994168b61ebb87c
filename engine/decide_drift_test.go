package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// fromGit is the target at rev, whose Git revision (drift correction) is git.
func fromGit(rev, git string) engine.Workload {
	w := ready(rev)
	w.GitRevision = git
	return w
}

// TestDecideManualRevision: with drift correction (Desired), a target revision that Git did not
// apply starts no analysis and restarts none; the canary keeps its phase, says why and asks for
// Git's version. Git's version coming back is no new revision.
func TestDecideManualRevision(t *testing.T) {
	held := func(rev, git string) []string {
		return []string{"EnsurePrimary", "ReconcileRouter",
			"Event Warning: Target podinfo.test revision " + rev + " was not applied from Git (Git's is " + git + "): not analysed, restoring Git's version",
			"RestoreTarget"}
	}
	runDecideCases(t, []decideCase{{
		name:   "kubectl set image on a succeeded canary starts nothing",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)),
		world:  world{workload: fromGit(revC, revA), primary: 100},
		want:   held(revC, revA),
		phase:  v1beta1.CanaryPhaseSucceeded,
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			require.Equal(t, []string{revA, revA}, []string{st.LastAppliedSpec, st.LastPromotedSpec}, "the manual revision is not recorded")
		},
	}, {
		name:   "the promoted revision restored starts nothing",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)),
		world:  world{workload: fromGit(revA, revA), primary: 100},
		want:   []string{"EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseSucceeded,
	}, {
		name:   "Git's new revision starts the analysis",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)),
		world:  world{workload: fromGit(revB, revB), primary: 100},
		want: []string{"EnsurePrimary", "ReconcileRouter",
			"Event Normal: New revision detected! Scaling up podinfo.test",
			"Notify info: New revision detected, progressing canary analysis.", "ScaleFromZero"},
		phase: v1beta1.CanaryPhaseProgressing,
	}, {
		name:   "without a known Git revision a new revision is analysed as before",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized)),
		world:  world{workload: fromGit(revB, ""), primary: 100},
		want: []string{"EnsurePrimary", "ReconcileRouter",
			"Event Normal: New revision detected! Scaling up podinfo.test",
			"Notify info: New revision detected, progressing canary analysis.", "ScaleFromZero"},
		phase: v1beta1.CanaryPhaseProgressing,
	}, {
		name:   "a manual revision on a failed canary is not taken as its applied spec",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseFailed, 0, 0)),
		world:  world{workload: fromGit(revC, revB), primary: 100},
		want:   held(revC, revB),
		phase:  v1beta1.CanaryPhaseFailed,
		status: func(t *testing.T, st v1beta1.CanaryStatus) { require.Equal(t, revB, st.LastAppliedSpec) },
	}, {
		name:   "a manual revision during an analysis does not restart it",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 10, 0)),
		world:  world{workload: fromGit(revC, revB), primary: 90},
		want:   held(revC, revB),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: []string{"Workload", "Routes"},
		status: func(t *testing.T, st v1beta1.CanaryStatus) { require.Equal(t, 10, st.CanaryWeight) },
	}})
}

// fakeDesired is a Desired that knows one revision and counts the restores.
type fakeDesired struct {
	revision string
	restores []string
}

func (d *fakeDesired) TargetRevision(*v1beta1.Canary) (string, bool) {
	return d.revision, d.revision != ""
}

func (d *fakeDesired) RestoreTarget(_ context.Context, c *v1beta1.Canary) error {
	d.restores = append(d.restores, c.ID())
	return nil
}

// TestReconcileAsksForGitsRevision: the reconciler gives the engine Git's revision of the
// target (Options.Desired) and asks for it back when the target runs another one; once it is
// back, nothing happens.
func TestReconcileAsksForGitsRevision(t *testing.T) {
	desired := &fakeDesired{revision: revA}
	h := newHarness(t, seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)), engine.Options{Desired: desired})
	h.Router.Route(100, 0)
	h.Workloads.Set(ready(revC))

	h.tick(t)
	require.Equal(t, []string{"test/podinfo"}, desired.restores)
	require.Equal(t, v1beta1.CanaryPhaseSucceeded, h.stored(t).Status.Phase)

	h.Workloads.Set(ready(revA))
	mark := h.Journal.Len()
	h.tick(t)
	require.Len(t, desired.restores, 1)
	require.Empty(t, h.lines(mark, "Recorder"), "Git's version back: no event, no analysis")
}
