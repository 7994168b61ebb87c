package gitsource

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/go-logr/logr"
)

// DefaultTimeout bounds each network call when Remote.Timeout is zero.
const DefaultTimeout = time.Minute

// remoteName is the name of the one remote of the repositories this package manages.
const remoteName = "origin"

// Remote is a repository address and how to reach it.
type Remote struct {
	// URL of the repository: https://, http://, ssh://, scp-like user@host:path, file:// or an
	// absolute path. Credentials in an HTTP(S) URL are used as basic auth when Auth has none,
	// and are never printed.
	URL string
	// Auth holds the credentials; see AuthFromSecretData.
	Auth Auth
	// Timeout bounds every network call (connect, reference listing, pack transfer); zero means
	// DefaultTimeout.
	Timeout time.Duration
	// InsecureSkipTLSVerify accepts any HTTPS certificate.
	InsecureSkipTLSVerify bool
	// InsecureIgnoreHostKey accepts any SSH host key. It exists for tests; NewClient logs a
	// warning when it is set.
	InsecureIgnoreHostKey bool
	// Log receives warnings and one line per network call; the zero value discards.
	Log logr.Logger
}

// Client runs go-git network operations against one Remote: it applies the credentials, the
// CA bundle and the timeout, and turns go-git's errors into this package's sentinel errors with
// credentials removed. It is safe for concurrent use.
type Client struct {
	url         string // without credentials
	display     string // redacted, for messages
	auth        transport.AuthMethod
	caBundle    []byte
	insecureTLS bool
	timeout     time.Duration
	secrets     []string
	log         logr.Logger
	// local is true for file:// repositories, served in-process by go-git's server, which
	// cannot answer shallow fetches (and gains nothing from them).
	local bool
}

// NewClient checks the Remote (scheme, and credentials that fit it) and prepares the transport
// auth method. SSH needs Auth.Identity and Auth.KnownHosts (unless InsecureIgnoreHostKey).
func NewClient(r Remote) (*Client, error) {
	c := &Client{display: RedactURL(r.URL), caBundle: r.Auth.CABundle, insecureTLS: r.InsecureSkipTLSVerify,
		timeout: r.Timeout, log: r.Log.WithValues("repository", RedactURL(r.URL))}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	ep, err := transport.NewEndpoint(r.URL)
	if err != nil || r.URL == "" {
		return nil, fmt.Errorf("%w: %s", ErrInvalidURL, c.display)
	}
	auth := r.Auth
	var urlSecrets []string
	switch ep.Protocol {
	case "http", "https":
		var user, pass string
		c.url, user, pass = stripUserinfo(r.URL)
		if auth.Username == "" && auth.Password == "" && auth.BearerToken == "" {
			auth.Username, auth.Password = user, pass
		}
		urlSecrets = append(urlSecrets, pass)
		if len(user) >= 8 { // a token given as the user name
			urlSecrets = append(urlSecrets, user)
		}
		c.auth = httpAuth(auth)
	case "ssh":
		c.url = r.URL
		c.auth, err = newSSHAuth(ep, auth, r.InsecureIgnoreHostKey, c.timeout)
		if err != nil {
			return nil, fmt.Errorf("repository %s: %w", c.display, err)
		}
		if r.InsecureIgnoreHostKey {
			c.log.Info("WARNING: ssh host key checking is disabled for this repository (insecure)")
		}
	case "file":
		c.url, c.local = r.URL, true
	default:
		return nil, fmt.Errorf("%w: %s: scheme %q is not supported", ErrInvalidURL, c.display, ep.Protocol)
	}
	c.secrets = append(auth.secrets(), nonTrivial(urlSecrets)...)
	if auth.Password != "" {
		// The Authorization header value, should a server echo it.
		c.secrets = append(c.secrets, base64.StdEncoding.EncodeToString([]byte(auth.Username+":"+auth.Password)))
	}
	return c, nil
}

// stripUserinfo splits an HTTP(S) URL into the URL without userinfo, the user and the password.
func stripUserinfo(raw string) (clean, user, pass string) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw, "", ""
	}
	user = u.User.Username()
	pass, _ = u.User.Password()
	u.User = nil
	return u.String(), user, pass
}

