package gitserver

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	"github.com/go-logr/logr"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Options configure a Server. The zero value serves anonymous smart HTTP only.
type Options struct {
	// Dir holds the bare repositories, one <name>.git folder each. Empty means a new temporary
	// directory that Close removes.
	Dir string
	// Username and Password, when Username is set, are required as HTTP basic auth.
	Username string
	// Password is the basic-auth password that goes with Username.
	Password string
	// BearerToken, when set, is accepted as "Authorization: Bearer <token>" (as well as basic auth
	// when Username is also set).
	BearerToken string
	// SSH starts the SSH listener too.
	SSH bool
	// AuthorizedKeys are the client public keys the SSH listener accepts; with none, every SSH
	// client is refused.
	AuthorizedKeys []ssh.PublicKey
	// HostKey is the SSH host key; nil generates a fresh ed25519 key.
	HostKey ssh.Signer
	// DenyNonFastForwards refuses reference updates whose new commit does not descend from the
	// old one, like receive.denyNonFastForwards.
	DenyNonFastForwards bool
	// Log receives one line per request and per refused request; the zero value discards.
	Log logr.Logger
}

// Server is a running (or stopped) in-process Git server. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	dir     string
	ownDir  bool
	hostKey ssh.Signer

	mu       sync.Mutex // guards the fields below
	repos    map[string]*repo
	httpAddr string
	sshAddr  string
	httpSrv  *http.Server
	sshSrv   *gliderssh.Server
	running  bool
}

// Start creates the server's directory if needed and starts listening on 127.0.0.1 on free ports.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts, dir: opts.Dir, repos: map[string]*repo{}}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "gitserver-")
		if err != nil {
			return nil, fmt.Errorf("create git server directory: %w", err)
		}
		s.dir, s.ownDir = dir, true
	} else if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create git server directory %s: %w", s.dir, err)
	}
	s.hostKey = opts.HostKey
	if opts.SSH && s.hostKey == nil {
		signer, err := newHostKey()
		if err != nil {
			return nil, err
		}
		s.hostKey = signer
	}
	s.httpAddr, s.sshAddr = "127.0.0.1:0", "127.0.0.1:0"
	if err := s.listen(); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

func newHostKey() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ssh host key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("generate ssh host key: %w", err)
	}
	return signer, nil
}

// listen binds the listeners at s.httpAddr and s.sshAddr (port 0 picks one) and serves them.
func (s *Server) listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	hl, err := net.Listen("tcp", s.httpAddr)
	if err != nil {
		return fmt.Errorf("listen for git http on %s: %w", s.httpAddr, err)
	}
	s.httpAddr = hl.Addr().String()
	s.httpSrv = &http.Server{Handler: &httpHandler{s: s}, ReadHeaderTimeout: 10 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(hl) }(s.httpSrv)
	if s.opts.SSH {
		sl, err := net.Listen("tcp", s.sshAddr)
		if err != nil {
			_ = s.httpSrv.Close()
			return fmt.Errorf("listen for git ssh on %s: %w", s.sshAddr, err)
		}
		s.sshAddr = sl.Addr().String()
		s.sshSrv = s.newSSHServer()
		go func(srv *gliderssh.Server) { _ = srv.Serve(sl) }(s.sshSrv)
	}
	s.running = true
	return nil
}

// Stop closes the listeners and every open connection; the repositories stay. Restart serves them
// again on the same ports.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return ErrNotRunning
	}
	s.running = false
	err := s.httpSrv.Close()
	if s.sshSrv != nil {
		err = errors.Join(err, s.sshSrv.Close())
	}
	if err != nil {
		return fmt.Errorf("stop git server: %w", err)
	}
	return nil
}

// Restart listens again on the ports the server had before Stop.
func (s *Server) Restart() error {
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	if running {
		return ErrRunning
	}
	return s.listen()
}

// Close stops the server if it runs and removes its directory if Start created it.
func (s *Server) Close() error {
	err := s.Stop()
	if errors.Is(err, ErrNotRunning) {
		err = nil
	}
	return errors.Join(err, s.closeRepos(), s.cleanup())
}

func (s *Server) cleanup() error {
	if !s.ownDir {
		return nil
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove git server directory: %w", err)
	}
	return nil
}

// Dir is the directory that holds the bare repositories.
func (s *Server) Dir() string { return s.dir }

// HTTPAddr is the host:port of the HTTP listener.
func (s *Server) HTTPAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.httpAddr
}

// SSHAddr is the host:port of the SSH listener, or "" without SSH.
func (s *Server) SSHAddr() string {
	if !s.opts.SSH {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sshAddr
}

// HTTPURL is the smart-HTTP URL of repository name, without credentials.
func (s *Server) HTTPURL(name string) string {
	return "http://" + s.HTTPAddr() + "/" + strings.TrimSuffix(name, ".git") + ".git"
}

// SSHURL is the SSH URL of repository name, with user git.
func (s *Server) SSHURL(name string) string {
	return "ssh://git@" + s.SSHAddr() + "/" + strings.TrimSuffix(name, ".git") + ".git"
}

// FileURL is the file:// URL of repository name.
func (s *Server) FileURL(name string) string {
	return "file://" + filepath.ToSlash(s.RepoPath(name))
}

// RepoPath is the directory of bare repository name.
func (s *Server) RepoPath(name string) string {
	return filepath.Join(s.dir, strings.TrimSuffix(name, ".git")+".git")
}

// HostKey is the public SSH host key, or nil without SSH.
func (s *Server) HostKey() ssh.PublicKey {
	if s.hostKey == nil {
		return nil
	}
	return s.hostKey.PublicKey()
}

// KnownHosts is a known_hosts file with one line for the SSH listener's address and host key.
func (s *Server) KnownHosts() []byte {
	if s.hostKey == nil {
		return nil
	}
	return []byte(knownhosts.Line([]string{knownhosts.Normalize(s.SSHAddr())}, s.hostKey.PublicKey()) + "\n")
}
