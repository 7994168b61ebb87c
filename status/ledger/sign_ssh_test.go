package ledger

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// sshKey is a private key in the three forms the tests need.
type sshKey struct {
	signer ssh.Signer
	pem    []byte // OpenSSH private key file
	line   string // "type base64" public key
}

func newSSHKey(t testing.TB, kind string, passphrase string) sshKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	require.NoError(t, err)
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	}
	require.NoError(t, err)
	signer, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return sshKey{signer: signer, pem: pem.EncodeToMemory(block),
		line: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))}
}

func TestSSHSignatureRoundTrip(t *testing.T) {
	for _, kind := range []string{"ed25519", "ecdsa", "rsa"} {
		t.Run(kind, func(t *testing.T) {
			key := newSSHKey(t, kind, "")
			msg := []byte("tree 0000\nauthor a <a@b> 1 +0000\n\nmessage\n")
			sig, err := signSSH(key.signer, bytes.NewReader(msg), GitSSHNamespace)
			require.NoError(t, err)
			require.True(t, IsSSHSignature(string(sig)))
			for _, l := range strings.Split(strings.TrimSpace(string(sig)), "\n") {
				require.LessOrEqual(t, len(l), sshsigWidth)
			}
			got, err := VerifySSHSignature(sig, msg, GitSSHNamespace)
			require.NoError(t, err)
			require.Equal(t, key.signer.PublicKey().Marshal(), got.Marshal())

			_, err = VerifySSHSignature(sig, append(msg, 'x'), GitSSHNamespace)
			require.ErrorIs(t, err, ErrBadSSHSignature, "tampered message")
			_, err = VerifySSHSignature(sig, msg, "file")
			require.ErrorIs(t, err, ErrBadSSHSignature, "other namespace")
		})
	}
}

func TestVerifySSHSignatureRejectsGarbage(t *testing.T) {
	tests := []struct{ name, armored string }{
		{name: "not armored", armored: "hello"},
		{name: "PGP", armored: "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----"},
		{name: "bad base64", armored: sshsigBegin + "\n!!!\n" + sshsigEnd},
		{name: "no magic", armored: sshsigBegin + "\naGVsbG8=\n" + sshsigEnd},
		{name: "truncated blob", armored: sshsigBegin + "\nU1NIU0lHAAAAAQ==\n" + sshsigEnd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifySSHSignature([]byte(tt.armored), []byte("m"), GitSSHNamespace)
			require.ErrorIs(t, err, ErrBadSSHSignature)
		})
	}
}

// TestSSHSignatureAgreesWithOpenSSH checks the format against ssh-keygen -Y, which is what Git
// runs to verify gpg.format=ssh signatures: ssh-keygen verifies ours, we verify its.
func TestSSHSignatureAgreesWithOpenSSH(t *testing.T) {
	sshKeygen := lookPath(t, "ssh-keygen")
	for _, kind := range []string{"ed25519", "rsa"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			key := newSSHKey(t, kind, "")
			keyFile, msgFile := filepath.Join(dir, "key"), filepath.Join(dir, "msg")
			allowed := filepath.Join(dir, "allowed_signers")
			msg := []byte("a message to sign\n")
			require.NoError(t, os.WriteFile(keyFile, key.pem, 0o600))
			require.NoError(t, os.WriteFile(msgFile, msg, 0o600))
			require.NoError(t, os.WriteFile(allowed, []byte("ledger@example.com "+key.line+"\n"), 0o600))

			ours, err := signSSH(key.signer, bytes.NewReader(msg), GitSSHNamespace)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(msgFile+".sig", ours, 0o600))
			cmd := exec.Command(sshKeygen, "-Y", "verify", "-f", allowed, "-I", "ledger@example.com", "-n", "git", "-s", msgFile+".sig")
			cmd.Stdin = bytes.NewReader(msg)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "ssh-keygen -Y verify: %s", out)
			require.Contains(t, string(out), `Good "git" signature for ledger@example.com`)

			require.NoError(t, os.Remove(msgFile+".sig"))
			out, err = exec.Command(sshKeygen, "-Y", "sign", "-f", keyFile, "-n", "git", msgFile).CombinedOutput()
			require.NoError(t, err, "ssh-keygen -Y sign: %s", out)
			theirs, err := os.ReadFile(msgFile + ".sig")
			require.NoError(t, err)
			got, err := VerifySSHSignature(theirs, msg, GitSSHNamespace)
			require.NoError(t, err)
			require.Equal(t, key.signer.PublicKey().Marshal(), got.Marshal())
			_, err = VerifySSHSignature(theirs, []byte("another message\n"), GitSSHNamespace)
			require.ErrorIs(t, err, ErrBadSSHSignature)
		})
	}
}

// lookPath finds a program the test needs; its absence fails the test (the CI machine has it).
func lookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	require.NoError(t, err, "%s is needed to check signatures with Git's own rules (Debian: git, openssh-client, gnupg)", name)
	return p
}