func httpAuth(a Auth) transport.AuthMethod {
	switch {
	case a.BearerToken != "":
		return &githttp.TokenAuth{Token: a.BearerToken}
	case a.Username != "" || a.Password != "":
		return &githttp.BasicAuth{Username: a.Username, Password: a.Password}
	}
	return nil
}

// String is the repository URL with credentials removed.
func (c *Client) String() string { return c.display }

// withTimeout bounds one network call.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// ensureRemote makes sure repo has the remote this client talks to.
func (c *Client) ensureRemote(repo *git.Repository) error {
	rem, err := repo.Remote(remoteName)
	if err == nil && len(rem.Config().URLs) == 1 && rem.Config().URLs[0] == c.url {
		return nil
	}
	if err == nil {
		if err := repo.DeleteRemote(remoteName); err != nil {
			return fmt.Errorf("configure remote of %s: %w", c.display, err)
		}
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{c.url}}); err != nil {
		return fmt.Errorf("configure remote of %s: %w", c.display, err)
	}
	return nil
}

// Fetch fetches specs into repo, force-updating the local references. depth > 0 makes a shallow
// fetch. It returns nil when nothing changed.
func (c *Client) Fetch(ctx context.Context, repo *git.Repository, depth int, specs ...config.RefSpec) error {
	if err := c.ensureRemote(repo); err != nil {
		return err
	}
	if c.local {
		depth = 0
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	start := time.Now()
	err := repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName, RefSpecs: specs, Depth: depth, Auth: c.auth, Tags: git.NoTags, Force: true,
		CABundle: c.caBundle, InsecureSkipTLS: c.insecureTLS,
	})
	c.log.V(1).Info("fetch", "refspecs", specs, "depth", depth, "duration", time.Since(start), "error", err != nil)
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return c.wrap(ctx, "fetch "+specList(specs)+" from", err)
}

// Resolve asks the remote which commit ref names, without fetching anything (git ls-remote):
// a poll that finds the same commit as before costs one reference listing. A ref the remote
// does not have, or an empty repository, is ErrRefNotFound.
func (c *Client) Resolve(ctx context.Context, ref plumbing.ReferenceName) (plumbing.Hash, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	start := time.Now()
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: remoteName, URLs: []string{c.url}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: c.auth, CABundle: c.caBundle, InsecureSkipTLS: c.insecureTLS})
	c.log.V(1).Info("list references", "ref", ref.String(), "duration", time.Since(start), "error", err != nil)
	if err != nil {
		return plumbing.ZeroHash, c.wrap(ctx, "list references of", err)
	}
	for _, r := range refs {
		if r.Name() == ref && r.Type() == plumbing.HashReference {
			return r.Hash(), nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("%s of %s: %w", ref, c.display, ErrRefNotFound)
}

// Push pushes the local reference src to the remote reference dst without ever forcing. When
// expect is not zero, the remote reference must still point at expect, otherwise the push fails
// with ErrPushRejected; a push that is not a fast-forward fails with ErrPushRejected too.
func (c *Client) Push(ctx context.Context, repo *git.Repository, src, dst plumbing.ReferenceName, expect plumbing.Hash) error {
	if err := c.ensureRemote(repo); err != nil {
		return err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	opts := &git.PushOptions{
		RemoteName: remoteName, RefSpecs: []config.RefSpec{config.RefSpec(src.String() + ":" + dst.String())},
		Auth: c.auth, CABundle: c.caBundle, InsecureSkipTLS: c.insecureTLS,
	}
	if !expect.IsZero() {
		opts.RequireRemoteRefs = []config.RefSpec{config.RefSpec(expect.String() + ":" + dst.String())}
	}
	start := time.Now()
	err := repo.PushContext(ctx, opts)
	c.log.V(1).Info("push", "ref", dst.String(), "duration", time.Since(start), "error", err != nil)
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return c.wrapAs(ctx, "push "+dst.String()+" to", err, classifyPush(err))
}

// specList names the remote side of the refspecs, for messages.
func specList(specs []config.RefSpec) string {
	s := make([]string, len(specs))
	for i, sp := range specs {
		s[i] = sp.Src()
	}
	return strings.Join(s, ",")
}
