//go:build e2e

package scenarios

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync/revert"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Git converges on rollback (docs/git.md, "Revert on rollback"): with -revert-on-rollback
// commit, a failed analysis pushes a commit to the source branch that renders the promoted
// revision again; the next sync applies it and starts no analysis; newer work is never reverted.
// With branch, the same commit goes to a branch for a pull request.

// startReverting pushes 6.0.0 with a canary that fails its first rollout check (the load tester's
// closed gate, threshold 1) and starts a controller that reverts rollbacks in mode (commit or
// branch).
func (s *scenario) startReverting(mode string) walkthrough.Overlay {
	s.t.Helper()
	o := s.featureOverlay(features{analysis: "threshold: 1\nwebhooks:\n" + hook("load-gate", "rollout", s.loadTesterURL("/gate/check"))})
	s.push("podinfo 6.0.0", o)
	s.startController("-revert-on-rollback", mode)
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	return o
}

// renderedAt renders the podinfo overlay of a source commit and returns its target's template.
func (s *scenario) renderedAt(ref gitsource.Ref) (string, string) {
	s.t.Helper()
	remote := gitsource.Remote{URL: s.git.HTTPURL(walkthrough.RepoName), Auth: gitsource.Auth{Username: gitUser, Password: gitPassword}}
	f, err := gitsource.NewFetcher(remote, ref, gitsource.FetcherOptions{CacheDir: filepath.Join(s.t.TempDir(), "co")})
	require.NoError(s.t, err)
	defer f.Close()
	co, err := f.Fetch(s.ctx)
	require.NoError(s.t, err)
	tmpl, err := revert.RenderedTemplate(co.Dir, overlayPath, s.ns, "podinfo")
	require.NoError(s.t, err)
	return engine.PodTemplateHash(tmpl), tmpl.Spec.Containers[0].Image
}

// ledgerSummaries are the canary's summary lines on the status branch, newest first.
func (s *scenario) ledgerSummaries() string {
	h, err := s.statusSnapshot().History(s.ns + "/podinfo")
	require.NoError(s.t, err)
	var lines []string
	for _, e := range h {
		lines = append(lines, e.Summary)
	}
	return strings.Join(lines, "\n")
}

// TestRevertOnRollback: the failed revision is reverted in Git, the revert renders the promoted
// revision, and applying it starts no analysis.
func TestRevertOnRollback(t *testing.T) {
	t.Parallel()
	// Given a canary initialised at 6.0.0 by a controller that reverts rollbacks
	s := given(t)
	o := s.startReverting("commit")
	promoted := s.sourceHead()

	// When 6.0.1 is pushed and fails its analysis
	failed := s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitPhase(v1beta1.CanaryPhaseFailed, 2*time.Minute)

	// Then a revert commit lands on main, on top of the failed one
	var head string
	s.eventually(2*time.Minute, "the revert commit on main", func() (bool, string) {
		head = s.sourceHead()
		return head != failed, head
	})
	msg := s.sourceCommitMessage(head)
	require.True(t, strings.HasPrefix(msg, "Revert "+s.ns+"/podinfo to its promoted revision (Rolling back "+s.key()), msg)
	require.Contains(t, msg, "Failed-Commit: "+failed+"\nPromoted-Commit: "+promoted+"\n")
	require.Contains(t, msg, "Ledger-Commit: ")

	// And it renders the promoted revision: the same pod template as 6.0.0's commit
	wantHash, wantImage := s.renderedAt(gitsource.Ref{Commit: promoted})
	gotHash, gotImage := s.renderedAt(gitsource.Ref{Commit: head})
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", gotImage)
	require.Equal(t, wantImage, gotImage)
	require.Equal(t, wantHash, gotHash)

	// And the next sync applies it, and no analysis starts
	s.revertApplied(count(s.events(), "New revision detected! Scaling up "+s.key()))

	// And the ledger says what was done
	s.eventually(time.Minute, "the ledger to record the revert", func() (bool, string) {
		text := s.ledgerSummaries()
		return strings.Contains(text, "reverted main to the promoted revision in "+head[:7]), text
	})
}

// TestRevertRefusedForNewerWork: when the overlay changed again after the failed commit, the
// controller reverts nothing and the ledger says why.
func TestRevertRefusedForNewerWork(t *testing.T) {
	t.Parallel()
	// Given a canary initialised at 6.0.0 by a controller that reverts rollbacks
	s := given(t)
	o := s.startReverting("commit")

	// When 6.0.1 is pushed, and while it is analysed a newer commit changes the overlay
	failing := o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1"))
	failed := s.push("podinfo 6.0.1", failing)
	s.waitPhase(v1beta1.CanaryPhaseProgressing, 2*time.Minute)
	newer := s.push("hpa: up to 5 replicas", failing.Edit("hpa.yaml", func(text string) string {
		return strings.Replace(text, "maxReplicas: 4", "maxReplicas: 5", 1)
	}))
	require.NotEqual(t, failed, newer)

	// Then the analysis fails, no revert is pushed, and the ledger says why
	s.waitPhase(v1beta1.CanaryPhaseFailed, 2*time.Minute)
	s.eventually(2*time.Minute, "the ledger to say why nothing was reverted", func() (bool, string) {
		text := s.ledgerSummaries()
		return strings.Contains(text, "not reverted: the overlay changed since the failed revision"), text
	})
	require.Equal(t, newer, s.sourceHead(), "newer work is never reverted")
}

