package engine

import "time"

// Observation is what the reconciler knows about the world in one tick. It starts with the
// validation result and fills up with the results of the checks Decide asks for.
type Observation struct {
	// Invalid is the canary's validation error; nil when the spec is valid.
	Invalid error
	// IntervalFloor is the shortest analysis interval allowed (0: Flagger's 10s).
	IntervalFloor time.Duration
	// Workload is the result of Workloads.Observe; nil until CheckWorkload ran.
	Workload *WorkloadResult
	// Routes is the result of Router.Routes; nil until CheckRoutes ran.
	Routes *RoutesResult
	// Hooks holds the result of each webhook called this tick, by index in
	// spec.analysis.webhooks; a nil error is a 2xx answer.
	Hooks map[int]error
	// Metrics holds the result of each metric queried this tick, by index in
	// spec.analysis.metrics.
	Metrics map[int]MetricResult
	// Providers is the result of Metrics.Available; nil until CheckProviders ran.
	Providers *ProvidersResult
	// Admission is the answer of the concurrency caps (Admission.Admit); nil until
	// CheckAdmission ran. A reconciler without caps fills it with an admission up front.
	Admission *AdmissionResult
}

// AdmissionResult is what Admission.Admit answered: the canary may start its analysis, or its
// place in the queue of the cap that holds it.
type AdmissionResult struct {
	// Admitted is true when the analysis may start now.
	Admitted bool
	// Position in the queue (1 is next), Running analyses and the Limit of the cap that holds
	// the canary; meaningless when admitted.
	Position, Running, Limit int
	// Namespace is set when the namespace's cap holds the canary, empty for the global cap.
	Namespace string
}

// Admitted is the AdmissionResult of a controller without concurrency caps.
var Admitted = AdmissionResult{Admitted: true}

// ProvidersResult is what Metrics.Available returned: nil when every provider answered.
type ProvidersResult struct {
	Err error
}

// WorkloadResult is what Workloads.Observe returned.
type WorkloadResult struct {
	Workload Workload
	Err      error
}

// RoutesResult is what Router.Routes returned.
type RoutesResult struct {
	Routes
	Err error
}

// MetricResult is what Metrics.Query returned: the value, or an error (usually *MetricError),
// with the rendered query and the server's address when known. request-duration values are
// whole milliseconds.
type MetricResult struct {
	Value float64
	// Query is the rendered query; Address the metrics server it was sent to (no credentials).
	Query, Address string
	Err            error
}

// SetWorkload records the result of CheckWorkload.
func (o *Observation) SetWorkload(w Workload, err error) {
	o.Workload = &WorkloadResult{Workload: w, Err: err}
}

// SetRoutes records the result of CheckRoutes.
func (o *Observation) SetRoutes(r Routes, err error) {
	o.Routes = &RoutesResult{Routes: r, Err: err}
}

// SetHook records the result of a CheckHook.
func (o *Observation) SetHook(index int, err error) {
	if o.Hooks == nil {
		o.Hooks = map[int]error{}
	}
	o.Hooks[index] = err
}

// SetProviders records the result of CheckProviders.
func (o *Observation) SetProviders(err error) {
	o.Providers = &ProvidersResult{Err: err}
}

// SetAdmission records the result of CheckAdmission.
func (o *Observation) SetAdmission(r AdmissionResult) {
	o.Admission = &r
}

// SetMetric records the result of a CheckMetric.
func (o *Observation) SetMetric(index int, s MetricSample, err error) {
	if o.Metrics == nil {
		o.Metrics = map[int]MetricResult{}
	}
	o.Metrics[index] = MetricResult{Value: s.Value, Query: s.Query, Address: s.Address, Err: err}
}
