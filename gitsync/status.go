package gitsync

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/gitcanary/gitcanary/apply"
)

// Result is what the last sync of an overlay did.
type Result string

// Results of an overlay.
const (
	// ResultApplied: the overlay's revision is applied.
	ResultApplied Result = "Applied"
	// ResultFailed: the overlay could not be rendered, validated or applied; the cluster keeps
	// its last good revision (OverlayStatus.Revision).
	ResultFailed Result = "Failed"
	// ResultDriftCorrected: a re-apply of the unchanged overlay set back objects changed in the
	// cluster by hand (OverlayStatus.Drift).
	ResultDriftCorrected Result = "DriftCorrected"
)

// HealthState is how ready the objects of an overlay's last apply are, by kstatus rules.
type HealthState string

// Health states; empty means not checked.
const (
	// HealthProgressing: the applied objects are not ready yet.
	HealthProgressing HealthState = "Progressing"
	// HealthHealthy: every applied object is ready (kstatus Current).
	HealthHealthy HealthState = "Healthy"
	// HealthUnhealthy: an applied object failed, or was not ready within the health timeout.
	HealthUnhealthy HealthState = "Unhealthy"
)

// Health is the readiness of an overlay's applied objects.
type Health struct {
	// State is empty when not checked.
	State HealthState
	// Message names the first object that is not ready, and why.
	Message string
}

// ObjectCounts are the objects an apply applied and pruned.
type ObjectCounts struct {
	Applied, Pruned int
}

// OverlayStatus is what the loop knows of one overlay.
type OverlayStatus struct {
	// Overlay is the path relative to the repository root.
	Overlay string
	// Revision is the commit last applied; Digest its rendered output's digest.
	Revision, Digest string
	// Result of the last sync that did something to the overlay.
	Result Result
	// Err is the last failure, cleared by a successful apply.
	Err error
	// AppliedAt is when it was last applied or corrected; zero when it was applied before the
	// controller started.
	AppliedAt time.Time
	// Objects the last apply of a new revision applied and pruned.
	Objects ObjectCounts
	// Drift is what the last drift correction changed.
	Drift []apply.Change
	// Health of what the last apply changed.
	Health Health
	// Canaries are "<namespace>/<name>" of the Canaries the overlay applies.
	Canaries []string
	// Orphaned is set while the overlay, which applied objects, is no longer in Git or no
	// longer matched by the overlay patterns. Its objects are kept, not pruned.
	Orphaned bool

	cause string // Err without the revision, to report a failure once while it lasts
}

// Ready reports whether the overlay's last revision is applied and nothing says it is not
// healthy.
func (s OverlayStatus) Ready() bool {
	return s.Err == nil && s.Health.State != HealthUnhealthy && s.Health.State != HealthProgressing
}

// Status returns what the loop knows of every overlay, sorted by path.
func (l *Loop) Status() []OverlayStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]OverlayStatus, 0, len(l.state.status))
	for _, st := range l.state.status {
		out = append(out, st.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Overlay < out[j].Overlay })
	return out
}

func (s *OverlayStatus) clone() OverlayStatus {
	c := *s
	c.Drift = slices.Clone(s.Drift)
	c.Canaries = slices.Clone(s.Canaries)
	return c
}

// entry returns the status of an overlay, creating it; l.mu must be held.
func (l *Loop) entry(overlay string) *OverlayStatus {
	st, ok := l.state.status[overlay]
	if !ok {
		st = &OverlayStatus{Overlay: overlay}
		l.state.status[overlay] = st
	}
	return st
}

// changed tells the reporter and the metrics that what Status shows of an overlay changed.
func (l *Loop) changed(ctx context.Context, overlay string) {
	l.mu.Lock()
	st := l.entry(overlay).clone()
	l.mu.Unlock()
	l.opts.Metrics.overlay(st)
	if l.opts.Reporter != nil {
		l.opts.Reporter.OverlayChanged(ctx, st)
	}
}

// seed learns, once, what the inventories say was applied: each overlay's revision, digest,
// Canaries and canary targets. A restarted controller therefore re-applies only the overlays
// whose output changed since.
func (l *Loop) seed(invs []apply.Inventory) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state.loaded {
		return
	}
	l.state.loaded = true
	for _, inv := range invs {
		st := l.entry(inv.Set)
		if st.Digest != "" {
			continue // applied by this process already
		}
		st.Revision, st.Digest, st.Objects.Applied = inv.Revision, inv.Digest, len(inv.Objects)
		if inv.Digest != "" {
			st.Result = ResultApplied
		}
		st.Canaries = st.Canaries[:0]
		for _, r := range inv.Objects {
			if r.Group == "flagger.app" && r.Kind == "Canary" {
				key := r.Namespace + "/" + r.Name
				st.Canaries = append(st.Canaries, key)
				if inv.Digest != "" {
					l.state.sources[key] = inv.Revision
					l.state.homes[key] = inv.Set
				}
			}
		}
		for key, rev := range inv.Targets {
			if inv.Digest != "" {
				l.state.targets[key] = target{overlay: inv.Set, revision: rev}
			}
		}
	}
}
