package gitsource

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/utils/merkletrie"
)

// The checkout lives in <CacheDir>/tree; <CacheDir>/tree.commit names the commit it holds and
// exists only while the tree is complete.
const (
	treeDir    = "tree"
	markerFile = "tree.commit"
)

// checkout makes <CacheDir>/tree hold the commit's files. When the tree holds a commit the cache
// still has, only the differences between the two trees are written; otherwise the tree is
// written afresh through a temporary directory.
func (f *Fetcher) checkout(repo *git.Repository, c *object.Commit) (Checkout, error) {
	dir := filepath.Join(f.opts.CacheDir, treeDir)
	marker := filepath.Join(f.opts.CacheDir, markerFile)
	co := Checkout{Commit: c.Hash.String(), Ref: f.ref.String(), Dir: dir,
		Time: c.Committer.When, Subject: strings.SplitN(c.Message, "\n", 2)[0]}
	held, _ := os.ReadFile(marker)
	if string(held) == co.Commit && exists(dir) {
		return co, nil
	}
	if err := os.Remove(marker); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Checkout{}, fmt.Errorf("check out %s: %w", co.Commit, err)
	}
	var err error
	if prev, perr := repo.CommitObject(plumbing.NewHash(string(held))); len(held) == 40 && perr == nil && exists(dir) {
		err = f.update(prev, c, dir)
	} else {
		err = f.rewrite(c, dir)
	}
	if err != nil {
		return Checkout{}, fmt.Errorf("check out %s: %w", co.Commit, err)
	}
	if err := os.WriteFile(marker, []byte(co.Commit), 0o644); err != nil {
		return Checkout{}, fmt.Errorf("check out %s: %w", co.Commit, err)
	}
	return co, nil
}

// rewrite writes the whole tree to a temporary directory and swaps it in.
func (f *Fetcher) rewrite(c *object.Commit, dir string) error {
	tmp, err := os.MkdirTemp(f.opts.CacheDir, ".tmp-tree-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tree, err := c.Tree()
	if err != nil {
		return err
	}
	err = tree.Files().ForEach(func(file *object.File) error {
		return f.writeFile(tmp, file.Name, file)
	})
	if err != nil {
		return err
	}
	if err := f.dropLeavingLinks(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// update applies the differences between prev and c to dir: deletions first, so a file may
// become a directory and back.
func (f *Fetcher) update(prev, c *object.Commit, dir string) error {
	from, err := prev.Tree()
	if err != nil {
		return err
	}
	to, err := c.Tree()
	if err != nil {
		return err
	}
	changes, err := object.DiffTree(from, to)
	if err != nil {
		return err
	}
	var writes []*object.Change
	for _, ch := range changes {
		action, err := ch.Action()
		if err != nil {
			return err
		}
		if action == merkletrie.Insert {
			writes = append(writes, ch)
			continue
		}
		if err := removeFile(dir, ch.From.Name); err != nil {
			return err
		}
		if action == merkletrie.Modify {
			writes = append(writes, ch)
		}
	}
	for _, ch := range writes {
		file, err := to.TreeEntryFile(&ch.To.TreeEntry)
		if err != nil {
			return err
		}
		if err := f.writeFile(dir, ch.To.Name, file); err != nil {
			return err
		}
	}
	// A link that did not change may leave through one that did: check them all.
	return f.dropLeavingLinks(dir)
}

// dropLeavingLinks resolves every symbolic link below dir for real and removes, with a log
// line, each that resolves outside dir. writeSymlink's check of a link's text cannot see a
// chain: "up" -> "../.." inside a/b is harmless, but "x" -> "a/b/up/../../.." then leaves,
// though its text joined to its folder stays inside. Links that do not resolve (dangling, a
// loop) are kept: reading through them fails, and the next checkout checks them again.
func (f *Fetcher) dropLeavingLinks(dir string) error {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	var leaving []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		resolved, rerr := filepath.EvalSymlinks(p)
		if rerr == nil && resolved != root && !strings.HasPrefix(resolved, root+string(filepath.Separator)) {
			leaving = append(leaving, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Remove after the walk: removing one link can change where another resolves, but only
	// from outside to dangling, never to outside.
	for _, p := range leaving {
		rel, _ := filepath.Rel(dir, p)
		f.log.Info("skipped symbolic link that leaves the repository", "path", filepath.ToSlash(rel))
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}

// removeFile deletes one file and the directories it leaves empty.
func removeFile(dir, name string) error {
	p, err := within(dir, name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for parent := filepath.Dir(p); parent != dir; parent = filepath.Dir(parent) {
		if os.Remove(parent) != nil {
			break // not empty
		}
	}
	return nil
}

// writeFile writes one file of the tree below dir. Symbolic links are kept when their target
// stays inside dir and skipped (with a log line) otherwise; submodules are skipped.
func (f *Fetcher) writeFile(dir, name string, file *object.File) error {
	target, err := within(dir, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	switch file.Mode {
	case filemode.Symlink:
		return f.writeSymlink(dir, target, file)
	case filemode.Executable:
		return writeBlob(target, file, 0o755)
	case filemode.Regular, filemode.Deprecated:
		return writeBlob(target, file, 0o644)
	}
	return nil
}

// within joins a slash path below dir and refuses paths that leave it.
func within(dir, name string) (string, error) {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if p != dir && !strings.HasPrefix(p, dir+string(filepath.Separator)) {
		return "", fmt.Errorf("path %q leaves the repository", name)
	}
	return p, nil
}

func (f *Fetcher) writeSymlink(dir, target string, file *object.File) error {
	link, err := file.Contents()
	if err != nil {
		return err
	}
	resolved := filepath.Join(filepath.Dir(target), filepath.FromSlash(link))
	if filepath.IsAbs(link) || (resolved != dir && !strings.HasPrefix(resolved, dir+string(filepath.Separator))) {
		f.log.Info("skipped symbolic link that leaves the repository", "path", file.Name)
		return nil
	}
	return os.Symlink(link, target)
}

func writeBlob(target string, file *object.File, mode os.FileMode) error {
	r, err := file.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if err = errors.Join(err, out.Close()); err != nil {
		return err
	}
	return os.Chmod(target, mode) // OpenFile keeps the mode of an existing file
}
