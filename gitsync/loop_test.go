package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
)

// fakeFetcher serves checkouts written by the test; Fetch returns ErrNoChange until the next
// commit.
type fakeFetcher struct {
	t       *testing.T
	current gitsource.Checkout
	fresh   bool
	err     error
}

func (f *fakeFetcher) commit(sha string, files map[string]string) {
	dir := f.t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(f.t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(f.t, os.WriteFile(p, []byte(content), 0o644))
	}
	f.current, f.fresh = gitsource.Checkout{Commit: sha, Dir: dir}, true
}

func (f *fakeFetcher) Fetch(context.Context) (gitsource.Checkout, error) {
	if f.err != nil {
		return gitsource.Checkout{}, f.err
	}
	if !f.fresh {
		return f.current, gitsource.ErrNoChange
	}
	f.fresh = false
	return f.current, nil
}

// fakeApplier records the sets it applied and keeps their inventories, digests included;
// failNext makes the next apply of an overlay fail, drift makes the next re-apply of an
// overlay report those changes, and targets are the revisions it reports for canary targets.
type fakeApplier struct {
	mu          sync.Mutex
	applied     []string // "<overlay>@<revision>"
	sets        []apply.Set
	failNext    map[string]error
	drift       map[string][]apply.Change
	targets     map[string]string
	inventories map[string]apply.Inventory
	during      func(set apply.Set) // called during each apply
}

func (a *fakeApplier) Apply(_ context.Context, set apply.Set) (*apply.Result, error) {
	if a.during != nil {
		a.during(set)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.failNext[set.Name]; err != nil {
		delete(a.failNext, set.Name)
		return nil, err
	}
	a.applied = append(a.applied, set.Name+"@"+set.Revision)
	a.sets = append(a.sets, set)
	prev, found := a.inventories[set.Name]
	res := &apply.Result{Reapplied: found && set.Digest != "" && prev.Digest == set.Digest}
	if res.Reapplied {
		res.Changes = a.drift[set.Name]
		delete(a.drift, set.Name)
	}
	inv := apply.Inventory{Set: set.Name, Revision: set.Revision, Digest: set.Digest}
	for _, o := range set.Objects {
		inv.Objects = append(inv.Objects, apply.RefOf(o))
		res.Applied = append(res.Applied, apply.RefOf(o))
	}
	for key := range set.CanaryTargets {
		if rev, ok := a.targets[key]; ok {
			if res.Targets == nil {
				res.Targets = map[string]string{}
			}
			res.Targets[key] = rev
		}
	}
	inv.Targets = res.Targets
	if a.inventories == nil {
		a.inventories = map[string]apply.Inventory{}
	}
	a.inventories[set.Name] = inv
	return res, nil
}

func (a *fakeApplier) Inventories(context.Context) ([]apply.Inventory, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []apply.Inventory
	for _, inv := range a.inventories {
		out = append(out, inv)
	}
	return out, nil
}

// fakeReporter records failures, orphans and the status changes.
type fakeReporter struct {
	mu                        sync.Mutex
	failed, orphaned, changes []string
}

func (r *fakeReporter) OverlayFailed(_ context.Context, overlay, revision string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, overlay+"@"+revision+": "+err.Error())
}
func (r *fakeReporter) OverlayApplied(context.Context, string, string, *apply.Result) {}
func (r *fakeReporter) OverlayOrphaned(_ context.Context, overlay string, canaries []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.orphaned = append(r.orphaned, overlay+": "+strings.Join(canaries, ","))
}

// OverlayChanged records "<overlay>@<revision> <result> <health>".
func (r *fakeReporter) OverlayChanged(_ context.Context, st OverlayStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, strings.TrimSpace(fmt.Sprintf("%s@%s %s %s", st.Overlay, st.Revision, st.Result, st.Health.State)))
}

func (r *fakeReporter) changed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.changes...)
}

func configMap(name, value string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: test}\ndata: {v: \"" + value + "\"}\n"
}

const canary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 9898}
  analysis: {interval: 1m, threshold: 5, stepWeight: 5}
