package engine

import (
	"errors"
	"fmt"
)

// MetricFailure classifies a failed metric query, so that the engine words the Halt event
// as Flagger does (reference §11.1).
type MetricFailure int

// Metric failures.
const (
	// MetricNoData: the query returned no values (empty vector or NaN).
	MetricNoData MetricFailure = iota + 1
	// MetricQueryFailed: the provider answered with an error or could not be reached.
	MetricQueryFailed
	// MetricTemplateError: the MetricTemplate could not be read.
	MetricTemplateError
	// MetricSecretError: the template's credentials Secret could not be read or is incomplete.
	MetricSecretError
	// MetricProviderError: the template's provider cannot be used (unknown type, bad address).
	MetricProviderError
	// MetricRenderError: the template's query did not render.
	MetricRenderError
	// MetricNotConfigured: the metric is neither built in nor has a query or template.
	MetricNotConfigured
	// MetricUnavailable: the provider could not be reached, answered 5xx or timed out. Worded
	// as MetricQueryFailed; the queryErrors policy Hold waits for it to pass.
	MetricUnavailable
)

// MetricError is a failed metric query.
type MetricError struct {
	// Failure classifies the error.
	Failure MetricFailure
	// Err is the underlying error.
	Err error
	// Detail names what failed when the Canary does not say it: the Secret's name for
	// MetricSecretError, the provider type for MetricProviderError. Optional: it completes
	// Flagger's wording "Metric template <n>.<ns> secret <s> error: …".
	Detail string
}

func (e *MetricError) Error() string {
	return fmt.Sprintf("metric failure %d: %v", e.Failure, e.Err)
}

func (e *MetricError) Unwrap() error { return e.Err }

// HookAnswer is implemented by the errors of Hooks.Call that carry the webhook's HTTP answer,
// so that the evidence of a failed webhook keeps its status code and body.
type HookAnswer interface {
	error
	// HookAnswer returns the HTTP status code and the (bounded) response body.
	HookAnswer() (code int, body string)
}

// ErrMissingPort is returned by NewReconciler when a port is nil.
var ErrMissingPort = errors.New("reconciler port missing")

// ErrNoDecision is returned by Reconciler.Reconcile when Decide keeps asking for checks beyond
// what the canary can need, a programming error.
var ErrNoDecision = errors.New("no decision")
