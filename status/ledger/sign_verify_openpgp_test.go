package ledger

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/stretchr/testify/require"
	clocktesting "k8s.io/utils/clock/testing"
)

// pgpKey is an OpenPGP key in the forms the tests need.
type pgpKey struct {
	entity *openpgp.Entity
	priv   []byte // armored private key, as a signing-key Secret's git.asc holds it
	pub    []byte // armored public key, as an allowed signers Secret's *.asc holds it
	// fingerprint is the primary key's, as CommitSigner.Fingerprint names it.
	fingerprint string
}

// newPGPKey generates a key for name and email (either may be empty); cfg nil makes an ed25519
// key valid from now on.
func newPGPKey(t testing.TB, name, email string, cfg *packet.Config) pgpKey {
	t.Helper()
	if cfg == nil {
		cfg = &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	}
	e, err := openpgp.NewEntity(name, "", email, cfg)
	require.NoError(t, err)
	var priv bytes.Buffer
	w, err := armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.SerializePrivate(w, cfg))
	require.NoError(t, w.Close())
	return pgpKey{entity: e, priv: priv.Bytes(), pub: armoredPublicKey(t, e),
		fingerprint: "OpenPGP:" + strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))}
}

func armoredPublicKey(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.Serialize(w))
	require.NoError(t, w.Close())
	return pub.Bytes()
}

// allowedPGP returns allowed signers holding the public keys of keys.
func allowedPGP(t testing.TB, keys ...[]byte) *AllowedSigners {
	t.Helper()
	var a AllowedSigners
	for _, k := range keys {
		require.NoError(t, a.AddOpenPGPKeys(k))
	}
	return &a
}

// pgpSignedCommit builds a commit with message msg and signs it as `git commit -S` does: an
// armored detached signature of the commit without its signature. cfg sets the signature's time
// and hash.
func pgpSignedCommit(t testing.TB, e *openpgp.Entity, cfg *packet.Config, msg string) *object.Commit {
	t.Helper()
	who := object.Signature{Name: "Alice", Email: "alice@example.com", When: time.Unix(1767225600, 0).UTC()}
	c := &object.Commit{Author: who, Committer: who, Message: msg,
		TreeHash: plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")}
	enc, err := encodeWithoutSignature(c)
	require.NoError(t, err)
	var sig bytes.Buffer
	require.NoError(t, openpgp.ArmoredDetachSign(&sig, e, bytes.NewReader(enc), cfg))
	c.PGPSignature = sig.String()
	obj := &plumbing.MemoryObject{}
	require.NoError(t, c.Encode(obj))
	c.Hash = obj.Hash()
	return c
}

// sha1SignedCommit is pgpSignedCommit with a SHA-1 signature, which go-crypto no longer makes
// but old GnuPG setups did.
func sha1SignedCommit(t testing.TB, e *openpgp.Entity, msg string) *object.Commit {
	t.Helper()
	c := pgpSignedCommit(t, e, nil, msg)
	enc, err := encodeWithoutSignature(c)
	require.NoError(t, err)
	sig := &packet.Signature{Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: e.PrimaryKey.PubKeyAlgo,
		Hash: crypto.SHA1, CreationTime: time.Now(), IssuerKeyId: &e.PrimaryKey.KeyId, IssuerFingerprint: e.PrimaryKey.Fingerprint}
	h, err := sig.PrepareSign(nil)
	require.NoError(t, err)
	_, err = h.Write(enc)
	require.NoError(t, err)
	noSalt := false // the salt notation needs a hash of 256 bits or more
	require.NoError(t, sig.Sign(h, e.PrivateKey, &packet.Config{NonDeterministicSignaturesViaNotation: &noSalt}))
	var body bytes.Buffer
	require.NoError(t, sig.Serialize(&body))
	c.PGPSignature = armoredSignature(t, body.Bytes())
	return c
}

// crashingSignaturePacket is a v4 signature packet whose hashed subpackets hold an
// exportable-certification subpacket without its byte, which go-crypto v1.1.6 reads past
// (ProtonMail/go-crypto#327).
func crashingSignaturePacket() []byte {
	body := []byte{4, byte(packet.SigTypePositiveCert), byte(packet.PubKeyAlgoEdDSA), 8 /* SHA-256 */, 0, 2, 1, 4, 0, 0, 0, 0}
	return append([]byte{0xc2, byte(len(body))}, body...)
}

// crashingKeyRing is an armored public key whose user ID is followed by crashingSignaturePacket.
func crashingKeyRing(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.PrimaryKey.Serialize(w))
	require.NoError(t, packet.NewUserId("Alice", "", "alice@example.com").Serialize(w))
	_, err = w.Write(crashingSignaturePacket())
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

// armoredSignature armors raw signature packets as a commit's gpgsig holds them.
func armoredSignature(t testing.TB, body []byte) string {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.SignatureType, nil)
	require.NoError(t, err)
	_, err = w.Write(body)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.String()
}

