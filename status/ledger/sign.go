package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	git "github.com/go-git/go-git/v5"
)

// ErrNoSigningKey is returned by NewOpenPGPSigner when the key ring holds no usable private key.
var ErrNoSigningKey = errors.New("no OpenPGP private key to sign with")

// openPGPSigner signs commits with an OpenPGP entity, like go-git's CommitOptions.SignKey.
type openPGPSigner struct{ entity *openpgp.Entity }

var _ git.Signer = (*openPGPSigner)(nil)

// NewOpenPGPSigner reads an ASCII-armored private key (as kept in a Secret) and returns a commit
// signer for Options.Signer. passphrase decrypts an encrypted key; it may be empty.
func NewOpenPGPSigner(armored, passphrase []byte) (git.Signer, error) {
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	for _, e := range ring {
		if e.PrivateKey == nil {
			continue
		}
		if e.PrivateKey.Encrypted {
			if len(passphrase) == 0 {
				return nil, fmt.Errorf("read signing key: %w: the key is encrypted and no passphrase was given", ErrNoSigningKey)
			}
			if err := e.DecryptPrivateKeys(passphrase); err != nil {
				return nil, fmt.Errorf("read signing key: decrypt: %w", err)
			}
		}
		return &openPGPSigner{entity: e}, nil
	}
	return nil, fmt.Errorf("read signing key: %w", ErrNoSigningKey)
}

// Sign returns an armored detached signature of message.
func (s *openPGPSigner) Sign(message io.Reader) ([]byte, error) {
	var b bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&b, s.entity, message, nil); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
