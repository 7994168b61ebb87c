// Package controller is gitcanary's runtime: it wires the packages that decide (engine), render
// (render), fetch (gitsource), apply (apply, gitsync), route (router) and record (status) into
// one process and runs its loops until the context ends.
//
// New builds everything from Options in one call: the Kubernetes clients, the shared informers
// whose listers every adapter reads (an idle tick costs no API request), the engine's adapters
// and reconciler, the sync loop and its schedule, the status ledger and the push receiver. Run
// then serves HTTP (/metrics, /healthz, /readyz, and the push receiver on its own address) and,
// while this replica leads (leader election is optional), runs the informers, the analysis
// workers, the sync loop (with a drift-correcting reconcile every Options.Sync.ReconcileInterval)
// and the ledger loop.
//
// The sync loop and the engine meet at the canary targets: with drift correction on, the engine
// learns from the sync loop the revision Git's last apply left on each target (engine.Desired)
// and asks it to re-apply a target's overlay when the target runs a revision Git did not apply.
//
// The analysis loop is a client-go workqueue of Canary keys: informer events queue a Canary
// when something it depends on changed (its spec, its target's pod template, a tracked config),
// workers run one engine tick per key, and the tick's requeue delay schedules the next one. The
// ledger receives each transition straight from the tick that made it (engine.TickReport); the
// transitions not yet committed are kept in the Canary's status, so a restart commits them.
//
// The package does not parse flags (cmd/gitcanary fills Options), decide anything about a
// canary (engine), or know Git's wire protocol (gitsource).
//
// Main types: Controller, Options.
package controller
