// Package page serves the status page: a read-only HTML view of the status ledger, for people.
//
// It shows what the status branch holds (package ledger), so it works wherever the branch can
// be read: `gitcanary status serve --repo URL` on a laptop without a cluster, and the
// controller's HTTP listener under /status/. The index lists the canaries with their phase,
// weight, source commit, target revision and age. A canary's page draws, across the current and
// past revisions recorded on the branch, a timeline of its weight and one chart per metric of
// its values against its thresholds; it lists the evidence of the last checks (the rendered
// query, the value, the threshold range, the verdict, the metrics server; a failed webhook's
// status and body), the last events, the gate decisions committed for it and the gates it waits
// at.
//
// Pages are rendered on the server with html/template; the charts are small SVGs drawn in Go
// (chart.go), with data-* attributes on each point so tests and scripts can read them. Pages
// refresh themselves (a meta refresh), serve GET and HEAD only, and have no write actions.
//
// Main types: Handler (the http.Handler) built by New over a Source (what reads the branch;
// Cached fetches it at most once per TTL).
//
// The package does not fetch Git itself (the Source does), watch Canaries, or talk to the
// cluster.
package page
