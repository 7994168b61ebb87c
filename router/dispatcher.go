package router

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/client-go/dynamic"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Options configures Dispatcher. The zero value is valid.
type Options struct {
	// DefaultProvider is used for canaries without spec.provider (the controller's
	// -mesh-provider); empty means v1beta1.DefaultProvider, smi:crossover.
	DefaultProvider string
	// Logger is passed to the TrafficSplit routers.
	Logger logr.Logger
}

// Dispatcher is the engine.Router of a canary: its Services, then the TrafficSplit of the
// version its provider selects.
type Dispatcher struct {
	services *Services
	dyn      dynamic.Interface
	provider string
	log      logr.Logger
}

var _ engine.Router = (*Dispatcher)(nil)

// New returns the router joining services and the TrafficSplits written through dyn.
func New(services *Services, dyn dynamic.Interface, opts Options) *Dispatcher {
	p := opts.DefaultProvider
	if p == "" {
		p = v1beta1.DefaultProvider
	}
	return &Dispatcher{services: services, dyn: dyn, provider: p, log: opts.Logger}
}

// Mesh returns the TrafficSplit router for c: spec.provider, or the default provider, parsed
// with v1beta1.ParseProvider. Anything but smi:crossover and smi:v1alpha1|2|3[:mesh] is an error.
func (r *Dispatcher) Mesh(c *v1beta1.Canary) (*SMI, error) {
	raw := c.Spec.Provider
	if raw == "" {
		raw = r.provider
	}
	p, err := v1beta1.ParseProvider(raw)
	if err != nil {
		return nil, fmt.Errorf("canary %s: %w", c.EventName(), err)
	}
	return NewSMI(r.dyn, p, SMIOptions{Logger: r.log})
}

// Reconcile creates or updates the Services, then the TrafficSplit. An unknown provider fails
// before anything is written.
func (r *Dispatcher) Reconcile(ctx context.Context, c *v1beta1.Canary) error {
	mesh, err := r.Mesh(c)
	if err != nil {
		return err
	}
	if err := r.services.Reconcile(ctx, c); err != nil {
		return err
	}
	return mesh.Reconcile(ctx, c)
}

// SetRoutes writes the weights into the TrafficSplit.
func (r *Dispatcher) SetRoutes(ctx context.Context, c *v1beta1.Canary, primary, canary int) error {
	mesh, err := r.Mesh(c)
	if err != nil {
		return err
	}
	return mesh.SetRoutes(ctx, c, primary, canary)
}

// Routes reads the weights back from the TrafficSplit.
func (r *Dispatcher) Routes(ctx context.Context, c *v1beta1.Canary) (primary, canary int, err error) {
	mesh, err := r.Mesh(c)
	if err != nil {
		return 0, 0, err
	}
	return mesh.Routes(ctx, c)
}

// Finalize hands the apex Service back to the target; the TrafficSplit goes with garbage
// collection. A canary whose provider does not parse never had a TrafficSplit, so that is no
// reason to block its deletion.
func (r *Dispatcher) Finalize(ctx context.Context, c *v1beta1.Canary) error {
	if err := r.services.Finalize(ctx, c); err != nil {
		return err
	}
	mesh, err := r.Mesh(c)
	if err != nil {
		return nil
	}
	return mesh.Finalize(ctx, c)
}
