// Package engine is the canary state machine and the reconciler that runs it.
//
// Decide is pure: given a Canary, what has been observed this tick and the time, it returns the
// next status, the ordered actions and the requeue delay, or the next check it needs (read the
// workload, read the routes, call a webhook, query a metric). Checks are asked for one at a time,
// in Flagger's order and with Flagger's short-circuits, so webhooks are called and metrics
// queried exactly as Flagger does. Every event and alert text is Flagger's, verbatim (messages.go),
// with the quirks DESIGN §1 fixes on purpose: the progress deadline rolls back with an event and
// an alert, metric templates get a 1m default interval, Terminated is written, and a suspended
// canary says so once.
//
// Reconciler drives one tick: get the Canary, validate it, run the decide loop (Decide, run the
// check it asks for, record the result, Decide again), execute the actions in order through the
// ports of ports.go, write the status once when it changed, and report to Telemetry. A failing
// action becomes a Warning event and the tick is retried after the interval, without a status
// write. The reconciler keeps no state between ticks.
//
// The package does not talk to Kubernetes: it imports no clientset (a test checks the import
// graph), schedules nothing itself (the caller's workqueue requeues after the returned delay)
// and does not record events, call event webhooks, route traffic or query Prometheus. Adapters
// in engine/workload, engine/metrics, engine/webhook, engine/notify, router and status implement
// the ports; engine/enginetest holds in-memory fakes of all of them.
//
// With Options.Desired (drift correction on), a new target revision that Git did not apply is
// not analysed: the canary waits with a Warning and asks for Git's version back
// (ActRestoreTarget).
//
// Main types: Decision, Observation, Check, Action, Reconciler, Ports, Options.
// docs/engine.md describes the tick phase by phase.
package engine
