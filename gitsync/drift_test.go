package gitsync

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gitcanary/gitcanary/apply"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// TestRestartReappliesNothingUnchanged: the digests applied are kept in the inventories; a new
// loop (a restarted controller) applies only what changed since, and knows the source commit of
// each Canary and the revision Git wants of each canary target without applying anything.
func TestRestartReappliesNothingUnchanged(t *testing.T) {
	l, f, a, _ := newLoop(t)
	a.targets = map[string]string{"test/podinfo": "rev-a"}
	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(t.Context()))
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1"}, a.applied)

	restarted := New(f, a, Options{Overlays: []string{"apps/*"}, Concurrency: 1})
	f.commit("c2", repo(map[string]string{"apps/a/cm.yaml": configMap("a", "2")}))
	require.NoError(t, restarted.Sync(t.Context()))
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1", "apps/a@c2"}, a.applied, "b is unchanged: not applied again")

	src, ok := restarted.SourceCommit("test", "podinfo")
	require.True(t, ok)
	require.Equal(t, "c1", src)
	rev, ok := restarted.TargetRevision("test", "podinfo")
	require.True(t, ok)
	require.Equal(t, "rev-a", rev)
	st := status(restarted, "apps/b")
	require.Equal(t, ResultApplied, st.Result)
	require.Equal(t, []string{"test/podinfo"}, st.Canaries)
}

// TestReconcileCorrectsDrift: a reconcile re-applies every overlay at the commit that applied
// its output; a re-apply that changed objects is drift: counted, shown and reported, once.
func TestReconcileCorrectsDrift(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	require.NoError(t, err)
	f := &fakeFetcher{t: t}
	a := &fakeApplier{failNext: map[string]error{}}
	r := &fakeReporter{}
	l := New(f, a, Options{Overlays: []string{"apps/*"}, Reporter: r, Metrics: m, Concurrency: 1})
	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(t.Context()))
	f.commit("c2", repo(map[string]string{"README.md": "no overlay changes"}))
	require.NoError(t, l.Sync(t.Context()))
	require.Len(t, a.applied, 2)

	require.NoError(t, l.Sync(t.Context()), "nothing asked, nothing moved")
	require.Len(t, a.applied, 2)

	// When a reconcile finds a Service edited by hand in b
	service := apply.ObjectRef{Version: "v1", Kind: "Service", Namespace: "test", Name: "podinfo"}
	a.drift = map[string][]apply.Change{"apps/b": {{Object: service, Fields: []string{"metadata.labels.app"}}}}
	l.RequestReconcile()
	require.NoError(t, l.Sync(t.Context()))

	// Then both overlays are re-applied at the commit of their output, b's drift is reported
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1", "apps/a@c1", "apps/b@c1"}, a.applied)
	st := status(l, "apps/b")
	require.Equal(t, ResultDriftCorrected, st.Result)
	require.Equal(t, "c1", st.Revision)
	require.Equal(t, "Service test/podinfo: metadata.labels.app", DescribeDrift(st.Drift))
	require.Equal(t, ResultApplied, status(l, "apps/a").Result)
	require.Equal(t, 1.0, testutil.ToFloat64(m.drift.WithLabelValues("apps/b")))
	require.Equal(t, 0.0, testutil.ToFloat64(m.drift.WithLabelValues("apps/a")))
	require.Equal(t, []string{"apps/a@c1 Applied", "apps/b@c1 Applied", "apps/b@c1 DriftCorrected"}, r.changed(),
		"a re-apply that changed nothing is not news")

	// And a reconcile that finds nothing keeps the last result, with nothing reported
	l.RequestReconcile()
	require.NoError(t, l.Sync(t.Context()))
	require.Len(t, r.changed(), 3)
	require.Equal(t, ResultDriftCorrected, status(l, "apps/b").Result)
}

