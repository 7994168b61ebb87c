package ledger

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
	testingclock "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func ptr(f float64) *float64 { return &f }

func TestFlushWritesStatusFileTableAndMessage(t *testing.T) {
	srv := newServer(t)
	clk := testingclock.NewFakeClock(t0.Add(time.Minute))
	l := newLedger(t, srv, Options{Clock: clk, Author: Signature{Name: "bot", Email: "bot@example.com"}})
	progressing := transition("test", "podinfo", "Progressing", 5, "Advance podinfo.test canary weight 5")
	progressing.Time = t0
	progressing.Events[0].Time = t0
	succeeded := transition("test", "podinfo", "Succeeded", 0, "Promotion completed! Scaling down podinfo.test")
	succeeded.Time = t0.Add(30 * time.Second)
	succeeded.Events[0].Time = succeeded.Time
	succeeded.Metrics = []MetricResult{{Name: "request-success-rate", Value: 99.5, Min: ptr(99), Passed: true,
		Query: `sum(rate(envoy_cluster_upstream_rq{envoy_response_code!~"5.*"}[1m]))`}}
	require.NoError(t, l.Record(progressing))
	require.NoError(t, l.Record(succeeded))
	require.Equal(t, 2, l.Pending())
	require.NoError(t, l.Flush(testContext(t)))
	require.Zero(t, l.Pending())

	s := branchHistory(t, srv, DefaultBranch)
	head := s.head
	require.Equal(t, "bot", head.Author.Name)
	require.Equal(t, "bot@example.com", head.Committer.Email)
	require.True(t, head.Committer.When.Equal(t0.Add(time.Minute)), "commit time comes from the injected clock")
	require.Empty(t, head.ParentHashes, "the branch starts with this commit")
	require.Equal(t, "test/podinfo: Progressing → Succeeded (promoted ghcr.io/stefanprodan/podinfo:6.0.1, source 3f2a1c9, 2 transitions)\n\n"+
		"Canary: test/podinfo\nPhase: Succeeded\nSource-Commit: 3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d\n", head.Message)

	f, err := head.File("status/test/podinfo.yaml")
	require.NoError(t, err)
	content, err := f.Contents()
	require.NoError(t, err)
	require.Equal(t, `namespace: test
name: podinfo
phase: Succeeded
weight: 0
failedChecks: 0
sourceCommit: 3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d
targetRevision: ghcr.io/stefanprodan/podinfo:6.0.1
lastTransitionTime: 2026-11-01T10:00:30Z
events:
  - time: 2026-11-01T10:00:00Z
    type: Normal
    reason: Synced
    message: Advance podinfo.test canary weight 5
  - time: 2026-11-01T10:00:30Z
    type: Normal
    reason: Synced
    message: Promotion completed! Scaling down podinfo.test
metrics:
  - name: request-success-rate
    value: 99.5
    min: 99
    query: sum(rate(envoy_cluster_upstream_rq{envoy_response_code!~"5.*"}[1m]))
    passed: true
`, content)

	table, err := head.File(TableFile)
	require.NoError(t, err)
	md, err := table.Contents()
	require.NoError(t, err)
	require.Contains(t, md, "| NAMESPACE | NAME | STATUS | WEIGHT | LASTTRANSITIONTIME | SOURCE |\n")
	require.Contains(t, md, "| test | podinfo | Succeeded | 0 | 2026-11-01T10:00:30Z | 3f2a1c9 |\n")

	sts, err := s.Statuses()
	require.NoError(t, err)
	require.Len(t, sts, 1)
	require.Equal(t, "Succeeded", sts[0].Phase)
	_, err = srv.Head(repoName, "main")
	require.NoError(t, err)
}

