package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/render"
	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
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

// Reporter is told what the loop did to overlays, so users can see it where they look.
type Reporter interface {
	// OverlayFailed is called when an overlay could not be rendered, validated or applied.
	OverlayFailed(ctx context.Context, overlay, revision string, err error)
	// OverlayApplied is called after an overlay was applied. When res.Reapplied and
	// res.Changes is not empty, the apply corrected drift.
	OverlayApplied(ctx context.Context, overlay, revision string, res *apply.Result)
	// OverlayOrphaned is called once when an overlay that applied objects leaves Git (or the
	// overlay patterns); canaries are "<namespace>/<name>" of the Canaries it had applied.
	OverlayOrphaned(ctx context.Context, overlay string, canaries []string)
	// OverlayChanged is called when what Status shows of an overlay changed: a new revision
	// applied, a failure or its end, a drift correction, its health.
	OverlayChanged(ctx context.Context, st OverlayStatus)
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
	// Concurrency bounds the overlays applied at once (default DefaultConcurrency). Rendering
	// is serialised: kustomize keeps process-global state that concurrent builds race on.
	Concurrency int
	// Health, when set, is asked after each apply that changed an overlay whether its objects
	// became ready, until HealthTimeout.
	Health HealthChecker
	// HealthTimeout bounds the wait for an applied overlay to become ready (default
	// DefaultHealthTimeout).
	HealthTimeout time.Duration
	// Metrics, when set, records every sync.
	Metrics *Metrics
	// Clock for the status times and the health polls; nil means the real clock.
	Clock clock.WithTicker
	// Logger receives one line per overlay and sync.
	Logger logr.Logger
}

// Defaults of Options.
const (
	DefaultConcurrency   = 4
	DefaultHealthTimeout = 5 * time.Minute
)

// Loop syncs Git to the cluster. Sync must not run concurrently (the Scheduler guarantees it).
// It decides what to apply by the digest of each overlay's rendered output rather than by
// commit: a commit that leaves an overlay's output alone (another overlay, a README, the status
// ledger) causes no work for it. The digests applied are kept in the overlays' inventories, so
// a restarted controller re-applies nothing unchanged.
type Loop struct {
	fetcher  Fetcher
	applier  Applier
	opts     Options
	renderMu sync.Mutex // one kustomize build at a time
	health   *healthWatch

	mu    sync.Mutex // guards state
	state loopState
}

// loopState is what the loop knows of the overlays between syncs.
type loopState struct {
	status    map[string]*OverlayStatus
	sources   map[string]string // "<namespace>/<name>" of a Canary → commit that applied it
	homes     map[string]string // "<namespace>/<name>" of a Canary → overlay that renders it
	targets   map[string]target // "<namespace>/<name>" of a canary target → what Git wants
	pending   bool              // an apply failed: retry even when the source did not move
	loaded    bool              // the inventories' digests were read
	reconcile bool              // re-apply every overlay at the next sync
	restore   map[string]bool   // overlays to re-apply at the next sync
}

// target is what Git wants of a canary target: the overlay that applies it and the revision of
// its pod template after that overlay's last apply.
type target struct{ overlay, revision string }

// New returns a sync loop.
func New(fetcher Fetcher, applier Applier, opts Options) *Loop {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.HealthTimeout <= 0 {
		opts.HealthTimeout = DefaultHealthTimeout
	}
	l := &Loop{fetcher: fetcher, applier: applier, opts: opts, state: loopState{status: map[string]*OverlayStatus{},
		sources: map[string]string{}, homes: map[string]string{}, targets: map[string]target{}, restore: map[string]bool{}}}
	l.health = &healthWatch{loop: l, cancels: map[string]context.CancelFunc{}}
	return l
}

// job is one overlay to sync; force re-applies it even when its output did not change.
type job struct {
	overlay string
	force   bool
}

