package gitsource

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
)

// entry is a file of a test tree.
type entry struct {
	mode    filemode.FileMode
	content string
}

// treeBuilder stores commits of nested trees in one memory storage.
type treeBuilder struct {
	t  *testing.T
	st *memory.Storage
}

func (b treeBuilder) store(v interface {
	Encode(plumbing.EncodedObject) error
}) plumbing.Hash {
	o := b.st.NewEncodedObject()
	require.NoError(b.t, v.Encode(o))
	h, err := b.st.SetEncodedObject(o)
	require.NoError(b.t, err)
	return h
}

// tree stores the tree of files (slash paths) and returns its hash.
func (b treeBuilder) tree(files map[string]entry) plumbing.Hash {
	sub := map[string]map[string]entry{}
	t := &object.Tree{}
	for p, e := range files {
		if dir, rest, nested := strings.Cut(p, "/"); nested {
			if sub[dir] == nil {
				sub[dir] = map[string]entry{}
			}
			sub[dir][rest] = e
			continue
		}
		o := b.st.NewEncodedObject()
		o.SetType(plumbing.BlobObject)
		w, err := o.Writer()
		require.NoError(b.t, err)
		_, err = w.Write([]byte(e.content))
		require.NoError(b.t, err)
		require.NoError(b.t, w.Close())
		h, err := b.st.SetEncodedObject(o)
		require.NoError(b.t, err)
		t.Entries = append(t.Entries, object.TreeEntry{Name: p, Mode: e.mode, Hash: h})
	}
	for dir, files := range sub {
		t.Entries = append(t.Entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: b.tree(files)})
	}
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(t.Entries, func(i, j int) bool { return key(t.Entries[i]) < key(t.Entries[j]) })
	return b.store(t)
}

func (b treeBuilder) commit(files map[string]entry) *object.Commit {
	h := b.store(&object.Commit{Message: "test", TreeHash: b.tree(files)})
	c, err := object.GetCommit(b.st, h)
	require.NoError(b.t, err)
	return c
}

// listing describes a directory: path → mode and content (or link target).
func listing(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			require.NoError(t, err)
			out[rel] = "link " + target
		case info.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			out[rel] = info.Mode().Perm().String() + " " + string(b)
		}
		return nil
	}))
	return out
}

func TestCheckoutModesAndSymlinks(t *testing.T) {
	b := treeBuilder{t: t, st: memory.NewStorage()}
	c := b.commit(map[string]entry{
		"ok.txt":   {filemode.Regular, "ok"},
		"bin/run":  {filemode.Executable, "#!/bin/sh\n"},
		"link-in":  {filemode.Symlink, "ok.txt"},
		"link-up":  {filemode.Symlink, "../../../etc/passwd"},
		"link-abs": {filemode.Symlink, "/etc/passwd"},
	})
	f := &Fetcher{opts: FetcherOptions{CacheDir: t.TempDir()}}
	dir := filepath.Join(f.opts.CacheDir, treeDir)
	require.NoError(t, f.rewrite(c, dir))
	require.Equal(t, map[string]string{
		".": "dir", "bin": "dir", "bin/run": "-rwxr-xr-x #!/bin/sh\n", "ok.txt": "-rw-r--r-- ok", "link-in": "link ok.txt",
	}, listing(t, dir), "links that leave the checkout are skipped")
}

func TestUpdateMatchesAFreshCheckout(t *testing.T) {
	b := treeBuilder{t: t, st: memory.NewStorage()}
	before := b.commit(map[string]entry{
		"README.md":          {filemode.Regular, "v1"},
		"a":                  {filemode.Regular, "a file that becomes a directory"},
		"gone/deep/x.yaml":   {filemode.Regular, "x"},
		"keep/same.yaml":     {filemode.Regular, "same"},
		"tool.sh":            {filemode.Regular, "echo"},
		"link":               {filemode.Symlink, "README.md"},
		"overlays/p/k.yaml":  {filemode.Regular, "p"},
		"overlays/c/k.yaml":  {filemode.Regular, "c"},
		"overlays/c/k2.yaml": {filemode.Regular, "c2"},
	})
	after := b.commit(map[string]entry{
		"README.md":         {filemode.Regular, "v2"},
		"a/now-a-dir.yaml":  {filemode.Regular, "inside"},
		"keep/same.yaml":    {filemode.Regular, "same"},
		"tool.sh":           {filemode.Executable, "echo"},
		"link":              {filemode.Symlink, "keep/same.yaml"},
		"overlays/p/k.yaml": {filemode.Regular, "p"},
		"overlays/c/k.yaml": {filemode.Regular, "c changed"},
		"new.yaml":          {filemode.Regular, "new"},
	})
	f := &Fetcher{opts: FetcherOptions{CacheDir: t.TempDir()}}
	updated := filepath.Join(f.opts.CacheDir, "updated")
	require.NoError(t, f.rewrite(before, updated))
	require.NoError(t, f.update(before, after, updated))
	fresh := filepath.Join(f.opts.CacheDir, "fresh")
	require.NoError(t, f.rewrite(after, fresh))
	require.Equal(t, listing(t, fresh), listing(t, updated))
	require.NoDirExists(t, filepath.Join(updated, "gone"))
	require.Equal(t, "-rwxr-xr-x echo", listing(t, updated)["tool.sh"])
}