func TestAddOpenPGPKeys(t *testing.T) {
	alice, bob := newPGPKey(t, "Alice", "alice@example.com", nil), newPGPKey(t, "Bob", "bob@example.com", nil)
	both := append(append([]byte("# the team\n"), alice.pub...), bob.pub...)
	var sig bytes.Buffer
	require.NoError(t, openpgp.ArmoredDetachSign(&sig, alice.entity, strings.NewReader("m"), nil))
	corrupt := bytes.Replace(alice.pub, []byte("\n\n"), []byte("\n\n!!"), 1)
	tests := []struct {
		name    string
		armored []byte
		want    int // keys allowed
		wantErr string
	}{
		{name: "one key", armored: alice.pub, want: 1},
		{name: "two concatenated blocks", armored: both, want: 2},
		{name: "empty", armored: nil, wantErr: `no "PGP PUBLIC KEY BLOCK" block found`},
		{name: "not armored", armored: []byte("mQENBF..."), wantErr: `no "PGP PUBLIC KEY BLOCK" block found`},
		{name: "SSH key", armored: []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB alice@example.com"), wantErr: "no"},
		{name: "corrupt block", armored: corrupt, wantErr: "read OpenPGP keys, block 1: "},
		{name: "second block corrupt", armored: append(append([]byte{}, alice.pub...), corrupt...), wantErr: "read OpenPGP keys, block 2: "},
		{name: "private key", armored: alice.priv, wantErr: "is a private key; allowed signers need the public key only"},
		{name: "signature, not a key", armored: sig.Bytes(), wantErr: "read OpenPGP keys, block 1: "},
		{name: "empty exportable-certification subpacket (go-crypto#327)", armored: crashingKeyRing(t, alice.entity),
			wantErr: "read OpenPGP keys, block 1: the OpenPGP parser failed: runtime error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a AllowedSigners
			err := a.AddOpenPGPKeys(tt.armored)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Empty(t, a.openpgp, "nothing is added from input with an error")
				return
			}
			require.NoError(t, err)
			require.Len(t, a.openpgp, tt.want)
		})
	}
}

