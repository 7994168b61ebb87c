package gitserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// commitAttempts bounds how often CommitFiles rebuilds its commit after losing a push race;
// between attempts it waits a jittered backoff that doubles from 5 ms up to commitBackoffMax,
// so a writer slower than the others (a clone, a commit and a push each time) still gets a turn
// once they pause, instead of losing every race within a few milliseconds.
const (
	commitAttempts   = 50
	commitBackoffMax = 500 * time.Millisecond
)

// Change is a set of file edits that CommitFiles commits.
type Change struct {
	// Files maps slash-separated paths to their new content; a nil value deletes the file.
	Files map[string][]byte
	// Message is the commit message; empty means "update <paths>".
	Message string
	// Author names the author and committer; empty means "gitserver <gitserver@localhost>".
	Author string
	// Time is the author and committer time; zero means now.
	Time time.Time
}

// CommitFiles commits change on top of branch of repository name and pushes it over the server's
// HTTP listener, as a user would, with the server's own credentials. A missing branch is created.
// When the push loses a race with another pusher, the commit is rebuilt on the new head and pushed
// again. It returns the new commit in hex.
func (s *Server) CommitFiles(ctx context.Context, name, branch string, change Change) (string, error) {
	if _, err := s.repo(name); err != nil {
		return "", err
	}
	var lastErr error
	for attempt := range commitAttempts {
		hash, err := s.commitOnce(ctx, name, branch, change)
		if err == nil {
			return hash, nil
		}
		lastErr = err
		if ctx.Err() != nil || !lostRace(err) {
			break
		}
		d := min(5*time.Millisecond<<min(attempt, 10), commitBackoffMax)
		select {
		case <-ctx.Done():
		case <-time.After(d/2 + rand.N(d/2+1)):
		}
	}
	return "", fmt.Errorf("commit to %s branch %s: %w", name, branch, lastErr)
}

func lostRace(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, reasonStale) || strings.Contains(msg, "non-fast-forward") ||
		strings.Contains(msg, "required to be") || strings.Contains(msg, "object not found")
}

func (s *Server) clientAuth() transport.AuthMethod {
	switch {
	case s.opts.Username != "":
		return &githttp.BasicAuth{Username: s.opts.Username, Password: s.opts.Password}
	case s.opts.BearerToken != "":
		return &githttp.TokenAuth{Token: s.opts.BearerToken}
	}
	return nil
}

func (s *Server) commitOnce(ctx context.Context, name, branch string, change Change) (string, error) {
	url, auth := s.HTTPURL(name), s.clientAuth()
	ref := plumbing.NewBranchReferenceName(branch)
	var require []config.RefSpec
	r, err := git.CloneContext(ctx, memory.NewStorage(), memfs.New(), &git.CloneOptions{
		URL: url, Auth: auth, ReferenceName: ref, SingleBranch: true, Depth: 1, Tags: git.NoTags,
	})
	if err != nil {
		if r, err = newBranchRepo(url, ref, err); err != nil {
			return "", err
		}
	} else if head, err := r.Head(); err == nil {
		// Push only if the branch is still where the clone found it.
		require = []config.RefSpec{config.RefSpec(head.Hash().String() + ":" + ref.String())}
	}
	wt, err := r.Worktree()
	if err != nil {
		return "", err
	}
	if err := writeFiles(wt.Filesystem, change.Files); err != nil {
		return "", err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return "", fmt.Errorf("stage files: %w", err)
	}
	sig := signature(change)
	hash, err := wt.Commit(message(change), &git.CommitOptions{Author: &sig, Committer: &sig, AllowEmptyCommits: true})
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	spec := config.RefSpec(ref.String() + ":" + ref.String())
	if err := r.PushContext(ctx, &git.PushOptions{RefSpecs: []config.RefSpec{spec}, Auth: auth, RequireRemoteRefs: require}); err != nil {
		return "", fmt.Errorf("push: %w", err)
	}
	return hash.String(), nil
}

// newBranchRepo starts an empty repository on branch ref when cloning failed because the
// repository is empty or lacks the branch; any other clone error is returned.
func newBranchRepo(url string, ref plumbing.ReferenceName, cloneErr error) (*git.Repository, error) {
	var noRef git.NoMatchingRefSpecError
	if !errors.Is(cloneErr, transport.ErrEmptyRemoteRepository) && !errors.As(cloneErr, &noRef) &&
		!strings.Contains(cloneErr.Error(), "couldn't find remote ref") {
		return nil, fmt.Errorf("clone: %w", cloneErr)
	}
	r, err := git.Init(memory.NewStorage(), memfs.New())
	if err != nil {
		return nil, err
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: git.DefaultRemoteName, URLs: []string{url}}); err != nil {
		return nil, err
	}
	if err := r.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref)); err != nil {
		return nil, err
	}
	return r, nil
}

func writeFiles(fs billy.Filesystem, files map[string][]byte) error {
	for p, content := range files {
		p = path.Clean(strings.TrimPrefix(p, "/"))
		if content == nil {
			if _, err := fs.Stat(p); err != nil {
				continue // already absent
			}
			if err := fs.Remove(p); err != nil {
				return fmt.Errorf("delete %s: %w", p, err)
			}
			continue
		}
		if err := fs.MkdirAll(path.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		f, err := fs.Create(p)
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		_, err = f.Write(content)
		if err = errors.Join(err, f.Close()); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

func signature(c Change) object.Signature {
	sig := object.Signature{Name: "gitserver", Email: "gitserver@localhost", When: c.Time}
	if c.Author != "" {
		sig.Name = c.Author
	}
	if sig.When.IsZero() {
		sig.When = time.Now()
	}
	return sig
}

func message(c Change) string {
	if c.Message != "" {
		return c.Message
	}
	paths := make([]string, 0, len(c.Files))
	for p := range c.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return "update " + strings.Join(paths, ", ")
}
