// Package gitsync is the sync loop: fetch the source revision, render every overlay, apply the
// overlays whose rendered output changed, prune what left Git, correct drift, and report.
//
// Loop.Sync is what the gitsource.Scheduler runs. An overlay that fails to render, fails
// validation or fails to apply is reported and keeps its last good revision in the cluster;
// it does not hold the other overlays back, and it is retried on the next sync even when the
// source has not moved. Overlays are compared by the digest of their rendered output, so
// commits that do not change an overlay cause no work for it. The digest applied is kept in
// the overlay's inventory (package apply), so a restarted controller re-applies nothing
// unchanged. Changed overlays are applied concurrently, at most Options.Concurrency at once;
// rendering is serialised, since kustomize keeps process-global state.
//
// Drift correction: after RequestReconcile the next sync re-applies every overlay, changed or
// not, at the commit that applied its output; server-side apply then changes only what was
// changed by hand, and what it changed (apply.Result.Changes of a re-apply) is drift: logged
// with the objects and fields, counted in gitcanary_drift_corrections_total{overlay}, shown as
// ResultDriftCorrected and reported. Restore re-applies at the next sync only the overlay of one
// canary target, and TargetRevision tells the revision of a canary target's pod template as
// Git's last apply left it, so that the engine does not analyse a revision set by hand.
//
// Health: after an apply that changed an overlay, a goroutine per overlay polls (with backoff,
// never holding up the sync) whether what it applied is ready by the kstatus rules, until
// Options.HealthTimeout; an overlay that never becomes ready is Unhealthy. The Canaries and
// their targets are not part of it: their health is the canary analysis.
//
// An overlay that renders no objects is an error unless its folder holds render.EmptyMarker.
// An overlay that applied objects and then leaves Git (its folder deleted, or no longer matched
// by the overlay patterns) is orphaned: its objects are kept, not pruned; it is reported once
// (log, Reporter.OverlayOrphaned) and shown in Status and gitcanary_overlay_orphaned until it
// is back.
//
// The package does not fetch, render, apply or read the cluster by itself: it drives a Fetcher
// (gitsource), the render package, an Applier (package apply) and a HealthChecker, all
// injected; and it schedules nothing (the caller's Scheduler runs Sync, and the caller asks for
// reconciles on its interval).
package gitsync
