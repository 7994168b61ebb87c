//go:build e2e

package scenarios

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Git as the release control plane (docs/git.md, "Gates"): decisions committed to the status
// branch with `gitcanary approve|promote|abort` open the Canary's Git gates, only for the
// revision they name, survive a controller restart, and the ledger records who decided.

const decider = "Alice <alice@example.com>"

// gitGate is a webhook of the given type answered from the status branch.
func gitGate(name, typ string) string { return hook(name, typ, `"git:"`) }

// startGated pushes 6.0.0 with the Canary of f and starts a controller that reads the gates
// every second.
func (s *scenario) startGated(f features, extra ...string) walkthrough.Overlay {
	s.t.Helper()
	o := s.featureOverlay(f)
	s.push("podinfo 6.0.0", o)
	s.startController(append([]string{"-gates-interval", "1s"}, extra...)...)
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	return o
}

// decide runs `gitcanary approve|promote|abort` as the decider would, with her credentials, and
// returns its output.
func (s *scenario) decide(command string, args ...string) string {
	s.t.Helper()
	auth := s.t.TempDir()
	require.NoError(s.t, os.WriteFile(filepath.Join(auth, "username"), []byte(gitUser), 0o600))
	require.NoError(s.t, os.WriteFile(filepath.Join(auth, "password"), []byte(gitPassword), 0o600))
	args = append([]string{command, s.ns + "/podinfo", "--repo", s.git.HTTPURL(walkthrough.RepoName), "--auth-dir", auth,
		"--branch", walkthrough.StatusBranch, "--author", decider}, args...)
	out, err := exec.CommandContext(s.ctx, controllerBin, args...).CombinedOutput()
	require.NoError(s.t, err, "gitcanary %s: %s", command, out)
	return string(out)
}

// waitingFor is the event of a Git gate waiting for a decision.
func (s *scenario) waitingFor(kind, commit string) string {
	return "Git gate: waiting for a " + kind + " decision naming revision " + commit[:7] + " of " + s.key() +
		" in gates/" + s.ns + "/podinfo/" + kind + ".yaml"
}

// statusSnapshot reads the status branch with its history.
func (s *scenario) statusSnapshot() *ledger.Snapshot {
	s.t.Helper()
	remote := gitsource.Remote{URL: s.git.HTTPURL(walkthrough.RepoName), Auth: gitsource.Auth{Username: gitUser, Password: gitPassword}}
	snap, err := ledger.OpenRemote(s.ctx, remote, walkthrough.StatusBranch, true)
	require.NoError(s.t, err)
	return snap
}

// TestGitGatesApproveAndPromote: a new revision waits in Waiting until its approval is
// committed, a stale approval releases nothing, a restarted controller keeps waiting for
// promotion, and the ledger names the decider of each step.
func TestGitGatesApproveAndPromote(t *testing.T) {
	t.Parallel()
	// Given a canary whose confirm-rollout and confirm-promotion gates are decided in Git
	s := given(t)
	o := s.startGated(features{analysis: "webhooks:\n" + gitGate("approval", "confirm-rollout") + gitGate("promotion", "confirm-promotion")})

	// When 6.0.1 is pushed
	first := s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then the canary waits for a decision naming that commit, with the target at zero
	s.waitPhase(v1beta1.CanaryPhaseWaiting, 2*time.Minute)
	s.waitEvent(s.waitingFor("confirm-rollout", first), 1, time.Minute)

	// When 6.0.2 is pushed while it waits, and someone approves 6.0.1
	second := s.push("podinfo 6.0.2", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.2")))
	s.waitEvent(s.waitingFor("confirm-rollout", second), 1, time.Minute)
	s.decide("approve", "--revision", first)

	// Then the stale approval is read and refused: nothing starts
	s.waitEvent("Git gate: the confirm-rollout decision of "+decider+" (unsigned) names revision "+first+
		", not the current revision "+second[:7]+" of "+s.key(), 1, time.Minute)
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, v1beta1.CanaryPhaseWaiting, c.Status.Phase)
	require.Equal(t, int32(0), s.targetReplicas())

	// When the current revision is approved (gitcanary reads it from the status branch)
	out := s.decide("approve", "--note", "dashboards look fine")
	require.Contains(t, out, "approved the rollout of "+s.ns+"/podinfo revision "+second)

	// Then the analysis starts and waits for its promotion decision
	s.waitPhase(v1beta1.CanaryPhaseWaitingPromotion, 3*time.Minute)
	requireInOrder(t, s.events(), []string{
		"Rollout of " + s.key() + " revision " + second[:7] + " approved by " + decider + " (unsigned): dashboards look fine",
		"Confirm-rollout check approval passed",
		"New revision detected! Scaling up " + s.key(),
		s.waitingFor("confirm-promotion", second),
	})

	// When the controller restarts while the canary waits
	s.ctrl.Stop()
	s.startController("-gates-interval", "1s")

	// Then the new controller keeps waiting: nothing was kept in memory
	s.eventually(time.Minute, "the restarted controller to wait for promotion", func() (bool, string) {
		n := count(s.ctrl.Events(s.ns+"/podinfo"), s.waitingFor("confirm-promotion", second))
		return n >= 1, "not yet"
	})
	c, err = s.canary()
	require.NoError(t, err)
	require.Equal(t, v1beta1.CanaryPhaseWaitingPromotion, c.Status.Phase)

	// When the promotion is decided
	s.decide("promote")

	// Then 6.0.2 is promoted
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.2", s.primaryImage())
	requireInOrder(t, s.events(), []string{
		"Promotion of " + s.key() + " revision " + second[:7] + " approved by " + decider + " (unsigned)",
		"Confirm-promotion check promotion passed",
		"Promotion completed! Scaling down " + s.key(),
	})

	// And the ledger names the decider of each step, and the consumed decisions are gone
	s.eventually(time.Minute, "the ledger to record both decisions", func() (bool, string) {
		snap := s.statusSnapshot()
		h, err := snap.History(s.ns + "/podinfo")
		if err != nil {
			return false, err.Error()
		}
		var all []string
		for _, e := range h {
			all = append(all, e.Summary)
		}
		text := strings.Join(all, "\n")
		gates, _ := snap.Gates(100)
		ok := strings.Contains(text, "rollout approved by "+decider+" (unsigned)") &&
			strings.Contains(text, "promotion approved by "+decider+" (unsigned)") && len(gates) == 0
		return ok, text
	})
}

