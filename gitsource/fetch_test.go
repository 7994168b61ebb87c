package gitsource

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFetchFollowsTheBranchOverEveryTransport(t *testing.T) {
	tests := []struct {
		name   string
		remote func(fx *fixture) Remote
	}{
		{name: "http basic auth", remote: (*fixture).httpRemote},
		{name: "ssh with known_hosts", remote: (*fixture).sshRemote},
		{name: "file", remote: func(fx *fixture) Remote { return Remote{URL: fx.srv.FileURL("app")} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			f := newTestFetcher(t, tt.remote(fx), Ref{Branch: "main"})
			ctx := testContext(t)
			first, err := f.Fetch(ctx)
			require.NoError(t, err)
			head, err := fx.srv.Head("app", "main")
			require.NoError(t, err)
			require.Equal(t, head, first.Commit)
			require.Equal(t, "app\n", readCheckout(t, first, "README.md"))
			info, err := os.Stat(filepath.Join(first.Dir, "scripts", "run.sh"))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "CommitFiles writes regular files")

			again, err := f.Fetch(ctx)
			require.ErrorIs(t, err, ErrNoChange)
			require.Equal(t, first, again)

			next := fx.commit(t, map[string]string{"README.md": "app v2 " + tt.name + "\n", "scripts/run.sh": "",
				"scripts/new/tool.sh": "echo\n"})
			second, err := f.Fetch(ctx)
			require.NoError(t, err)
			require.Equal(t, next, second.Commit)
			require.Equal(t, first.Dir, second.Dir, "the tree is updated in place")
			require.Equal(t, "app v2 "+tt.name+"\n", readCheckout(t, second, "README.md"))
			require.Equal(t, "echo\n", readCheckout(t, second, "scripts/new/tool.sh"))
			require.NoFileExists(t, filepath.Join(second.Dir, "scripts", "run.sh"), "deleted files go")
			require.Equal(t, "kind: Deployment\n", readCheckout(t, second, "base/deploy.yaml"))

			// A new fetcher on the same cache (a restart) finds the tree and updates it.
			third := fx.commit(t, map[string]string{"scripts/new/tool.sh": "", "README.md": "app v3\n"})
			restarted := newTestFetcherIn(t, tt.remote(fx), Ref{Branch: "main"}, f.opts.CacheDir)
			co, err := restarted.Fetch(ctx)
			require.NoError(t, err)
			require.Equal(t, third, co.Commit)
			require.Equal(t, "app v3\n", readCheckout(t, co, "README.md"))
			require.NoDirExists(t, filepath.Join(co.Dir, "scripts"), "emptied directories go")
		})
	}
}

func TestFetchIsShallow(t *testing.T) {
	fx := newFixture(t)
	fx.commit(t, map[string]string{"a": "1"})
	fx.commit(t, map[string]string{"a": "2"})
	f := newTestFetcher(t, fx.httpRemote(), Ref{Branch: "main"})
	co, err := f.Fetch(testContext(t))
	require.NoError(t, err)
	shallow, err := f.repo.Storer.Shallow()
	require.NoError(t, err)
	require.Len(t, shallow, 1)
	require.Equal(t, co.Commit, shallow[0].String())
	_, err = f.repo.CommitObject(shallow[0])
	require.NoError(t, err)
	c, err := f.repo.CommitObject(shallow[0])
	require.NoError(t, err)
	_, err = f.repo.CommitObject(c.ParentHashes[0])
	require.Error(t, err, "the parent was not fetched")
}

func TestFetchTagAndCommit(t *testing.T) {
	fx := newFixture(t)
	tagged := fx.tag(t, "v1.0.0")
	moved := fx.commit(t, map[string]string{"README.md": "after the tag\n"})

	tf := newTestFetcher(t, fx.httpRemote(), Ref{Tag: "v1.0.0"})
	co, err := tf.Fetch(testContext(t))
	require.NoError(t, err)
	require.Equal(t, tagged, co.Commit, "the annotated tag is peeled to its commit")
	require.Equal(t, "app\n", readCheckout(t, co, "README.md"))
	_, err = tf.Fetch(testContext(t))
	require.ErrorIs(t, err, ErrNoChange)

	cf := newTestFetcher(t, fx.httpRemote(), Ref{Commit: tagged})
	co, err = cf.Fetch(testContext(t))
	require.NoError(t, err)
	require.Equal(t, tagged, co.Commit)
	require.NotEqual(t, moved, co.Commit)
	require.NoError(t, fx.srv.Stop())
	_, err = cf.Fetch(testContext(t))
	require.ErrorIs(t, err, ErrNoChange, "a pinned commit needs no network once checked out")
}

