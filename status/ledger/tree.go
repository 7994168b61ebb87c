package ledger

import (
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// readBlob returns the content of a blob.
func readBlob(s storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(s, h)
	if err != nil {
		return nil, err
	}
	r, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// statusEntry is one status file found on the branch.
type statusEntry struct {
	namespace, name string
	blob            plumbing.Hash
}

// statusEntries lists status/<namespace>/<name>.yaml files of a root tree (zero: none).
func statusEntries(s storer.EncodedObjectStorer, root plumbing.Hash) ([]statusEntry, error) {
	if root.IsZero() {
		return nil, nil
	}
	t, err := object.GetTree(s, root)
	if err != nil {
		return nil, err
	}
	dir, err := t.FindEntry(StatusDir)
	if err != nil || dir.Mode != filemode.Dir {
		return nil, nil
	}
	nsTree, err := object.GetTree(s, dir.Hash)
	if err != nil {
		return nil, err
	}
	var out []statusEntry
	for _, ns := range nsTree.Entries {
		if ns.Mode != filemode.Dir {
			continue
		}
		files, err := object.GetTree(s, ns.Hash)
		if err != nil {
			return nil, err
		}
		for _, f := range files.Entries {
			if name, ok := strings.CutSuffix(f.Name, ".yaml"); ok && f.Mode.IsFile() {
				out = append(out, statusEntry{namespace: ns.Name, name: name, blob: f.Hash})
			}
		}
	}
	return out, nil
}
