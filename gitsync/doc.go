// Package gitsync is the sync loop: fetch the source revision, render every overlay, apply the
// overlays whose rendered output changed, prune what left Git, and report.
//
// Loop.Sync is what the gitsource.Scheduler runs. An overlay that fails to render, fails
// validation or fails to apply is reported and keeps its last good revision in the cluster;
// it does not hold the other overlays back, and it is retried on the next sync even when the
// source has not moved. Overlays are compared by the digest of their rendered output, so
// commits that do not change an overlay cause no work for it.
//
// An overlay that renders no objects is an error unless its folder holds render.EmptyMarker.
// An overlay that applied objects and then leaves Git (its folder deleted, or no longer matched
// by the overlay patterns) is orphaned: its objects are kept, not pruned; it is reported once
// (log, Reporter.OverlayOrphaned) and shown in Status and gitcanary_overlay_orphaned until it
// is back.
//
// The package does not fetch, render or apply by itself: it drives a Fetcher (gitsource), the
// render package and an Applier (package apply), all injected.
package gitsync
