// Package status is where the engine's decisions become visible: the Canary's status
// subresource and finalizer, Kubernetes Events, logs and event webhooks, and the controller's
// Prometheus metrics with Flagger's names and labels. The Git ledger of status summaries lives
// in the sub-package ledger.
//
// Store implements engine.Canaries: it reads Canaries from the API server, writes .status
// through the status subresource with a re-read and retry on conflict, and adds or removes the
// finalizer finalizer.flagger.app with a merge patch.
//
// Events implements engine.Recorder: a Kubernetes Event with reason Synced on the Canary, a log
// line with the key canary=<name>.<namespace> (Warning events are logged at info level, as
// Flagger does), and the event webhooks. NewEventRecorder builds the client-go recorder it
// writes through, tuned so that a canary's events are neither dropped nor merged.
//
// Telemetry implements engine.Telemetry on a prometheus.Registerer passed in: flagger_info,
// flagger_canary_total, flagger_canary_status, flagger_canary_weight,
// flagger_canary_duration_seconds, flagger_canary_metric_analysis,
// flagger_canary_successes_total and flagger_canary_failures_total (reference §10).
//
// It deliberately does not decide the status (engine.Decide does, conditions included) and
// does not serve /metrics (cmd wires promhttp).
package status
