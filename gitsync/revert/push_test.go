package revert

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// fleet is a Git server whose main branch went from podinfo 6.0.1 (promoted) to 6.0.2 (failed).
type fleet struct {
	srv              *gitserver.Server
	remote           gitsource.Remote
	promoted, failed string
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	srv, err := gitserver.Start(gitserver.Options{Username: "u", Password: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	require.NoError(t, srv.CreateRepo("fleet", "main"))
	f := &fleet{srv: srv, remote: gitsource.Remote{URL: srv.HTTPURL("fleet"), Auth: gitsource.Auth{Username: "u", Password: "p"}, Timeout: 10 * time.Second}}
	f.promoted = f.commit(t, Files{"apps/podinfo/deployment.yaml": []byte(deployment(podinfo+":6.0.1", "")), "README.md": []byte("fleet\n")})
	f.failed = f.commit(t, Files{"apps/podinfo/deployment.yaml": []byte(deployment(podinfo+":6.0.2", ""))})
	return f
}

func (f *fleet) commit(t *testing.T, files Files) string {
	t.Helper()
	sha, err := f.srv.CommitFiles(context.Background(), "fleet", "main", gitserver.Change{Files: files})
	require.NoError(t, err)
	return sha
}

func (f *fleet) failure() Failure {
	return Failure{Namespace: "test", Canary: "podinfo", Target: "podinfo", Overlay: "apps/podinfo",
		FailedCommit: f.failed, PromotedCommit: f.promoted, Reason: "request-success-rate 86.5 < min 99", LedgerCommit: "4ad1dad0"}
}

// fileAt reads a file of a branch's head on the server.
func (f *fleet) fileAt(t *testing.T, branch, p string) string {
	t.Helper()
	dir := t.TempDir()
	co, err := checkout(context.Background(), f.remote, gitsource.Ref{Branch: branch}, dir)
	require.NoError(t, err)
	return string(readFile(t, co, p))
}

func TestPushRevert(t *testing.T) {
	f := newFleet(t)
	unrelated := f.commit(t, Files{"README.md": []byte("fleet, edited after the failure\n")})
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "")
	require.NoError(t, err)
	signer, err := ledger.NewSigner(map[string][]byte{"identity": pem.EncodeToMemory(block)})
	require.NoError(t, err)

	res, err := Push(context.Background(), f.remote, f.failure(), PushOptions{Branch: "main", WorkDir: t.TempDir(),
		Author: Author{Name: "gitcanary", Email: "gitcanary@example.com"}, Signer: signer})
	require.NoError(t, err)
	require.Equal(t, "main", res.Branch)
	require.Equal(t, unrelated, res.Base, "built on the head, newer unrelated work kept")
	head, err := f.srv.Head("fleet", "main")
	require.NoError(t, err)
	require.Equal(t, res.Commit, head)
	require.Equal(t, deployment(podinfo+":6.0.1", ""), f.fileAt(t, "main", "apps/podinfo/deployment.yaml"))
	require.Equal(t, "fleet, edited after the failure\n", f.fileAt(t, "main", "README.md"))

	repo, err := git.PlainOpen(f.srv.RepoPath("fleet"))
	require.NoError(t, err)
	c, err := repo.CommitObject(plumbing.NewHash(res.Commit))
	require.NoError(t, err)
	require.Equal(t, "Revert test/podinfo to its promoted revision (request-success-rate 86.5 < min 99)", strings.SplitN(c.Message, "\n", 2)[0])
	require.Contains(t, c.Message, "- apps/podinfo/deployment.yaml: Deployment podinfo container podinfod image "+podinfo+":6.0.1 (was "+podinfo+":6.0.2)")
	require.Contains(t, c.Message, "Canary: test/podinfo\nFailed-Commit: "+f.failed+"\nPromoted-Commit: "+f.promoted+"\nLedger-Commit: 4ad1dad0\n")
	_, err = ledger.VerifyCommitSSH(c, nil)
	require.ErrorIs(t, err, ledger.ErrUntrustedSigner, "signed (by a key nobody allowed)")

	// The revert itself is newer work: a second failure report for the same revision refuses.
	_, err = Push(context.Background(), f.remote, f.failure(), PushOptions{Branch: "main", WorkDir: t.TempDir()})
	require.ErrorIs(t, err, ErrNewerWork)
}

func TestPushRevertRefusesNewerWork(t *testing.T) {
	f := newFleet(t)
	newer := f.commit(t, Files{"apps/podinfo/deployment.yaml": []byte(deployment(podinfo+":6.0.3", ""))})
	_, err := Push(context.Background(), f.remote, f.failure(), PushOptions{Branch: "main", WorkDir: t.TempDir()})
	require.ErrorIs(t, err, ErrNewerWork)
	require.ErrorContains(t, err, "apps/podinfo at "+newer[:7]+" renders differently than at the failed commit "+f.failed[:7])
	head, err := f.srv.Head("fleet", "main")
	require.NoError(t, err)
	require.Equal(t, newer, head, "nothing pushed")
}

func TestPushRevertPullRequestBranch(t *testing.T) {
	f := newFleet(t)
	opts := PushOptions{Branch: "main", PullRequest: true, WorkDir: t.TempDir(), Author: Author{Name: "gitcanary", Email: "g@example.com"}}
	res, err := Push(context.Background(), f.remote, f.failure(), opts)
	require.NoError(t, err)
	require.Equal(t, "gitcanary/revert/test-podinfo", res.Branch)
	head, err := f.srv.Head("fleet", "main")
	require.NoError(t, err)
	require.Equal(t, f.failed, head, "the source branch is left to the pull request")
	require.Equal(t, deployment(podinfo+":6.0.1", ""), f.fileAt(t, "gitcanary/revert/test-podinfo", "apps/podinfo/deployment.yaml"))

	f.commit(t, Files{"README.md": []byte("moved on\n")})
	opts.WorkDir = t.TempDir()
	_, err = Push(context.Background(), f.remote, f.failure(), opts)
	require.ErrorIs(t, err, ErrCannotRevert)
	require.ErrorContains(t, err, "branch gitcanary/revert/test-podinfo exists already")
}

func TestCommitOnMovedBranchIsRejected(t *testing.T) {
	f := newFleet(t)
	_, err := commitAndPush(context.Background(), f.remote, f.promoted, f.failure(), PushOptions{Branch: "main"}, Edit{Files: Files{"x.yaml": []byte("x: 1\n")}})
	require.ErrorIs(t, err, gitsource.ErrPushRejected, "a base that is not the head is never pushed over")
}
