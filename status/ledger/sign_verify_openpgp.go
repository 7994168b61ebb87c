package ledger

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing/object"
)

const (
	// openPGPSigBegin starts an armored OpenPGP signature (Git's gpg.format=openpgp).
	openPGPSigBegin = "-----BEGIN PGP SIGNATURE-----"
	// openPGPKeyBegin starts an armored OpenPGP public or private key block.
	openPGPKeyBegin = "-----BEGIN PGP "
	// maxOpenPGPSignature bounds the armored signature read from a commit (the status branch is
	// untrusted input); a real one is under 2 KiB.
	maxOpenPGPSignature = 64 << 10
	// fingerprintOpenPGP prefixes the fingerprints of OpenPGP keys in CommitSigner.
	fingerprintOpenPGP = "OpenPGP:"
)

// AddOpenPGPKeys adds the OpenPGP public keys of armored — one or more ASCII-armored public key
// blocks, as `gpg --armor --export` writes them — to the allowed signers. Each key signs for its
// primary identity's e-mail address (see VerifyCommitOpenPGP). Input without a public key block,
// a block that does not parse and a private key (an allowed signer needs the public key only)
// are errors. Add keys before the list is used: a is not safe for concurrent change.
func (a *AllowedSigners) AddOpenPGPKeys(armored []byte) error {
	blocks := splitArmoredBlocks(armored)
	if len(blocks) == 0 {
		return fmt.Errorf("read OpenPGP keys: no %q block found", "PGP PUBLIC KEY BLOCK")
	}
	var keys openpgp.EntityList
	for i, b := range blocks {
		ring, err := readArmoredKeyRing(b)
		if err != nil {
			return fmt.Errorf("read OpenPGP keys, block %d: %s", i+1, pgpErrorText(err))
		}
		for _, e := range ring {
			if e.PrivateKey != nil {
				return fmt.Errorf("read OpenPGP keys, block %d: key %s is a private key; allowed signers need the public key only (gpg --armor --export)",
					i+1, openPGPFingerprint(e.PrimaryKey.Fingerprint))
			}
		}
		keys = append(keys, ring...)
	}
	a.openpgp = append(a.openpgp, keys...)
	return nil
}

// readArmoredKeyRing is openpgp.ReadArmoredKeyRing with a panic of its parser (see
// recoverOpenPGP) returned as an error.
func readArmoredKeyRing(b []byte) (ring openpgp.EntityList, err error) {
	defer func() {
		if r := recover(); r != nil {
			ring, err = nil, fmt.Errorf("the OpenPGP parser failed: %v", r)
		}
	}()
	return openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
}

// splitArmoredBlocks returns each armored block of b from its BEGIN line on (the armor decoder
// reads one block and buffers past its end, so concatenated files are split first).
func splitArmoredBlocks(b []byte) [][]byte {
	var blocks [][]byte
	for {
		i := bytes.Index(b, []byte(openPGPKeyBegin))
		if i < 0 {
			return blocks
		}
		b = b[i:]
		next := bytes.Index(b[len(openPGPKeyBegin):], []byte(openPGPKeyBegin))
		if next < 0 {
			return append(blocks, b)
		}
		blocks = append(blocks, b[:len(openPGPKeyBegin)+next])
		b = b[len(openPGPKeyBegin)+next:]
	}
}

// IsOpenPGPSignature reports whether a commit's signature (object.Commit.PGPSignature) is an
// armored OpenPGP signature, as `git commit -S` writes with gpg.format=openpgp.
func IsOpenPGPSignature(armored string) bool {
	return strings.HasPrefix(strings.TrimSpace(armored), openPGPSigBegin)
}

// VerifyCommitOpenPGP checks a commit's OpenPGP signature against the OpenPGP keys of allowed
// at time now, as `git verify-commit` does with GnuPG, and returns its signer: Principal is the
// e-mail address of the key's primary identity (its whole user ID when that has no address),
// Fingerprint is "OpenPGP:" and the primary key's fingerprint in uppercase hex, as
// `gpg --with-colons --fingerprint` prints it (40 digits for v4 keys), also when a signing subkey
// made the signature.
//
// It returns ErrUntrustedSigner when no allowed key made the signature (naming the issuer's
// fingerprint, or its 16-digit key ID when the signature carries no fingerprint) or when the key
// that made it is revoked or expired at now, and ErrBadOpenPGPSignature when the commit has no
// OpenPGP signature, the signature is malformed, expired, hashed with MD5, RIPEMD-160 or SHA-1,
// or does not match the commit.
func VerifyCommitOpenPGP(c *object.Commit, allowed *AllowedSigners, now time.Time) (CommitSigner, error) {
	s, err := verifyCommitOpenPGP(c, allowed, now)
	if err != nil {
		return s, fmt.Errorf("verify commit %s: %w", c.Hash, err)
	}
	return s, nil
}

