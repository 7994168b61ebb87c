// Package metrics runs the analysis metrics of a Canary against Prometheus: the Envoy built-ins
// request-success-rate and request-duration, deprecated inline queries, and MetricTemplates.
//
// Querier implements engine.Metrics. It renders MetricTemplate queries with Flagger's template
// functions ({{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }},
// {{ route }}, {{ interval }}, {{ variables.key }}), resolves the Prometheus address and the
// credentials of the template's secretRef, sends the query through client_golang's API client
// and reduces the result to one number as Flagger does (reference §7.3). Every failure is an
// *engine.MetricError whose Failure says what went wrong, so the engine words its Halt events
// as Flagger does. Querier.Available is Flagger's provider check at initialization: it asks the
// built-ins' Prometheus and each template's provider for vector(1).
//
// Templates and Secrets are read through the small Templates and Secrets interfaces; the
// adapters in readers.go serve them from the API server (api/client, a clientset) or from an
// informer's store.
//
// It deliberately does not compare values with thresholds (the engine does), record the values
// as controller metrics (status.Telemetry does), or support providers other than Prometheus:
// a template of another provider type fails with MetricProviderError.
package metrics
