package gitsource

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Secret data keys, the names Flux uses for Git credentials.
const (
	SecretUsername    = "username"
	SecretPassword    = "password"
	SecretBearerToken = "bearerToken"
	SecretIdentity    = "identity"
	SecretIdentityPub = "identity.pub"
	SecretKnownHosts  = "known_hosts"
	SecretCA          = "ca.crt"
	SecretCAFile      = "caFile"
)

// Auth holds the credentials for one repository. For HTTP(S): Username and Password (basic auth)
// or BearerToken. For SSH: Identity (a PEM private key, Password being its passphrase if it is
// encrypted) and KnownHosts. CABundle adds certificate authorities for HTTPS.
//
// Auth never prints its secrets: String, GoString, every fmt verb and logr's MarshalLog show
// which fields are set, not their values.
type Auth struct {
	// Username for basic auth, or the SSH user when the URL has none.
	Username string
	// Password for basic auth, or the passphrase of an encrypted Identity.
	Password string
	// BearerToken is sent as "Authorization: Bearer <token>" over HTTP(S).
	BearerToken string
	// Identity is a PEM-encoded SSH private key.
	Identity []byte
	// KnownHosts is a known_hosts file that must list the SSH server's host key.
	KnownHosts []byte
	// CABundle holds PEM certificates trusted for HTTPS in addition to the system pool.
	CABundle []byte
}

// AuthFromSecretData reads credentials from the data of a Kubernetes Secret with Flux's key
// names: username, password, bearerToken, identity, identity.pub, known_hosts, ca.crt (or caFile).
// Other keys are ignored. It checks that the SSH identity parses (with password as passphrase),
// that identity.pub matches it, that known_hosts parses, and that basic auth and bearerToken are
// not both set. Error messages name keys, never values.
func AuthFromSecretData(data map[string][]byte) (Auth, error) {
	a := Auth{
		Username:    string(data[SecretUsername]),
		Password:    string(data[SecretPassword]),
		BearerToken: string(data[SecretBearerToken]),
		Identity:    data[SecretIdentity],
		KnownHosts:  data[SecretKnownHosts],
		CABundle:    data[SecretCA],
	}
	if len(a.CABundle) == 0 {
		a.CABundle = data[SecretCAFile]
	}
	if a.BearerToken != "" && a.Password != "" && len(a.Identity) == 0 {
		return Auth{}, fmt.Errorf("%w: secret has both %s and %s", ErrInvalidAuth, SecretPassword, SecretBearerToken)
	}
	if len(a.Identity) > 0 {
		signer, err := a.signer()
		if err != nil {
			return Auth{}, err
		}
		if pub := bytes.TrimSpace(data[SecretIdentityPub]); len(pub) > 0 {
			key, _, _, _, err := ssh.ParseAuthorizedKey(pub)
			if err != nil {
				return Auth{}, fmt.Errorf("%w: %s does not parse", ErrInvalidAuth, SecretIdentityPub)
			}
			if !bytes.Equal(key.Marshal(), signer.PublicKey().Marshal()) {
				return Auth{}, fmt.Errorf("%w: %s does not match %s", ErrInvalidAuth, SecretIdentityPub, SecretIdentity)
			}
		}
	}
	if len(a.KnownHosts) > 0 {
		if err := checkKnownHosts(a.KnownHosts); err != nil {
			return Auth{}, err
		}
	}
	return a, nil
}

// signer parses Identity, decrypting it with Password when it is encrypted.
func (a Auth) signer() (ssh.Signer, error) {
	signer, err := ssh.ParsePrivateKey(a.Identity)
	if _, missing := err.(*ssh.PassphraseMissingError); missing {
		if a.Password == "" {
			return nil, fmt.Errorf("%w: %s is encrypted and %s (its passphrase) is empty", ErrInvalidAuth, SecretIdentity, SecretPassword)
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(a.Identity, []byte(a.Password))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a usable private key", ErrInvalidAuth, SecretIdentity)
	}
	return signer, nil
}

func checkKnownHosts(data []byte) error {
	rest := data
	for len(bytes.TrimSpace(rest)) > 0 {
		var err error
		_, _, _, _, rest, err = ssh.ParseKnownHosts(rest)
		if err != nil {
			return fmt.Errorf("%w: %s does not parse", ErrInvalidAuth, SecretKnownHosts)
		}
	}
	return nil
}

// secrets lists the values that must never appear in a message.
func (a Auth) secrets() []string {
	out := nonTrivial([]string{a.Password, a.BearerToken})
	for _, line := range strings.Split(string(a.Identity), "\n") {
		if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}

// nonTrivial keeps the values long enough to be worth scrubbing from messages (replacing a
// one- or two-letter value would mangle every message).
func nonTrivial(values []string) []string {
	var out []string
	for _, v := range values {
		if len(v) >= 3 {
			out = append(out, v)
		}
	}
	return out
}

// String shows which credentials are set, never their values.
func (a Auth) String() string {
	var parts []string
	if a.Username != "" {
		parts = append(parts, "username="+a.Username)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{SecretPassword, a.Password != ""}, {SecretBearerToken, a.BearerToken != ""},
		{SecretIdentity, len(a.Identity) > 0}, {SecretKnownHosts, len(a.KnownHosts) > 0}, {SecretCA, len(a.CABundle) > 0},
	} {
		if f.set {
			parts = append(parts, f.name+"=<redacted>")
		}
	}
	return "gitsource.Auth{" + strings.Join(parts, ", ") + "}"
}

// GoString is String, so %#v hides the secrets too.
func (a Auth) GoString() string { return a.String() }

// Format prints String for every verb.
func (a Auth) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(a.String())) }

// MarshalLog is what logr sinks print for an Auth: String.
func (a Auth) MarshalLog() any { return a.String() }
