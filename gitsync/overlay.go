package gitsync

import (
	"context"
	"fmt"
	"strings"

	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/render"
)

// inSync tells whether digest is the overlay's applied output; an overlay that rendered its
// applied output again is in sync with Git, whatever failed before.
func (l *Loop) inSync(ctx context.Context, overlay, digest string) bool {
	l.mu.Lock()
	st, ok := l.state.status[overlay]
	if !ok || st.Digest != digest || st.Revision == "" {
		l.mu.Unlock()
		return false
	}
	recovered := st.Err != nil
	if recovered {
		st.Err, st.cause, st.Result = nil, "", ResultApplied
	}
	l.mu.Unlock()
	if recovered {
		l.changed(ctx, overlay)
	}
	return true
}

// applyOverlay applies one overlay and records the result. An overlay whose output is the one
// applied before is re-applied at the commit that applied it: what the apply changes then is
// drift, set back to Git's version.
func (l *Loop) applyOverlay(ctx context.Context, commit, overlay string, b *render.Bundle, digest string) error {
	targets := map[string]bool{}
	for _, c := range b.Canaries {
		targets[c.Namespace+"/"+c.Spec.TargetRef.Name] = true
	}
	l.mu.Lock()
	st := l.entry(overlay)
	reapply := st.Digest == digest && st.Revision != ""
	if reapply {
		commit = st.Revision
	} else {
		l.forgetTargets(overlay) // Git's revision of its targets is unknown until applied
	}
	l.mu.Unlock()
	// The canaries name the commit before it is applied: applying a target's new pod template
	// wakes its canary at once, and the tick that starts the analysis must name this commit,
	// not the one before. A failed apply gives them back the commit they named.
	prev := l.setSources(b, commit)
	res, err := l.applier.Apply(ctx, apply.Set{Name: overlay, Revision: commit, Digest: digest, Objects: b.Objects,
		CanaryTargets: targets, AllowEmpty: b.IntentionallyEmpty})
	if err != nil {
		l.restoreSources(prev)
		return l.fail(ctx, overlay, commit, err)
	}
	drift := res.Reapplied && len(res.Changes) > 0
	l.record(overlay, commit, digest, b, res)
	switch {
	case drift:
		l.opts.Metrics.driftCorrected(overlay)
		l.opts.Logger.Info("drift corrected: objects changed in the cluster were set back to Git's version", "overlay", overlay,
			"revision", gitsource.ShortSHA(commit), "changes", changeStrings(res.Changes))
	case !res.Reapplied:
		l.opts.Logger.Info("overlay applied", "overlay", overlay, "revision", gitsource.ShortSHA(commit),
			"applied", len(res.Applied), "skipped", len(res.Skipped), "pruned", len(res.Pruned), "kept", len(res.Kept))
		// The warnings of gitcanary render (references outside the overlay, metrics that cannot
		// work as written), once per applied change of the overlay.
		for _, w := range b.Warnings {
			l.opts.Logger.Info("render warning", "overlay", overlay, "revision", gitsource.ShortSHA(commit), "warning", w)
		}
	}
	if res.InventoryMissing {
		l.opts.Metrics.inventoryLost(overlay)
	}
	if l.opts.Reporter != nil {
		l.opts.Reporter.OverlayApplied(ctx, overlay, commit, res)
	}
	if drift || !res.Reapplied {
		l.changed(ctx, overlay)
		l.health.start(ctx, overlay, commit, l.healthRefs(res, targets))
	}
	return nil
}

// record keeps what an apply did in the overlay's status, its Canaries' source commit and its
// canary targets' revisions.
func (l *Loop) record(overlay, commit, digest string, b *render.Bundle, res *apply.Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.entry(overlay)
	if res.Reapplied && len(res.Changes) == 0 {
		st.Err, st.cause = nil, ""
		if st.Result == ResultFailed || st.Result == "" {
			st.Result = ResultApplied
		}
	} else {
		st.AppliedAt = l.opts.Clock.Now()
		st.Err, st.cause = nil, ""
		st.Result, st.Drift = ResultApplied, nil
		if res.Reapplied {
			st.Result, st.Drift = ResultDriftCorrected, append([]apply.Change(nil), res.Changes...)
		} else {
			st.Objects = ObjectCounts{Applied: len(res.Applied), Pruned: len(res.Pruned)}
		}
	}
	st.Revision, st.Digest = commit, digest
	st.Canaries = st.Canaries[:0]
	for _, c := range b.Canaries {
		key := c.Namespace + "/" + c.Name
		st.Canaries = append(st.Canaries, key)
		l.state.sources[key] = commit
		l.state.homes[key] = overlay
	}
	l.forgetTargets(overlay)
	for key, rev := range res.Targets {
		l.state.targets[key] = target{overlay: overlay, revision: rev}
	}
}

// setSources makes the bundle's canaries name commit, and returns what they named before ("" for
// none).
func (l *Loop) setSources(b *render.Bundle, commit string) map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev := make(map[string]string, len(b.Canaries))
	for _, c := range b.Canaries {
		key := c.Namespace + "/" + c.Name
		prev[key] = l.state.sources[key]
		l.state.sources[key] = commit
	}
	return prev
}

// restoreSources gives canaries back the commits setSources replaced.
func (l *Loop) restoreSources(prev map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for key, commit := range prev {
		if commit == "" {
			delete(l.state.sources, key)
		} else {
			l.state.sources[key] = commit
		}
	}
}

// forgetTargets drops what Git wants of the overlay's canary targets; l.mu must be held.
func (l *Loop) forgetTargets(overlay string) {
	for key, t := range l.state.targets {
		if t.overlay == overlay {
			delete(l.state.targets, key)
		}
	}
}

// fail records and reports an overlay's failure; the overlay keeps its last good revision.
func (l *Loop) fail(ctx context.Context, overlay, commit string, err error) error {
	cause := err.Error()
	err = fmt.Errorf("overlay %s at %s: %w", overlay, gitsource.ShortSHA(commit), err)
	l.mu.Lock()
	st := l.entry(overlay)
	repeated := st.Err != nil && st.cause == cause
	st.Err, st.cause, st.Result = err, cause, ResultFailed
	l.mu.Unlock()
	if repeated {
		return err // reported already
	}
	l.opts.Logger.Error(err, "overlay not applied; the cluster keeps its last good revision", "overlay", overlay, "revision", gitsource.ShortSHA(commit))
	if l.opts.Reporter != nil {
		l.opts.Reporter.OverlayFailed(ctx, overlay, commit, err)
	}
	l.changed(ctx, overlay)
	return err
}

// changeStrings renders changes for a log line.
func changeStrings(changes []apply.Change) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = c.String()
	}
	return out
}

// DescribeDrift is a one-line account of a drift correction: "Deployment test/podinfo:
// spec.template.spec.containers[name=podinfo].image; Service test/podinfo: metadata.labels.app".
func DescribeDrift(changes []apply.Change) string {
	return strings.Join(changeStrings(changes), "; ")
}
