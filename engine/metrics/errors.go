package metrics

import "errors"

// Sentinel errors wrapped in the Err of the *engine.MetricError that Query returns.
var (
	// ErrNoValues: the query returned an empty result or NaN (Flagger's "no values found").
	ErrNoValues = errors.New("no values found")
	// ErrMultipleValues: the query returned a range vector (Flagger's wording).
	ErrMultipleValues = errors.New("query returned multiple values")
	// ErrNotConfigured: the metric is not built in and has neither a query nor a templateRef.
	ErrNotConfigured = errors.New("no usable metrics template and query were configured")
	// ErrNoAddress: no Prometheus address is configured for the metric.
	ErrNoAddress = errors.New("no metrics server address configured")
	// ErrUnsupportedProvider: the MetricTemplate's provider type is not prometheus.
	ErrUnsupportedProvider = errors.New("unsupported metrics provider type")
	// ErrUnavailable: the metrics server could not be reached, answered 5xx or timed out
	// (wrapped in a MetricUnavailable error; the error text stays the underlying one).
	ErrUnavailable = errors.New("metrics server unavailable")
	// ErrTooFewRequests: a built-in metric's canary served fewer requests than minRequests
	// (wrapped in a MetricNoData error).
	ErrTooFewRequests = errors.New("too few requests")
	// ErrIncompleteCredentials: the template's Secret has no token and not both username and
	// password.
	ErrIncompleteCredentials = errors.New("credentials does not contain a username/password")
	// ErrQueryTooLong: a rendered query exceeds MaxQueryBytes.
	ErrQueryTooLong = errors.New("rendered query too long")
	// ErrAnswerTooLarge: the metrics server's answer exceeds MaxAnswerBytes.
	ErrAnswerTooLarge = errors.New("metrics server answer too large")
)
