package ledger

import (
	"fmt"

	git "github.com/go-git/go-git/v5"
)

// Keys of a signing-key Secret (the controller's -signing-key-secret).
const (
	// SecretKeyOpenPGP holds an ASCII-armored OpenPGP private key (Flux's key name).
	SecretKeyOpenPGP = "git.asc"
	// SecretKeySSH holds an SSH private key in OpenSSH or PEM format, the key name of the Git
	// credentials Secret, so a Secret holding an SSH deploy key can also sign.
	SecretKeySSH = "identity"
	// SecretKeyPassphrase decrypts an encrypted key of either kind.
	SecretKeyPassphrase = "passphrase"
	// SecretKeyPassword decrypts an encrypted identity when passphrase is absent (the Git
	// credentials Secret's name for it).
	SecretKeyPassword = "password"
)

// NewSigner returns the commit signer of a signing-key Secret's data: OpenPGP when it holds
// git.asc (which wins when both are present), else SSH (Git's gpg.format=ssh) when it holds
// identity. passphrase decrypts either key; for identity, password is read when passphrase is
// absent. A Secret with neither key is an error.
func NewSigner(data map[string][]byte) (git.Signer, error) {
	if k, ok := data[SecretKeyOpenPGP]; ok {
		return NewOpenPGPSigner(k, data[SecretKeyPassphrase])
	}
	if k, ok := data[SecretKeySSH]; ok {
		pass, ok := data[SecretKeyPassphrase]
		if !ok {
			pass = data[SecretKeyPassword]
		}
		return NewSSHSigner(k, pass)
	}
	return nil, fmt.Errorf("read signing key: %w: the Secret has neither %q (OpenPGP) nor %q (SSH)",
		ErrNoSigningKey, SecretKeyOpenPGP, SecretKeySSH)
}
