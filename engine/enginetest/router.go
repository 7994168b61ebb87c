package enginetest

import (
	"context"
	"fmt"
	"sync"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Router is a fake engine.Router that keeps the routes. Like the SMI and Gateway API routers,
// Reconcile creates the routing object with everything on the primary, and Routes fails
// before that.
type Router struct {
	failures
	journal *Journal
	mu      sync.Mutex
	exists  bool
	routes  engine.Routes
}

var _ engine.Router = (*Router)(nil)

// NewRouter returns a Router that records into j.
func NewRouter(j *Journal) *Router { return &Router{journal: j} }

// Weights returns the routed weights and whether the routing object exists.
func (f *Router) Weights() (primary, canary int, exists bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.routes.Primary, f.routes.Canary, f.exists
}

// Mirrored reports whether the requests are mirrored to the canary.
func (f *Router) Mirrored() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.routes.Mirror
}

// Route sets the routed weights without mirroring, creating the routing object.
func (f *Router) Route(primary, canary int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exists, f.routes = true, engine.Routes{Primary: primary, Canary: canary}
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
		f.exists, f.routes = true, engine.Routes{Primary: v1beta1.TotalWeight}
	}
	return nil
}

// SetRoutes implements engine.Router.
func (f *Router) SetRoutes(_ context.Context, c *v1beta1.Canary, r engine.Routes) error {
	if r.Mirror {
		f.journal.add("Router", "SetRoutes", "%d/%d mirror", r.Primary, r.Canary)
	} else {
		f.journal.add("Router", "SetRoutes", "%d/%d", r.Primary, r.Canary)
	}
	if err := f.err("SetRoutes"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.exists {
		return fmt.Errorf("TrafficSplit %s get query error: not found", c.EventName())
	}
	f.routes = r
	return nil
}

// Routes implements engine.Router.
func (f *Router) Routes(_ context.Context, c *v1beta1.Canary) (engine.Routes, error) {
	f.journal.add("Router", "Routes", "%s", c.EventName())
	if err := f.err("Routes"); err != nil {
		return engine.Routes{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.exists {
		return engine.Routes{}, fmt.Errorf("TrafficSplit %s get query error: not found", c.EventName())
	}
	return f.routes, nil
}

// Finalize implements engine.Router.
func (f *Router) Finalize(_ context.Context, c *v1beta1.Canary) error {
	f.journal.add("Router", "Finalize", "%s", c.EventName())
	return f.err("Finalize")
}
