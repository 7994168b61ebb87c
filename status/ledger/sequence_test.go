package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// numbered is transition with the Canary's UID and a sequence number.
func numbered(uid string, seq int64, phase string, weight int) Transition {
	t := transition("test", "podinfo", phase, weight, phase)
	t.UID, t.Sequence = uid, seq
	return t
}

func TestNumberedTransitionsAreCommittedOnce(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{})
	require.Zero(t, l.Committed("test", "podinfo", "uid-1"))
	require.NoError(t, l.Record(numbered("uid-1", 1, "Progressing", 5)))
	require.NoError(t, l.Record(numbered("uid-1", 2, "Progressing", 10)))
	require.NoError(t, l.Flush(testContext(t)))
	require.Equal(t, int64(2), l.Committed("test", "podinfo", "uid-1"))
	require.Zero(t, l.Committed("test", "podinfo", "another-uid"), "another Canary of the same name")
	before := len(commitsOldestFirst(t, branchHistory(t, srv, DefaultBranch)))

	// A restarted controller (a new ledger) hands over transitions 2 and 3: only 3 is new.
	restarted := newLedger(t, srv, Options{})
	require.NoError(t, restarted.Record(numbered("uid-1", 2, "Progressing", 10)))
	require.NoError(t, restarted.Record(numbered("uid-1", 3, "Progressing", 15)))
	require.NoError(t, restarted.Flush(testContext(t)))
	s := branchHistory(t, srv, DefaultBranch)
	commits := commitsOldestFirst(t, s)
	require.Len(t, commits, before+1)
	require.Contains(t, commits[len(commits)-1].Message, "\nSequence: 3\n")
	require.Contains(t, commits[len(commits)-2].Message, "\nSequence: 1,2\n")
	history, err := s.History("test/podinfo")
	require.NoError(t, err)
	require.Equal(t, []int64{3}, history[0].Sequences, "read back from the trailer, newest first")
	require.Equal(t, []int64{1, 2}, history[1].Sequences)

	// Everything handed over again: no commit at all.
	again := newLedger(t, srv, Options{})
	require.NoError(t, again.Record(numbered("uid-1", 3, "Progressing", 15)))
	require.NoError(t, again.Flush(testContext(t)))
	require.Zero(t, again.Pending())
	require.Len(t, commitsOldestFirst(t, branchHistory(t, srv, DefaultBranch)), before+1)
	require.Equal(t, int64(3), again.Committed("test", "podinfo", "uid-1"), "learnt from the branch")

	// A Canary deleted and created again starts at 1 and is recorded.
	require.NoError(t, again.Record(numbered("uid-2", 1, "Initialized", 0)))
	require.NoError(t, again.Flush(testContext(t)))
	require.Len(t, commitsOldestFirst(t, branchHistory(t, srv, DefaultBranch)), before+2)
	require.Equal(t, int64(1), again.Committed("test", "podinfo", "uid-2"))
}