func TestVerifyCommitOpenPGP(t *testing.T) {
	now := time.Now()
	alice, mallory := newPGPKey(t, "Alice", "alice@example.com", nil), newPGPKey(t, "Mallory", "mallory@example.com", nil)
	noEmail := newPGPKey(t, "Release Bot", "", nil)
	rsa := newPGPKey(t, "Rob", "rob@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048})
	withSubkey := newPGPKey(t, "Sue", "sue@example.com", nil)
	require.NoError(t, withSubkey.entity.AddSigningSubkey(&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}))
	withSubkey.pub = armoredPublicKey(t, withSubkey.entity)
	subkeyFingerprint := "OpenPGP:" + strings.ToUpper(hex.EncodeToString(withSubkey.entity.Subkeys[len(withSubkey.entity.Subkeys)-1].PublicKey.Fingerprint))

	revoked := newPGPKey(t, "Rita", "rita@example.com", nil)
	revokedCommit := pgpSignedCommit(t, revoked.entity, nil, "approve\n")
	require.NoError(t, revoked.entity.RevokeKey(packet.KeyRetired, "left the team", nil))
	revoked.pub = armoredPublicKey(t, revoked.entity)

	// A key valid for one hour, two hours ago, that signed 90 minutes ago.
	past := func(d time.Duration) func() time.Time { return func() time.Time { return now.Add(-d) } }
	expiring := newPGPKey(t, "Eve", "eve@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: past(2 * time.Hour), KeyLifetimeSecs: 3600})
	expiredCommit := pgpSignedCommit(t, expiring.entity, &packet.Config{Time: past(90 * time.Minute)}, "approve\n")
	// A signature valid for one minute, checked an hour later.
	shortSig := pgpSignedCommit(t, alice.entity, &packet.Config{SigLifetimeSecs: 60}, "approve\n")

	tampered := pgpSignedCommit(t, alice.entity, nil, "approve\n")
	tampered.Message = "abort\n"
	reauthored := pgpSignedCommit(t, alice.entity, nil, "approve\n")
	reauthored.Author.Name = "Bob"
	sha1 := sha1SignedCommit(t, alice.entity, "approve\n")
	sshOnly, err := ParseAllowedSigners([]byte("alice@example.com " + newSSHKey(t, "ed25519", "").line + "\n"))
	require.NoError(t, err)

	all := allowedPGP(t, alice.pub, noEmail.pub, rsa.pub, withSubkey.pub, revoked.pub, expiring.pub)
	tests := []struct {
		name    string
		commit  *object.Commit
		allowed *AllowedSigners
		now     time.Time
		want    CommitSigner
		wantIs  error
		wantErr string // in the error's text
	}{
		{name: "allowed key", commit: pgpSignedCommit(t, alice.entity, nil, "approve\n"), allowed: all,
			want: CommitSigner{Principal: "alice@example.com", Fingerprint: alice.fingerprint}},
		{name: "allowed RSA key", commit: pgpSignedCommit(t, rsa.entity, nil, "approve\n"), allowed: all,
			want: CommitSigner{Principal: "rob@example.com", Fingerprint: rsa.fingerprint}},
		{name: "identity without e-mail", commit: pgpSignedCommit(t, noEmail.entity, nil, "approve\n"), allowed: all,
			want: CommitSigner{Principal: "Release Bot", Fingerprint: noEmail.fingerprint}},
		{name: "signing subkey names the primary key", commit: pgpSignedCommit(t, withSubkey.entity, nil, "approve\n"), allowed: all,
			want: CommitSigner{Principal: "sue@example.com", Fingerprint: withSubkey.fingerprint}},
		{name: "key not allowed", commit: pgpSignedCommit(t, mallory.entity, nil, "approve\n"), allowed: all,
			wantIs: ErrUntrustedSigner, wantErr: "signer not allowed: key " + mallory.fingerprint},
		{name: "subkey not allowed names the subkey", commit: pgpSignedCommit(t, withSubkey.entity, nil, "approve\n"), allowed: allowedPGP(t, alice.pub),
			wantIs: ErrUntrustedSigner, wantErr: "signer not allowed: key " + subkeyFingerprint},
		{name: "no OpenPGP keys", commit: pgpSignedCommit(t, alice.entity, nil, "approve\n"), allowed: sshOnly,
			wantIs: ErrUntrustedSigner, wantErr: "signer not allowed: no OpenPGP keys are allowed (signed with key " + alice.fingerprint + ")"},
		{name: "no allowed signers", commit: pgpSignedCommit(t, alice.entity, nil, "approve\n"), allowed: nil,
			wantIs: ErrUntrustedSigner, wantErr: "no OpenPGP keys are allowed"},
		{name: "message changed after signing", commit: tampered, allowed: all,
			wantIs: ErrBadOpenPGPSignature, wantErr: "bad OpenPGP signature by key " + alice.fingerprint + ": invalid signature"},
		{name: "author changed after signing", commit: reauthored, allowed: all, wantIs: ErrBadOpenPGPSignature},
		{name: "revoked key", commit: revokedCommit, allowed: all,
			wantIs: ErrUntrustedSigner, wantErr: "signer not allowed: key " + revoked.fingerprint + " of rita@example.com is revoked"},
		{name: "expired key", commit: expiredCommit, allowed: all,
			wantIs: ErrUntrustedSigner, wantErr: "key " + expiring.fingerprint + " of eve@example.com has expired"},
		{name: "expired key, checked while it was valid", commit: expiredCommit, allowed: all, now: now.Add(-80 * time.Minute),
			want: CommitSigner{Principal: "eve@example.com", Fingerprint: expiring.fingerprint}},
		{name: "expired signature", commit: shortSig, allowed: all, now: now.Add(time.Hour),
			wantIs: ErrBadOpenPGPSignature, wantErr: "the signature (or the key's self-signature) has expired"},
		{name: "SHA-1", commit: sha1, allowed: all, wantIs: ErrBadOpenPGPSignature, wantErr: "hash SHA-1 is too weak"},
		{name: "unsigned", commit: &object.Commit{Message: "m"}, allowed: all, wantIs: ErrBadOpenPGPSignature, wantErr: "not OpenPGP-signed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.now
			if at.IsZero() {
				// Checked now, after every key and signature above was made: OpenPGP dates them
				// in whole seconds, and one made after `now` (generating the RSA key can take
				// a second) would count as not yet valid.
				at = time.Now()
			}
			got, err := VerifyCommitOpenPGP(tt.commit, tt.allowed, at)
			if tt.wantIs == nil {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, tt.wantIs)
			require.ErrorContains(t, err, "verify commit "+tt.commit.Hash.String()+": ")
			require.ErrorContains(t, err, tt.wantErr)
			require.Empty(t, got.Principal, "no signer with an error")
		})
	}
}

