package gitsource

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

const (
	testUser     = "fetcher"
	testPassword = "pa55-w0rd-never-print"
	testToken    = "tok-never-print-0123"
)

// fixture is a Git server with one repository "app" whose main branch has two overlays and a
// README, and an SSH identity the server accepts.
type fixture struct {
	srv         *gitserver.Server
	identityPEM []byte
	signer      ssh.Signer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pemBytes, signer := newIdentity(t)
	srv, err := gitserver.Start(gitserver.Options{Username: testUser, Password: testPassword, SSH: true,
		AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	require.NoError(t, srv.CreateRepo("app", "main"))
	f := &fixture{srv: srv, identityPEM: pemBytes, signer: signer}
	f.commit(t, map[string]string{
		"README.md":                          "app\n",
		"overlays/prod/kustomization.yaml":   "resources: [../../base]\n",
		"overlays/canary/kustomization.yaml": "resources: [../../base]\nnamePrefix: c-\n",
		"base/deploy.yaml":                   "kind: Deployment\n",
		"scripts/run.sh":                     "#!/bin/sh\n",
	})
	return f
}

func newIdentity(t testing.TB) ([]byte, ssh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "")
	require.NoError(t, err)
	signer, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return pem.EncodeToMemory(block), signer
}

// commit commits files (empty content deletes) to main and returns the commit.
func (f *fixture) commit(t *testing.T, files map[string]string) string {
	t.Helper()
	change := gitserver.Change{Files: map[string][]byte{}}
	for p, c := range files {
		if c == "" {
			change.Files[p] = nil
			continue
		}
		change.Files[p] = []byte(c)
	}
	h, err := f.srv.CommitFiles(testContext(t), "app", "main", change)
	require.NoError(t, err)
	return h
}

// tag creates an annotated tag on the head of main and pushes it.
func (f *fixture) tag(t *testing.T, name string) string {
	t.Helper()
	auth := &githttp.BasicAuth{Username: testUser, Password: testPassword}
	r, err := git.CloneContext(testContext(t), memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: f.srv.HTTPURL("app"), Auth: auth})
	require.NoError(t, err)
	head, err := r.Head()
	require.NoError(t, err)
	_, err = r.CreateTag(name, head.Hash(), &git.CreateTagOptions{Message: "release " + name,
		Tagger: &object.Signature{Name: "t", Email: "t@example.com", When: time.Now()}})
	require.NoError(t, err)
	err = r.PushContext(testContext(t), &git.PushOptions{Auth: auth,
		RefSpecs: []config.RefSpec{config.RefSpec("refs/tags/" + name + ":refs/tags/" + name)}})
	require.NoError(t, err)
	return head.Hash().String()
}

func (f *fixture) httpRemote() Remote {
	return Remote{URL: f.srv.HTTPURL("app"), Auth: Auth{Username: testUser, Password: testPassword}}
}

func (f *fixture) sshRemote() Remote {
	return Remote{URL: f.srv.SSHURL("app"), Auth: Auth{Identity: f.identityPEM, KnownHosts: f.srv.KnownHosts()}}
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newTestFetcher(t testing.TB, r Remote, ref Ref) *Fetcher {
	t.Helper()
	return newTestFetcherIn(t, r, ref, t.TempDir())
}

func newTestFetcherIn(t testing.TB, r Remote, ref Ref, cacheDir string) *Fetcher {
	t.Helper()
	f, err := NewFetcher(r, ref, FetcherOptions{CacheDir: cacheDir})
	require.NoError(t, err)
	return f
}

func readCheckout(t *testing.T, co Checkout, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(co.Dir, filepath.FromSlash(path)))
	require.NoError(t, err)
	return string(b)
}

// mustNotContain fails when any secret appears in s.
func mustNotContain(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, v := range secrets {
		require.False(t, bytes.Contains([]byte(s), []byte(v)), "secret %.4s… leaked in %q", v, s)
	}
}

// authorizedLine is the public key of signer in authorized_keys (and known_hosts) format.
func authorizedLine(signer ssh.Signer) []byte { return ssh.MarshalAuthorizedKey(signer.PublicKey()) }