func TestFetchErrors(t *testing.T) {
	fx := newFixture(t)
	_, otherHost := newIdentity(t)
	wrongHostKeys := []byte("[127.0.0.1]:" + port(fx.srv.SSHAddr()) + " " + string(authorizedLine(otherHost)))
	unknownHost := []byte("[127.0.0.2]:22 " + string(authorizedLine(otherHost)))
	silent := silentListener(t)
	tests := []struct {
		name    string
		remote  Remote
		ref     Ref
		wantErr error
	}{
		{name: "wrong password", remote: Remote{URL: fx.srv.HTTPURL("app"), Auth: Auth{Username: testUser, Password: "wrong"}},
			ref: Ref{Branch: "main"}, wantErr: ErrAuthentication},
		{name: "no credentials", remote: Remote{URL: fx.srv.HTTPURL("app")}, ref: Ref{Branch: "main"}, wantErr: ErrAuthentication},
		{name: "missing branch", remote: fx.httpRemote(), ref: Ref{Branch: "nope"}, wantErr: ErrRefNotFound},
		{name: "missing tag", remote: fx.httpRemote(), ref: Ref{Tag: "v9"}, wantErr: ErrRefNotFound},
		{name: "missing commit", remote: fx.httpRemote(), ref: Ref{Commit: "0123456789abcdef0123456789abcdef01234567"}, wantErr: ErrRefNotFound},
		{name: "missing repository", remote: Remote{URL: fx.srv.HTTPURL("nope"), Auth: fx.httpRemote().Auth},
			ref: Ref{Branch: "main"}, wantErr: ErrRepositoryNotFound},
		{name: "wrong host key", remote: Remote{URL: fx.srv.SSHURL("app"), Auth: Auth{Identity: fx.identityPEM, KnownHosts: wrongHostKeys}},
			ref: Ref{Branch: "main"}, wantErr: ErrHostKey},
		{name: "host missing from known_hosts", remote: Remote{URL: fx.srv.SSHURL("app"), Auth: Auth{Identity: fx.identityPEM, KnownHosts: unknownHost}},
			ref: Ref{Branch: "main"}, wantErr: ErrHostKey},
		{name: "ssh key not authorised", remote: Remote{URL: fx.srv.SSHURL("app"), Auth: Auth{Identity: otherIdentity(t), KnownHosts: fx.srv.KnownHosts()}},
			ref: Ref{Branch: "main"}, wantErr: ErrAuthentication},
		{name: "unreachable host", remote: Remote{URL: "http://" + closedAddr(t) + "/app.git"}, ref: Ref{Branch: "main"}, wantErr: ErrUnreachable},
		{name: "server that never answers", remote: Remote{URL: "http://" + silent + "/app.git", Timeout: 300 * time.Millisecond},
			ref: Ref{Branch: "main"}, wantErr: ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFetcher(t, tt.remote, tt.ref)
			_, err := f.Fetch(testContext(t))
			t.Log(err)
			require.ErrorIs(t, err, tt.wantErr)
			require.Contains(t, err.Error(), RedactURL(tt.remote.URL), "the error names the repository")
		})
	}
}

func TestFetchTimeoutIsAlsoADeadline(t *testing.T) {
	f := newTestFetcher(t, Remote{URL: "http://" + silentListener(t) + "/x.git", Timeout: 200 * time.Millisecond}, Ref{Branch: "main"})
	_, err := f.Fetch(testContext(t))
	require.ErrorIs(t, err, ErrTimeout)
	require.ErrorContains(t, err, "after 200ms")
}

func TestNewFetcherRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		remote  Remote
		ref     Ref
		opts    FetcherOptions
		wantErr error
	}{
		{name: "no ref", remote: Remote{URL: "https://example.com/a.git"}, opts: FetcherOptions{CacheDir: "x"}, wantErr: ErrInvalidRef},
		{name: "two refs", remote: Remote{URL: "https://example.com/a.git"}, ref: Ref{Branch: "a", Tag: "b"}, opts: FetcherOptions{CacheDir: "x"}, wantErr: ErrInvalidRef},
		{name: "short commit", remote: Remote{URL: "https://example.com/a.git"}, ref: Ref{Commit: "abc123"}, opts: FetcherOptions{CacheDir: "x"}, wantErr: ErrInvalidRef},
		{name: "bad branch name", remote: Remote{URL: "https://example.com/a.git"}, ref: Ref{Branch: "a..b"}, opts: FetcherOptions{CacheDir: "x"}, wantErr: ErrInvalidRef},
		{name: "git protocol", remote: Remote{URL: "git://example.com/a.git"}, ref: Ref{Branch: "main"}, opts: FetcherOptions{CacheDir: "x"}, wantErr: ErrInvalidURL},
		{name: "empty url", remote: Remote{}, ref: Ref{Branch: "main"}, opts: FetcherOptions{CacheDir: "x"}, wantErr: ErrInvalidURL},
		{name: "ssh without identity", remote: Remote{URL: "ssh://git@example.com/a.git"}, ref: Ref{Branch: "main"}, opts: FetcherOptions{CacheDir: "x"}, wantErr: ErrInvalidAuth},
		{name: "ssh without known_hosts", remote: Remote{URL: "git@example.com:a.git", Auth: Auth{Identity: otherIdentity(t)}}, ref: Ref{Branch: "main"},
			opts: FetcherOptions{CacheDir: "x"}, wantErr: ErrInvalidAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFetcher(tt.remote, tt.ref, tt.opts)
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
	_, err := NewFetcher(Remote{URL: "https://example.com/a.git"}, Ref{Branch: "main"}, FetcherOptions{})
	require.ErrorContains(t, err, "cache directory is required")
}

func otherIdentity(t *testing.T) []byte {
	pemBytes, _ := newIdentity(t)
	return pemBytes
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// silentListener accepts connections and never answers.
func silentListener(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l.Addr().String()
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func TestCacheIsCompacted(t *testing.T) {
	fx := newFixture(t)
	f := newTestFetcher(t, fx.httpRemote(), Ref{Branch: "main"})
	ctx := testContext(t)
	packs := func() int {
		m, err := filepath.Glob(filepath.Join(f.opts.CacheDir, cacheRepo, "objects", "pack", "*.pack"))
		require.NoError(t, err)
		return len(m)
	}
	var last Checkout
	for i := range compactEvery + 3 {
		fx.commit(t, map[string]string{"n.txt": fmt.Sprint(i)})
		co, err := f.Fetch(ctx)
		require.NoError(t, err)
		last = co
		if i == compactEvery-2 {
			require.Equal(t, compactEvery-1, packs(), "one pack per fetch until compaction")
		}
	}
	require.Equal(t, 4, packs(), "the compacted pack and one per fetch since")
	require.Equal(t, fmt.Sprint(compactEvery+2), readCheckout(t, last, "n.txt"))
	require.Equal(t, "app\n", readCheckout(t, last, "README.md"))
	_, err := f.Fetch(ctx)
	require.ErrorIs(t, err, ErrNoChange)
	shallow, err := f.repo.Storer.Shallow()
	require.NoError(t, err)
	require.NotEmpty(t, shallow)
	require.NoError(t, f.Close())
	require.NoError(t, f.Close(), "closing twice is fine")
	_, err = f.Fetch(ctx)
	require.ErrorIs(t, err, ErrNoChange, "the cache reopens after Close")
}

// TestFetchFileNeedsNoGitInstallation: file:// is served in-process; gitcanary never runs git.
func TestFetchFileNeedsNoGitInstallation(t *testing.T) {
	fx := newFixture(t)
	t.Setenv("PATH", t.TempDir())
	f := newTestFetcher(t, Remote{URL: fx.srv.FileURL("app")}, Ref{Branch: "main"})
	co, err := f.Fetch(testContext(t))
	require.NoError(t, err)
	require.Equal(t, "app\n", readCheckout(t, co, "README.md"))
}