// TestVerifyCommitOpenPGPRejectsGarbage feeds crafted signatures (the status branch is untrusted
// input): each is a bad signature, none panics.
func TestVerifyCommitOpenPGPRejectsGarbage(t *testing.T) {
	alice := newPGPKey(t, "Alice", "alice@example.com", nil)
	allowed := allowedPGP(t, alice.pub)
	good := pgpSignedCommit(t, alice.entity, nil, "approve\n")
	block, err := armor.Decode(strings.NewReader(good.PGPSignature))
	require.NoError(t, err)
	var body bytes.Buffer
	_, err = body.ReadFrom(block.Body)
	require.NoError(t, err)
	var pubPacket bytes.Buffer
	require.NoError(t, alice.entity.PrimaryKey.Serialize(&pubPacket))
	otherMessage := pgpSignedCommit(t, alice.entity, nil, "abort\n")

	tests := []struct{ name, sig, wantErr string }{
		{name: "not armored", sig: "hello", wantErr: "not OpenPGP-signed"},
		{name: "SSH armor", sig: sshsigBegin + "\nU1NIU0lH\n" + sshsigEnd, wantErr: "not OpenPGP-signed"},
		{name: "begin line only", sig: openPGPSigBegin, wantErr: "armor"},
		{name: "bad base64", sig: openPGPSigBegin + "\n\n!!!!\n-----END PGP SIGNATURE-----\n", wantErr: "bad OpenPGP signature"},
		{name: "bad checksum", sig: strings.Replace(good.PGPSignature, "\n=", "\n=AAAA", 1), wantErr: "armor"},
		{name: "empty body", sig: armoredSignature(t, nil), wantErr: "bad OpenPGP signature: "},
		{name: "truncated packet", sig: armoredSignature(t, body.Bytes()[:12]), wantErr: "bad OpenPGP signature: "},
		{name: "a key, not a signature", sig: armoredSignature(t, pubPacket.Bytes()), wantErr: "want a signature"},
		{name: "two signatures", sig: armoredSignature(t, append(append([]byte{}, body.Bytes()...), body.Bytes()...)), wantErr: "more than one packet"},
		{name: "signature of another commit", sig: otherMessage.PGPSignature, wantErr: "invalid signature"},
		{name: "oversized", sig: openPGPSigBegin + "\n\n" + strings.Repeat("A", maxOpenPGPSignature), wantErr: "exceed"},
		{name: "empty exportable-certification subpacket (go-crypto#327, found by FuzzVerifyCommitOpenPGP)",
			sig: armoredSignature(t, crashingSignaturePacket()), wantErr: "the OpenPGP parser failed: runtime error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *good
			c.PGPSignature = tt.sig
			s, err := VerifyCommitOpenPGP(&c, allowed, time.Now())
			require.ErrorIs(t, err, ErrBadOpenPGPSignature)
			require.ErrorContains(t, err, tt.wantErr)
			require.Empty(t, s.Principal)
		})
	}
	s, err := VerifyCommitOpenPGP(good, allowed, time.Now())
	require.NoError(t, err, "the commit the garbage replaced the signature of verifies")
	require.Equal(t, "alice@example.com", s.Principal)
}

