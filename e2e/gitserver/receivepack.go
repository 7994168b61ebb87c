package gitserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Reasons a reference update is refused, as they appear in the report status.
const (
	reasonStale         = "fetch first"
	reasonNonFastForwad = "non-fast-forward"
	reasonMissing       = "missing object"
)

// receivePack reads one receive-pack request (commands and pack) from body, stores the pack and
// applies each command as a compare-and-swap, then writes the report status.
func (r *repo) receivePack(ctx context.Context, w io.Writer, body io.Reader, denyNonFF bool) ([]RefUpdate, error) {
	req := packp.NewReferenceUpdateRequest()
	if err := req.Decode(body); err != nil {
		return nil, fmt.Errorf("receive-pack %s: decode request: %w", r.name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := packp.NewReportStatus()
	rs.UnpackStatus = "ok"
	if needsPack(req) {
		if err := r.storePack(req.Packfile); err != nil {
			// As git's receive-pack: the unpack error, then every command refused.
			rs.UnpackStatus = "unpack failed: " + err.Error()
			for _, cmd := range req.Commands {
				rs.CommandStatuses = append(rs.CommandStatuses, &packp.CommandStatus{ReferenceName: cmd.Name, Status: "unpacker error"})
			}
			return nil, errors.Join(fmt.Errorf("receive-pack %s: unpack: %w", r.name, err), rs.Encode(w))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var applied []RefUpdate
	for _, cmd := range req.Commands {
		reason := r.apply(cmd, denyNonFF)
		status := "ok"
		if reason != "" {
			status = reason
		} else {
			u := RefUpdate{Ref: cmd.Name.String(), Time: time.Now()}
			if !cmd.Old.IsZero() {
				u.Old = cmd.Old.String()
			}
			if !cmd.New.IsZero() {
				u.New = cmd.New.String()
			}
			r.updates = append(r.updates, u)
			applied = append(applied, u)
		}
		rs.CommandStatuses = append(rs.CommandStatuses, &packp.CommandStatus{ReferenceName: cmd.Name, Status: status})
	}
	return applied, rs.Encode(w)
}

// storePack stores the objects of a received pack as one self-contained pack. The git CLI sends
// thin packs: deltas whose bases only the repository holds, which go-git's pack writer cannot
// index on its own. So the pack is parsed with the repository as the source of such bases, and
// the objects it holds are written back as a complete pack (without deltas: pushes stay cheap,
// and upload-pack computes deltas for its clients anyway).
func (r *repo) storePack(pack io.Reader) error {
	received := &thinPackObjects{EncodedObjectStorer: memory.NewStorage(), repo: r.storage}
	parser, err := packfile.NewParserWithStorage(packfile.NewScanner(pack), received)
	if err != nil {
		return err
	}
	if _, err := parser.Parse(); err != nil {
		return fmt.Errorf("parse pack: %w", err)
	}
	var hashes []plumbing.Hash
	iter, err := received.EncodedObjectStorer.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		return err
	}
	err = iter.ForEach(func(o plumbing.EncodedObject) error {
		hashes = append(hashes, o.Hash())
		return nil
	})
	if err != nil || len(hashes) == 0 {
		return err
	}
	pw, err := r.storage.PackfileWriter()
	if err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	_, err = packfile.NewEncoder(pw, received.EncodedObjectStorer, false).Encode(hashes, 0)
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	return nil
}

// thinPackObjects holds the objects of a pack being parsed (the embedded storer) and finds the
// bases of a thin pack's deltas in the repository.
type thinPackObjects struct {
	storer.EncodedObjectStorer
	repo storer.EncodedObjectStorer
}

// EncodedObject returns an object of the pack, else of the repository.
func (t *thinPackObjects) EncodedObject(typ plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	o, err := t.EncodedObjectStorer.EncodedObject(typ, h)
	if !errors.Is(err, plumbing.ErrObjectNotFound) {
		return o, err
	}
	o, err = t.repo.EncodedObject(typ, h)
	if err != nil {
		return nil, fmt.Errorf("delta base %s: %w", h, err)
	}
	return o, nil
}

func needsPack(req *packp.ReferenceUpdateRequest) bool {
	for _, c := range req.Commands {
		if c.Action() != packp.Delete {
			return true
		}
	}
	return false
}

// apply runs one command and returns "" or the reason it was refused.
func (r *repo) apply(cmd *packp.Command, denyNonFF bool) string {
	cur := plumbing.ZeroHash
	if ref, err := r.storage.Reference(cmd.Name); err == nil {
		cur = ref.Hash()
	} else if !errors.Is(err, plumbing.ErrReferenceNotFound) {
		return err.Error()
	}
	if cur != cmd.Old {
		return reasonStale
	}
	if cmd.New.IsZero() {
		if err := r.storage.RemoveReference(cmd.Name); err != nil {
			return err.Error()
		}
		return ""
	}
	if _, err := r.storage.EncodedObject(plumbing.AnyObject, cmd.New); err != nil {
		return reasonMissing
	}
	if denyNonFF && !cur.IsZero() {
		ff, err := isAncestor(r.storage, cur, cmd.New)
		if err != nil {
			return err.Error()
		}
		if !ff {
			return reasonNonFastForwad
		}
	}
	if err := r.storage.SetReference(plumbing.NewHashReference(cmd.Name, cmd.New)); err != nil {
		return err.Error()
	}
	return ""
}

// isAncestor reports whether old is tip or one of its ancestors.
func isAncestor(s storer.EncodedObjectStorer, old, tip plumbing.Hash) (bool, error) {
	c, err := object.GetCommit(s, tip)
	if err != nil {
		return false, err
	}
	found := false
	err = object.NewCommitPreorderIter(c, nil, nil).ForEach(func(c *object.Commit) error {
		if c.Hash == old {
			found = true
			return storer.ErrStop
		}
		return nil
	})
	return found, err
}
