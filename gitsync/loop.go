package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/render"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// Fetcher brings the source up to date; it returns gitsource.ErrNoChange (with the current
// checkout) when the source did not move.
type Fetcher interface {
	Fetch(ctx context.Context) (gitsource.Checkout, error)
}

// Applier applies one overlay's objects and prunes what left it, and lists what it applied.
type Applier interface {
	Apply(ctx context.Context, set apply.Set) (*apply.Result, error)
	Inventories(ctx context.Context) ([]apply.Inventory, error)
}

// Reporter is told about overlays that Git broke, so users can see why nothing changed.
type Reporter interface {
	// OverlayFailed is called when an overlay could not be rendered, validated or applied.
	OverlayFailed(ctx context.Context, overlay, revision string, err error)
	// OverlayApplied is called after an overlay was applied.
	OverlayApplied(ctx context.Context, overlay, revision string, res *apply.Result)
	// OverlayOrphaned is called once when an overlay that applied objects leaves Git (or the
	// overlay patterns); canaries are "<namespace>/<name>" of the Canaries it had applied.
	OverlayOrphaned(ctx context.Context, overlay string, canaries []string)
}

// Options configure a Loop.
type Options struct {
	// Overlays are overlay paths relative to the repository root; shell globs (apps/*) match
	// directories.
	Overlays []string
	// Reporter receives failures and applies; nil logs only.
	Reporter Reporter
	// DefaultProvider validates Canaries without spec.provider as canaries of that provider
	// (the controller's -mesh-provider); empty means v1beta1.DefaultProvider.
	DefaultProvider string
	// RenderLimits bound each overlay's render (zero fields: render's defaults).
	RenderLimits render.Limits
	// Metrics, when set, records every sync.
	Metrics *Metrics
	// Clock for the status times; nil means the real clock.
	Clock clock.PassiveClock
	// Logger receives one line per overlay and sync.
	Logger logr.Logger
}

// OverlayStatus is what the loop knows of one overlay.
type OverlayStatus struct {
	// Overlay is the path relative to the repository root.
	Overlay string
	// Revision is the commit last applied; Digest its rendered output's digest.
	Revision, Digest string
	// AppliedAt is when it was last applied.
	AppliedAt time.Time
	// Err is the last failure, cleared by a successful apply.
	Err error
	// Orphaned is set while the overlay, which applied objects, is no longer in Git or no
	// longer matched by the overlay patterns. Its objects are kept, not pruned.
	Orphaned bool

	cause string // Err without the revision, to report a failure once while it lasts
}

// Loop syncs Git to the cluster. Sync must not run concurrently (the Scheduler guarantees it).
// It decides what to apply by the digest of each overlay's rendered output rather than by
// commit: a commit that leaves an overlay's output alone (another overlay, a README, the status
// ledger) causes no work for it.
type Loop struct {
	fetcher Fetcher
	applier Applier
	opts    Options

	mu      sync.Mutex
	status  map[string]*OverlayStatus
	sources map[string]string // "<namespace>/<name>" of a Canary → commit that applied it
	homes   map[string]string // "<namespace>/<name>" of a Canary → overlay that renders it
	pending bool              // an apply failed: retry even when the source did not move
}

// New returns a sync loop.
func New(fetcher Fetcher, applier Applier, opts Options) *Loop {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Loop{fetcher: fetcher, applier: applier, opts: opts,
		status: map[string]*OverlayStatus{}, sources: map[string]string{}, homes: map[string]string{}}
}

// Sync fetches the source and applies every overlay whose rendered output changed. It returns
// the joined errors of the overlays that failed; the others are applied regardless.
func (l *Loop) Sync(ctx context.Context) (err error) {
	defer func() { l.opts.Metrics.observe(l.Status(), err) }()
	co, err := l.fetcher.Fetch(ctx)
	switch {
	case errors.Is(err, gitsource.ErrNoChange):
		l.mu.Lock()
		retry := l.pending
		l.mu.Unlock()
		if !retry {
			return nil
		}
	case err != nil:
		return fmt.Errorf("fetch source: %w", err)
	}
	overlays, err := expand(co.Dir, l.opts.Overlays)
	if err != nil {
		return err
	}
	orphans := l.markOrphans(ctx, co.Dir, overlays)
	var errs []error
	applyFailed := false
	for _, ov := range overlays {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if orphans[ov] {
			continue // its folder is gone: reported, its objects kept
		}
		// Rendering is deterministic: only apply failures are worth retrying on the same commit.
		b, err := render.Build(co.Dir, ov, render.WithDefaultProvider(l.opts.DefaultProvider), render.WithLimits(l.opts.RenderLimits))
		if err != nil {
			errs = append(errs, l.fail(ctx, ov, co.Commit, err))
			continue
		}
		digest := b.Digest()
		if l.inSync(ov, digest) {
			continue
		}
		if err := l.applyOverlay(ctx, co.Commit, ov, b, digest); err != nil {
			errs = append(errs, err)
			applyFailed = true
		}
	}
	l.mu.Lock()
	l.pending = applyFailed
	l.mu.Unlock()
	return errors.Join(errs...)
}

