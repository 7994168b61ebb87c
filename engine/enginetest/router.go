package enginetest

import (
	"context"
	"fmt"
	"sync"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Router is a fake engine.Router that keeps the routed weights. Like the SMI router, Reconcile
// creates the routing object with everything on the primary, and Routes fails before that.
type Router struct {
	failures
	journal         *Journal
	mu              sync.Mutex
	exists          bool
	primary, canary int
}

var _ engine.Router = (*Router)(nil)

// NewRouter returns a Router that records into j.
func NewRouter(j *Journal) *Router { return &Router{journal: j} }

// Weights returns the routed weights and whether the routing object exists.
func (f *Router) Weights() (primary, canary int, exists bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.primary, f.canary, f.exists
}

// Route sets the routed weights, creating the routing object.
func (f *Router) Route(primary, canary int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exists, f.primary, f.canary = true, primary, canary
}

// Reconcile implements engine.Router.
func (f *Router) Reconcile(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Router", "Reconcile", "%s", c.EventName())
	if err := f.err("Reconcile"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.exists {
		f.exists, f.primary, f.canary = true, v1beta1.TotalWeight, 0
	}
	return nil
}

// SetRoutes implements engine.Router.
func (f *Router) SetRoutes(_ context.Context, c *v1beta1.Canary, primary, canary int) error {
	f.journal.add("Router", "SetRoutes", "%d/%d", primary, canary)
	if err := f.err("SetRoutes"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.exists {
		return fmt.Errorf("TrafficSplit %s get query error: not found", c.EventName())
	}
	f.primary, f.canary = primary, canary
	return nil
}

// Routes implements engine.Router.
func (f *Router) Routes(_ context.Context, c *v1beta1.Canary) (primary, canary int, err error) {
	f.journal.add("Router", "Routes", "%s", c.EventName())
	if err := f.err("Routes"); err != nil {
		return 0, 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.exists {
		return 0, 0, fmt.Errorf("TrafficSplit %s get query error: not found", c.EventName())
	}
	return f.primary, f.canary, nil
}

// Finalize implements engine.Router.
func (f *Router) Finalize(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Router", "Finalize", "%s", c.EventName())
	return f.err("Finalize")
}
