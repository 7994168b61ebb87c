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
		if err := packfile.UpdateObjectStorage(r.storage, req.Packfile); err != nil {
			rs.UnpackStatus = "unpack failed"
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
