package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	git "github.com/go-git/go-git/v5"
	"golang.org/x/crypto/ssh"
)

// GitSSHNamespace is the SSHSIG namespace Git signs commits and tags in (gpg.format=ssh).
const GitSSHNamespace = "git"

// SSHSIG framing, as in OpenSSH's PROTOCOL.sshsig.
const (
	sshsigMagic   = "SSHSIG"
	sshsigVersion = 1
	sshsigBegin   = "-----BEGIN SSH SIGNATURE-----"
	sshsigEnd     = "-----END SSH SIGNATURE-----"
	sshsigWidth   = 70 // ssh-keygen wraps the base64 body at 70 columns
)

// sshSigner signs commits the way `git -c gpg.format=ssh commit -S` does: an armored SSHSIG
// signature of the commit in namespace "git", hashed with SHA-512.
type sshSigner struct{ key ssh.Signer }

var _ git.Signer = (*sshSigner)(nil)

// NewSSHSigner reads an SSH private key (OpenSSH or PEM format, as kept in a Secret) and returns
// a commit signer for Options.Signer whose signatures Git verifies with gpg.format=ssh.
// passphrase decrypts an encrypted key; it may be empty.
func NewSSHSigner(privateKey, passphrase []byte) (git.Signer, error) {
	var (
		key ssh.Signer
		err error
	)
	if len(passphrase) > 0 {
		key, err = ssh.ParsePrivateKeyWithPassphrase(privateKey, passphrase)
	} else {
		key, err = ssh.ParsePrivateKey(privateKey)
	}
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("read SSH signing key: %w: the key is encrypted and no passphrase was given", ErrNoSigningKey)
	}
	if err != nil {
		return nil, fmt.Errorf("read SSH signing key: %w", err)
	}
	return &sshSigner{key: key}, nil
}

// Sign returns an armored SSHSIG signature of message in Git's namespace.
func (s *sshSigner) Sign(message io.Reader) ([]byte, error) {
	return signSSH(s.key, message, GitSSHNamespace)
}

// PublicKey is the key that verifies the signer's signatures.
func (s *sshSigner) PublicKey() ssh.PublicKey { return s.key.PublicKey() }

// sshsigBlob is the signature blob of PROTOCOL.sshsig, after the magic preamble.
type sshsigBlob struct {
	Version       uint32
	PublicKey     []byte
	Namespace     string
	Reserved      string
	HashAlgorithm string
	Signature     []byte
}

// sshsigSigned is what is actually signed, after the magic preamble.
type sshsigSigned struct {
	Namespace     string
	Reserved      string
	HashAlgorithm string
	Hash          []byte
}

// signSSH returns the armored SSHSIG signature of message in namespace (SHA-512).
func signSSH(key ssh.Signer, message io.Reader, namespace string) ([]byte, error) {
	h := sha512.New()
	if _, err := io.Copy(h, message); err != nil {
		return nil, fmt.Errorf("sign: read message: %w", err)
	}
	data := append([]byte(sshsigMagic), ssh.Marshal(sshsigSigned{Namespace: namespace, HashAlgorithm: "sha512", Hash: h.Sum(nil)})...)
	var (
		sig *ssh.Signature
		err error
	)
	// OpenSSH signs with rsa-sha2-512 for RSA keys; ssh-rsa (SHA-1) signatures are refused.
	if as, ok := key.(ssh.AlgorithmSigner); ok && key.PublicKey().Type() == ssh.KeyAlgoRSA {
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = key.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, fmt.Errorf("sign with %s key: %w", key.PublicKey().Type(), err)
	}
	blob := append([]byte(sshsigMagic), ssh.Marshal(sshsigBlob{Version: sshsigVersion,
		PublicKey: key.PublicKey().Marshal(), Namespace: namespace, HashAlgorithm: "sha512",
		Signature: ssh.Marshal(sig)})...)
	return armorSSH(blob), nil
}

func armorSSH(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(sshsigBegin + "\n")
	for len(enc) > sshsigWidth {
		b.WriteString(enc[:sshsigWidth] + "\n")
		enc = enc[sshsigWidth:]
	}
	b.WriteString(enc + "\n" + sshsigEnd + "\n")
	return b.Bytes()
}

// IsSSHSignature tells whether an armored signature (a commit's gpgsig header) is an SSHSIG.
func IsSSHSignature(armored string) bool {
	return strings.HasPrefix(strings.TrimSpace(armored), sshsigBegin)
}

// VerifySSHSignature checks an armored SSHSIG signature of message in namespace and returns the
// public key that made it. It checks the signature only: whether that key is trusted is the
// caller's decision (see AllowedSigners).
func VerifySSHSignature(armored, message []byte, namespace string) (ssh.PublicKey, error) {
	blob, err := dearmorSSH(armored)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(blob, []byte(sshsigMagic)) {
		return nil, fmt.Errorf("%w: no %s preamble", ErrBadSSHSignature, sshsigMagic)
	}
	var sb sshsigBlob
	if err := ssh.Unmarshal(blob[len(sshsigMagic):], &sb); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSSHSignature, err)
	}
	if sb.Version != sshsigVersion {
		return nil, fmt.Errorf("%w: version %d", ErrBadSSHSignature, sb.Version)
	}
	if sb.Namespace != namespace {
		return nil, fmt.Errorf("%w: namespace %q, want %q", ErrBadSSHSignature, sb.Namespace, namespace)
	}
	var h hash.Hash
	switch sb.HashAlgorithm {
	case "sha512":
		h = sha512.New()
	case "sha256":
		h = sha256.New()
	default:
		return nil, fmt.Errorf("%w: hash algorithm %q", ErrBadSSHSignature, sb.HashAlgorithm)
	}
	pub, err := ssh.ParsePublicKey(sb.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrBadSSHSignature, err)
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(sb.Signature, &sig); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrBadSSHSignature, err)
	}
	if pub.Type() == ssh.KeyAlgoRSA && sig.Format == ssh.KeyAlgoRSA {
		return nil, fmt.Errorf("%w: ssh-rsa (SHA-1) signatures are not accepted", ErrBadSSHSignature)
	}
	h.Write(message)
	data := append([]byte(sshsigMagic), ssh.Marshal(sshsigSigned{Namespace: sb.Namespace,
		Reserved: sb.Reserved, HashAlgorithm: sb.HashAlgorithm, Hash: h.Sum(nil)})...)
	if err := pub.Verify(data, &sig); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSSHSignature, err)
	}
	return pub, nil
}

func dearmorSSH(armored []byte) ([]byte, error) {
	s := strings.TrimSpace(string(armored))
	body, ok := strings.CutPrefix(s, sshsigBegin)
	if ok {
		body, ok = strings.CutSuffix(body, sshsigEnd)
	}
	if !ok {
		return nil, fmt.Errorf("%w: not an armored SSH signature", ErrBadSSHSignature)
	}
	blob, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSSHSignature, err)
	}
	return blob, nil
}
