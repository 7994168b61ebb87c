package gitsource

import (
	"fmt"

	git "github.com/go-git/go-git/v5"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// StoreBlob writes content as a blob and returns its hash.
func StoreBlob(s storer.EncodedObjectStorer, content []byte) (plumbing.Hash, error) {
	o := s.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	w, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(o)
}

// StoreObject encodes a Git object (tree, commit) into s and returns its hash.
func StoreObject(s storer.EncodedObjectStorer, v interface {
	Encode(plumbing.EncodedObject) error
}) (plumbing.Hash, error) {
	o := s.NewEncodedObject()
	if err := v.Encode(o); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(o)
}

// emptyTree is the hash of the tree with no entries.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// EditTree stores the tree that is base (zero: empty) with every path of changes set to its blob
// as a regular file, creating directories as needed, and returns its hash. A zero blob removes
// the path, and directories it leaves empty. Entries not named in changes are kept as they are.
func EditTree(s storer.EncodedObjectStorer, base plumbing.Hash, changes map[string]plumbing.Hash) (plumbing.Hash, error) {
	entries := map[string]object.TreeEntry{}
	if !base.IsZero() {
		t, err := object.GetTree(s, base)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", base, err)
		}
		for _, e := range t.Entries {
			entries[e.Name] = e
		}
	}
	sub := map[string]map[string]plumbing.Hash{}
	for p, h := range changes {
		dir, rest, nested := strings.Cut(p, "/")
		if !nested {
			if h.IsZero() {
				delete(entries, dir)
				continue
			}
			entries[dir] = object.TreeEntry{Name: dir, Mode: filemode.Regular, Hash: h}
			continue
		}
		if sub[dir] == nil {
			sub[dir] = map[string]plumbing.Hash{}
		}
		sub[dir][rest] = h
	}
	for dir, ch := range sub {
		var subBase plumbing.Hash
		if e, ok := entries[dir]; ok && e.Mode == filemode.Dir {
			subBase = e.Hash
		}
		h, err := EditTree(s, subBase, ch)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h == emptyTree {
			delete(entries, dir)
			continue
		}
		entries[dir] = object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h}
	}
	return StoreObject(s, &object.Tree{Entries: gitOrder(entries)})
}

// gitOrder sorts tree entries the way Git does: by name, a directory compared as "name/".
func gitOrder(entries map[string]object.TreeEntry) []object.TreeEntry {
	out := make([]object.TreeEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, e)
	}
	sortName := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(out, func(i, j int) bool { return sortName(out[i]) < sortName(out[j]) })
	return out
}

// SignCommit adds the signer's signature (OpenPGP or SSH, both in the gpgsig header); a nil
// signer leaves the commit unsigned.
func SignCommit(signer git.Signer, c *object.Commit) error {
	if signer == nil {
		return nil
	}
	enc := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(enc); err != nil {
		return err
	}
	r, err := enc.Reader()
	if err != nil {
		return err
	}
	sig, err := signer.Sign(r)
	if err != nil {
		return err
	}
	c.PGPSignature = string(sig)
	return nil
}
