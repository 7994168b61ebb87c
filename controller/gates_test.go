package controller

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// openPGPTestKey returns an armored private and public OpenPGP key of email.
func openPGPTestKey(t *testing.T, email string) (priv, pub []byte) {
	t.Helper()
	e, err := openpgp.NewEntity(email, "", email, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	require.NoError(t, err)
	var privBuf, pubBuf bytes.Buffer
	w, err := armor.Encode(&privBuf, openpgp.PrivateKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.SerializePrivate(w, nil))
	require.NoError(t, w.Close())
	w, err = armor.Encode(&pubBuf, openpgp.PublicKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.Serialize(w))
	require.NoError(t, w.Close())
	return privBuf.Bytes(), pubBuf.Bytes()
}

// openPGPSignedCommit returns a commit signed with the armored private key priv.
func openPGPSignedCommit(t *testing.T, priv []byte) *object.Commit {
	t.Helper()
	who := object.Signature{Name: "Alice", Email: "alice@example.com", When: time.Unix(1767225600, 0).UTC()}
	c := &object.Commit{Author: who, Committer: who, Message: "approve\n",
		TreeHash: plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")}
	enc := &plumbing.MemoryObject{}
	require.NoError(t, c.EncodeWithoutSignature(enc))
	r, err := enc.Reader()
	require.NoError(t, err)
	signer, err := ledger.NewOpenPGPSigner(priv, nil)
	require.NoError(t, err)
	sig, err := signer.Sign(io.Reader(r))
	require.NoError(t, err)
	c.PGPSignature = string(sig)
	return c
}

func TestAllowedSigners(t *testing.T) {
	sshPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	bob, err := ssh.NewPublicKey(sshPub)
	require.NoError(t, err)
	bobLine := []byte("bob@example.com " + string(ssh.MarshalAuthorizedKey(bob)))
	alicePriv, alicePub := openPGPTestKey(t, "alice@example.com")
	carolPriv, carolPub := openPGPTestKey(t, "carol@example.com")
	alice, carol := openPGPSignedCommit(t, alicePriv), openPGPSignedCommit(t, carolPriv)

	tests := []struct {
		name    string
		data    map[string][]byte
		wantSSH bool     // bob's SSH key is allowed
		wantPGP []string // principals of alice's and carol's commits that verify
		wantErr string
	}{
		{name: "SSH only", data: map[string][]byte{"allowed_signers": bobLine}, wantSSH: true},
		{name: "OpenPGP only", data: map[string][]byte{"alice.asc": alicePub}, wantPGP: []string{"alice@example.com"}},
		{name: "both, several .asc keys", data: map[string][]byte{"allowed_signers": bobLine, "alice.asc": alicePub, "carol.asc": carolPub},
			wantSSH: true, wantPGP: []string{"alice@example.com", "carol@example.com"}},
		{name: "other keys are ignored", data: map[string][]byte{"alice.asc": alicePub, "README": []byte("x"), "carol.pub": carolPub},
			wantPGP: []string{"alice@example.com"}},
		{name: "neither", data: map[string][]byte{"allowed-signers": bobLine},
			wantErr: "allowed signers Secret gitcanary/signers has neither key allowed_signers (SSH) nor a key ending in .asc (OpenPGP)"},
		{name: "empty Secret", data: nil, wantErr: "has neither key allowed_signers"},
		{name: "malformed .asc", data: map[string][]byte{"allowed_signers": bobLine, "alice.asc": alicePub, "bob.asc": []byte("not a key")},
			wantErr: "allowed signers Secret gitcanary/signers, key bob.asc: read OpenPGP keys: no"},
		{name: "private key in .asc", data: map[string][]byte{"alice.asc": alicePriv},
			wantErr: "allowed signers Secret gitcanary/signers, key alice.asc: read OpenPGP keys, block 1: key OpenPGP:"},
		{name: "malformed allowed_signers", data: map[string][]byte{"allowed_signers": []byte("bob@example.com ssh-ed25519 AAAA\n"), "alice.asc": alicePub},
			wantErr: "allowed signers Secret gitcanary/signers, key allowed_signers: allowed signers line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := allowedSigners("gitcanary/signers", tt.data)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			_, ok := a.Principal(bob, ledger.GitSSHNamespace)
			require.Equal(t, tt.wantSSH, ok)
			var verified []string
			for _, c := range []*object.Commit{alice, carol} {
				if s, err := ledger.VerifyCommitOpenPGP(c, a, time.Now()); err == nil {
					verified = append(verified, s.Principal)
				} else {
					require.ErrorIs(t, err, ledger.ErrUntrustedSigner)
				}
			}
			require.Equal(t, tt.wantPGP, verified)
		})
	}
}

// TestNewGatesReadsTheAllowedSignersSecret reads the Secret through the API: a bare name is
// looked up in the controller's namespace, and an error names the Secret and its key.
func TestNewGatesReadsTheAllowedSignersSecret(t *testing.T) {
	_, alicePub := openPGPTestKey(t, "alice@example.com")
	secret := func(name string, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "gitcanary", Name: name}, Data: data}
	}
	cl := &clients{namespace: "gitcanary", kube: fake.NewClientset(
		secret("signers", map[string][]byte{"alice.asc": alicePub}),
		secret("broken", map[string][]byte{"alice.asc": alicePub[:len(alicePub)/2]}),
		secret("empty", map[string][]byte{"identity": []byte("x")}),
	)}
	remote := gitsource.Remote{URL: "https://git.example.com/config.git"}
	newGatesWith := func(ref string) error {
		var opts Options
		opts.Ledger.AllowedSignersSecret = ref
		_, err := newGates(t.Context(), cl, remote, opts, logr.Discard())
		return err
	}
	require.NoError(t, newGatesWith("signers"))
	require.NoError(t, newGatesWith("gitcanary/signers"))
	require.NoError(t, newGatesWith(""), "no Secret: no signature is verified")
	require.ErrorContains(t, newGatesWith("broken"), "allowed signers Secret broken, key alice.asc: read OpenPGP keys, block 1: ")
	require.ErrorContains(t, newGatesWith("empty"), "allowed signers Secret empty has neither key allowed_signers (SSH) nor a key ending in .asc (OpenPGP)")
	require.ErrorContains(t, newGatesWith("missing"), `read Secret gitcanary/missing`)
}
