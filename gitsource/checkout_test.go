package gitsource

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
)

// commitWith stores a commit whose root tree holds entries (name → mode and content) plus a
// sub-directory bin/ with one executable.
func commitWith(t *testing.T, entries map[string]struct {
	mode    filemode.FileMode
	content string
}) *object.Commit {
	t.Helper()
	st := memory.NewStorage()
	blob := func(content string) plumbing.Hash {
		o := st.NewEncodedObject()
		o.SetType(plumbing.BlobObject)
		w, err := o.Writer()
		require.NoError(t, err)
		_, err = w.Write([]byte(content))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		h, err := st.SetEncodedObject(o)
		require.NoError(t, err)
		return h
	}
	store := func(v interface {
		Encode(plumbing.EncodedObject) error
	}) plumbing.Hash {
		o := st.NewEncodedObject()
		require.NoError(t, v.Encode(o))
		h, err := st.SetEncodedObject(o)
		require.NoError(t, err)
		return h
	}
	bin := store(&object.Tree{Entries: []object.TreeEntry{{Name: "run", Mode: filemode.Executable, Hash: blob("#!/bin/sh\n")}}})
	root := &object.Tree{Entries: []object.TreeEntry{{Name: "bin", Mode: filemode.Dir, Hash: bin}}}
	for name, e := range entries {
		root.Entries = append(root.Entries, object.TreeEntry{Name: name, Mode: e.mode, Hash: blob(e.content)})
	}
	c := &object.Commit{Message: "test", TreeHash: store(sortedTree(root))}
	h := store(c)
	got, err := object.GetCommit(st, h)
	require.NoError(t, err)
	return got
}

func sortedTree(t *object.Tree) *object.Tree {
	for i := range t.Entries {
		for j := i + 1; j < len(t.Entries); j++ {
			if t.Entries[j].Name < t.Entries[i].Name {
				t.Entries[i], t.Entries[j] = t.Entries[j], t.Entries[i]
			}
		}
	}
	return t
}

func TestWriteTreeModesAndSymlinks(t *testing.T) {
	c := commitWith(t, map[string]struct {
		mode    filemode.FileMode
		content string
	}{
		"ok.txt":   {filemode.Regular, "ok"},
		"link-in":  {filemode.Symlink, "ok.txt"},
		"link-up":  {filemode.Symlink, "../../../etc/passwd"},
		"link-abs": {filemode.Symlink, "/etc/passwd"},
	})
	f := &Fetcher{}
	dir := t.TempDir()
	require.NoError(t, f.writeTree(c, dir))

	b, err := os.ReadFile(filepath.Join(dir, "link-in"))
	require.NoError(t, err)
	require.Equal(t, "ok", string(b))
	info, err := os.Stat(filepath.Join(dir, "bin", "run"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), info.Mode().Perm())
	for _, escaping := range []string{"link-up", "link-abs"} {
		_, err := os.Lstat(filepath.Join(dir, escaping))
		require.ErrorIs(t, err, os.ErrNotExist, "%s leaves the checkout and is skipped", escaping)
	}
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
