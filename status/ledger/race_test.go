package ledger

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
)

// TestConcurrentWritersNeverLoseOrForce races two ledgers (each owning five canaries) and a third
// party pushing unrelated files on the same branch.
func TestConcurrentWritersNeverLoseOrForce(t *testing.T) {
	const perWriter, canaries, thirdParty = 150, 5, 25
	srv := newServer(t)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	rebuilds := &lineCounter{match: "status branch moved"}
	opts := Options{Window: 5 * time.Millisecond, MaxBatch: 4, RetryBase: 5 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		Log: rebuilds.logger()}
	ledgers := []*Ledger{newLedger(t, srv, opts), newLedger(t, srv, opts)}
	var running sync.WaitGroup
	for _, l := range ledgers {
		running.Add(1)
		go func() { defer running.Done(); _ = l.Run(ctx) }()
	}

	want := map[string][]string{}
	var producers sync.WaitGroup
	for w, l := range ledgers {
		ns := fmt.Sprintf("writer-%d", w)
		for i := range perWriter {
			key := keyOf(ns, fmt.Sprintf("c%d", i%canaries))
			want[key] = append(want[key], fmt.Sprintf("%s #%d", key, i))
		}
		producers.Add(1)
		go func() {
			defer producers.Done()
			for i := range perWriter {
				name := fmt.Sprintf("c%d", i%canaries)
				msg := fmt.Sprintf("%s/%s #%d", ns, name, i)
				require.NoError(t, l.Record(transition(ns, name, "Progressing", i%50, msg)))
			}
		}()
	}
	producers.Add(1)
	go func() {
		defer producers.Done()
		for i := range thirdParty {
			_, err := srv.CommitFiles(ctx, repoName, DefaultBranch, gitserver.Change{
				Files: map[string][]byte{fmt.Sprintf("docs/note-%d.md", i): []byte("unrelated\n")}})
			require.NoError(t, err)
		}
	}()
	producers.Wait()
	require.Eventually(t, func() bool { return ledgers[0].Pending() == 0 && ledgers[1].Pending() == 0 },
		time.Minute, 10*time.Millisecond)
	cancel()
	running.Wait()

	s := branchHistory(t, srv, DefaultBranch)
	require.Equal(t, want, eventsInHistory(t, s), "every transition reached the history, in order")
	for i := range thirdParty {
		_, err := s.head.File(fmt.Sprintf("docs/note-%d.md", i))
		require.NoError(t, err, "the third party's files survive")
	}
	rows, err := s.Rows()
	require.NoError(t, err)
	require.Len(t, rows, 2*canaries)
	table, err := s.head.File(TableFile)
	require.NoError(t, err)
	md, err := table.Contents()
	require.NoError(t, err)
	require.Equal(t, 2*canaries, strings.Count(md, "| Progressing |"), "STATUS.md lists both writers' canaries")
	updates := requireNoForcePush(t, srv, DefaultBranch)
	t.Logf("%d fast-forward updates of the status branch, %d rebuilds after losing a race", updates, rebuilds.n.Load())
	require.Positive(t, rebuilds.n.Load(), "the writers did race")
	require.GreaterOrEqual(t, updates, 2*perWriter/opts.MaxBatch+thirdParty-1)
}

// lineCounter is a logr sink (all verbosities) that counts lines containing match.
type lineCounter struct {
	match string
	n     atomic.Int32
}

func (c *lineCounter) logger() logr.Logger {
	return funcr.New(func(_, args string) {
		if strings.Contains(args, c.match) {
			c.n.Add(1)
		}
	}, funcr.Options{Verbosity: 1})
}

// TestOutageQueuesAndCatchesUpInOrder stops the server while transitions keep coming, then
// brings it back on the same port.
func TestOutageQueuesAndCatchesUpInOrder(t *testing.T) {
	srv := newServer(t)
	failures := &lineCounter{match: "ledger flush failed"}
	l := newLedger(t, srv, Options{Window: 5 * time.Millisecond, RetryBase: 10 * time.Millisecond,
		RetryMax: 100 * time.Millisecond, Log: failures.logger()})
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Run(ctx) }()

	var want []string
	record := func(from, to int) {
		for i := from; i < to; i++ {
			msg := fmt.Sprintf("tick %03d", i)
			want = append(want, msg)
			require.NoError(t, l.Record(transition("test", "podinfo", "Progressing", i%50, msg)))
		}
	}
	record(0, 10)
	require.Eventually(t, func() bool { return l.Pending() == 0 }, 30*time.Second, 5*time.Millisecond)

	require.NoError(t, srv.Stop())
	record(10, 60)
	require.Eventually(t, func() bool { return failures.n.Load() >= 3 }, 30*time.Second, 5*time.Millisecond,
		"the ledger keeps trying while the server is down")
	record(60, 110)
	require.Equal(t, 100, l.Pending(), "nothing was committed or dropped during the outage")

	require.NoError(t, srv.Restart())
	require.Eventually(t, func() bool { return l.Pending() == 0 }, 30*time.Second, 5*time.Millisecond)
	cancel()
	<-done

	s := branchHistory(t, srv, DefaultBranch)
	require.Equal(t, want, eventsInHistory(t, s)["test/podinfo"])
	require.Zero(t, l.Dropped())
	requireNoForcePush(t, srv, DefaultBranch)
}
