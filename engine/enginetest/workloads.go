package enginetest

import (
	"context"
	"sync"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Workloads is a fake engine.Workloads: Observe returns the Workload set by the test.
type Workloads struct {
	failures
	journal    *Journal
	mu         sync.Mutex
	w          engine.Workload
	observeErr error
}

var _ engine.Workloads = (*Workloads)(nil)

// NewWorkloads returns a Workloads that records into j.
func NewWorkloads(j *Journal) *Workloads { return &Workloads{journal: j} }

// Set makes Observe return w.
func (f *Workloads) Set(w engine.Workload) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.w = w
}

// Update changes the Workload Observe returns.
func (f *Workloads) Update(change func(w *engine.Workload)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.w)
}

// Get returns the Workload Observe returns.
func (f *Workloads) Get() engine.Workload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w
}

// SetObserveError makes Observe fail with err (nil: succeed again).
func (f *Workloads) SetObserveError(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observeErr = err
}

// Observe implements engine.Workloads.
func (f *Workloads) Observe(_ context.Context, c *v1beta1.Canary) (engine.Workload, error) {
	f.journal.add("Workloads", "Observe", "%s", c.EventName())
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.observeErr != nil {
		return engine.Workload{}, f.observeErr
	}
	return f.w, nil
}

// EnsurePrimary implements engine.Workloads; it marks the primary as existing.
func (f *Workloads) EnsurePrimary(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Workloads", "EnsurePrimary", "%s", c.EventName())
	if err := f.err("EnsurePrimary"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.w.PrimaryExists = true
	return nil
}

// Promote implements engine.Workloads.
func (f *Workloads) Promote(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Workloads", "Promote", "%s", c.EventName())
	return f.err("Promote")
}

// SyncPrimaryAutoscaler implements engine.Workloads.
func (f *Workloads) SyncPrimaryAutoscaler(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Workloads", "SyncPrimaryAutoscaler", "%s", c.EventName())
	return f.err("SyncPrimaryAutoscaler")
}

// Scaler is a fake engine.Scaler that records calls.
type Scaler struct {
	failures
	journal *Journal
}

var _ engine.Scaler = (*Scaler)(nil)

// NewScaler returns a Scaler that records into j.
func NewScaler(j *Journal) *Scaler { return &Scaler{journal: j} }

// ScaleToZero implements engine.Scaler.
func (f *Scaler) ScaleToZero(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Scaler", "ScaleToZero", "%s", c.EventName())
	return f.err("ScaleToZero")
}

// ScaleFromZero implements engine.Scaler.
func (f *Scaler) ScaleFromZero(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Scaler", "ScaleFromZero", "%s", c.EventName())
	return f.err("ScaleFromZero")
}

// Revert implements engine.Scaler.
func (f *Scaler) Revert(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Scaler", "Revert", "%s", c.EventName())
	return f.err("Revert")
}
