package ledger

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// build writes the ledger's files for the batch on top of head and stores the commit under
// localRef. It returns the commit and the number of canaries it touches.
func (l *Ledger) build(head plumbing.Hash, batch []Transition, drops map[string]int, ex extras) (plumbing.Hash, int, error) {
	s := l.branch.repo.Storer
	var baseTree plumbing.Hash
	var parents []plumbing.Hash
	if !head.IsZero() {
		c, err := object.GetCommit(s, head)
		if err != nil {
			return plumbing.ZeroHash, 0, fmt.Errorf("read status branch head %s: %w", head, err)
		}
		baseTree, parents = c.TreeHash, []plumbing.Hash{head}
	}
	existing, err := statusEntries(s, baseTree)
	if err != nil {
		return plumbing.ZeroHash, 0, fmt.Errorf("read status files: %w", err)
	}
	changes, err := l.fold(existing, batch, drops)
	if err != nil {
		return plumbing.ZeroHash, 0, err
	}
	changes, err = l.foldExtras(existing, changes, ex)
	if err != nil {
		return plumbing.ZeroHash, 0, err
	}
	if len(changes) == 0 && ex.empty() {
		return plumbing.ZeroHash, 0, nil // nothing new: every transition was committed already
	}
	overlays, err := l.overlayFiles(baseTree, lastOverlays(ex.overlays))
	if err != nil {
		return plumbing.ZeroHash, 0, err
	}
	files, err := l.files(existing, changes, overlays)
	if err != nil {
		return plumbing.ZeroHash, 0, err
	}
	if err := l.consumeGates(baseTree, ex.uses, files); err != nil {
		return plumbing.ZeroHash, 0, err
	}
	root, err := gitsource.EditTree(s, baseTree, files)
	if err != nil {
		return plumbing.ZeroHash, 0, fmt.Errorf("write status tree: %w", err)
	}
	sig := object.Signature{Name: l.opts.Author.Name, Email: l.opts.Author.Email, When: l.opts.Clock.Now()}
	commit := &object.Commit{Author: sig, Committer: sig, Message: commitMessage(changes, overlays.records), TreeHash: root, ParentHashes: parents}
	if err := gitsource.SignCommit(l.opts.Signer, commit); err != nil {
		return plumbing.ZeroHash, 0, fmt.Errorf("sign status commit: %w", err)
	}
	h, err := gitsource.StoreObject(s, commit)
	if err != nil {
		return plumbing.ZeroHash, 0, fmt.Errorf("write status commit: %w", err)
	}
	if err := s.SetReference(plumbing.NewHashReference(localRef, h)); err != nil {
		return plumbing.ZeroHash, 0, err
	}
	l.branch.built = changes
	return h, len(changes), nil
}

// fold applies the batch, in order, to the canaries' current files, and the unrecorded counts.
func (l *Ledger) fold(existing []statusEntry, batch []Transition, drops map[string]int) ([]*canaryChange, error) {
	blobs := make(map[string]plumbing.Hash, len(existing))
	for _, e := range existing {
		blobs[e.namespace+"/"+e.name] = e.blob
	}
	var changes []*canaryChange
	byKey := map[string]*canaryChange{}
	get := func(key string) (*canaryChange, error) {
		if c, ok := byKey[key]; ok {
			return c, nil
		}
		c := &canaryChange{key: key, status: &Status{}}
		if h, ok := blobs[key]; ok {
			b, err := readBlob(l.branch.repo.Storer, h)
			if err != nil {
				return nil, fmt.Errorf("read status of %s: %w", key, err)
			}
			if st, err := parseStatus(b); err == nil {
				c.status = st
				l.committed.learn(key, st) // what the branch records before this commit
			} else {
				l.log.Error(err, "unreadable status file replaced", "canary", key)
			}
		}
		byKey[key] = c
		changes = append(changes, c)
		return c, nil
	}
	for _, t := range batch {
		c, err := get(t.key())
		if err != nil {
			return nil, err
		}
		if c.status.records(t) {
			continue // committed before a restart handed it over again
		}
		c.status.apply(t, l.opts.EventHistory)
		c.transitions++
		if t.Sequence > 0 {
			c.sequences = append(c.sequences, t.Sequence)
		}
		if n := len(c.phases); n == 0 || c.phases[n-1] != t.Phase {
			c.phases = append(c.phases, t.Phase)
		}
		if len(t.Metrics) > 0 || len(t.Webhooks) > 0 {
			c.lastMetrics, c.lastWebhooks = t.Metrics, t.Webhooks
		}
	}
	keys := make([]string, 0, len(drops))
	for k := range drops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c, err := get(k)
		if err != nil {
			return nil, err
		}
		c.unrecorded = drops[k]
		c.status.UnrecordedTransitions += drops[k]
		c.status.Namespace, c.status.Name = splitKey(k)
	}
	return slices.DeleteFunc(changes, func(c *canaryChange) bool { return c.transitions == 0 && c.unrecorded == 0 }), nil
}

func splitKey(k string) (namespace, name string) {
	namespace, name, _ = strings.Cut(k, "/")
	return namespace, name
}

// files stores the changed canary and overlay files and the STATUS.md over every canary and
// overlay on the branch.
func (l *Ledger) files(existing []statusEntry, changes []*canaryChange, overlays overlayChange) (map[string]plumbing.Hash, error) {
	s := l.branch.repo.Storer
	files := overlays.files
	ours := map[string]bool{}
	cache := make(map[string]Row, len(existing))
	var rows []Row
	for _, c := range changes {
		if c.noFile {
			continue
		}
		b, err := marshalStatus(c.status)
		if err != nil {
			return nil, err
		}
		h, err := gitsource.StoreBlob(s, b)
		if err != nil {
			return nil, err
		}
		files[statusPath(c.status.Namespace, c.status.Name)] = h
		ours[c.key] = true
		row := rowOf(c.status)
		cache[h.String()] = row // the next commit finds this file on the branch
		rows = append(rows, row)
	}
	for _, e := range existing {
		if ours[e.namespace+"/"+e.name] {
			continue
		}
		row, ok := l.branch.rows[e.blob.String()]
		if !ok {
			b, err := readBlob(s, e.blob)
			if err != nil {
				return nil, fmt.Errorf("read status of %s/%s: %w", e.namespace, e.name, err)
			}
			st, err := parseStatus(b)
			if err != nil {
				st = &Status{Phase: "Unknown"}
			}
			st.Namespace, st.Name = e.namespace, e.name
			row = rowOf(st)
		}
		cache[e.blob.String()] = row
		rows = append(rows, row)
	}
	l.branch.rows = cache
	h, err := gitsource.StoreBlob(s, markdownTable(rows, overlays.all))
	if err != nil {
		return nil, err
	}
	files[TableFile] = h
	return files, nil
}
