package gitserver

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	gliderssh "github.com/gliderlabs/ssh"
	"golang.org/x/crypto/ssh"
)

func (s *Server) newSSHServer() *gliderssh.Server {
	srv := &gliderssh.Server{
		Handler:          s.handleSSH,
		HostSigners:      []gliderssh.Signer{s.hostKey},
		PublicKeyHandler: s.authorizedKey,
	}
	return srv
}

// authorizedKey accepts a client whose public key is one of Options.AuthorizedKeys.
func (s *Server) authorizedKey(_ gliderssh.Context, key gliderssh.PublicKey) bool {
	for _, k := range s.opts.AuthorizedKeys {
		if bytes.Equal(k.Marshal(), key.Marshal()) {
			return true
		}
	}
	s.opts.Log.Info("refused: ssh key not authorized", "key", ssh.FingerprintSHA256(key))
	return false
}

// handleSSH runs "git-upload-pack '<repo>'" or "git-receive-pack '<repo>'" on one session.
func (s *Server) handleSSH(sess gliderssh.Session) {
	service, name, err := parseSSHCommand(sess.RawCommand())
	if err == nil {
		err = s.serveSSH(sess.Context(), sess, service, name)
	}
	if err != nil {
		s.opts.Log.Error(err, "serve ssh", "command", sess.RawCommand())
		fmt.Fprintf(sess.Stderr(), "gitserver: %v\n", err)
		_ = sess.Exit(1)
		return
	}
	_ = sess.Exit(0)
}

func (s *Server) serveSSH(ctx context.Context, sess gliderssh.Session, service, name string) error {
	r, err := s.repo(name)
	if err != nil {
		return err
	}
	if err := r.advertise(sess, service, false); err != nil {
		return err
	}
	if service == serviceUploadPack {
		return r.uploadPack(ctx, sess, sess)
	}
	updates, err := r.receivePack(ctx, sess, sess, s.opts.DenyNonFastForwards)
	for _, u := range updates {
		s.opts.Log.Info("reference updated", "ref", u.Ref, "old", u.Old, "new", u.New)
	}
	return err
}

// parseSSHCommand splits "git-upload-pack '/repo.git'" into service and repository name.
func parseSSHCommand(raw string) (service, name string, err error) {
	service, arg, ok := strings.Cut(strings.TrimSpace(raw), " ")
	if !ok || (service != serviceUploadPack && service != serviceReceivePack) {
		return "", "", fmt.Errorf("unsupported ssh command %q", raw)
	}
	arg = strings.Trim(strings.TrimSpace(arg), "'\"")
	return service, arg, nil
}
