package ledger

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// TestGatesVerifySSHAndOpenPGPSigners commits decisions signed with OpenPGP (an allowed key and
// one not allowed) and with SSH next to each other, reads them with one list of allowed signers
// holding both kinds, and again with SSH keys only.
func TestGatesVerifySSHAndOpenPGPSigners(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t)
	alice, mallory := newPGPKey(t, "Alice", "alice@example.com", nil), newPGPKey(t, "Mallory", "mallory@example.com", nil)
	bob := newSSHKey(t, "ed25519", "")
	sshOnly, err := ParseAllowedSigners([]byte("bob@example.com " + bob.line + "\n"))
	require.NoError(t, err)
	allowed, err := ParseAllowedSigners([]byte("bob@example.com " + bob.line + "\n"))
	require.NoError(t, err)
	require.NoError(t, allowed.AddOpenPGPKeys(alice.pub))
	l := waitingLedger(t, srv)
	aliceCommit := decide(t, srv, Decision{Namespace: "test", Name: "podinfo", Kind: GateConfirmRollout},
		Signature{Name: "Alice", Email: "alice@example.com"}, mustSigner(t, map[string][]byte{SecretKeyOpenPGP: alice.priv}))
	bobCommit := decide(t, srv, Decision{Namespace: "test", Name: "podinfo", Kind: GateConfirmPromotion, Revision: "3f2a1c9"},
		Signature{Name: "Bob", Email: "bob@example.com"}, mustSigner(t, map[string][]byte{SecretKeySSH: bob.pem}))
	decide(t, srv, Decision{Namespace: "test", Name: "other", Kind: GateAbort, Revision: "aaaaaaa"},
		Signature{Name: "Alice", Email: "alice@example.com"}, mustSigner(t, map[string][]byte{SecretKeyOpenPGP: mallory.priv}))

	g, err := NewGates(remoteOf(srv), GatesOptions{AllowedSigners: allowed})
	require.NoError(t, err)
	require.NoError(t, g.Refresh(ctx))
	rollout, ok := g.Lookup("test", "podinfo", GateConfirmRollout)
	require.True(t, ok)
	require.Equal(t, Decider{Commit: aliceCommit, Name: "Alice", Email: "alice@example.com",
		Signer: CommitSigner{Principal: "alice@example.com", Fingerprint: alice.fingerprint}}, rollout.Decider)
	require.Equal(t, "Alice <alice@example.com> (signed by alice@example.com, "+alice.fingerprint+")", rollout.Decider.String())
	promotion, ok := g.Lookup("test", "podinfo", GateConfirmPromotion)
	require.True(t, ok)
	require.Equal(t, Decider{Commit: bobCommit, Name: "Bob", Email: "bob@example.com",
		Signer: CommitSigner{Principal: "bob@example.com", Fingerprint: ssh.FingerprintSHA256(bob.signer.PublicKey())}}, promotion.Decider)
	abort, ok := g.Lookup("test", "other", GateAbort)
	require.True(t, ok)
	require.Empty(t, abort.Decider.Signer.Principal, "an OpenPGP key outside the allowed signers verifies nobody")
	require.Equal(t, "signer not allowed: key "+mallory.fingerprint, abort.Decider.SignatureError)
	require.Equal(t, "Alice <alice@example.com> (signature not verified: signer not allowed: key "+mallory.fingerprint+")", abort.Decider.String())

	g2, err := NewGates(remoteOf(srv), GatesOptions{AllowedSigners: sshOnly})
	require.NoError(t, err)
	require.NoError(t, g2.Refresh(ctx))
	r2, ok := g2.Lookup("test", "podinfo", GateConfirmRollout)
	require.True(t, ok)
	require.Empty(t, r2.Decider.Signer.Principal)
	require.Equal(t, "signer not allowed: no OpenPGP keys are allowed (signed with key "+alice.fingerprint+")", r2.Decider.SignatureError)
	p2, ok := g2.Lookup("test", "podinfo", GateConfirmPromotion)
	require.True(t, ok)
	require.Equal(t, "bob@example.com", p2.Decider.Signer.Principal)

	l.ConsumeGate(rollout)
	require.NoError(t, l.Flush(ctx))
	s := branchHistory(t, srv, DefaultBranch)
	require.Contains(t, s.head.Message, "Decision-Commit: "+aliceCommit+"\nSigned-By: alice@example.com "+alice.fingerprint+"\n")
}