func TestSeveralCanariesShareOneCommit(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{})
	failed := transition("test", "checkout", "Failed", 0, "Rolling back checkout.test failed checks threshold reached 5")
	failed.TargetRevision = "ghcr.io/acme/checkout:2.0.0"
	failed.Metrics = []MetricResult{{Name: "request-success-rate", Value: 55.2, Min: ptr(99), Verdict: VerdictFailed,
		Query: "sum(rate(envoy_cluster_upstream_rq{...}[1m]))", Address: "http://prometheus:9090"}}
	for _, tr := range []Transition{
		transition("test", "podinfo", "Progressing", 10, "Advance podinfo.test canary weight 10"),
		failed,
		transition("prod", "frontend", "Progressing", 20, "Advance frontend.prod canary weight 20"),
	} {
		require.NoError(t, l.Record(tr))
	}
	require.NoError(t, l.Flush(testContext(t)))
	head := branchHistory(t, srv, DefaultBranch).head
	subject, body, _ := strings.Cut(head.Message, "\n\n")
	require.Equal(t, "3 canaries: 2 Progressing, 1 Failed", subject)
	require.Contains(t, body, "test/podinfo: Progressing (weight 10, source 3f2a1c9)\n")
	require.Contains(t, body, "test/checkout: Failed (rolled back ghcr.io/acme/checkout:2.0.0, request-success-rate 55.2 < min 99, source 3f2a1c9)\n")
	require.Contains(t, body, "prod/frontend: Progressing (weight 20, source 3f2a1c9)\n")
	require.Equal(t, []Trailer{
		{Canary: "test/podinfo", Phase: "Progressing", SourceCommit: "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d"},
		{Canary: "test/checkout", Phase: "Failed", SourceCommit: "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d",
			FailedCheck: "request-success-rate 55.2 < min 99", CheckQuery: "sum(rate(envoy_cluster_upstream_rq{...}[1m]))",
			MetricsServer: "http://prometheus:9090"},
		{Canary: "prod/frontend", Phase: "Progressing", SourceCommit: "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d"},
	}, ParseTrailers(head.Message))
}

func TestRunBatchesWithinTheWindow(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{Window: 200 * time.Millisecond})
	ctx := testContext(t)
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	for i := range 20 {
		require.NoError(t, l.Record(transition("test", "podinfo", "Progressing", i, "tick "+string(rune('a'+i)))))
	}
	require.Eventually(t, func() bool { return l.Pending() == 0 }, 30*time.Second, 10*time.Millisecond)
	updates, err := srv.RefUpdates(repoName)
	require.NoError(t, err)
	pushes := 0
	for _, u := range updates {
		if u.Ref == "refs/heads/"+DefaultBranch {
			pushes++
		}
	}
	require.Equal(t, 2, pushes, "20 transitions within the window: two commits of EventHistory (10) events each")
}

func TestEventHistoryBoundsACommit(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{EventHistory: 3})
	var want []string
	for i := range 7 {
		msg := "step " + string(rune('0'+i))
		want = append(want, msg)
		require.NoError(t, l.Record(transition("test", "podinfo", "Progressing", i*10, msg)))
	}
	require.NoError(t, l.Flush(testContext(t)))
	s := branchHistory(t, srv, DefaultBranch)
	require.Len(t, commitsOldestFirst(t, s), 3, "7 transitions, at most 3 events per commit")
	require.Equal(t, want, eventsInHistory(t, s)["test/podinfo"])
}

func TestQueueFullIsCountedNotSilent(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{MaxQueue: 3})
	for i := range 5 {
		err := l.Record(transition("test", "podinfo", "Progressing", i, "tick"))
		if i < 3 {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, ErrQueueFull)
	}
	require.Equal(t, 2, l.Dropped())
	require.NoError(t, l.Flush(testContext(t)))
	s := branchHistory(t, srv, DefaultBranch)
	sts, err := s.Statuses()
	require.NoError(t, err)
	require.Equal(t, 2, sts[0].UnrecordedTransitions)
	require.Contains(t, s.head.Message, "2 transitions not recorded: ledger queue was full")

	require.NoError(t, l.Record(transition("test", "podinfo", "Succeeded", 0, "done")))
	require.NoError(t, l.Flush(testContext(t)))
	sts, err = branchHistory(t, srv, DefaultBranch).Statuses()
	require.NoError(t, err)
	require.Equal(t, 2, sts[0].UnrecordedTransitions, "the count stays; nothing new was refused")
}

