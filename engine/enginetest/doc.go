// Package enginetest holds in-memory fakes of every engine port (Workloads, Scaler, Router,
// Metrics, Hooks, Notifier, Recorder, Canaries, Telemetry, Admission) for tests of the engine and of the
// code that wires it.
//
// Every fake records each call in a shared Journal, in order, so a test can assert the exact
// sequence of port calls across fakes. Fakes are safe for concurrent use. A World bundles one
// fake of each port around one Journal; World.Ports plugs them into engine.NewReconciler.
//
// The fakes model the Kubernetes objects only as far as the engine observes them: Workloads
// returns the Workload the test sets, Router keeps the routed weights, Canaries keeps the
// Canary objects (and deletes one whose last finalizer goes while it is being deleted). They do
// not simulate rollouts; tests change readiness between ticks themselves.
package enginetest
