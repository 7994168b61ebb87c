package gitsource

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
)

func TestEditTree(t *testing.T) {
	s := memory.NewStorage()
	blob := func(c string) plumbing.Hash {
		h, err := StoreBlob(s, []byte(c))
		require.NoError(t, err)
		return h
	}
	base, err := EditTree(s, plumbing.ZeroHash, map[string]plumbing.Hash{
		"a.txt": blob("a"), "a/x.yaml": blob("x"), "docs/keep.md": blob("keep"), "a-b": blob("ab"),
	})
	require.NoError(t, err)
	root, err := EditTree(s, base, map[string]plumbing.Hash{"a/y.yaml": blob("y"), "a.txt": blob("a2")})
	require.NoError(t, err)
	tree, err := object.GetTree(s, root)
	require.NoError(t, err)
	var names []string
	for _, e := range tree.Entries {
		names = append(names, e.Name)
	}
	require.Equal(t, []string{"a-b", "a.txt", "a", "docs"}, names, "git order: a directory sorts as \"a/\"")
	for path, want := range map[string]string{"a/x.yaml": "x", "a/y.yaml": "y", "a.txt": "a2", "docs/keep.md": "keep"} {
		f, err := tree.File(path)
		require.NoError(t, err, path)
		got, err := f.Contents()
		require.NoError(t, err)
		require.Equal(t, want, got, path)
	}
	pruned, err := EditTree(s, root, map[string]plumbing.Hash{"a/x.yaml": plumbing.ZeroHash, "a/y.yaml": plumbing.ZeroHash, "a.txt": plumbing.ZeroHash})
	require.NoError(t, err)
	tree, err = object.GetTree(s, pruned)
	require.NoError(t, err)
	names = nil
	for _, e := range tree.Entries {
		names = append(names, e.Name)
	}
	require.Equal(t, []string{"a-b", "docs"}, names, "a zero blob deletes; an emptied directory goes too")
	_, err = EditTree(s, plumbing.NewHash("0123456789012345678901234567890123456789"), map[string]plumbing.Hash{"x": blob("x")})
	require.ErrorContains(t, err, "read tree")
}
