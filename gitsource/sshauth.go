package gitsource

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshAuth is a go-git SSH auth method: one private key, a host key callback built from
// known_hosts (or, only when asked, none), the host key algorithms known_hosts lists for the
// host, and a dial timeout.
type sshAuth struct {
	user       string
	signer     ssh.Signer
	callback   ssh.HostKeyCallback
	algorithms []string
	timeout    time.Duration
}

var _ gitssh.AuthMethod = (*sshAuth)(nil)

func newSSHAuth(ep *transport.Endpoint, a Auth, insecure bool, timeout time.Duration) (*sshAuth, error) {
	if len(a.Identity) == 0 {
		return nil, fmt.Errorf("%w: ssh needs %s", ErrInvalidAuth, SecretIdentity)
	}
	signer, err := a.signer()
	if err != nil {
		return nil, err
	}
	s := &sshAuth{user: ep.User, signer: signer, timeout: timeout}
	if s.user == "" {
		s.user = a.Username
	}
	if s.user == "" {
		s.user = gitssh.DefaultUsername
	}
	if insecure {
		s.callback = ssh.InsecureIgnoreHostKey() //nolint:gosec // explicit opt-in, warned about
		return s, nil
	}
	if len(a.KnownHosts) == 0 {
		return nil, fmt.Errorf("%w: ssh needs %s (host keys are never ignored)", ErrInvalidAuth, SecretKnownHosts)
	}
	if s.callback, err = knownHostsCallback(a.KnownHosts); err != nil {
		return nil, err
	}
	port := ep.Port
	if port == 0 {
		port = 22
	}
	s.algorithms = hostKeyAlgorithms(s.callback, net.JoinHostPort(ep.Host, strconv.Itoa(port)))
	return s, nil
}

// knownHostsCallback parses known_hosts with golang.org/x/crypto/ssh/knownhosts, which only reads
// files: the data goes through a temporary file that is removed at once.
func knownHostsCallback(data []byte) (ssh.HostKeyCallback, error) {
	f, err := os.CreateTemp("", "gitcanary-known-hosts-")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", SecretKnownHosts, err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err = errors.Join(err, f.Close()); err != nil {
		return nil, fmt.Errorf("read %s: %w", SecretKnownHosts, err)
	}
	cb, err := knownhosts.New(f.Name())
	if err != nil {
		return nil, fmt.Errorf("%w: %s does not parse", ErrInvalidAuth, SecretKnownHosts)
	}
	return cb, nil
}

// hostKeyAlgorithms asks the callback about a throw-away key: the KeyError it returns lists the
// keys known_hosts has for the host, whose types are the algorithms to negotiate. Without this a
// server with several host keys could offer one that known_hosts does not list.
func hostKeyAlgorithms(cb ssh.HostKeyCallback, hostPort string) []string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	addr, _ := net.ResolveTCPAddr("tcp", hostPort)
	var keyErr *knownhosts.KeyError
	if !errors.As(cb(hostPort, addr, probe), &keyErr) {
		return nil
	}
	var algs []string
	seen := map[string]bool{}
	for _, k := range keyErr.Want {
		for _, alg := range algorithmsFor(k.Key.Type()) {
			if !seen[alg] {
				seen[alg] = true
				algs = append(algs, alg)
			}
		}
	}
	return algs
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// Name implements transport.AuthMethod.
func (s *sshAuth) Name() string { return gitssh.PublicKeysName }

// String names the user and key fingerprint, never the key.
func (s *sshAuth) String() string {
	return fmt.Sprintf("ssh user %s key %s", s.user, ssh.FingerprintSHA256(s.signer.PublicKey()))
}

// ClientConfig implements gitssh.AuthMethod.
func (s *sshAuth) ClientConfig() (*ssh.ClientConfig, error) {
	return &ssh.ClientConfig{
		User:              s.user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(s.signer)},
		HostKeyCallback:   s.callback,
		HostKeyAlgorithms: s.algorithms,
		Timeout:           s.timeout,
	}, nil
}
