package ledger

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
)

// packRequests counts the Git requests that pass through it: reference listings, and pack
// fetches with the depth each asked for.
type packRequests struct {
	mu       sync.Mutex
	listings int
	// depths are those of the pack fetches ("" for a full one), with "+have" when the fetch
	// told the server of commits it has, so that only the new objects are sent.
	depths []string
}

var deepen = regexp.MustCompile(`deepen (\d+)`)

// proxy returns the URL of a reverse proxy to target that counts into p.
func (p *packRequests) proxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.mu.Lock()
		switch {
		case r.Method == http.MethodGet:
			p.listings++
		case r.Method == http.MethodPost && bytes.Contains(body, []byte("want ")):
			depth := ""
			if m := deepen.FindSubmatch(body); m != nil {
				depth = string(m[1])
			}
			if bytes.Contains(body, []byte("have ")) {
				depth += "+have"
			}
			p.depths = append(p.depths, depth)
		}
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

// take returns the counts since the last take and resets them.
func (p *packRequests) take() (listings int, depths []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	listings, depths = p.listings, p.depths
	p.listings, p.depths = 0, nil
	return listings, depths
}

// TestGatesFetchOnlyWhatChanged: a refresh that finds the same head fetches nothing; a new head
// is fetched alone (depth 1) when every gate file is known, and only what changed while the
// branch keeps moving; only a new gate file's content makes the reader fetch the history, and
// its decider is found there under the ledger's commits.
func TestGatesFetchOnlyWhatChanged(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t)
	l := waitingLedger(t, srv)
	var count packRequests
	remote := remoteOf(srv)
	remote.URL = count.proxy(t, remote.URL)
	g, err := NewGates(remote, GatesOptions{Depth: 10})
	require.NoError(t, err)

	// Given a status branch without decisions
	require.NoError(t, g.Refresh(ctx))
	_, depths := count.take()
	require.Equal(t, []string{"1"}, depths, "the head alone")
	require.Empty(t, g.All())

	// When nothing changed, a refresh only lists the branch
	require.NoError(t, g.Refresh(ctx))
	listings, depths := count.take()
	require.Equal(t, 1, listings)
	require.Empty(t, depths, "no fetch for the same head")

	// When Alice approves and the ledger commits twice on top
	alice := decide(t, srv, Decision{Namespace: "test", Name: "podinfo", Kind: GateConfirmRollout, Revision: "3f2a1c9"},
		Signature{Name: "Alice", Email: "alice@example.com"}, nil)
	for i := 0; i < 2; i++ {
		require.NoError(t, l.Record(transition("test", "checkout", "Progressing", 5*(i+1), "Advance")))
		require.NoError(t, l.Flush(ctx))
	}
	count.take()

	// Then the new gate file makes the reader fetch the history, which names Alice
	require.NoError(t, g.Refresh(ctx))
	_, depths = count.take()
	require.Equal(t, []string{"1", "10"}, depths)
	gate, ok := g.Lookup("test", "podinfo", GateConfirmRollout)
	require.True(t, ok)
	require.Equal(t, alice, gate.Decider.Commit)
	require.Equal(t, "Alice <alice@example.com> (unsigned)", gate.Decider.String())

	// When the ledger commits again with the decision unchanged, the head alone is fetched, on
	// top of the head fetched before, and the decider is remembered
	require.NoError(t, l.Record(transition("test", "checkout", "Progressing", 15, "Advance")))
	require.NoError(t, l.Flush(ctx))
	count.take()
	require.NoError(t, g.Refresh(ctx))
	_, depths = count.take()
	require.Equal(t, []string{"1+have"}, depths)
	gate, ok = g.Lookup("test", "podinfo", GateConfirmRollout)
	require.True(t, ok)
	require.Equal(t, alice, gate.Decider.Commit)

	// When the decision is removed by hand, it is gone after the next refresh
	_, err = srv.CommitFiles(ctx, repoName, DefaultBranch, gitserver.Change{Files: map[string][]byte{
		GatePath("test", "podinfo", GateConfirmRollout): nil}})
	require.NoError(t, err)
	require.NoError(t, g.Refresh(ctx))
	require.Empty(t, g.All())
	_, depths = count.take()
	require.Equal(t, []string{"1+have"}, depths)

	// When the branch stood still for a refresh, the heads fetched are dropped: the next new
	// head is fetched afresh
	require.NoError(t, g.Refresh(ctx))
	require.NoError(t, l.Record(transition("test", "checkout", "Progressing", 20, "Advance")))
	require.NoError(t, l.Flush(ctx))
	count.take()
	require.NoError(t, g.Refresh(ctx))
	_, depths = count.take()
	require.Equal(t, []string{"1"}, depths)
}

// TestGatesOfADeletedBranch: a status branch deleted after it was read holds no gates.
func TestGatesOfADeletedBranch(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t)
	decide(t, srv, Decision{Namespace: "test", Name: "podinfo", Kind: GateAbort, Revision: "3f2a1c9"},
		Signature{Name: "Alice", Email: "alice@example.com"}, nil)
	g, err := NewGates(remoteOf(srv), GatesOptions{})
	require.NoError(t, err)
	require.NoError(t, g.Refresh(ctx))
	require.Len(t, g.All(), 1)
	require.NotEmpty(t, g.Head())

	deleteBranch(t, srv, DefaultBranch)
	require.NoError(t, g.Refresh(ctx))
	require.Empty(t, g.All())
	require.Empty(t, g.Head())
}

// deleteBranch deletes a branch of the repository with a push, as a user would.
func deleteBranch(t *testing.T, srv *gitserver.Server, branch string) {
	t.Helper()
	r, err := git.Init(memory.NewStorage(), nil)
	require.NoError(t, err)
	_, err = r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{srv.HTTPURL(repoName)}})
	require.NoError(t, err)
	err = r.PushContext(testContext(t), &git.PushOptions{RemoteName: "origin",
		Auth:     &githttp.BasicAuth{Username: testUser, Password: testPassword},
		RefSpecs: []config.RefSpec{config.RefSpec(":" + plumbing.NewBranchReferenceName(branch).String())}})
	require.NoError(t, err)
	_, err = srv.Head(repoName, branch)
	require.Error(t, err, "the branch is gone")
}