// TestRevertToBranch: with -revert-on-rollback branch the revert goes to a branch of its own,
// ready for a pull request, and main is left alone; merging the branch makes the cluster run
// the promoted revision again without an analysis.
func TestRevertToBranch(t *testing.T) {
	t.Parallel()
	// Given a canary initialised at 6.0.0 by a controller that reverts rollbacks to a branch
	s := given(t)
	o := s.startReverting("branch")
	promoted := s.sourceHead()
	branch := revert.BranchPrefix + s.ns + "-podinfo"

	// When 6.0.1 is pushed and fails its analysis
	failed := s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitPhase(v1beta1.CanaryPhaseFailed, 2*time.Minute)

	// Then the revert commit is pushed to its branch, on top of the failed commit
	var head string
	s.eventually(2*time.Minute, "the branch "+branch, func() (bool, string) {
		var err error
		head, err = s.git.Head(walkthrough.RepoName, branch)
		if err != nil {
			return false, err.Error()
		}
		return true, head
	})
	require.Equal(t, []string{failed}, s.sourceParents(head))
	msg := s.sourceCommitMessage(head)
	require.True(t, strings.HasPrefix(msg, "Revert "+s.ns+"/podinfo to its promoted revision (Rolling back "+s.key()), msg)
	require.Contains(t, msg, "Failed-Commit: "+failed+"\nPromoted-Commit: "+promoted+"\n")

	// And main is left alone, and the ledger names the branch
	require.Equal(t, failed, s.sourceHead(), "branch mode never writes to main")
	s.eventually(time.Minute, "the ledger to record the branch", func() (bool, string) {
		text := s.ledgerSummaries()
		return strings.Contains(text, "revert pushed to "+branch+" in "+head[:7]+" for a pull request"), text
	})

	// And the branch renders the promoted revision
	wantHash, _ := s.renderedAt(gitsource.Ref{Commit: promoted})
	gotHash, gotImage := s.renderedAt(gitsource.Ref{Branch: branch})
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", gotImage)
	require.Equal(t, wantHash, gotHash)

	// When the pull request is merged (main fast-forwarded to the branch)
	started := count(s.events(), "New revision detected! Scaling up "+s.key())
	s.fastForward("main", branch)

	// Then the target runs 6.0.0 again and no analysis starts
	s.revertApplied(started)
}

// revertApplied waits until the target runs the promoted 6.0.0 again, then checks that no
// analysis starts: the canary stays Failed over several intervals, with as many "New revision
// detected!" events as started.
func (s *scenario) revertApplied(started int) {
	s.t.Helper()
	s.eventually(time.Minute, "the target to run 6.0.0 again", func() (bool, string) {
		d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		img := d.Spec.Template.Spec.Containers[0].Image
		return img == "ghcr.io/stefanprodan/podinfo:6.0.0", img
	})
	s.consistently(10*time.Second, "no analysis of the reverted revision", func() (bool, string) {
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		n := count(s.events(), "New revision detected! Scaling up "+s.key())
		return c.Status.Phase == v1beta1.CanaryPhaseFailed && n == started, string(c.Status.Phase)
	})
}

// sourceHead is the commit main points to.
func (s *scenario) sourceHead() string {
	s.t.Helper()
	h, err := s.git.Head(walkthrough.RepoName, "main")
	require.NoError(s.t, err)
	return h
}

// sourceParents are a commit's parents in the server's repository.
func (s *scenario) sourceParents(sha string) []string {
	s.t.Helper()
	repo, err := git.PlainOpen(s.git.RepoPath(walkthrough.RepoName))
	require.NoError(s.t, err)
	c, err := repo.CommitObject(plumbing.NewHash(sha))
	require.NoError(s.t, err)
	var out []string
	for _, p := range c.ParentHashes {
		out = append(out, p.String())
	}
	return out
}

// fastForward moves branch dst to the head of src with a push, as merging a pull request
// without a merge commit does.
func (s *scenario) fastForward(dst, src string) {
	s.t.Helper()
	repo, err := git.Init(memory.NewStorage(), nil)
	require.NoError(s.t, err)
	_, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{s.git.HTTPURL(walkthrough.RepoName)}})
	require.NoError(s.t, err)
	auth := &githttp.BasicAuth{Username: gitUser, Password: gitPassword}
	fetched := plumbing.NewRemoteReferenceName("origin", src)
	require.NoError(s.t, repo.FetchContext(s.ctx, &git.FetchOptions{Auth: auth,
		RefSpecs: []config.RefSpec{config.RefSpec("+" + plumbing.NewBranchReferenceName(src).String() + ":" + fetched.String())}}))
	require.NoError(s.t, repo.PushContext(s.ctx, &git.PushOptions{Auth: auth,
		RefSpecs: []config.RefSpec{config.RefSpec(fetched.String() + ":" + plumbing.NewBranchReferenceName(dst).String())}}))
}

// sourceCommitMessage reads a commit's message in the server's repository.
func (s *scenario) sourceCommitMessage(sha string) string {
	s.t.Helper()
	repo, err := git.PlainOpen(s.git.RepoPath(walkthrough.RepoName))
	require.NoError(s.t, err)
	c, err := repo.CommitObject(plumbing.NewHash(sha))
	require.NoError(s.t, err)
	return c.Message
}