// FuzzVerifyCommitOpenPGP checks that no signature panics the verifier and none but the real one
// verifies. `go test` runs the seeds; `go test -fuzz FuzzVerifyCommitOpenPGP` explores.
func FuzzVerifyCommitOpenPGP(f *testing.F) {
	alice := newPGPKey(f, "Alice", "alice@example.com", nil)
	allowed := allowedPGP(f, alice.pub)
	good := pgpSignedCommit(f, alice.entity, nil, "approve\n")
	f.Add(good.PGPSignature)
	f.Add(strings.Replace(good.PGPSignature, "\n=", "\n", 1))
	f.Add(openPGPSigBegin + "\n\nwsBcBAABCAAQBQJ\n-----END PGP SIGNATURE-----\n")
	f.Fuzz(func(t *testing.T, sig string) {
		c := *good
		c.PGPSignature = sig
		s, err := VerifyCommitOpenPGP(&c, allowed, time.Now())
		if err != nil {
			require.Empty(t, s.Principal)
			return
		}
		require.Equal(t, CommitSigner{Principal: "alice@example.com", Fingerprint: alice.fingerprint}, s)
	})
}

// TestGateReaderDatesOpenPGPChecksWithItsClock: the gates reader checks an OpenPGP key's expiry at
// the time of its clock (GatesOptions.Clock), not the machine's.
func TestGateReaderDatesOpenPGPChecksWithItsClock(t *testing.T) {
	now := time.Now()
	past := func(d time.Duration) func() time.Time { return func() time.Time { return now.Add(-d) } }
	// A key valid for one hour, two hours ago, that signed 90 minutes ago.
	eve := newPGPKey(t, "Eve", "eve@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: past(2 * time.Hour), KeyLifetimeSecs: 3600})
	commit := pgpSignedCommit(t, eve.entity, &packet.Config{Time: past(90 * time.Minute)}, "approve\n")
	allowed := allowedPGP(t, eve.pub)

	whileValid := gateReader{allowed: allowed, clock: clocktesting.NewFakePassiveClock(now.Add(-80 * time.Minute))}
	d := whileValid.describe(commit)
	require.Empty(t, d.SignatureError)
	require.Equal(t, CommitSigner{Principal: "eve@example.com", Fingerprint: eve.fingerprint}, d.Signer)

	later := gateReader{allowed: allowed, clock: clocktesting.NewFakePassiveClock(now)}
	d = later.describe(commit)
	require.Empty(t, d.Signer.Principal)
	require.Equal(t, "signer not allowed: key "+eve.fingerprint+" of eve@example.com has expired", d.SignatureError)
}
