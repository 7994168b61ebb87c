package gitsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-logr/logr"
)

// FetcherOptions configure a Fetcher.
type FetcherOptions struct {
	// CacheDir holds the cache repository and the checkout. Required; one Fetcher per directory.
	CacheDir string
	// Depth of each fetch: 0 means 1 (shallow, only the commit itself), a negative value the
	// full history.
	Depth int
	// Log receives one line per new checkout; the zero value discards.
	Log logr.Logger
}

// Checkout is the tree of one commit written to a directory.
type Checkout struct {
	// Commit is the full SHA of the commit.
	Commit string
	// Ref is what was fetched, such as "branch main".
	Ref string
	// Dir holds the commit's files until the next Fetch that finds a new commit, which updates
	// the same directory in place (writing only the files that changed). Treat it as read-only.
	Dir string
	// Time is the commit's committer time.
	Time time.Time
	// Subject is the first line of the commit message.
	Subject string
}

// Fetcher fetches one reference of one repository into a local cache and checks out its tree
// when the commit changed. Fetch calls are serialised.
type Fetcher struct {
	client *Client
	ref    Ref
	opts   FetcherOptions
	log    logr.Logger

	mu      sync.Mutex
	repo    *git.Repository
	storage *filesystem.Storage
	last    Checkout
	fetches int // new commits checked out, for compaction
}

// NewFetcher checks the remote, the reference and the options; it does no I/O.
func NewFetcher(remote Remote, ref Ref, opts FetcherOptions) (*Fetcher, error) {
	if err := ref.Validate(); err != nil {
		return nil, err
	}
	if opts.CacheDir == "" {
		return nil, fmt.Errorf("new fetcher for %s: cache directory is required", RedactURL(remote.URL))
	}
	if opts.Depth == 0 {
		opts.Depth = 1
	}
	if opts.Depth < 0 {
		opts.Depth = 0 // go-git: no depth limit
	}
	if remote.Log.GetSink() == nil {
		remote.Log = opts.Log
	}
	c, err := NewClient(remote)
	if err != nil {
		return nil, err
	}
	return &Fetcher{client: c, ref: ref, opts: opts, log: opts.Log.WithValues("repository", c.String(), "ref", ref.String())}, nil
}

// Fetch brings the reference up to date in the cache. When it still points at the commit of the
// last checkout, Fetch returns that checkout and ErrNoChange without touching the tree; otherwise
// it updates the checkout directory to the new commit and returns it. Every network call is
// bounded by the remote's timeout and by ctx.
func (f *Fetcher) Fetch(ctx context.Context) (Checkout, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	repo, err := f.open()
	if err != nil {
		return Checkout{}, err
	}
	if f.ref.Commit != "" && f.ref.Commit == f.last.Commit && exists(f.last.Dir) {
		return f.last, ErrNoChange
	}
	commit, err := f.resolve(ctx, repo)
	if err != nil {
		return Checkout{}, err
	}
	if commit.Hash.String() == f.last.Commit && exists(f.last.Dir) {
		return f.last, ErrNoChange
	}
	co, err := f.checkout(repo, commit)
	if err != nil {
		return Checkout{}, err
	}
	f.last = co
	if f.fetches++; f.fetches%compactEvery == 0 {
		if err := f.compact(commit); err != nil {
			f.log.Error(err, "compact git cache")
		}
	}
	f.log.Info("checked out new commit", "revision", co.Commit, "subject", co.Subject)
	return co, nil
}

// resolve fetches the reference and returns the commit it names.
func (f *Fetcher) resolve(ctx context.Context, repo *git.Repository) (*object.Commit, error) {
	if f.ref.Commit != "" {
		return f.resolveCommit(ctx, repo)
	}
	if err := f.client.Fetch(ctx, repo, f.opts.Depth, f.ref.refSpec()); err != nil {
		return nil, err
	}
	ref, err := repo.Reference(f.ref.localName(), true)
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", f.ref, f.client, ErrRefNotFound)
	}
	return peel(repo, ref.Hash())
}

// resolveCommit uses the cached commit when present, else fetches it by SHA, and when the server
// refuses SHA wants, fetches all branches with full history and looks again.
func (f *Fetcher) resolveCommit(ctx context.Context, repo *git.Repository) (*object.Commit, error) {
	h := plumbing.NewHash(f.ref.Commit)
	if c, err := repo.CommitObject(h); err == nil {
		return c, nil
	}
	err := f.client.Fetch(ctx, repo, f.opts.Depth, f.ref.refSpec())
	if err != nil && !transient(err) {
		err = f.client.Fetch(ctx, repo, 0, config.RefSpec("+refs/heads/*:refs/remotes/origin/*"))
	}
	if err != nil {
		return nil, err
	}
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", f.ref, f.client, ErrRefNotFound)
	}
	return c, nil
}

// transient reports errors that another kind of fetch would not fix.
func transient(err error) bool {
	for _, e := range []error{ErrAuthentication, ErrHostKey, ErrUnreachable, ErrTimeout, ErrRepositoryNotFound} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// peel follows annotated tags to their commit.
func peel(repo *git.Repository, h plumbing.Hash) (*object.Commit, error) {
	for range 10 {
		tag, err := repo.TagObject(h)
		if err != nil {
			break
		}
		h = tag.Target
	}
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	return c, nil
}

func exists(p string) bool {
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}
