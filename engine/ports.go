package engine

import (
	"context"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// The interfaces in this file are the ports through which the reconciler touches the world.
// Adapters in router, status and the engine sub-packages implement them; cmd wires them. They
// take the Canary as the engine last read it, and never write its status themselves.

// Workloads observes and changes the target Deployment and the objects generated from it: the
// primary Deployment, the primary HorizontalPodAutoscaler and the primary copies of tracked
// ConfigMaps and Secrets.
type Workloads interface {
	// Observe reads the target and the primary. It fails when the target is missing or its
	// selector has none of the selector labels.
	Observe(ctx context.Context, c *v1beta1.Canary) (Workload, error)
	// EnsurePrimary creates the primary configs, Deployment and autoscaler when they are missing.
	// It never updates objects that exist.
	EnsurePrimary(ctx context.Context, c *v1beta1.Canary) error
	// Promote copies the target's pod template, the fields Flagger copies and the tracked
	// configs to the primary.
	Promote(ctx context.Context, c *v1beta1.Canary) error
	// SyncPrimaryAutoscaler copies the target autoscaler's settings to the primary autoscaler.
	SyncPrimaryAutoscaler(ctx context.Context, c *v1beta1.Canary) error
}

// Desired knows the revision of a canary's target that Git wants, for drift correction. It is
// optional (Options.Desired): without it any new target revision is analysed, also one set by
// hand.
type Desired interface {
	// TargetRevision returns the PodTemplateHash of the canary's target as Git's manifests
	// last applied it; false when it is not known (not applied yet, or being applied).
	TargetRevision(c *v1beta1.Canary) (string, bool)
	// RestoreTarget asks for Git's version of the canary's target to be applied again soon;
	// it does not wait for it.
	RestoreTarget(ctx context.Context, c *v1beta1.Canary) error
}

// Scaler sets the replicas of the target Deployment.
type Scaler interface {
	// ScaleToZero scales the target to zero replicas.
	ScaleToZero(ctx context.Context, c *v1beta1.Canary) error
	// ScaleFromZero scales the target up with Flagger's replica rules.
	ScaleFromZero(ctx context.Context, c *v1beta1.Canary) error
	// Revert gives the target the primary's replicas again (revertOnDeletion).
	Revert(ctx context.Context, c *v1beta1.Canary) error
}

// Router owns the generated Services and the traffic split between primary and canary.
type Router interface {
	// Reconcile creates or updates the apex, -primary and -canary Services and the routing
	// object. A new routing object routes everything to the primary.
	Reconcile(ctx context.Context, c *v1beta1.Canary) error
	// SetRoutes routes the traffic as r says: r.Primary% to the primary, r.Canary% to the
	// canary and, when r.Mirror, a copy of the requests to the canary.
	SetRoutes(ctx context.Context, c *v1beta1.Canary, r Routes) error
	// Routes returns how the traffic is currently routed.
	Routes(ctx context.Context, c *v1beta1.Canary) (Routes, error)
	// Finalize hands the apex Service back to the target (revertOnDeletion).
	Finalize(ctx context.Context, c *v1beta1.Canary) error
}

// Metrics runs metric queries.
type Metrics interface {
	// Query returns the value of one analysis metric (a built-in, an inline query or a
	// MetricTemplate) with the rendered query and the server's address, which a failed query
	// also returns when it got that far. Failures are *MetricError so the engine can word them
	// as Flagger does.
	Query(ctx context.Context, c *v1beta1.Canary, m v1beta1.CanaryMetric) (MetricSample, error)
	// Available checks that the providers of the canary's metrics answer (Flagger's
	// checkMetricProviderAvailability): the Prometheus of the built-in metrics, and each
	// MetricTemplate with its Secret and provider. The engine asks once, when it creates the
	// primary of a new canary.
	Available(ctx context.Context, c *v1beta1.Canary) error
}

// MetricSample is the answer of one metric query and the evidence of how it was asked.
type MetricSample struct {
	// Value of the metric (request-duration in whole milliseconds).
	Value float64
	// Query is the rendered query as sent, whitespace collapsed.
	Query string
	// Address is the metrics server the query was sent to, without credentials.
	Address string
}

// Hooks calls webhooks.
type Hooks interface {
	// Call POSTs the Flagger payload for the canary in the given phase and returns nil on a 2xx
	// answer. The error text carries the response body.
	Call(ctx context.Context, c *v1beta1.Canary, h v1beta1.CanaryWebhook, phase v1beta1.CanaryPhase) error
}

// Notifier sends alerts to the canary's AlertProviders, or to the global notifier when the
// canary has no alerts. A failing notifier never blocks the analysis.
type Notifier interface {
	Notify(ctx context.Context, c *v1beta1.Canary, n Notification) error
}

// Notification is one alert message.
type Notification struct {
	// Message is Flagger's alert text, e.g. "Failed checks threshold reached 5".
	Message string
	// Severity of the message: info, warn or error.
	Severity v1beta1.AlertSeverity
	// WithMetadata adds the Target, Failed checks threshold, Progress deadline and Traffic
	// routing fields, as Flagger does for the initialization and new-revision alerts.
	WithMetadata bool
}

// Recorder records what happened to a canary: a Kubernetes Event with reason Synced, a log
// line, and a call of the event webhooks.
type Recorder interface {
	Event(ctx context.Context, c *v1beta1.Canary, eventType, message string)
}

// Canaries reads Canaries and persists what the engine decided about them.
type Canaries interface {
	// Get reads a Canary from the API server.
	Get(ctx context.Context, namespace, name string) (*v1beta1.Canary, error)
	// WriteStatus replaces the Canary's status, retrying on conflicts.
	WriteStatus(ctx context.Context, c *v1beta1.Canary, status v1beta1.CanaryStatus) error
	// SetFinalizer adds (present) or removes gitcanary's finalizer.
	SetFinalizer(ctx context.Context, c *v1beta1.Canary, present bool) error
}

// Admission applies the controller's concurrency caps. Admit is asked when a canary is about to
// start an analysis (every gate passed): it answers whether a slot is free for it now or, if
// not, its place in the queue. The queue is first come, first served by now, or by
// status.queue.since for a canary already waiting. Admit does no I/O.
type Admission interface {
	Admit(c *v1beta1.Canary, now time.Time) AdmissionResult
}

// Telemetry exports the controller metrics (flagger_canary_*).
type Telemetry interface {
	Record(c *v1beta1.Canary, r TickReport)
}

// TickReport is what one tick changed, for Telemetry.
type TickReport struct {
	// Phase after the tick.
	Phase v1beta1.CanaryPhase
	// PrimaryWeight and CanaryWeight routed after the tick; Routed is false when unknown.
	PrimaryWeight, CanaryWeight int
	Routed                      bool
	// Analysed is true when the tick reached the analysis section; Duration is then its length.
	Analysed bool
	Duration time.Duration
	// MetricValues holds the value of every metric queried in the tick, by metric name;
	// request-duration is in seconds.
	MetricValues map[string]float64
	// Checks are the metric checks the tick evaluated, in evaluation order, up to the first
	// that failed.
	Checks []MetricCheck
	// Succeeded or Failed is set on the tick that ended an analysis; Skipped when it was
	// promoted without analysis.
	Succeeded, Failed, Skipped bool
	// Transition is the transition the tick wrote with the Canary's status, for the status
	// ledger; nil when it made none or the reconciler has no Journal.
	Transition *v1beta1.CanaryTransition
}

// MetricCheck is one metric check of a tick, as the engine judged it.
type MetricCheck struct {
	// Name of the metric.
	Name string
	// Value the query returned (request-duration in milliseconds, like its thresholds);
	// meaningless when Err is set.
	Value float64
	// Err is the query's failure, if any.
	Err error
	// Failure is the Warning event the check caused ("Halt … > 1", "Halt advancement no values
	// found …"); empty when the check passed.
	Failure string
	// Query is the rendered query and Address the metrics server (no credentials), when known.
	Query, Address string
	// Verdict is Passed, Failed, or Skipped or Held under the no-data and query-error policies.
	Verdict v1beta1.CheckVerdict
}

// Workload is what Workloads.Observe saw of the target and the primary.
type Workload struct {
	// Kind of the target, e.g. Deployment.
	Kind string
	// Revision is PodTemplateHash of the target's pod template.
	Revision string
	// Images are the target's container images, comma-separated (ContainerImages).
	Images string
	// GitRevision is the revision Git wants of the target (Desired.TargetRevision); empty when
	// unknown or without drift correction.
	GitRevision string
	// Configs maps configmap/<name> and secret/<name> of the tracked configs to their checksum.
	Configs map[string]string
	// Target is the readiness of the target (canary) Deployment.
	Target Readiness
	// PrimaryExists is false before the primary is created.
	PrimaryExists bool
	// Primary is the readiness of the primary Deployment.
	Primary Readiness
}

// Readiness is a Deployment's readiness as Flagger judges it (reference §4.3).
type Readiness struct {
	// Ready is true when the rollout finished.
	Ready bool
	// Message is Flagger's waiting text without the object prefix, e.g. "waiting for rollout
	// to finish: 0 of 1 (readyThreshold 100%) updated replicas are available".
	Message string
	// Retriable is false when the progress deadline passed: waiting longer will not help.
	Retriable bool
}

// Routes is how a router sends the traffic: Primary% to the primary and Canary% to the
// canary, and, when Mirror is set, a copy of every request to the canary whose answer is
// dropped (analysis.mirror; Gateway API only: other routers never mirror and report false).
type Routes struct {
	Primary, Canary int
	Mirror          bool
}