func verifyCommitOpenPGP(c *object.Commit, allowed *AllowedSigners, now time.Time) (s CommitSigner, err error) {
	defer recoverOpenPGP(&s, &err)
	if !IsOpenPGPSignature(c.PGPSignature) {
		return CommitSigner{}, fmt.Errorf("%w: not OpenPGP-signed", ErrBadOpenPGPSignature)
	}
	body, sig, err := readOpenPGPSignature(c.PGPSignature)
	if err != nil {
		return CommitSigner{}, err
	}
	issuer := openPGPIssuer(sig)
	if allowed == nil || len(allowed.openpgp) == 0 {
		return CommitSigner{}, fmt.Errorf("%w: no OpenPGP keys are allowed (signed with key %s)", ErrUntrustedSigner, issuer)
	}
	msg, err := encodeWithoutSignature(c)
	if err != nil {
		return CommitSigner{}, err
	}
	cfg := &packet.Config{Time: func() time.Time { return now }}
	_, signer, err := openpgp.VerifyDetachedSignature(allowed.openpgp, bytes.NewReader(msg), bytes.NewReader(body), cfg)
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return CommitSigner{}, fmt.Errorf("%w: key %s", ErrUntrustedSigner, issuer)
	case signer == nil && err != nil:
		return CommitSigner{}, fmt.Errorf("%w by key %s: %s", ErrBadOpenPGPSignature, issuer, pgpErrorText(err))
	case signer == nil:
		return CommitSigner{}, fmt.Errorf("%w by key %s: no signer", ErrBadOpenPGPSignature, issuer)
	}
	s = CommitSigner{Principal: openPGPPrincipal(signer), Fingerprint: openPGPFingerprint(signer.PrimaryKey.Fingerprint)}
	switch {
	case err == nil:
		return s, nil
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return CommitSigner{}, fmt.Errorf("%w: key %s of %s is revoked", ErrUntrustedSigner, s.Fingerprint, s.Principal)
	case errors.Is(err, pgperrors.ErrKeyExpired):
		return CommitSigner{}, fmt.Errorf("%w: key %s of %s has expired", ErrUntrustedSigner, s.Fingerprint, s.Principal)
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return CommitSigner{}, fmt.Errorf("%w by key %s: the signature (or the key's self-signature) has expired", ErrBadOpenPGPSignature, s.Fingerprint)
	}
	return CommitSigner{}, fmt.Errorf("%w by key %s: %s", ErrBadOpenPGPSignature, s.Fingerprint, pgpErrorText(err))
}

// recoverOpenPGP turns a panic of go-crypto's parser into a bad signature: crafted signatures
// on the status branch are untrusted input, and go-crypto v1.1.6 indexes past the end of a short
// exportable-certification subpacket (ProtonMail/go-crypto#327).
func recoverOpenPGP(s *CommitSigner, err *error) {
	if r := recover(); r != nil {
		*s = CommitSigner{}
		*err = fmt.Errorf("%w: the OpenPGP parser failed: %v", ErrBadOpenPGPSignature, r)
	}
}

// readOpenPGPSignature dearmors a commit's signature and returns its packets and its one
// signature packet, refusing weak hashes.
func readOpenPGPSignature(armored string) ([]byte, *packet.Signature, error) {
	if len(armored) > maxOpenPGPSignature {
		return nil, nil, fmt.Errorf("%w: %d bytes exceed %d", ErrBadOpenPGPSignature, len(armored), maxOpenPGPSignature)
	}
	block, err := armor.Decode(strings.NewReader(armored))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: armor: %s", ErrBadOpenPGPSignature, pgpErrorText(err))
	}
	if block.Type != openpgp.SignatureType {
		return nil, nil, fmt.Errorf("%w: armored %q, want %q", ErrBadOpenPGPSignature, block.Type, openpgp.SignatureType)
	}
	body, err := io.ReadAll(io.LimitReader(block.Body, maxOpenPGPSignature))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: armor: %s", ErrBadOpenPGPSignature, pgpErrorText(err))
	}
	packets := packet.NewReader(bytes.NewReader(body))
	p, err := packets.Next()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrBadOpenPGPSignature, pgpErrorText(err))
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		return nil, nil, fmt.Errorf("%w: a %T packet, want a signature", ErrBadOpenPGPSignature, p)
	}
	if _, err := packets.Next(); !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%w: more than one packet, want one signature", ErrBadOpenPGPSignature)
	}
	if sig.IssuerKeyId == nil && len(sig.IssuerFingerprint) == 0 {
		return nil, nil, fmt.Errorf("%w: the signature names no issuer", ErrBadOpenPGPSignature)
	}
	switch sig.Hash {
	case crypto.MD5, crypto.RIPEMD160, crypto.SHA1:
		return nil, nil, fmt.Errorf("%w by key %s: hash %s is too weak", ErrBadOpenPGPSignature, openPGPIssuer(sig), sig.Hash)
	}
	return body, sig, nil
}

// openPGPIssuer names the key that made sig: its fingerprint, or its key ID when sig carries
// no fingerprint.
func openPGPIssuer(sig *packet.Signature) string {
	if len(sig.IssuerFingerprint) > 0 {
		return openPGPFingerprint(sig.IssuerFingerprint)
	}
	if sig.IssuerKeyId != nil {
		return fmt.Sprintf("%s%016X", fingerprintOpenPGP, *sig.IssuerKeyId)
	}
	return fingerprintOpenPGP + "unknown"
}

// openPGPFingerprint is a key fingerprint as CommitSigner.Fingerprint holds it.
func openPGPFingerprint(fp []byte) string {
	return fingerprintOpenPGP + strings.ToUpper(hex.EncodeToString(fp))
}

// openPGPPrincipal is the e-mail address of e's primary identity, or that identity's whole
// user ID when it has none.
func openPGPPrincipal(e *openpgp.Entity) string {
	id := e.PrimaryIdentity()
	switch {
	case id == nil:
		return openPGPFingerprint(e.PrimaryKey.Fingerprint)
	case id.UserId != nil && id.UserId.Email != "":
		return id.UserId.Email
	}
	return id.Name
}

// pgpErrorText is a go-crypto error without its "openpgp: " prefix, to read well after ours.
func pgpErrorText(err error) string {
	return strings.TrimPrefix(err.Error(), "openpgp: ")
}