func TestWithin(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr bool
	}{
		{name: "file", path: "a/b.yaml", want: "/co/a/b.yaml"},
		{name: "dot segments that stay", path: "a/../b", want: "/co/b"},
		{name: "parent", path: "../x", wantErr: true},
		{name: "deep parent", path: "a/../../x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := within("/co", tt.path)
			if tt.wantErr {
				require.ErrorContains(t, err, "leaves the repository")
				return
			}
			require.NoError(t, err)
			require.Equal(t, filepath.FromSlash(tt.want), got)
		})
	}
}

// TestCheckoutDropsLinkChainsThatLeave: each link below looks inside the checkout when its text
// is joined to its folder, but resolves outside through another link.
func TestCheckoutDropsLinkChainsThatLeave(t *testing.T) {
	b := treeBuilder{t: t, st: memory.NewStorage()}
	c := b.commit(map[string]entry{
		"deep/a/b/file": {filemode.Regular, "f"},
		"deep/a/b/up":   {filemode.Symlink, "../.."},                // resolves to deep/
		"escape":        {filemode.Symlink, "deep/a/b/up/../../.."}, // lexically deep/, really the checkout's parent's parent
		"self":          {filemode.Symlink, "."},                    // the checkout itself: fine
		"parent":        {filemode.Symlink, "self/.."},              // lexically the checkout, really its parent
		"via":           {filemode.Symlink, "parent"},               // a link to a link that leaves
		"loop":          {filemode.Symlink, "loop"},                 // never resolves: harmless
		"ok":            {filemode.Symlink, "deep/a/b/up/a/b/file"}, // through a link, and inside
	})
	logs := &captured{}
	f := &Fetcher{opts: FetcherOptions{CacheDir: t.TempDir()}, log: logs.logger()}
	dir := filepath.Join(f.opts.CacheDir, treeDir)
	require.NoError(t, f.rewrite(c, dir))
	got := listing(t, dir)
	for _, gone := range []string{"escape", "parent", "via"} {
		require.NotContains(t, got, gone, "%s resolves outside the checkout", gone)
	}
	require.Equal(t, "link deep/a/b/up/a/b/file", got["ok"])
	require.Equal(t, "link .", got["self"])
	requireNoLinkLeaves(t, dir)
	require.Contains(t, logs.text(), `"path"="escape"`)
}

// TestUpdateDropsLinksThatLeaveThroughAChangedLink: a link that stayed inside leaves once
// another link it goes through changes; the update must catch it although the link itself did
// not change.
func TestUpdateDropsLinksThatLeaveThroughAChangedLink(t *testing.T) {
	b := treeBuilder{t: t, st: memory.NewStorage()}
	before := b.commit(map[string]entry{
		"sub/file": {filemode.Regular, "f"},
		"x":        {filemode.Symlink, "sub/.."},
	})
	after := b.commit(map[string]entry{
		"sub": {filemode.Symlink, "."},
		"x":   {filemode.Symlink, "sub/.."},
	})
	f := &Fetcher{opts: FetcherOptions{CacheDir: t.TempDir()}, log: logr.Discard()}
	dir := filepath.Join(f.opts.CacheDir, treeDir)
	require.NoError(t, f.rewrite(before, dir))
	require.Equal(t, "link sub/..", listing(t, dir)["x"], "x resolves to the checkout itself")
	require.NoError(t, f.update(before, after, dir))
	require.NotContains(t, listing(t, dir), "x")
	requireNoLinkLeaves(t, dir)
}

// requireNoLinkLeaves resolves every link of the checkout for real.
func requireNoLinkLeaves(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		resolved, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil // dangling or a loop: reads fail, nothing leaves
		}
		require.True(t, resolved == root || strings.HasPrefix(resolved, root+string(filepath.Separator)), "%s resolves to %s", p, resolved)
		return nil
	}))
}