// Sync fetches the source and applies every overlay whose rendered output changed, and every
// overlay when a reconcile was asked for (RequestReconcile) or the one of a target to restore
// (Restore). It returns the joined errors of the overlays that failed; the others are applied
// regardless.
func (l *Loop) Sync(ctx context.Context) (err error) {
	defer func() { l.opts.Metrics.observe(l.Status(), err) }()
	co, err := l.fetcher.Fetch(ctx)
	moved := err == nil
	if err != nil && !errors.Is(err, gitsource.ErrNoChange) {
		return fmt.Errorf("fetch source: %w", err)
	}
	l.mu.Lock()
	reconcile, restore, retry := l.state.reconcile, l.state.restore, l.state.pending
	l.state.reconcile, l.state.restore = false, map[string]bool{}
	l.mu.Unlock()
	if !moved && !reconcile && !retry && len(restore) == 0 {
		return nil
	}
	overlays, err := expand(co.Dir, l.opts.Overlays)
	if err != nil {
		return err
	}
	orphans := l.markOrphans(ctx, co.Dir, overlays)
	var jobs []job
	for _, ov := range overlays {
		if orphans[ov] {
			continue // its folder is gone: reported, its objects kept
		}
		if moved || reconcile || retry || restore[ov] {
			jobs = append(jobs, job{overlay: ov, force: reconcile || restore[ov]})
		}
	}
	start := l.opts.Clock.Now()
	if reconcile {
		// A pass over the whole fleet is the sync loop's one recurring cost that grows with
		// it: logged with its size and duration, so that cost can be read and measured.
		l.opts.Logger.Info("drift correction started: re-applying every overlay", "overlays", len(jobs))
	}
	errs := make([]error, len(jobs))
	applyFailed := make([]bool, len(jobs))
	var g errgroup.Group
	g.SetLimit(l.opts.Concurrency)
	for i, j := range jobs {
		g.Go(func() error {
			if ctx.Err() != nil {
				return nil // reported once below
			}
			applyFailed[i], errs[i] = l.syncOverlay(ctx, co, j)
			return nil
		})
	}
	_ = g.Wait()
	failed := false
	for _, f := range applyFailed {
		failed = failed || f
	}
	l.mu.Lock()
	l.state.pending = failed
	l.mu.Unlock()
	if reconcile {
		l.opts.Logger.Info("drift correction finished", "overlays", len(jobs), "failed", countErrors(errs),
			"seconds", l.opts.Clock.Since(start).Round(time.Millisecond).Seconds())
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func countErrors(errs []error) (n int) {
	for _, err := range errs {
		if err != nil {
			n++
		}
	}
	return n
}

// syncOverlay renders one overlay and applies it when its output changed or j.force; it
// reports whether an apply failed (worth retrying on the same commit, unlike a render error).
func (l *Loop) syncOverlay(ctx context.Context, co gitsource.Checkout, j job) (applyFailed bool, err error) {
	l.renderMu.Lock()
	b, err := render.Build(co.Dir, j.overlay, render.WithDefaultProvider(l.opts.DefaultProvider), render.WithLimits(l.opts.RenderLimits))
	l.renderMu.Unlock()
	if err != nil {
		return false, l.fail(ctx, j.overlay, co.Commit, err)
	}
	digest := b.Digest()
	if !j.force && l.inSync(ctx, j.overlay, digest) {
		return false, nil
	}
	if err := l.applyOverlay(ctx, co.Commit, j.overlay, b, digest); err != nil {
		return true, err
	}
	return false, nil
}

// RequestReconcile makes the next sync re-apply every overlay, changed or not, so that what
// was changed in the cluster by hand is set back to Git's version (drift correction). The
// caller triggers the sync.
func (l *Loop) RequestReconcile() {
	l.mu.Lock()
	l.state.reconcile = true
	l.mu.Unlock()
}

// Restore makes the next sync re-apply the overlay that applies the canary target
// namespace/name (a Deployment). It reports false when no overlay is known to apply it. The
// caller triggers the sync.
func (l *Loop) Restore(namespace, name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.state.targets[namespace+"/"+name]
	if ok {
		l.state.restore[t.overlay] = true
	}
	return ok
}

// TargetRevision returns the revision of the pod template of the canary target
// namespace/name (a Deployment) as the last apply of its overlay left it: the revision Git
// wants. It is unknown while that overlay is being applied with a new output, and before any
// apply recorded it.
func (l *Loop) TargetRevision(namespace, name string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.state.targets[namespace+"/"+name]
	return t.revision, ok && t.revision != ""
}

// Overlay returns the overlay that last applied the Canary namespace/name.
func (l *Loop) Overlay(namespace, name string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.state.homes[namespace+"/"+name]
	return o, ok
}

// SourceCommit returns the commit that last applied the Canary namespace/name.
func (l *Loop) SourceCommit(namespace, name string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.state.sources[namespace+"/"+name]
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