// inSync tells whether digest is the overlay's applied output; an overlay that rendered its
// applied output again is in sync with Git, whatever failed before.
func (l *Loop) inSync(overlay, digest string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.status[overlay]
	if !ok || st.Digest != digest || st.Revision == "" {
		return false
	}
	st.Err, st.cause = nil, ""
	return true
}

// applyOverlay applies one changed overlay and records the result.
func (l *Loop) applyOverlay(ctx context.Context, commit, overlay string, b *render.Bundle, digest string) error {
	targets := map[string]bool{}
	for _, c := range b.Canaries {
		targets[c.Namespace+"/"+c.Spec.TargetRef.Name] = true
	}
	res, err := l.applier.Apply(ctx, apply.Set{Name: overlay, Revision: commit, Objects: b.Objects, CanaryTargets: targets, AllowEmpty: b.IntentionallyEmpty})
	if err != nil {
		return l.fail(ctx, overlay, commit, err)
	}
	l.mu.Lock()
	l.status[overlay] = &OverlayStatus{Overlay: overlay, Revision: commit, Digest: digest, AppliedAt: l.opts.Clock.Now()}
	for _, c := range b.Canaries {
		l.sources[c.Namespace+"/"+c.Name] = commit
		l.homes[c.Namespace+"/"+c.Name] = overlay
	}
	l.mu.Unlock()
	l.opts.Logger.Info("overlay applied", "overlay", overlay, "revision", gitsource.ShortSHA(commit),
		"applied", len(res.Applied), "skipped", len(res.Skipped), "pruned", len(res.Pruned), "kept", len(res.Kept))
	if res.InventoryMissing {
		l.opts.Metrics.inventoryLost(overlay)
	}
	// The warnings of gitcanary render (references outside the overlay, metrics that cannot
	// work as written), once per applied change of the overlay.
	for _, w := range b.Warnings {
		l.opts.Logger.Info("render warning", "overlay", overlay, "revision", gitsource.ShortSHA(commit), "warning", w)
	}
	if l.opts.Reporter != nil {
		l.opts.Reporter.OverlayApplied(ctx, overlay, commit, res)
	}
	return nil
}

// fail records and reports an overlay's failure; the overlay keeps its last good revision.
func (l *Loop) fail(ctx context.Context, overlay, commit string, err error) error {
	cause := err.Error()
	err = fmt.Errorf("overlay %s at %s: %w", overlay, gitsource.ShortSHA(commit), err)
	l.mu.Lock()
	st, ok := l.status[overlay]
	if !ok {
		st = &OverlayStatus{Overlay: overlay}
		l.status[overlay] = st
	}
	repeated := st.Err != nil && st.cause == cause
	st.Err, st.cause = err, cause
	l.mu.Unlock()
	if repeated {
		return err // reported already
	}
	l.opts.Logger.Error(err, "overlay not applied; the cluster keeps its last good revision", "overlay", overlay, "revision", gitsource.ShortSHA(commit))
	if l.opts.Reporter != nil {
		l.opts.Reporter.OverlayFailed(ctx, overlay, commit, err)
	}
	return err
}

// Status returns what the loop knows of every overlay, sorted by path.
func (l *Loop) Status() []OverlayStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]OverlayStatus, 0, len(l.status))
	for _, st := range l.status {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Overlay < out[j].Overlay })
	return out
}

// Overlay returns the overlay that last applied the Canary namespace/name.
func (l *Loop) Overlay(namespace, name string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.homes[namespace+"/"+name]
	return o, ok
}

// SourceCommit returns the commit that last applied the Canary namespace/name.
func (l *Loop) SourceCommit(namespace, name string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.sources[namespace+"/"+name]
	return c, ok
}

// expand resolves the overlay globs against the checkout: every matching directory, in order,
// each once. A pattern that matches nothing is kept as written, so its absence is reported.
func expand(root string, patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range patterns {
		matches, err := filepath.Glob(filepath.Join(root, p))
		if err != nil {
			return nil, fmt.Errorf("overlay pattern %q: %w", p, err)
		}
		var dirs []string
		for _, m := range matches {
			rel, err := filepath.Rel(root, m)
			if err == nil && isDir(m) {
				dirs = append(dirs, rel)
			}
		}
		if len(dirs) == 0 {
			dirs = []string{filepath.Clean(p)}
		}
		for _, d := range dirs {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	return out, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
