package gitserver

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// The git CLI (Debian's git; .ci/run installs it) against the server: what a user of
// `KEEP=1 make demo` does. The client runs with an empty HOME and no system config, protocol
// version 0 (the server speaks v0), and its own defaults: thin packs with deltas on push,
// multi_ack_detailed negotiation in rounds of haves on fetch.

// gitCLI runs the git command-line client with an isolated configuration.
type gitCLI struct {
	t   *testing.T
	env []string
}

func newGitCLI(t *testing.T, extraEnv ...string) *gitCLI {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the git CLI tests need git on PATH (apt-get install git): %v", err)
	}
	home := t.TempDir()
	env := append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com")
	return &gitCLI{t: t, env: append(env, extraEnv...)}
}

// run runs git in dir and returns its trimmed standard output; it fails the test with the
// combined output when git fails.
func (g *gitCLI) run(dir string, args ...string) string {
	g.t.Helper()
	out, err := g.try(dir, args...)
	require.NoError(g.t, err, "git %s:\n%s", strings.Join(args, " "), out)
	return out
}

func (g *gitCLI) try(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-c", "protocol.version=0", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir, cmd.Env = dir, g.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return strings.TrimSpace(stdout.String()), nil
}

// bigFile is a file large enough that git sends a one-line change to it as a delta.
func bigFile(changed int) string {
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "line %d of a manifest long enough to be deltified\n", i)
		if i == changed {
			b.WriteString("a changed line\n")
		}
	}
	return b.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// commitLocal writes content to name in the work tree dir and commits it.
func (g *gitCLI) commitLocal(dir, name, content, message string) string {
	g.t.Helper()
	writeFile(g.t, filepath.Join(dir, name), content)
	g.run(dir, "add", name)
	g.run(dir, "commit", "-q", "-m", message)
	return g.run(dir, "rev-parse", "HEAD")
}

// exerciseGitCLI clones, pushes deltas, fetches after the server moved (with a local history the
// server lacks, so the negotiation takes several rounds), fetches into a stale clone, and
// deepens a shallow clone, all against remote.
func exerciseGitCLI(t *testing.T, s *Server, g *gitCLI, remote string) {
	ctx := testContext(t)
	work := filepath.Join(t.TempDir(), "work")
	g.run("", "clone", "-q", remote, work)
	require.FileExists(t, filepath.Join(work, "README.md"))

	// Push: a base commit with a large file, then a one-line change (a thin pack whose delta
	// base only the server has).
	g.commitLocal(work, "big.yaml", bigFile(-1), "add big.yaml")
	g.run(work, "push", "-q", "origin", "main")
	tip := g.commitLocal(work, "big.yaml", bigFile(200), "change one line")
	g.run(work, "push", "-q", "origin", "main")
	require.Equal(t, tip, g.run(work, "ls-remote", "origin", "refs/heads/main")[:40])
	fromServer, err := clone(t, s.HTTPURL("demo"), s.clientAuth(), 0)
	require.NoError(t, err, "go-git reads what the git CLI pushed")
	require.Equal(t, bigFile(200), readFile(t, fromServer, "big.yaml"))

	// A stale clone fetches what was pushed since.
	stale := filepath.Join(t.TempDir(), "stale")
	g.run("", "clone", "-q", remote, stale)
	g.commitLocal(work, "big.yaml", bigFile(300), "change another line")
	g.run(work, "push", "-q", "origin", "main")
	g.run(stale, "pull", "-q", "--ff-only", "origin", "main")
	require.Equal(t, g.run(work, "rev-parse", "HEAD"), g.run(stale, "rev-parse", "HEAD"))

	// Fetch with 40 local commits the server has never seen: rounds of haves before a common one.
	g.run(stale, "checkout", "-q", "-b", "local")
	for i := range 40 {
		g.commitLocal(stale, "local.txt", fmt.Sprintf("local %d\n", i), fmt.Sprintf("local %d", i))
	}
	serverTip, err := s.CommitFiles(ctx, "demo", "main", Change{Files: map[string][]byte{"big.yaml": []byte(bigFile(10))}})
	require.NoError(t, err)
	g.run(stale, "fetch", "-q", "origin")
	require.Equal(t, serverTip, g.run(stale, "rev-parse", "origin/main"))
	require.Equal(t, bigFile(10), g.run(stale, "show", "origin/main:big.yaml")+"\n")
	g.run(stale, "fsck", "--no-progress")

	// A shallow clone follows a new commit and deepens.
	shallow := filepath.Join(t.TempDir(), "shallow")
	g.run("", "clone", "-q", "--depth", "1", remote, shallow)
	next, err := s.CommitFiles(ctx, "demo", "main", Change{Files: map[string][]byte{"next.txt": []byte("next\n")}})
	require.NoError(t, err)
	g.run(shallow, "fetch", "-q", "--depth", "1", "origin", "main")
	require.Equal(t, next, g.run(shallow, "rev-parse", "FETCH_HEAD"))
	require.Equal(t, "1", g.run(shallow, "rev-list", "--count", "FETCH_HEAD"))
	g.run(shallow, "fetch", "-q", "--depth", "3", "origin", "main")
	require.Equal(t, "3", g.run(shallow, "rev-list", "--count", "FETCH_HEAD"))
	g.run(shallow, "fetch", "-q", "--unshallow", "origin", "main")
	require.Equal(t, g.run(stale, "rev-list", "--count", serverTip+"^{commit}"), g.run(shallow, "rev-list", "--count", serverTip))
	g.run(shallow, "fsck", "--no-progress")
}

func TestGitCLIOverHTTP(t *testing.T) {
	s, _ := startServer(t, Options{})
	u := &url.URL{Scheme: "http", User: url.UserPassword(testUser, testPassword), Host: s.HTTPAddr(), Path: "/demo.git"}
	require.Equal(t, s.HTTPURL("demo"), strings.Replace(u.String(), testUser+":"+testPassword+"@", "", 1),
		"the URL the test builds is the server's")
	exerciseGitCLI(t, s, newGitCLI(t), u.String())
}

func TestGitCLIOverSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatalf("the git CLI tests over SSH need ssh on PATH (apt-get install openssh-client): %v", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	s, _ := startServer(t, Options{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	dir := t.TempDir()
	block, err := ssh.MarshalPrivateKey(priv, "")
	require.NoError(t, err)
	key, knownHosts := filepath.Join(dir, "id_ed25519"), filepath.Join(dir, "known_hosts")
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(block), 0o600))
	require.NoError(t, os.WriteFile(knownHosts, s.KnownHosts(), 0o600))
	sshCommand := fmt.Sprintf("ssh -F /dev/null -i %s -o IdentitiesOnly=yes -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o BatchMode=yes",
		key, knownHosts)
	exerciseGitCLI(t, s, newGitCLI(t, "GIT_SSH_COMMAND="+sshCommand), s.SSHURL("demo"))
}
