package gitserver

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

const (
	testUser     = "alice"
	testPassword = "s3cret-password"
)

// startServer starts a server with basic auth and SSH for the client key it returns, and one
// repository "demo" with a main branch holding README.md.
func startServer(t *testing.T, opts Options) (*Server, ssh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	client, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	if opts.Username == "" {
		opts.Username, opts.Password = testUser, testPassword
	}
	opts.SSH = true
	opts.AuthorizedKeys = append(opts.AuthorizedKeys, client.PublicKey())
	s, err := Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.CreateRepo("demo", "main"))
	_, err = s.CommitFiles(testContext(t), "demo", "main", Change{Files: map[string][]byte{"README.md": []byte("hello\n")}})
	require.NoError(t, err)
	return s, client
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func sshAuth(signer ssh.Signer, hostKey ssh.PublicKey) transport.AuthMethod {
	return &gitssh.PublicKeys{User: "git", Signer: signer,
		HostKeyCallbackHelper: gitssh.HostKeyCallbackHelper{HostKeyCallback: ssh.FixedHostKey(hostKey)}}
}

// clone clones branch main of url into memory and returns the repository.
func clone(t *testing.T, url string, auth transport.AuthMethod, depth int) (*git.Repository, error) {
	t.Helper()
	return git.CloneContext(testContext(t), memory.NewStorage(), memfs.New(), &git.CloneOptions{
		URL: url, Auth: auth, ReferenceName: plumbing.NewBranchReferenceName("main"), SingleBranch: true, Depth: depth,
	})
}

// readFile reads path from the head commit of r.
func readFile(t *testing.T, r *git.Repository, path string) string {
	t.Helper()
	head, err := r.Head()
	require.NoError(t, err)
	c, err := r.CommitObject(head.Hash())
	require.NoError(t, err)
	f, err := c.File(path)
	require.NoError(t, err)
	rd, err := f.Reader()
	require.NoError(t, err)
	defer rd.Close()
	b, err := io.ReadAll(rd)
	require.NoError(t, err)
	return string(b)
}
