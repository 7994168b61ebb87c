package gitserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

const (
	serviceUploadPack  = "git-upload-pack"
	serviceReceivePack = "git-receive-pack"
	packWindow         = 10
)

// advertise writes the reference advertisement of service. httpPrefix adds the smart-HTTP
// "# service=" line and its flush.
func (r *repo) advertise(w io.Writer, service string, httpPrefix bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ar := packp.NewAdvRefs()
	if httpPrefix {
		ar.Prefix = [][]byte{[]byte("# service=" + service), pktline.Flush}
	}
	if err := setCapabilities(ar.Capabilities, service); err != nil {
		return err
	}
	refs, err := r.storage.IterReferences()
	if err != nil {
		return fmt.Errorf("list references of %s: %w", r.name, err)
	}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference && ref.Name() != plumbing.HEAD {
			ar.References[ref.Name().String()] = ref.Hash()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list references of %s: %w", r.name, err)
	}
	if service == serviceUploadPack {
		if head, err := storer.ResolveReference(r.storage, plumbing.HEAD); err == nil {
			h := head.Hash()
			ar.Head = &h
			if sym, err := r.storage.Reference(plumbing.HEAD); err == nil && sym.Type() == plumbing.SymbolicReference {
				_ = ar.AddReference(sym)
			}
		}
	}
	return ar.Encode(w)
}

func setCapabilities(c *capability.List, service string) error {
	caps := []capability.Capability{capability.OFSDelta}
	if service == serviceUploadPack {
		caps = append(caps, capability.MultiACKDetailed, capability.Shallow, capability.AllowTipSHA1InWant,
			capability.AllowReachableSHA1InWant)
	} else {
		caps = append(caps, capability.ReportStatus, capability.DeleteRefs)
	}
	if err := c.Set(capability.Agent, "gitcanary-gitserver"); err != nil {
		return err
	}
	for _, cp := range caps {
		if err := c.Set(cp); err != nil {
			return err
		}
	}
	return nil
}

