package router

import (
	"context"
	"fmt"
	"sync"

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
	// Logger is passed to the TrafficSplit and HTTPRoute routers.
	Logger logr.Logger
	// HTTPRoutes are the HTTPRoute stores of the Gateway API versions the controller watches,
	// by version (v1, v1beta1); a canary of a Gateway API provider whose version has no store
	// fails (the Gateway API CRDs are not installed).
	HTTPRoutes map[string]HTTPRoutes
	// DiscoverHTTPRoutes, when set, is asked for the store of a Gateway API version HTTPRoutes
	// lacks, so that CRDs installed after the controller started are used without a restart;
	// its error (ErrGatewayAPIUnavailable while the version is not served) fails the canary.
	DiscoverHTTPRoutes func(ctx context.Context, version string) (HTTPRoutes, error)
}

// Dispatcher is the engine.Router of a canary: its Services, then the TrafficSplit or the
// HTTPRoute of the version its provider selects.
type Dispatcher struct {
	services *Services
	dyn      dynamic.Interface
	splits   Splits
	provider string
	log      logr.Logger
	discover func(ctx context.Context, version string) (HTTPRoutes, error)

	mu       sync.Mutex // guards gateways
	gateways map[string]*GatewayAPI
}

var _ engine.Router = (*Dispatcher)(nil)

// New returns the router joining services and the TrafficSplits read through splits and
// written through dyn (and the HTTPRoutes of opts).
func New(services *Services, dyn dynamic.Interface, splits Splits, opts Options) *Dispatcher {
	p := opts.DefaultProvider
	if p == "" {
		p = v1beta1.DefaultProvider
	}
	gateways := map[string]*GatewayAPI{}
	for v, routes := range opts.HTTPRoutes {
		gateways[v] = NewGatewayAPI(routes, GatewayAPIOptions{Logger: opts.Logger})
	}
	return &Dispatcher{services: services, dyn: dyn, splits: splits, provider: p, log: opts.Logger, gateways: gateways,
		discover: opts.DiscoverHTTPRoutes}
}

// mesh is the part of a router that owns the routing object: SMI or GatewayAPI.
type mesh interface {
	Reconcile(ctx context.Context, c *v1beta1.Canary) error
	SetRoutes(ctx context.Context, c *v1beta1.Canary, r engine.Routes) error
	Routes(ctx context.Context, c *v1beta1.Canary) (engine.Routes, error)
	Finalize(ctx context.Context, c *v1beta1.Canary) error
}

// smiMesh adapts SMI, which has no mirroring, to mesh.
type smiMesh struct{ *SMI }

var (
	_ mesh = smiMesh{}
	_ mesh = (*GatewayAPI)(nil)
)

func (m smiMesh) SetRoutes(ctx context.Context, c *v1beta1.Canary, r engine.Routes) error {
	return m.SMI.SetRoutes(ctx, c, r.Primary, r.Canary)
}

func (m smiMesh) Routes(ctx context.Context, c *v1beta1.Canary) (engine.Routes, error) {
	p, w, err := m.SMI.Routes(ctx, c)
	return engine.Routes{Primary: p, Canary: w}, err
}

// router returns the routing object's router for c: the SMI TrafficSplit or the Gateway API
// HTTPRoute of its provider.
func (r *Dispatcher) router(ctx context.Context, c *v1beta1.Canary) (mesh, error) {
	raw := c.Spec.Provider
	if raw == "" {
		raw = r.provider
	}
	p, err := v1beta1.ParseProvider(raw)
	if err != nil {
		return nil, fmt.Errorf("canary %s: %w", c.EventName(), err)
	}
	if p.IsGatewayAPI() {
		g, err := r.gateway(ctx, p.GatewayAPIVersion)
		if err != nil {
			return nil, fmt.Errorf("canary %s: provider %s: %w", c.EventName(), p.Raw, err)
		}
		return g, nil
	}
	s, err := NewSMI(r.dyn, r.splits, p, SMIOptions{Logger: r.log})
	if err != nil {
		return nil, err
	}
	return smiMesh{s}, nil
}

// gateway returns the HTTPRoute router of a Gateway API version, discovering the version when
// the controller started without it.
func (r *Dispatcher) gateway(ctx context.Context, version string) (*GatewayAPI, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if g, ok := r.gateways[version]; ok {
		return g, nil
	}
	if r.discover == nil {
		return nil, ErrGatewayAPIUnavailable
	}
	routes, err := r.discover(ctx, version)
	if err != nil {
		return nil, err
	}
	g := NewGatewayAPI(routes, GatewayAPIOptions{Logger: r.log})
	r.gateways[version] = g
	return g, nil
}

// Mesh returns the TrafficSplit router for c: spec.provider, or the default provider, parsed
// with v1beta1.ParseProvider. Anything but smi:crossover and smi:v1alpha1|2|3[:mesh] is an
// error (Gateway API canaries are routed by GatewayAPI instead).
func (r *Dispatcher) Mesh(c *v1beta1.Canary) (*SMI, error) {
	raw := c.Spec.Provider
	if raw == "" {
		raw = r.provider
	}
	p, err := v1beta1.ParseProvider(raw)
	if err != nil {
		return nil, fmt.Errorf("canary %s: %w", c.EventName(), err)
	}
	return NewSMI(r.dyn, r.splits, p, SMIOptions{Logger: r.log})
}

// Reconcile creates or updates the Services, then the TrafficSplit. An unknown provider fails
// before anything is written.
func (r *Dispatcher) Reconcile(ctx context.Context, c *v1beta1.Canary) error {
	mesh, err := r.router(ctx, c)
	if err != nil {
		return err
	}
	if err := r.services.Reconcile(ctx, c); err != nil {
		return err
	}
	return mesh.Reconcile(ctx, c)
}

// SetRoutes writes r into the TrafficSplit (which cannot mirror) or the HTTPRoute.
func (r *Dispatcher) SetRoutes(ctx context.Context, c *v1beta1.Canary, routes engine.Routes) error {
	mesh, err := r.router(ctx, c)
	if err != nil {
		return err
	}
	return mesh.SetRoutes(ctx, c, routes)
}

// Routes reads the routes back from the TrafficSplit or HTTPRoute.
func (r *Dispatcher) Routes(ctx context.Context, c *v1beta1.Canary) (engine.Routes, error) {
	mesh, err := r.router(ctx, c)
	if err != nil {
		return engine.Routes{}, err
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
	mesh, err := r.router(ctx, c)
	if err != nil {
		return nil
	}
	return mesh.Finalize(ctx, c)
}
