//go:build e2e

package scenarios

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// TestLedgerSurvivesKills: the controller is killed (SIGKILL) at random points during a
// promotion, at least 20 times, and restarted each time; the status branch afterwards holds
// every transition of the canary in order, none twice.
func TestLedgerSurvivesKills(t *testing.T) {
	t.Parallel()
	// Given an initialized canary with a 1 s interval and a new revision pushed
	s := given(t)
	s.interval = "1s"
	s.push("podinfo 6.0.0", s.podinfoOverlay())
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	s.push("podinfo 6.0.1", s.podinfoOverlay().Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// When the controller is killed at random points until the canary is promoted
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills := 0
	for {
		c, err := s.canary()
		require.NoError(t, err)
		if kills >= 20 && c.Status.Phase == v1beta1.CanaryPhaseSucceeded {
			break
		}
		require.Less(t, kills, 80, "the promotion should finish within 80 restarts; phase %s", c.Status.Phase)
		s.waitAWhile(time.Duration(200+rng.IntN(2300)) * time.Millisecond)
		s.ctrl.Kill()
		kills++
		s.startController()
	}
	t.Logf("controller killed %d times", kills)

	// Then the status branch records every transition once, in order
	final, err := s.canary()
	require.NoError(t, err)
	require.NotNil(t, final.Status.Journal)
	last := final.Status.Journal.Sequence
	remote := gitsource.Remote{URL: s.git.HTTPURL(walkthrough.RepoName), Auth: gitsource.Auth{Username: gitUser, Password: gitPassword}}
	var got []int64
	var phases []string
	s.eventually(time.Minute, "the ledger to commit every transition", func() (bool, string) {
		snap, err := ledger.OpenRemote(s.ctx, remote, walkthrough.StatusBranch, true)
		if err != nil {
			return false, err.Error()
		}
		history, err := snap.History(s.ns + "/podinfo")
		if err != nil {
			return false, err.Error()
		}
		got, phases = nil, nil
		for i := len(history) - 1; i >= 0; i-- { // oldest first
			got = append(got, history[i].Sequences...)
			phases = append(phases, history[i].Phase)
		}
		return len(got) > 0 && got[len(got)-1] == last, "committed up to " + seqString(got)
	})
	want := make([]int64, last)
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, got, "every transition from 1 to %d, in order, none twice", last)
	// A commit's Phase trailer is the canary's phase after its last transition in the commit.
	requireInOrder(t, phases, []string{"Progressing", "Succeeded"})
	require.Equal(t, 1, count(phases, "Succeeded"), "promoted once")
}

// waitAWhile lets the controller run for d, failing at once when it exits.
func (s *scenario) waitAWhile(d time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	s.eventually(d+time.Second, "the controller to run a while", func() (bool, string) {
		return !time.Now().Before(deadline), "running"
	})
}

func seqString(seqs []int64) string {
	if len(seqs) == 0 {
		return "nothing"
	}
	return fmt.Sprint(seqs[len(seqs)-1])
}