// TestOpenPGPSignaturesAgreeWithGnuPG checks VerifyCommitOpenPGP against GnuPG, which Git runs to
// verify gpg.format=openpgp signatures: `git verify-commit` accepts the ledger's commits with the
// key imported and refuses them without it, and VerifyCommitOpenPGP accepts commits signed by
// `git commit -S` and names the key as GnuPG does.
func TestOpenPGPSignaturesAgreeWithGnuPG(t *testing.T) {
	lookPath(t, "gpg") // git verify-commit and git commit -S run it
	gitBin := lookPath(t, "git")
	for _, kind := range []string{"ed25519", "rsa"} {
		t.Run(kind, func(t *testing.T) {
			cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
			if kind == "rsa" {
				cfg = &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048}
			}
			key, other := newPGPKey(t, "Ledger", "ledger@example.com", cfg), newPGPKey(t, "Other", "other@example.com", nil)
			allowed := allowedPGP(t, key.pub)
			dir := t.TempDir()
			trusted, untrusted := gnupgHome(t, key.pub), gnupgHome(t, other.pub)
			run := func(home, workdir string, args ...string) (string, error) {
				t.Helper()
				cmd := exec.Command(gitBin, args...)
				cmd.Dir = workdir
				cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GNUPGHOME="+home)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}

			// GnuPG verifies the ledger's commits.
			srv := newServer(t)
			l := newLedger(t, srv, Options{Signer: mustSigner(t, map[string][]byte{SecretKeyOpenPGP: key.priv}),
				Author: Signature{Name: "gitcanary", Email: "ledger@example.com"}})
			require.NoError(t, l.Record(transition("test", "podinfo", "Succeeded", 0, "done")))
			require.NoError(t, l.Flush(testContext(t)))
			head := branchHistory(t, srv, DefaultBranch).head
			out, err := run(trusted, srv.RepoPath(repoName), "verify-commit", "--raw", head.Hash.String())
			require.NoError(t, err, "git verify-commit: %s", out)
			require.Contains(t, out, "[GNUPG:] GOODSIG ")
			validsig := regexp.MustCompile(`\[GNUPG:\] VALIDSIG ([0-9A-F]+) .* ([0-9A-F]{40,64})\n`).FindStringSubmatch(out)
			require.NotNil(t, validsig, "no VALIDSIG in %s", out)
			s, err := VerifyCommitOpenPGP(head, allowed, time.Now())
			require.NoError(t, err)
			require.Equal(t, CommitSigner{Principal: "ledger@example.com", Fingerprint: "OpenPGP:" + validsig[2]}, s,
				"the fingerprint is GnuPG's primary key fingerprint")
			out, err = run(untrusted, srv.RepoPath(repoName), "verify-commit", head.Hash.String())
			require.Error(t, err, "a key GnuPG does not hold must not verify: %s", out)

			// VerifyCommitOpenPGP verifies GnuPG's signatures.
			repo := filepath.Join(dir, "repo")
			require.NoError(t, os.MkdirAll(repo, 0o755))
			signing := gnupgHome(t, key.priv)
			for _, args := range [][]string{
				{"init", "-q", "-b", "main"},
				{"-c", "user.name=Alice", "-c", "user.email=alice@example.com", "-c", "gpg.format=openpgp",
					"-c", "user.signingkey=" + strings.TrimPrefix(key.fingerprint, "OpenPGP:"),
					"commit", "-q", "--allow-empty", "-S", "-m", "approve"},
			} {
				out, err := run(signing, repo, args...)
				require.NoError(t, err, "git %s: %s", args, out)
			}
			r, err := git.PlainOpen(repo)
			require.NoError(t, err)
			ref, err := r.Reference(plumbing.NewBranchReferenceName("main"), true)
			require.NoError(t, err)
			c, err := r.CommitObject(ref.Hash())
			require.NoError(t, err)
			require.True(t, IsOpenPGPSignature(c.PGPSignature), "git commit -S wrote %q", c.PGPSignature)
			s, err = VerifyCommitOpenPGP(c, allowed, time.Now())
			require.NoError(t, err)
			require.Equal(t, CommitSigner{Principal: "ledger@example.com", Fingerprint: key.fingerprint}, s)
			_, err = VerifyCommitOpenPGP(c, allowedPGP(t, other.pub), time.Now())
			require.ErrorIs(t, err, ErrUntrustedSigner)
			c.Message = "abort\n"
			_, err = VerifyCommitOpenPGP(c, allowed, time.Now())
			require.ErrorIs(t, err, ErrBadOpenPGPSignature)
		})
	}
}

func mustSigner(t testing.TB, data map[string][]byte) git.Signer {
	t.Helper()
	s, err := NewSigner(data)
	require.NoError(t, err)
	return s
}

// gnupgHome makes a GnuPG home holding key (armored, public or private) and stops the agent
// GnuPG starts there when the test ends. Its path is short: gpg-agent's socket lives in it.
func gnupgHome(t testing.TB, key []byte) string {
	t.Helper()
	home, err := os.MkdirTemp("", "gpg")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(home, 0o700))
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		_ = cmd.Run() // absent when no agent was started
		require.NoError(t, os.RemoveAll(home))
	})
	cmd := exec.Command("gpg", "--batch", "--import")
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	cmd.Stdin = strings.NewReader(string(key))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "gpg --import: %s", out)
	return home
}
