package gitsource

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

const (
	// cacheRepo is the bare cache repository inside CacheDir.
	cacheRepo = "repo.git"
	// compactEvery is how many new commits are fetched (one pack each) before the cache is
	// rewritten to a single pack holding only the current commit.
	compactEvery = 32
	// openPacks bounds the pack files the cache keeps open.
	openPacks = 16
)

// open opens (or creates) the bare cache repository; a corrupt one is recreated.
func (f *Fetcher) open() (*git.Repository, error) {
	if f.repo != nil {
		return f.repo, nil
	}
	dir := filepath.Join(f.opts.CacheDir, cacheRepo)
	repo, st, err := openBare(dir)
	if err != nil {
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("reset cache %s: %w", dir, err)
		}
		if repo, st, err = initBare(dir); err != nil {
			return nil, fmt.Errorf("create cache %s: %w", dir, err)
		}
	}
	f.repo, f.storage = repo, st
	return repo, nil
}

func newStorage(dir string) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRUDefault(),
		filesystem.Options{ExclusiveAccess: true, MaxOpenDescriptors: openPacks})
}

func openBare(dir string) (*git.Repository, *filesystem.Storage, error) {
	st := newStorage(dir)
	repo, err := git.Open(st, nil)
	if err != nil {
		return nil, nil, errors.Join(err, st.Close())
	}
	return repo, st, nil
}

func initBare(dir string) (*git.Repository, *filesystem.Storage, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	st := newStorage(dir)
	repo, err := git.Init(st, nil)
	if err != nil {
		return nil, nil, errors.Join(err, st.Close())
	}
	return repo, st, nil
}

// compact replaces the cache with a repository holding one pack of the objects of the current
// reference (its tag object, commit and tree) and nothing else, so packs do not pile up, one per
// fetch, over the life of the controller.
func (f *Fetcher) compact(c *object.Commit) error {
	ref, err := f.repo.Reference(f.ref.localName(), false)
	if err != nil { // a pinned commit found by fetching every branch
		ref = plumbing.NewHashReference(f.ref.localName(), c.Hash)
	}
	objects := []plumbing.Hash{}
	if ref.Hash() != c.Hash {
		objects = append(objects, ref.Hash()) // annotated tag
	}
	objects = append(objects, c.Hash)
	if objects, err = treeObjects(f.repo, c.TreeHash, objects, map[plumbing.Hash]bool{}); err != nil {
		return err
	}
	dir := filepath.Join(f.opts.CacheDir, cacheRepo)
	next := dir + ".compact"
	if err := os.RemoveAll(next); err != nil {
		return err
	}
	_, st, err := initBare(next)
	if err != nil {
		return err
	}
	if err := writePack(f.repo, st, objects); err != nil {
		return errors.Join(err, st.Close(), os.RemoveAll(next))
	}
	if err := st.SetReference(ref); err == nil && len(c.ParentHashes) > 0 {
		err = st.SetShallow([]plumbing.Hash{c.Hash})
	}
	if err != nil {
		return errors.Join(err, st.Close(), os.RemoveAll(next))
	}
	if err := errors.Join(f.storage.Close(), os.RemoveAll(dir), os.Rename(next, dir)); err != nil {
		f.repo, f.storage = nil, nil // reopened (or recreated) on the next fetch
		return err
	}
	f.repo, f.storage = nil, nil
	return st.Close()
}

// treeObjects appends the hashes of a tree and everything below it, each once.
func treeObjects(repo *git.Repository, h plumbing.Hash, out []plumbing.Hash, seen map[plumbing.Hash]bool) ([]plumbing.Hash, error) {
	if seen[h] {
		return out, nil
	}
	seen[h] = true
	t, err := repo.TreeObject(h)
	if err != nil {
		return nil, err
	}
	out = append(out, h)
	for _, e := range t.Entries {
		switch {
		case e.Mode == filemode.Submodule:
		case e.Mode == filemode.Dir:
			if out, err = treeObjects(repo, e.Hash, out, seen); err != nil {
				return nil, err
			}
		case !seen[e.Hash]:
			seen[e.Hash] = true
			out = append(out, e.Hash)
		}
	}
	return out, nil
}

// writePack copies objects from repo into st as one pack.
func writePack(repo *git.Repository, st *filesystem.Storage, objects []plumbing.Hash) error {
	w, err := st.PackfileWriter()
	if err != nil {
		return err
	}
	if _, err := packfile.NewEncoder(w, repo.Storer, false).Encode(objects, 0); err != nil {
		return errors.Join(err, w.Close())
	}
	return w.Close()
}

// Close releases the pack files the cache keeps open. The Fetcher can be used again afterwards;
// it reopens the cache.
func (f *Fetcher) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.storage == nil {
		return nil
	}
	err := f.storage.Close()
	f.repo, f.storage = nil, nil
	return err
}
