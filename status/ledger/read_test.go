package ledger

import (
	"bytes"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/stretchr/testify/require"
)

func TestHistoryOfOneCanary(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{})
	steps := []Transition{
		transition("test", "podinfo", "Progressing", 5, "Advance podinfo.test canary weight 5"),
		transition("test", "other", "Progressing", 5, "Advance other.test canary weight 5"),
		transition("test", "podinfo", "Succeeded", 0, "Promotion completed! Scaling down podinfo.test"),
	}
	for _, tr := range steps {
		require.NoError(t, l.Record(tr))
		require.NoError(t, l.Flush(testContext(t)))
	}
	s := branchHistory(t, srv, DefaultBranch)
	h, err := s.History("test/podinfo")
	require.NoError(t, err)
	require.Len(t, h, 2)
	require.Equal(t, "Succeeded", h[0].Phase, "newest first")
	require.Equal(t, "test/podinfo: Succeeded (promoted ghcr.io/stefanprodan/podinfo:6.0.1, source 3f2a1c9)", h[0].Summary)
	require.Equal(t, "Progressing", h[1].Phase)
	require.Equal(t, s.Commit(), h[0].Commit)

	local, err := OpenLocal(srv.RepoPath(repoName), DefaultBranch)
	require.NoError(t, err)
	require.Equal(t, s.Commit(), local.Commit())
	_, err = OpenLocal(srv.RepoPath(repoName), "nope")
	require.ErrorIs(t, err, ErrBranchNotFound)
	_, err = OpenLocal(t.TempDir(), DefaultBranch)
	require.Error(t, err)
	_, err = OpenRemote(testContext(t), remoteOf(srv), "nope", false)
	require.ErrorIs(t, err, ErrBranchNotFound)
	bad := remoteOf(srv)
	bad.Auth.Password = "wrong"
	_, err = OpenRemote(testContext(t), bad, DefaultBranch, false)
	require.ErrorIs(t, err, gitsource.ErrAuthentication)
}

func TestSignedCommits(t *testing.T) {
	entity, err := openpgp.NewEntity("gitcanary", "ledger", "ledger@example.com", nil)
	require.NoError(t, err)
	var priv, pub bytes.Buffer
	w, err := armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, entity.SerializePrivate(w, nil))
	require.NoError(t, w.Close())
	w, err = armor.Encode(&pub, openpgp.PublicKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, entity.Serialize(w))
	require.NoError(t, w.Close())

	signer, err := NewOpenPGPSigner(priv.Bytes(), nil)
	require.NoError(t, err)
	srv := newServer(t)
	l := newLedger(t, srv, Options{Signer: signer})
	require.NoError(t, l.Record(transition("test", "podinfo", "Succeeded", 0, "done")))
	require.NoError(t, l.Flush(testContext(t)))
	head := branchHistory(t, srv, DefaultBranch).head
	require.NotEmpty(t, head.PGPSignature)
	signedBy, err := head.Verify(pub.String())
	require.NoError(t, err)
	require.Equal(t, entity.PrimaryKey.KeyId, signedBy.PrimaryKey.KeyId)

	_, err = NewOpenPGPSigner(pub.Bytes(), nil)
	require.ErrorIs(t, err, ErrNoSigningKey, "a public key cannot sign")
	_, err = NewOpenPGPSigner([]byte("garbage"), nil)
	require.ErrorContains(t, err, "read signing key")
}