// TestGitGateAbort: an abort committed to the status branch rolls a progressing canary back.
func TestGitGateAbort(t *testing.T) {
	t.Parallel()
	// Given a canary halted at 5 % by a failing rollout check, with a rollback gate in Git
	s := given(t)
	o := s.startGated(features{analysis: "threshold: 100\nwebhooks:\n" +
		hook("load-gate", "rollout", s.loadTesterURL("/gate/check")) + gitGate("abort", "rollback")})
	commit := s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitEvent("Halt "+s.key()+" advancement external check load-gate failed Forbidden", 1, 2*time.Minute)

	// When someone aborts it
	s.decide("abort", "--note", "error budget burnt")

	// Then it is rolled back at once, and the event names who asked
	s.waitPhase(v1beta1.CanaryPhaseFailed, 2*time.Minute)
	requireInOrder(t, s.events(), []string{
		"Rollback of " + s.key() + " revision " + commit[:7] + " asked by " + decider + " (unsigned): error budget burnt",
		"Rollback check abort passed",
		"Rolling back " + s.key() + " manual webhook invoked",
	})
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", s.primaryImage())
}

// TestSSHSignedStatusBranch: with -signing-key-secret naming a Secret that holds an SSH key
// (identity), every commit of the status branch is SSH-signed and verifies with Git's own
// rules (git verify-commit, gpg.format=ssh) and with ledger.VerifyCommitSSH.
func TestSSHSignedStatusBranch(t *testing.T) {
	t.Parallel()
	// Given a signing Secret with an SSH key
	s := given(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "ledger")
	require.NoError(t, err)
	pub, err := ssh.NewPublicKey(priv.Public())
	require.NoError(t, err)
	_, err = s.kube.CoreV1().Secrets(s.ns).Create(s.ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "gitcanary-signing", Namespace: s.ns},
		Data:       map[string][]byte{"identity": pem.EncodeToMemory(block)},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	// When the controller records a canary's initialisation and promotion
	o := s.podinfoOverlay()
	s.push("podinfo 6.0.0", o)
	s.startController("-signing-key-secret", "gitcanary-signing", "-commit-author", "gitcanary <ledger@example.com>")
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	s.promoteTo(o, "6.0.1")
	s.thenLedgerMatches("Initialized", "Succeeded")

	// Then every status commit verifies with git verify-commit against the allowed key, and
	// fails against another
	allowed := filepath.Join(t.TempDir(), "allowed_signers")
	line := "ledger@example.com " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + "\n"
	require.NoError(t, os.WriteFile(allowed, []byte(line), 0o600))
	signers, err := ledger.ParseAllowedSigners([]byte(line))
	require.NoError(t, err)
	commits := s.statusCommits()
	require.GreaterOrEqual(t, len(commits), 2)
	for _, c := range commits {
		cmd := exec.CommandContext(context.Background(), "git", "-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile="+allowed,
			"verify-commit", c.Hash.String())
		cmd.Dir = s.git.RepoPath(walkthrough.RepoName)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git verify-commit %s: %s", c, out)
		require.Contains(t, string(out), `Good "git" signature for ledger@example.com with ED25519 key `+ssh.FingerprintSHA256(pub))
		signer, err := ledger.VerifyCommitSSH(c, signers)
		require.NoError(t, err)
		require.Equal(t, "ledger@example.com", signer.Principal)
	}
}

// statusCommits lists every commit of the status branch in the server's repository.
func (s *scenario) statusCommits() []*object.Commit {
	s.t.Helper()
	repo, err := git.PlainOpen(s.git.RepoPath(walkthrough.RepoName))
	require.NoError(s.t, err)
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(walkthrough.StatusBranch), true)
	require.NoError(s.t, err)
	iter, err := repo.Log(&git.LogOptions{From: ref.Hash()})
	require.NoError(s.t, err)
	var out []*object.Commit
	require.NoError(s.t, iter.ForEach(func(c *object.Commit) error { out = append(out, c); return nil }))
	return out
}
