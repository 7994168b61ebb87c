package render

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errReadOnly is returned by the write methods of confinedFS: rendering never writes.
var errReadOnly = errors.New("the repository is read-only while rendering")

// confinedFS is a read-only view of the disk that refuses any path outside root, also when a
// symlink inside the root points outside it. virtual holds generated files (the kustomization of
// a plain folder) by absolute path.
//
// It is the one way kustomize reads anything, so it is where rendering is bounded and checked:
// every file read is held to the Limits, and every kustomization file is checked (refChecker)
// before kustomize sees a byte of it. The first such refusal is kept in refusal: kustomize may
// word the failed read as a missing file, Build reports the refusal instead.
type confinedFS struct {
	root      string // absolute, symlinks resolved
	disk      filesys.FileSystem
	virtual   map[string][]byte
	limits    Limits
	read      int64 // bytes read so far
	nodes     int64 // YAML nodes read so far, aliases expanded
	refusal   error
	resources *resmap.Factory // kustomize's parser, to read plugin configurations as it does
}

var _ filesys.FileSystem = (*confinedFS)(nil)

func newConfinedFS(root string, limits Limits) (*confinedFS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve repository root %s: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("resolve repository root %s: %w", root, err)
	}
	return &confinedFS{root: real, disk: filesys.MakeFsOnDisk(), virtual: map[string][]byte{}, limits: limits.withDefaults(),
		resources: resmap.NewFactory(provider.NewDepProvider().GetResourceFactory())}, nil
}

// check resolves path (relative paths are relative to the working directory, as on disk) and
// fails when it, or what its symlinks lead to, leaves the root. Links are followed as the
// kernel follows them, dangling ones included, and the part of the path that does not exist is
// taken as written.
func (f *confinedFS) check(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, ok := f.virtual[abs]; ok {
		return abs, nil
	}
	resolved, err := realPath(abs, 0)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", relTo(f.root, abs), err)
	}
	if !within(f.root, resolved) {
		return "", &OutsideRootError{Path: relTo(f.root, abs)}
	}
	return abs, nil
}

// maxLinks bounds the symbolic links followed to resolve one path, as the kernel's ELOOP does.
const maxLinks = 40

// errLinkLoop is a path whose symbolic links do not end.
var errLinkLoop = errors.New("too many levels of symbolic links")

// realPath returns where the absolute path p leads: every symbolic link along it followed,
// also one whose target does not exist, and what does not exist kept as written. ".." is taken
// from where the path really is, never from its text: "up/.." where up is a link to a/b is a,
// not the folder that holds up.
func realPath(p string, links int) (string, error) {
	sep := string(filepath.Separator)
	cur := sep
	parts := strings.Split(p, sep)
	for i, part := range parts {
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, part)
		info, err := os.Lstat(next)
		if err != nil {
			return filepath.Join(append([]string{next}, parts[i+1:]...)...), nil
		}
		if info.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links >= maxLinks {
			return "", errLinkLoop
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = cur + sep + target // not Join: it would resolve ".." in the text
		}
		if cur, err = realPath(target, links+1); err != nil {
			return "", err
		}
	}
	return cur, nil
}

func within(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

func (f *confinedFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *confinedFS) Mkdir(string) error                  { return errReadOnly }
func (f *confinedFS) MkdirAll(string) error               { return errReadOnly }
func (f *confinedFS) RemoveAll(string) error              { return errReadOnly }
func (f *confinedFS) WriteFile(string, []byte) error      { return errReadOnly }

// isRegularFile reports whether path is a regular file inside the root.
func (f *confinedFS) isRegularFile(path string) bool {
	p, err := f.check(path)
	if err != nil {
		return false
	}
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// Open is refused: rendering reads whole files through ReadFile, where they are bounded and
// checked.
func (f *confinedFS) Open(path string) (filesys.File, error) {
	return nil, fmt.Errorf("open %s: files are read whole while rendering", relTo(f.root, path))
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

// ReadFile reads a file inside the root within the Limits; a kustomization file is returned
// only once its references are checked.
func (f *confinedFS) ReadFile(path string) ([]byte, error) {
	p, err := f.check(path)
	if err != nil {
		return nil, err
	}
	data, ok := f.virtual[p]
	if !ok {
		if data, err = f.readBounded(p); err != nil {
			return nil, err
		}
	}
	if isKustomizationName(filepath.Base(p)) {
		if err := f.checkKustomization(p, data); err != nil {
			return nil, f.refuse(err)
		}
	}
	return data, nil
}

// readBounded reads a regular file of at most FileBytes and counts it against ReadBytes and,
// its YAML nodes with aliases expanded, against YAMLNodes.
func (f *confinedFS) readBounded(p string) ([]byte, error) {
	rel := relTo(f.root, p)
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, f.refuse(&FileError{File: rel, Err: errors.New("not a regular file")})
	}
	if info.Size() > f.limits.FileBytes {
		return nil, f.refuse(fileLimit(rel, fmt.Sprintf("%d bytes", info.Size()), f.limits.FileBytes))
	}
	file, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, f.limits.FileBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > f.limits.FileBytes { // it grew since Stat
		return nil, f.refuse(fileLimit(rel, "more bytes", f.limits.FileBytes))
	}
	f.read += int64(len(data))
	if f.read > f.limits.ReadBytes {
		return nil, f.refuse(&LimitError{File: rel, What: fmt.Sprintf("with this file the overlay has read %d bytes", f.read),
			Max: f.limits.ReadBytes, Unit: "bytes read per overlay", Flag: FlagReadBytes})
	}
	f.nodes += yamlNodes(data, f.limits.YAMLNodes-f.nodes)
	if f.nodes > f.limits.YAMLNodes {
		return nil, f.refuse(&LimitError{File: rel, What: "its YAML documents, aliases expanded",
			Max: f.limits.YAMLNodes, Unit: "YAML nodes per overlay", Flag: FlagYAMLNodes})
	}
	return data, nil
}

func fileLimit(rel, what string, max int64) *LimitError {
	return &LimitError{File: rel, What: what, Max: max, Unit: "bytes per file", Flag: FlagFileBytes}
}

// refuse keeps the first refusal, which Build reports whatever kustomize makes of the failed read.
func (f *confinedFS) refuse(err error) error {
	if f.refusal == nil {
		f.refusal = err
	}
	return err
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
