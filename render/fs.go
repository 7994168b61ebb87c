package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errReadOnly is returned by the write methods of confinedFS: rendering never writes.
var errReadOnly = errors.New("the repository is read-only while rendering")

// confinedFS is a read-only view of the disk that refuses any path outside root, also when a
// symlink inside the root points outside it. virtual holds generated files (the kustomization of
// a plain folder) by absolute path.
type confinedFS struct {
	root    string // absolute, symlinks resolved
	disk    filesys.FileSystem
	virtual map[string][]byte
}

var _ filesys.FileSystem = (*confinedFS)(nil)

func newConfinedFS(root string) (*confinedFS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve repository root %s: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("resolve repository root %s: %w", root, err)
	}
	return &confinedFS{root: real, disk: filesys.MakeFsOnDisk(), virtual: map[string][]byte{}}, nil
}

// check resolves path (relative paths are relative to the working directory, as on disk) and
// fails when it, or what its symlinks lead to, leaves the root. A path that does not exist is
// checked through its nearest existing parent.
func (f *confinedFS) check(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, ok := f.virtual[abs]; ok {
		return abs, nil
	}
	resolved, rest := abs, ""
	for {
		r, err := filepath.EvalSymlinks(resolved)
		if err == nil {
			resolved = filepath.Join(r, rest)
			break
		}
		parent := filepath.Dir(resolved)
		if parent == resolved {
			return "", fmt.Errorf("resolve %s: %w", path, err)
		}
		rest = filepath.Join(filepath.Base(resolved), rest)
		resolved = parent
	}
	if !within(f.root, resolved) {
		return "", &OutsideRootError{Path: path}
	}
	return abs, nil
}

func within(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

func (f *confinedFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *confinedFS) Mkdir(string) error                  { return errReadOnly }
func (f *confinedFS) MkdirAll(string) error               { return errReadOnly }
func (f *confinedFS) RemoveAll(string) error              { return errReadOnly }
func (f *confinedFS) WriteFile(string, []byte) error      { return errReadOnly }

func (f *confinedFS) Open(path string) (filesys.File, error) {
	p, err := f.check(path)
	if err != nil {
		return nil, err
	}
	if _, ok := f.virtual[p]; ok {
		return nil, fmt.Errorf("open %s: generated file cannot be opened, read it instead", path)
	}
	return f.disk.Open(p)
}

func (f *confinedFS) IsDir(path string) bool {
	p, err := f.check(path)
	return err == nil && f.disk.IsDir(p)
}

func (f *confinedFS) ReadDir(path string) ([]string, error) {
	p, err := f.check(path)
	if err != nil {
		return nil, err
	}
	names, err := f.disk.ReadDir(p)
	if err != nil {
		return nil, err
	}
	for v := range f.virtual {
		if filepath.Dir(v) == p {
			names = append(names, filepath.Base(v))
		}
	}
	return names, nil
}

func (f *confinedFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	p, err := f.check(path)
	if err != nil {
		return "", "", err
	}
	if _, ok := f.virtual[p]; ok {
		return filesys.ConfirmedDir(filepath.Dir(p)), filepath.Base(p), nil
	}
	return f.disk.CleanedAbs(p)
}

func (f *confinedFS) Exists(path string) bool {
	p, err := f.check(path)
	if err != nil {
		return false
	}
	if _, ok := f.virtual[p]; ok {
		return true
	}
	return f.disk.Exists(p)
}

func (f *confinedFS) Glob(pattern string) ([]string, error) {
	matches, err := f.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if _, err := f.check(m); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *confinedFS) ReadFile(path string) ([]byte, error) {
	p, err := f.check(path)
	if err != nil {
		return nil, err
	}
	if data, ok := f.virtual[p]; ok {
		return data, nil
	}
	return f.disk.ReadFile(p)
}

func (f *confinedFS) Walk(path string, walkFn filepath.WalkFunc) error {
	p, err := f.check(path)
	if err != nil {
		return err
	}
	return f.disk.Walk(p, func(q string, info os.FileInfo, err error) error {
		if _, cerr := f.check(q); cerr != nil {
			return walkFn(q, info, cerr)
		}
		return walkFn(q, info, err)
	})
}