// TestRestoreReappliesTheTargetsOverlay: asked to restore a canary target, the next sync
// re-applies only the overlay that applies it, even though the source did not move.
func TestRestoreReappliesTheTargetsOverlay(t *testing.T) {
	l, f, a, _ := newLoop(t)
	a.targets = map[string]string{"test/podinfo": "rev-a"}
	require.False(t, l.Restore("test", "podinfo"), "unknown before the first apply")
	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(t.Context()))

	require.True(t, l.Restore("test", "podinfo"))
	require.False(t, l.Restore("test", "other"))
	require.NoError(t, l.Sync(t.Context()))
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1", "apps/b@c1"}, a.applied)
	require.NoError(t, l.Sync(t.Context()))
	require.Len(t, a.applied, 3, "a restore is done once")
}

// TestTargetRevisionIsUnknownWhileANewOutputIsApplied: while an overlay's new output is being
// applied, what Git wants of its targets is not known (the engine then does not wait for it);
// once applied it is the revision the apply left.
func TestTargetRevisionIsUnknownWhileANewOutputIsApplied(t *testing.T) {
	l, f, a, _ := newLoop(t)
	a.targets = map[string]string{"test/podinfo": "rev-a"}
	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(t.Context()))

	var during []bool
	a.during = func(set apply.Set) {
		if set.Name == "apps/b" {
			_, known := l.TargetRevision("test", "podinfo")
			during = append(during, known)
		}
	}
	a.targets["test/podinfo"] = "rev-b"
	f.commit("c2", repo(map[string]string{"apps/b/cm.yaml": configMap("b", "2")}))
	require.NoError(t, l.Sync(t.Context()))
	l.RequestReconcile()
	require.NoError(t, l.Sync(t.Context()))
	require.Equal(t, []bool{false, true}, during, "unknown during a new output's apply, known during a re-apply")
	rev, _ := l.TargetRevision("test", "podinfo")
	require.Equal(t, "rev-b", rev)
}

// TestSyncAppliesOverlaysInParallelWithABound: changed overlays are applied concurrently, never
// more than Options.Concurrency at once.
func TestSyncAppliesOverlaysInParallelWithABound(t *testing.T) {
	files := map[string]string{}
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		files["apps/"+name+"/cm.yaml"] = configMap(name, "1")
	}
	f := &fakeFetcher{t: t}
	var mu sync.Mutex
	running, peak := 0, 0
	release := make(chan struct{})
	var once sync.Once
	a := &fakeApplier{failNext: map[string]error{}}
	a.during = func(apply.Set) {
		mu.Lock()
		running++
		peak = max(peak, running)
		reached := running == 2
		mu.Unlock()
		if reached {
			once.Do(func() { close(release) }) // two run at once: let every apply finish
		}
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	}
	l := New(f, a, Options{Overlays: []string{"apps/*"}, Concurrency: 2})
	f.commit("c1", files)
	require.NoError(t, l.Sync(t.Context()))
	require.Len(t, a.applied, 6)
	require.Equal(t, 2, peak)
}

var _ Reporter = (*fakeReporter)(nil)

// TestReconcileLogsThePass: a drift correction pass is logged when it starts and when it ends,
// with the overlays re-applied and those that failed; an ordinary sync logs neither.
func TestReconcileLogsThePass(t *testing.T) {
	var lines []string
	log := funcr.New(func(_, args string) { lines = append(lines, args) }, funcr.Options{})
	passLines := func() (out []string) {
		for _, line := range lines {
			if strings.Contains(line, `"msg"="drift correction `) {
				out = append(out, line)
			}
		}
		return out
	}
	f := &fakeFetcher{t: t}
	a := &fakeApplier{failNext: map[string]error{}}
	l := New(f, a, Options{Overlays: []string{"apps/*"}, Logger: log, Concurrency: 1})
	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(t.Context()))
	require.Empty(t, passLines(), "a new commit is no drift correction")

	a.failNext["apps/b"] = errors.New("apply refused")
	l.RequestReconcile()
	require.Error(t, l.Sync(t.Context()))
	got := passLines()
	require.Len(t, got, 2)
	require.Contains(t, got[0], `"msg"="drift correction started: re-applying every overlay" "overlays"=2`)
	require.Contains(t, got[1], `"msg"="drift correction finished" "overlays"=2 "failed"=1 "seconds"=`)
}
