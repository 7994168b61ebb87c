package ledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/gitcanary/gitcanary/gitsource"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/stretchr/testify/require"
)

const (
	testUser     = "ledger"
	testPassword = "ledger-pass-0123"
	repoName     = "config"
)

// newServer starts a Git server with basic auth and a repository whose main branch holds the
// manifests.
func newServer(t testing.TB) *gitserver.Server {
	t.Helper()
	srv, err := gitserver.Start(gitserver.Options{Username: testUser, Password: testPassword})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	require.NoError(t, srv.CreateRepo(repoName, "main"))
	_, err = srv.CommitFiles(testContext(t), repoName, "main", gitserver.Change{Files: map[string][]byte{
		"overlays/prod/kustomization.yaml": []byte("resources: []\n"),
	}})
	require.NoError(t, err)
	return srv
}

func remoteOf(srv *gitserver.Server) gitsource.Remote {
	return gitsource.Remote{URL: srv.HTTPURL(repoName), Auth: gitsource.Auth{Username: testUser, Password: testPassword},
		Timeout: 5 * time.Second}
}

func newLedger(t testing.TB, srv *gitserver.Server, opts Options) *Ledger {
	t.Helper()
	if opts.SourceBranch == "" {
		opts.SourceBranch = "main"
	}
	l, err := New(remoteOf(srv), opts)
	require.NoError(t, err)
	return l
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// transition builds a transition with one event whose message is msg.
func transition(ns, name, phase string, weight int, msg string) Transition {
	return Transition{Namespace: ns, Name: name, Phase: phase, Weight: weight,
		SourceCommit: "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d", TargetRevision: "ghcr.io/stefanprodan/podinfo:6.0.1",
		Events: []Event{{Type: "Normal", Reason: "Synced", Message: msg}}}
}

// branchHistory fetches the status branch with its history.
func branchHistory(t testing.TB, srv *gitserver.Server, branch string) *Snapshot {
	t.Helper()
	s, err := OpenRemote(testContext(t), remoteOf(srv), branch, true)
	require.NoError(t, err)
	return s
}

// commitsOldestFirst lists the commits of the snapshot's branch, following first parents.
func commitsOldestFirst(t testing.TB, s *Snapshot) []*object.Commit {
	t.Helper()
	var out []*object.Commit
	for c := s.head; ; {
		out = append([]*object.Commit{c}, out...)
		if len(c.ParentHashes) == 0 {
			return out
		}
		var err error
		c, err = s.repo.CommitObject(c.ParentHashes[0])
		require.NoError(t, err)
	}
}

// eventsInHistory returns, per canary, the event messages in the order they first appear in
// the history of the branch, reading each commit's files for the canaries of its trailers.
func eventsInHistory(t testing.TB, s *Snapshot) map[string][]string {
	t.Helper()
	seen := map[string]bool{}
	out := map[string][]string{}
	for _, c := range commitsOldestFirst(t, s) {
		for _, tr := range ParseTrailers(c.Message) {
			ns, name := splitKey(tr.Canary)
			f, err := c.File(statusPath(ns, name))
			require.NoError(t, err, "commit %s names %s", c.Hash, tr.Canary)
			content, err := f.Contents()
			require.NoError(t, err)
			st, err := parseStatus([]byte(content))
			require.NoError(t, err)
			for _, e := range st.Events {
				if !seen[tr.Canary+"\x00"+e.Message] {
					seen[tr.Canary+"\x00"+e.Message] = true
					out[tr.Canary] = append(out[tr.Canary], e.Message)
				}
			}
		}
	}
	return out
}

// requireNoForcePush checks every reference update the server accepted on branch: the old
// commit must be an ancestor of the new one.
func requireNoForcePush(t testing.TB, srv *gitserver.Server, branch string) int {
	t.Helper()
	repo, err := git.PlainOpen(srv.RepoPath(repoName))
	require.NoError(t, err)
	updates, err := srv.RefUpdates(repoName)
	require.NoError(t, err)
	n := 0
	for _, u := range updates {
		if u.Ref != "refs/heads/"+branch || u.Old == "" {
			continue
		}
		n++
		tip, err := repo.CommitObject(plumbing.NewHash(u.New))
		require.NoError(t, err)
		found := false
		err = object.NewCommitPreorderIter(tip, nil, nil).ForEach(func(c *object.Commit) error {
			if c.Hash.String() == u.Old {
				found = true
				return storer.ErrStop
			}
			return nil
		})
		require.NoError(t, err)
		require.True(t, found, "update %s → %s dropped commits", u.Old, u.New)
	}
	return n
}

func keyOf(ns, name string) string { return fmt.Sprintf("%s/%s", ns, name) }

// waitingLedger returns a ledger on srv whose status branch holds test/podinfo waiting for an
// approval.
func waitingLedger(t testing.TB, srv *gitserver.Server) *Ledger {
	t.Helper()
	l := newLedger(t, srv, Options{})
	require.NoError(t, l.Record(transition("test", "podinfo", "Waiting", 0, "Halt podinfo.test advancement waiting for approval approval")))
	require.NoError(t, l.Flush(testContext(t)))
	return l
}

// decide commits decision d to srv's status branch as who, signed by signer (nil: unsigned), and
// returns the commit.
func decide(t testing.TB, srv *gitserver.Server, d Decision, who Signature, signer git.Signer) string {
	t.Helper()
	commit, _, err := CommitDecision(testContext(t), remoteOf(srv), d, DecisionOptions{Author: who, Signer: signer})
	require.NoError(t, err)
	return commit
}
