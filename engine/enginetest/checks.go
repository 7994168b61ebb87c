package enginetest

import (
	"context"
	"errors"
	"sync"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Hooks is a fake engine.Hooks: every webhook answers 2xx unless the test set an error for
// its name.
type Hooks struct {
	journal *Journal
	mu      sync.Mutex
	results map[string]error
}

var _ engine.Hooks = (*Hooks)(nil)

// NewHooks returns a Hooks that records into j.
func NewHooks(j *Journal) *Hooks { return &Hooks{journal: j} }

// Set makes the webhook named name answer err (nil: 2xx).
func (f *Hooks) Set(name string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.results == nil {
		f.results = map[string]error{}
	}
	f.results[name] = err
}

// Call implements engine.Hooks.
func (f *Hooks) Call(_ context.Context, _ *v1beta1.Canary, h v1beta1.CanaryWebhook, phase v1beta1.CanaryPhase) error {
	f.journal.add("Hooks", "Call", "%s %s phase=%s", h.EffectiveType(), h.Name, phase)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.results[h.Name]
}

// ErrNoValues is what Metrics answers for a metric without values.
var ErrNoValues = errors.New("no values found")

// Metrics is a fake engine.Metrics: each metric answers the values queued for its name, one per
// query, the last one repeating; a metric without values answers MetricNoData.
type Metrics struct {
	journal *Journal
	mu      sync.Mutex
	values  map[string][]float64
	errs    map[string]error
	// unavailable is what Available answers.
	unavailable error
}

var _ engine.Metrics = (*Metrics)(nil)

// NewMetrics returns a Metrics that records into j.
func NewMetrics(j *Journal) *Metrics { return &Metrics{journal: j} }

// Set queues the values the metric named name answers, replacing earlier ones, and clears its
// error.
func (f *Metrics) Set(name string, values ...float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.values == nil {
		f.values = map[string][]float64{}
	}
	f.values[name] = values
	delete(f.errs, name)
}

// SetError makes the metric named name fail with err, typically an *engine.MetricError.
func (f *Metrics) SetError(name string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errs == nil {
		f.errs = map[string]error{}
	}
	f.errs[name] = err
}

// SetUnavailable makes Available answer err (nil: every provider answers).
func (f *Metrics) SetUnavailable(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unavailable = err
}

// Available implements engine.Metrics.
func (f *Metrics) Available(_ context.Context, _ *v1beta1.Canary) error {
	f.journal.add("Metrics", "Available", "")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.unavailable
}

// MetricsAddress is the metrics server address the fake Metrics reports.
const MetricsAddress = "http://flagger-prometheus:9090"

// Query implements engine.Metrics. The sample's query is "<name>[<interval>]" and its address
// MetricsAddress, also when the query fails.
func (f *Metrics) Query(_ context.Context, _ *v1beta1.Canary, m v1beta1.CanaryMetric) (engine.MetricSample, error) {
	f.journal.add("Metrics", "Query", "%s interval=%s", m.Name, m.Interval)
	f.mu.Lock()
	defer f.mu.Unlock()
	s := engine.MetricSample{Query: m.Name + "[" + m.Interval + "]", Address: MetricsAddress}
	if err := f.errs[m.Name]; err != nil {
		return s, err
	}
	vs := f.values[m.Name]
	if len(vs) == 0 {
		return s, &engine.MetricError{Failure: engine.MetricNoData, Err: ErrNoValues}
	}
	s.Value = vs[0]
	if len(vs) > 1 {
		f.values[m.Name] = vs[1:]
	}
	return s, nil
}
