package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTimeline(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{})
	failing := transition("test", "podinfo", "Progressing", 10, "Halt podinfo.test advancement error-rate 5.00 > 1")
	failing.FailedChecks = 1
	failing.Metrics = []MetricResult{{Name: "error-rate", Value: 5, Max: ptr(1), Verdict: VerdictFailed}}
	for _, tr := range []Transition{
		transition("test", "podinfo", "Progressing", 5, "Advance podinfo.test canary weight 5"),
		transition("test", "other", "Progressing", 5, "Advance other.test canary weight 5"),
		failing,
		transition("test", "podinfo", "Failed", 0, "Canary failed! Scaling down podinfo.test"),
	} {
		require.NoError(t, l.Record(tr))
		require.NoError(t, l.Flush(testContext(t)))
	}
	s := branchHistory(t, srv, DefaultBranch)
	points, err := s.Timeline("test/podinfo", 100)
	require.NoError(t, err)
	var weights []int
	var phases []string
	for _, p := range points {
		weights, phases = append(weights, p.Status.Weight), append(phases, p.Status.Phase)
	}
	require.Equal(t, []int{5, 10, 0}, weights, "oldest first, only the commits naming the canary")
	require.Equal(t, []string{"Progressing", "Progressing", "Failed"}, phases)
	require.Equal(t, "error-rate", points[1].Status.Metrics[0].Name)
	require.Equal(t, s.Commit(), points[2].Commit)

	last, err := s.Timeline("test/podinfo", 2)
	require.NoError(t, err)
	require.Equal(t, points[1:], last, "the limit keeps the newest points")

	none, err := s.Timeline("test/nope", 10)
	require.NoError(t, err)
	require.Empty(t, none)

	gates, errs := s.Gates(10)
	require.Empty(t, gates)
	require.Empty(t, errs)
}
