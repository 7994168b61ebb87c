package gitsource

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// checkout writes the commit's tree to <CacheDir>/checkouts/<sha>, through a temporary directory
// renamed into place, so a checkout directory is always complete. An existing one is reused.
func (f *Fetcher) checkout(c *object.Commit) (Checkout, error) {
	root := filepath.Join(f.opts.CacheDir, "checkouts")
	co := Checkout{Commit: c.Hash.String(), Ref: f.ref.String(), Dir: filepath.Join(root, c.Hash.String()),
		Time: c.Committer.When, Subject: strings.SplitN(c.Message, "\n", 2)[0]}
	if exists(co.Dir) {
		now := time.Now()
		_ = os.Chtimes(co.Dir, now, now) // newest again, for prune
		return co, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return Checkout{}, fmt.Errorf("check out %s: %w", co.Commit, err)
	}
	f.removeTemporary(root)
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return Checkout{}, fmt.Errorf("check out %s: %w", co.Commit, err)
	}
	if err := f.writeTree(c, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return Checkout{}, fmt.Errorf("check out %s: %w", co.Commit, err)
	}
	if err := os.Rename(tmp, co.Dir); err != nil {
		_ = os.RemoveAll(tmp)
		return Checkout{}, fmt.Errorf("check out %s: %w", co.Commit, err)
	}
	return co, nil
}

// removeTemporary deletes half-written checkouts left by an interrupted process.
func (f *Fetcher) removeTemporary(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// writeTree writes every file of the commit below dir. Symbolic links are kept when their target
// stays inside dir and skipped (with a log line) otherwise; submodules are skipped.
func (f *Fetcher) writeTree(c *object.Commit, dir string) error {
	tree, err := c.Tree()
	if err != nil {
		return err
	}
	return tree.Files().ForEach(func(file *object.File) error {
		target, err := within(dir, file.Name)
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
	})
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
	out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	return errors.Join(err, out.Close())
}