`

func repo(extra map[string]string) map[string]string {
	files := map[string]string{
		"apps/a/cm.yaml":     configMap("a", "1"),
		"apps/b/cm.yaml":     configMap("b", "1"),
		"apps/b/canary.yaml": canary,
		"README.md":          "fleet",
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

func newLoop(t *testing.T) (*Loop, *fakeFetcher, *fakeApplier, *fakeReporter) {
	f := &fakeFetcher{t: t}
	a := &fakeApplier{failNext: map[string]error{}}
	r := &fakeReporter{}
	// One overlay at a time, so that the order of applies is the order of the overlays.
	return New(f, a, Options{Overlays: []string{"apps/*"}, Reporter: r, Concurrency: 1}), f, a, r
}

func TestSyncAppliesOnlyChangedOverlays(t *testing.T) {
	l, f, a, _ := newLoop(t)
	ctx := context.Background()

	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(ctx))
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1"}, a.applied)
	src, ok := l.SourceCommit("test", "podinfo")
	require.True(t, ok)
	require.Equal(t, "c1", src)
	home, ok := l.Overlay("test", "podinfo")
	require.True(t, ok)
	require.Equal(t, "apps/b", home, "the overlay that renders the canary")
	_, ok = l.Overlay("test", "nope")
	require.False(t, ok)

	require.NoError(t, l.Sync(ctx), "no new commit")
	require.Len(t, a.applied, 2)

	f.commit("c2", repo(map[string]string{"README.md": "fleet, documented"}))
	require.NoError(t, l.Sync(ctx))
	require.Len(t, a.applied, 2, "a commit that changes no overlay's output causes no work")

	f.commit("c3", repo(map[string]string{"apps/a/cm.yaml": configMap("a", "2")}))
	require.NoError(t, l.Sync(ctx))
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1", "apps/a@c3"}, a.applied)
	src, _ = l.SourceCommit("test", "podinfo")
	require.Equal(t, "c1", src, "the canary's overlay was not re-applied")
}

// TestSourceCommitDuringApply: a tick that the apply of a new revision wakes (the target's new
// pod template) names the commit being applied; a failed apply names the previous one again.
func TestSourceCommitDuringApply(t *testing.T) {
	l, f, a, _ := newLoop(t)
	ctx := context.Background()
	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(ctx))

	var during []string
	a.during = func(apply.Set) {
		src, _ := l.SourceCommit("test", "podinfo")
		during = append(during, src)
	}
	f.commit("c2", repo(map[string]string{"apps/b/cm.yaml": configMap("b", "2")}))
	require.NoError(t, l.Sync(ctx))
	require.Equal(t, []string{"c2"}, during, "apps/b is applied; apps/a is unchanged")

	during = nil
	a.failNext["apps/b"] = errors.New("apply refused")
	f.commit("c3", repo(map[string]string{"apps/b/cm.yaml": configMap("b", "3")}))
	require.Error(t, l.Sync(ctx))
	require.Equal(t, []string{"c3"}, during)
	src, _ := l.SourceCommit("test", "podinfo")
	require.Equal(t, "c2", src, "the failed apply's commit is not the canary's")
}

func TestSyncLogsRenderWarningsOnce(t *testing.T) {
	var lines []string
	log := funcr.New(func(_, args string) { lines = append(lines, args) }, funcr.Options{})
	f := &fakeFetcher{t: t}
	l := New(f, &fakeApplier{failNext: map[string]error{}}, Options{Overlays: []string{"apps/*"}, Logger: log, Concurrency: 1})
	warnings := func() []string {
		var out []string
		for _, line := range lines {
			if strings.Contains(line, `"msg"="render warning"`) {
				out = append(out, line)
			}
		}
		return out
	}

	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(t.Context()))
	require.Len(t, warnings(), 1)
	require.Contains(t, warnings()[0], `"overlay"="apps/b"`)
	require.Contains(t, warnings()[0], "Canary test/podinfo: spec.targetRef: Deployment test/podinfo is not in this overlay")

	require.NoError(t, l.Sync(t.Context()))
	require.Len(t, warnings(), 1, "not again while the overlay is unchanged")
}

func TestSyncKeepsLastGoodRevisionOfABrokenOverlay(t *testing.T) {
	l, f, a, r := newLoop(t)
	ctx := context.Background()
	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(ctx))

	// A broken Canary in b, and a change in a, in the same commit
	broken := strings.Replace(canary, "stepWeight: 5", "stepWeight: 500", 1)
	f.commit("c2", repo(map[string]string{"apps/b/canary.yaml": broken, "apps/a/cm.yaml": configMap("a", "2")}))
	err := l.Sync(ctx)
	require.ErrorContains(t, err, "overlay apps/b at c2")
	require.ErrorContains(t, err, "spec.analysis.stepWeight")
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1", "apps/a@c2"}, a.applied, "a is applied, b is not")
	require.Len(t, r.failed, 1)
	require.Contains(t, r.failed[0], "apps/b@c2: ")

	st := l.Status()
	require.Len(t, st, 2)
	require.Equal(t, "c1", st[1].Revision, "b keeps its last good revision")
	require.Error(t, st[1].Err)

	// The same failure is not reported twice, and is not retried on the same commit.
	f.commit("c3", repo(map[string]string{"apps/b/canary.yaml": broken, "apps/a/cm.yaml": configMap("a", "2"), "README.md": "x"}))
	require.Error(t, l.Sync(ctx))
	require.Len(t, r.failed, 1)

	// Reverting it needs no apply (the cluster still has c1's b) and clears the failure.
	f.commit("c4", repo(map[string]string{"apps/a/cm.yaml": configMap("a", "2")}))
	require.NoError(t, l.Sync(ctx))
	require.Equal(t, "apps/a@c2", a.applied[len(a.applied)-1])
	require.NoError(t, l.Status()[1].Err)

	// A real fix is applied.
	f.commit("c5", repo(map[string]string{"apps/a/cm.yaml": configMap("a", "2"), "apps/b/canary.yaml": strings.Replace(canary, "stepWeight: 5", "stepWeight: 10", 1)}))
	require.NoError(t, l.Sync(ctx))
	require.Equal(t, "apps/b@c5", a.applied[len(a.applied)-1])
}

func TestSyncRetriesFailedAppliesWithoutANewCommit(t *testing.T) {
	l, f, a, _ := newLoop(t)
	ctx := context.Background()
	f.commit("c1", repo(nil))
	a.failNext["apps/b"] = errors.New("the API server is restarting")

	require.ErrorContains(t, l.Sync(ctx), "the API server is restarting")
	require.Equal(t, []string{"apps/a@c1"}, a.applied)

	require.NoError(t, l.Sync(ctx), "retried although the source did not move")
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1"}, a.applied)
}

func TestSyncValidatesCanariesAsTheDefaultProvidersOnes(t *testing.T) {
	abTest := strings.NewReplacer("stepWeight: 5}", "iterations: 10, match: [{headers: {x-canary: {exact: insider}}}]}",
		"port: 9898}", "port: 9898, gatewayRefs: [{name: public, namespace: gateways}]}").Replace(canary)
	files := repo(map[string]string{"apps/b/canary.yaml": abTest})

	// Under the default provider (SMI) an A/B test is refused, naming the field.
	l, f, a, _ := newLoop(t)
	f.commit("c1", files)
	require.ErrorContains(t, l.Sync(t.Context()), "spec.analysis.match")
	require.Equal(t, []string{"apps/a@c1"}, a.applied)

	// Under -mesh-provider gatewayapi:v1 the same canary is valid.
	f = &fakeFetcher{t: t}
	a = &fakeApplier{failNext: map[string]error{}}
	l = New(f, a, Options{Overlays: []string{"apps/*"}, DefaultProvider: v1beta1.ProviderGatewayAPIv1, Concurrency: 1})
	f.commit("c1", files)
	require.NoError(t, l.Sync(t.Context()))
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1"}, a.applied)
}

func TestSyncReportsMissingOverlayAndFetchErrors(t *testing.T) {
	f := &fakeFetcher{t: t}
	l := New(f, &fakeApplier{}, Options{Overlays: []string{"clusters/prod"}})
	f.commit("c1", repo(nil))
	require.ErrorContains(t, l.Sync(context.Background()), "overlay clusters/prod at c1")

	f.err = gitsource.ErrUnreachable
	err := l.Sync(context.Background())
	require.ErrorIs(t, err, gitsource.ErrUnreachable)
	require.ErrorContains(t, err, "fetch source")
}

func TestExpand(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"apps/a", "apps/b", "infra"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "apps", "README.md"), nil, 0o644))
	got, err := expand(root, []string{"infra", "apps/*", "apps/a", "missing"})
	require.NoError(t, err)
	require.Equal(t, []string{"infra", "apps/a", "apps/b", "missing"}, got)
	_, err = expand(root, []string{"apps/["})
	require.ErrorContains(t, err, `overlay pattern "apps/["`)
}