func TestNewSigner(t *testing.T) {
	plain := newSSHKey(t, "ed25519", "")
	encrypted := newSSHKey(t, "ed25519", "s3cret")
	tests := []struct {
		name    string
		data    map[string][]byte
		wantSSH bool
		wantErr string
		wantIs  error
	}{
		{name: "ssh identity", data: map[string][]byte{"identity": plain.pem}, wantSSH: true},
		{name: "encrypted identity with passphrase", data: map[string][]byte{"identity": encrypted.pem, "passphrase": []byte("s3cret")}, wantSSH: true},
		{name: "encrypted identity with the credentials Secret's password", data: map[string][]byte{"identity": encrypted.pem, "password": []byte("s3cret")}, wantSSH: true},
		{name: "encrypted identity without passphrase", data: map[string][]byte{"identity": encrypted.pem}, wantIs: ErrNoSigningKey},
		{name: "encrypted identity, wrong passphrase", data: map[string][]byte{"identity": encrypted.pem, "passphrase": []byte("nope")}, wantErr: "read SSH signing key"},
		{name: "garbage identity", data: map[string][]byte{"identity": []byte("garbage")}, wantErr: "read SSH signing key"},
		{name: "public key is no identity", data: map[string][]byte{"identity": []byte(plain.line)}, wantErr: "read SSH signing key"},
		{name: "garbage git.asc wins over identity", data: map[string][]byte{"git.asc": []byte("garbage"), "identity": plain.pem}, wantErr: "read signing key"},
		{name: "neither key", data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}, wantIs: ErrNoSigningKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner(tt.data)
			switch {
			case tt.wantIs != nil:
				require.ErrorIs(t, err, tt.wantIs)
			case tt.wantErr != "":
				require.ErrorContains(t, err, tt.wantErr)
			default:
				require.NoError(t, err)
				_, isSSH := s.(*sshSigner)
				require.Equal(t, tt.wantSSH, isSSH)
			}
		})
	}
}

func TestParseAllowedSigners(t *testing.T) {
	alice, bob := newSSHKey(t, "ed25519", ""), newSSHKey(t, "ecdsa", "")
	file := "# team\n\nalice@example.com,alice@corp " + alice.line + " laptop\n" +
		`bob@example.com namespaces="file" ` + bob.line + "\n"
	a, err := ParseAllowedSigners([]byte(file))
	require.NoError(t, err)
	p, ok := a.Principal(alice.signer.PublicKey(), GitSSHNamespace)
	require.True(t, ok)
	require.Equal(t, "alice@example.com", p)
	_, ok = a.Principal(bob.signer.PublicKey(), GitSSHNamespace)
	require.False(t, ok, "bob may sign files only")
	p, ok = a.Principal(bob.signer.PublicKey(), "file")
	require.True(t, ok)
	require.Equal(t, "bob@example.com", p)
	_, ok = (*AllowedSigners)(nil).Principal(alice.signer.PublicKey(), GitSSHNamespace)
	require.False(t, ok)

	bad := []struct{ name, line, want string }{
		{name: "no key", line: "alice@example.com", want: "line 1: key of alice@example.com"},
		{name: "bad key", line: "alice@example.com ssh-ed25519 AAAA", want: "line 1: key of alice@example.com"},
		{name: "cert authority", line: "*@example.com cert-authority " + alice.line, want: `line 1: option "cert-authority" is not supported`},
		{name: "validity", line: `alice@example.com valid-after="20260101" ` + alice.line, want: `option "valid-after" is not supported`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAllowedSigners([]byte(tt.line))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// TestSSHSignedCommitsVerifyWithGit signs ledger commits with an SSH key from a Secret's data and
// verifies them as `git verify-commit` does with gpg.format=ssh, and with VerifyCommitSSH.
func TestSSHSignedCommitsVerifyWithGit(t *testing.T) {
	gitBin := lookPath(t, "git")
	lookPath(t, "ssh-keygen")
	key, other := newSSHKey(t, "ed25519", ""), newSSHKey(t, "ed25519", "")
	signer, err := NewSigner(map[string][]byte{"identity": key.pem})
	require.NoError(t, err)
	srv := newServer(t)
	l := newLedger(t, srv, Options{Signer: signer, Author: Signature{Name: "gitcanary", Email: "ledger@example.com"}})
	require.NoError(t, l.Record(transition("test", "podinfo", "Progressing", 5, "Advance podinfo.test canary weight 5")))
	require.NoError(t, l.Flush(testContext(t)))
	require.NoError(t, l.Record(transition("test", "podinfo", "Succeeded", 0, "done")))
	require.NoError(t, l.Flush(testContext(t)))

	dir := t.TempDir()
	trusted, untrusted := filepath.Join(dir, "trusted"), filepath.Join(dir, "untrusted")
	require.NoError(t, os.WriteFile(trusted, []byte("ledger@example.com "+key.line+"\n"), 0o600))
	require.NoError(t, os.WriteFile(untrusted, []byte("ledger@example.com "+other.line+"\n"), 0o600))
	allowed, err := ParseAllowedSigners([]byte("ledger@example.com " + key.line + "\n"))
	require.NoError(t, err)
	verify := func(allowedFile, commit string) (string, error) {
		cmd := exec.Command(gitBin, "-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile="+allowedFile,
			"verify-commit", "-v", commit)
		cmd.Dir = srv.RepoPath(repoName)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	commits := commitsOldestFirst(t, branchHistory(t, srv, DefaultBranch))
	require.Len(t, commits, 2)
	for _, c := range commits {
		out, err := verify(trusted, c.Hash.String())
		require.NoError(t, err, "git verify-commit %s: %s", c.Hash, out)
		require.Contains(t, out, `Good "git" signature for ledger@example.com with ED25519 key `+ssh.FingerprintSHA256(key.signer.PublicKey()))
		out, err = verify(untrusted, c.Hash.String())
		require.Error(t, err, "a key outside the allowed signers must not verify: %s", out)

		s, err := VerifyCommitSSH(c, allowed)
		require.NoError(t, err)
		require.Equal(t, CommitSigner{Principal: "ledger@example.com", Fingerprint: ssh.FingerprintSHA256(key.signer.PublicKey())}, s)
		_, err = VerifyCommitSSH(c, nil)
		require.ErrorIs(t, err, ErrUntrustedSigner)
		tampered := *c
		tampered.Message += "tampered\n"
		_, err = VerifyCommitSSH(&tampered, allowed)
		require.ErrorIs(t, err, ErrBadSSHSignature)
	}
}
