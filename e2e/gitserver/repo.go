package gitserver

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// RefUpdate is one reference update the server accepted. Old is empty for a created reference,
// New is empty for a deleted one.
type RefUpdate struct {
	// Ref is the full reference name, such as refs/heads/main.
	Ref string
	// Old is the commit the reference pointed to before, in hex.
	Old string
	// New is the commit the reference points to after, in hex.
	New string
	// Time is when the server applied the update.
	Time time.Time
}

// repo is one bare repository. go-git's filesystem storage is not safe for concurrent use, so
// every protocol operation holds mu for its whole duration.
type repo struct {
	mu      sync.Mutex
	name    string
	storage *filesystem.Storage
	updates []RefUpdate
}

func validName(name string) (string, error) {
	n := strings.TrimSuffix(strings.Trim(name, "/"), ".git")
	if n == "" || n != path.Clean(n) || strings.HasPrefix(n, "..") || strings.Contains(n, "/../") {
		return "", fmt.Errorf("%w: %q", ErrInvalidRepoName, name)
	}
	for _, r := range n {
		ok := r == '-' || r == '_' || r == '.' || r == '/' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return "", fmt.Errorf("%w: %q", ErrInvalidRepoName, name)
		}
	}
	return n, nil
}

// repo returns the repository called name, opening it from disk on first use.
func (s *Server) repo(name string) (*repo, error) {
	n, err := validName(name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.repos[n]; ok {
		return r, nil
	}
	dir := s.RepoPath(n)
	if _, err := os.Stat(filepath.Join(dir, "config")); err != nil {
		return nil, fmt.Errorf("open repository %s: %w", n, ErrRepoNotFound)
	}
	// Pack files stay open (up to 64) instead of being reopened for every object read.
	st := filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRUDefault(),
		filesystem.Options{ExclusiveAccess: true, MaxOpenDescriptors: 64})
	r := &repo{name: n, storage: st}
	s.repos[n] = r
	return r, nil
}

// closeRepos closes the open pack files of every repository.
func (s *Server) closeRepos() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for n, r := range s.repos {
		r.mu.Lock()
		errs = append(errs, r.storage.Close())
		r.mu.Unlock()
		delete(s.repos, n)
	}
	return errors.Join(errs...)
}

// CreateRepo creates an empty bare repository whose HEAD names branch (default "main").
func (s *Server) CreateRepo(name, branch string) error {
	n, err := validName(name)
	if err != nil {
		return err
	}
	if branch == "" {
		branch = "main"
	}
	dir := s.RepoPath(n)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("create repository %s: %w", n, ErrRepoExists)
	}
	r, err := git.PlainInit(dir, true)
	if err != nil {
		return fmt.Errorf("create repository %s: %w", n, err)
	}
	head := plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(branch))
	if err := r.Storer.SetReference(head); err != nil {
		return fmt.Errorf("create repository %s: set HEAD: %w", n, err)
	}
	_, err = s.repo(n)
	return err
}

// Head returns the commit that branch of repository name points to, in hex.
func (s *Server) Head(name, branch string) (string, error) {
	r, err := s.repo(name)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, err := r.storage.Reference(plumbing.NewBranchReferenceName(branch))
	if err != nil {
		return "", fmt.Errorf("read branch %s of %s: %w", branch, r.name, err)
	}
	return ref.Hash().String(), nil
}

// RefUpdates returns the reference updates the server accepted for repository name, oldest first.
// Updates written with CommitFiles count too: they are pushes like any other.
func (s *Server) RefUpdates(name string) ([]RefUpdate, error) {
	r, err := s.repo(name)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RefUpdate(nil), r.updates...), nil
}
