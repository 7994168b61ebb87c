package gitsync

import (
	"context"
	"path/filepath"

	"github.com/gitcanary/gitcanary/apply"
)

// markOrphans finds the overlays that applied objects (they have a non-empty inventory) and
// are no longer in Git: their folder is gone, or the overlay patterns no longer match it. They
// are not pruned: like Flux, which prunes a Kustomization's objects only when the Kustomization
// itself is deleted, gitcanary deletes only what an overlay it renders no longer holds. An
// orphan is reported once (a log line, the Reporter's OverlayOrphaned, which raises an event on
// its Canaries) and shown in Status and in gitcanary_overlay_orphaned until its folder is back.
// To delete an overlay's objects, empty it (with render.EmptyMarker) before removing it.
//
// It returns the current overlays whose folder is gone but that were applied: they are skipped
// rather than failed. A listing error is logged; orphans are then found at the next sync.
func (l *Loop) markOrphans(ctx context.Context, root string, overlays []string) map[string]bool {
	present := map[string]bool{}
	for _, ov := range overlays {
		present[ov] = isDir(filepath.Join(root, ov))
	}
	invs, err := l.applier.Inventories(ctx)
	if err != nil {
		l.opts.Logger.Error(err, "cannot list the overlays' inventories; orphaned overlays are not checked in this sync")
		return nil
	}
	l.seed(invs)
	skip := map[string]bool{}
	orphaned := map[string]bool{}
	for _, inv := range invs {
		if len(inv.Objects) == 0 || present[inv.Set] {
			continue
		}
		orphaned[inv.Set] = true
		if _, listed := present[inv.Set]; listed {
			skip[inv.Set] = true
		}
		l.orphan(ctx, inv)
	}
	l.mu.Lock()
	for name, st := range l.state.status {
		if st.Orphaned && !orphaned[name] {
			st.Orphaned = false
			l.opts.Logger.Info("overlay is back in Git", "overlay", name)
		}
	}
	l.mu.Unlock()
	return skip
}

// orphan records an overlay as orphaned and reports it the first time.
func (l *Loop) orphan(ctx context.Context, inv apply.Inventory) {
	l.mu.Lock()
	st := l.entry(inv.Set)
	if st.Revision == "" {
		st.Revision = inv.Revision
	}
	first := !st.Orphaned
	st.Orphaned, st.Err, st.cause = true, nil, ""
	l.mu.Unlock()
	if !first {
		return
	}
	defer l.changed(ctx, inv.Set)
	var canaries []string
	for _, r := range inv.Objects {
		if r.Group == "flagger.app" && r.Kind == "Canary" {
			canaries = append(canaries, r.Namespace+"/"+r.Name)
		}
	}
	l.opts.Logger.Info("warning: overlay is no longer in Git or no longer matched by the overlay patterns; its objects are kept, not pruned",
		"overlay", inv.Set, "objects", len(inv.Objects), "canaries", canaries)
	if l.opts.Reporter != nil {
		l.opts.Reporter.OverlayOrphaned(ctx, inv.Set, canaries)
	}
}