// uploadPack answers one upload-pack request read from body: the wants (and the client's
// shallow commits and depth), the shallow update when the client asked for a depth, the
// negotiation of haves, and, once the client sent "done", a pack with what the wants need and
// the common haves lack. A client that only listed the references sends a flush and gets nothing.
func (r *repo) uploadPack(ctx context.Context, w io.Writer, body io.Reader) error {
	br := bufio.NewReader(body)
	if b, err := br.Peek(4); err == io.EOF || (err == nil && bytes.Equal(b, pktline.FlushPkt)) {
		return nil
	}
	req := packp.NewUploadRequest()
	if err := req.Decode(br); err != nil {
		return fmt.Errorf("upload-pack %s: decode request: %w", r.name, err)
	}
	depth := 0
	switch d := req.Depth.(type) {
	case packp.DepthCommits:
		depth = int(d)
	case nil:
	default:
		return fmt.Errorf("upload-pack %s: only deepen by commits is supported", r.name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if depth > 0 {
		// As git does, the shallow update answers every request that asks for a depth, before
		// the negotiation, and does not depend on the haves.
		plan, err := r.planUpload(req, nil, depth)
		if err != nil {
			return fmt.Errorf("upload-pack %s: %w", r.name, err)
		}
		su := packp.ShallowUpdate{Shallows: plan.shallows, Unshallows: plan.unshallows}
		if err := su.Encode(w); err != nil {
			return err
		}
	}
	n := newNegotiation(pktline.NewEncoder(w), r.storage, req.Capabilities.Supports(capability.MultiACKDetailed))
	done, err := n.run(pktline.NewScanner(br))
	if err != nil || !done {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	plan, err := r.planUpload(req, n.common, depth)
	if err != nil {
		return fmt.Errorf("upload-pack %s: %w", r.name, err)
	}
	_, err = packfile.NewEncoder(w, r.storage, false).Encode(plan.objects, packWindow)
	return err
}

// uploadPlan is what one upload-pack sends: the objects of the pack, the new shallow commits,
// and the client's shallow commits whose parents the pack now brings (unshallows).
type uploadPlan struct {
	objects, shallows, unshallows []plumbing.Hash
}

// planUpload walks the wants (to depth commits, 0 = all) and leaves out every object reachable from
// the haves, without walking past the client's own shallow commits. A client shallow commit that
// the deeper walk goes through is unshallowed, and its parents are wanted too (as git does, since
// the client has the commit itself and may list it as a have).
func (r *repo) planUpload(req *packp.UploadRequest, haves []plumbing.Hash, depth int) (uploadPlan, error) {
	var plan uploadPlan
	clientShallow := map[plumbing.Hash]bool{}
	for _, h := range req.Shallows {
		clientShallow[h] = true
	}
	// unshallowed maps each unshallowed commit to its depth in the walk.
	unshallowed := map[plumbing.Hash]int{}
	if depth > 0 && len(req.Shallows) > 0 {
		probe := &walker{s: r.storage, seen: map[plumbing.Hash]bool{}, expanded: map[plumbing.Hash]int{}}
		for _, h := range req.Wants {
			if err := probe.want(h, depth, nil); err != nil {
				return uploadPlan{}, err
			}
		}
		for _, h := range req.Shallows {
			if d, ok := probe.expanded[h]; ok {
				unshallowed[h] = d
				plan.unshallows = append(plan.unshallows, h)
			}
		}
	}
	w := &walker{s: r.storage, seen: map[plumbing.Hash]bool{}}
	for _, h := range haves {
		if err := w.commits(h, 0, clientShallow, nil); err != nil && !errors.Is(err, plumbing.ErrObjectNotFound) {
			return uploadPlan{}, err
		}
	}
	w.have, w.out = w.seen, nil
	w.seen = map[plumbing.Hash]bool{}
	for _, h := range req.Wants {
		if err := w.want(h, depth, &plan.shallows); err != nil {
			return uploadPlan{}, err
		}
	}
	for _, h := range plan.unshallows {
		c, err := object.GetCommit(r.storage, h)
		if err != nil {
			return uploadPlan{}, fmt.Errorf("unshallow %s: %w", h, err)
		}
		for _, p := range c.ParentHashes {
			if err := w.commits(p, depth-unshallowed[h], nil, &plan.shallows); err != nil {
				return uploadPlan{}, err
			}
		}
	}
	plan.objects = w.out
	return plan, nil
}

// walker collects object hashes: seen marks what was visited, have what the client already has,
// out the objects to send; expanded, when set, records the commits whose parents were walked,
// with their depth.
type walker struct {
	s        storer.EncodedObjectStorer
	seen     map[plumbing.Hash]bool
	have     map[plumbing.Hash]bool
	expanded map[plumbing.Hash]int
	out      []plumbing.Hash
}

func (w *walker) add(h plumbing.Hash) bool {
	if w.seen[h] || w.have[h] {
		return false
	}
	w.seen[h] = true
	w.out = append(w.out, h)
	return true
}

// want adds a wanted object: a tag and what it points to, or a commit walk.
func (w *walker) want(h plumbing.Hash, depth int, shallows *[]plumbing.Hash) error {
	obj, err := w.s.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return fmt.Errorf("want %s: %w", h, err)
	}
	switch obj.Type() {
	case plumbing.TagObject:
		tag, err := object.DecodeTag(w.s, obj)
		if err != nil {
			return err
		}
		w.add(h)
		return w.want(tag.Target, depth, shallows)
	case plumbing.CommitObject:
		return w.commits(h, depth, nil, shallows)
	case plumbing.TreeObject:
		return w.tree(h)
	default:
		w.add(h)
		return nil
	}
}

// commits walks commits breadth-first from start, adding each with its tree. With depth > 0 the
// commits at that depth that have parents become shallow; stop lists commits whose parents are
// not walked.
func (w *walker) commits(start plumbing.Hash, depth int, stop map[plumbing.Hash]bool, shallows *[]plumbing.Hash) error {
	type item struct {
		h plumbing.Hash
		d int
	}
	queue := []item{{start, 1}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if !w.add(it.h) {
			continue
		}
		c, err := object.GetCommit(w.s, it.h)
		if err != nil {
			return err
		}
		if err := w.tree(c.TreeHash); err != nil {
			return err
		}
		if stop[it.h] {
			continue
		}
		if depth > 0 && it.d >= depth {
			if len(c.ParentHashes) > 0 && shallows != nil {
				*shallows = append(*shallows, it.h)
			}
			continue
		}
		if w.expanded != nil {
			w.expanded[it.h] = it.d
		}
		for _, p := range c.ParentHashes {
			queue = append(queue, item{p, it.d + 1})
		}
	}
	return nil
}

// tree adds a tree and everything below it, skipping submodule entries.
func (w *walker) tree(h plumbing.Hash) error {
	if !w.add(h) {
		return nil
	}
	t, err := object.GetTree(w.s, h)
	if err != nil {
		return err
	}
	for _, e := range t.Entries {
		switch e.Mode {
		case filemode.Submodule:
		case filemode.Dir:
			if err := w.tree(e.Hash); err != nil {
				return err
			}
		default:
			w.add(e.Hash)
		}
	}
	return nil
}