func TestNewAndRecordRejectBadInput(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name    string
		opts    Options
		wantErr error
	}{
		{name: "default branch is not the source", opts: Options{SourceBranch: "main"}},
		{name: "status branch is the source branch", opts: Options{Branch: "main", SourceBranch: "main"}, wantErr: ErrSourceBranch},
		{name: "explicitly allowed", opts: Options{Branch: "main", SourceBranch: "main", AllowSourceBranch: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(remoteOf(srv), tt.opts)
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
	l := newLedger(t, srv, Options{})
	bad := []Transition{
		{Namespace: "", Name: "a", Phase: "Progressing"},
		{Namespace: "Bad_NS", Name: "a", Phase: "Progressing"},
		{Namespace: "test", Name: "../../etc", Phase: "Progressing"},
		{Namespace: "test", Name: "a/b", Phase: "Progressing"},
		{Namespace: "test", Name: "a", Phase: ""},
	}
	for _, tr := range bad {
		require.ErrorIs(t, l.Record(tr), ErrInvalidTransition, "%+v", tr)
	}
	require.Zero(t, l.Pending())
}

func TestWritingTheSourceBranchKeepsItsFiles(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{Branch: "main", AllowSourceBranch: true})
	require.NoError(t, l.Record(transition("test", "podinfo", "Initialized", 0, "Initialization done! podinfo.test")))
	require.NoError(t, l.Flush(testContext(t)))
	head := branchHistory(t, srv, "main").head
	_, err := head.File("overlays/prod/kustomization.yaml")
	require.NoError(t, err)
	_, err = head.File("status/test/podinfo.yaml")
	require.NoError(t, err)
	require.Len(t, head.ParentHashes, 1)
	require.Equal(t, 1, requireNoForcePush(t, srv, "main"))
}

// TestRunReleasesTheBranchCopyWhileIdle: a transition that follows the last flush closely
// builds on the ledger's copy of the branch, which holds the head (nothing to fetch); once nothing was
// queued for releaseAfter the copy is released and the next transition fetches the head
// afresh (depth 1, nothing had), on top of the commits before.
func TestRunReleasesTheBranchCopyWhileIdle(t *testing.T) {
	srv := newServer(t)
	var count packRequests
	remote := remoteOf(srv)
	remote.URL = count.proxy(t, remote.URL)
	released := make(chan struct{}, 1)
	log := funcr.New(func(_, args string) {
		if strings.Contains(args, "released the copy of the status branch") {
			released <- struct{}{}
		}
	}, funcr.Options{Verbosity: 1})
	run := func(releaseAfter time.Duration) (l *Ledger, stop func()) {
		l, err := New(remote, Options{SourceBranch: "main", Window: 10 * time.Millisecond, Log: log})
		require.NoError(t, err)
		l.releaseAfter = releaseAfter
		ctx, cancel := context.WithCancel(testContext(t))
		done := make(chan error, 1)
		go func() { done <- l.Run(ctx) }()
		return l, func() { cancel(); require.NoError(t, <-done) }
	}
	record := func(l *Ledger, weight int) {
		t.Helper()
		require.NoError(t, l.Record(transition("test", "podinfo", "Progressing", weight, "tick")))
		require.Eventually(t, func() bool { return l.Pending() == 0 }, 30*time.Second, 10*time.Millisecond)
	}

	// Given a ledger that keeps its copy for an hour, a second transition builds on it
	l, stop := run(time.Hour)
	record(l, 10)
	count.take()
	record(l, 20)
	_, depths := count.take()
	require.Empty(t, depths, "builds on its copy, which has the head already")
	stop()

	// When a ledger's queue stays empty for releaseAfter after a transition
	l, stop = run(50 * time.Millisecond)
	defer stop()
	record(l, 30)
	select {
	case <-released:
	case <-time.After(time.Minute):
		t.Fatal("the copy was not released")
	}
	count.take()
	record(l, 40)

	// Then the next transition fetches the head afresh and commits on top of the others
	_, depths = count.take()
	require.Equal(t, []string{"1"}, depths, "the head fetched afresh")
	require.Len(t, commitsOldestFirst(t, branchHistory(t, srv, DefaultBranch)), 4, "each transition a commit")
}
