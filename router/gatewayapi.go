package router

import (
	"context"
	"fmt"
	"maps"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// GatewayAPIOptions configures GatewayAPI. The zero value is valid.
type GatewayAPIOptions struct {
	// Logger receives "HTTPRoute <name>.<ns> created|updated"; the zero value discards them.
	Logger logr.Logger
}

// GatewayAPI routes with the HTTPRoute <apex> of one gateway.networking.k8s.io version
// (provider gatewayapi:v1 or gatewayapi:v1beta1), attached to the canary's gatewayRefs. It
// reads routes from the informer's cache and writes only when the route must change.
type GatewayAPI struct {
	routes HTTPRoutes
	log    logr.Logger
}

// NewGatewayAPI returns the router writing HTTPRoutes through routes.
func NewGatewayAPI(routes HTTPRoutes, opts GatewayAPIOptions) *GatewayAPI {
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	return &GatewayAPI{routes: routes, log: log}
}

// Version returns the HTTPRoute API version the router writes.
func (g *GatewayAPI) Version() string { return g.routes.Version() }

// Reconcile creates the HTTPRoute routing everything to the primary, or repairs a live one
// whose spec, labels or annotations drifted from the canary's: the spec is rewritten with
// everything on the primary, as Flagger does; the live weights, mirror and session cookies
// are not drift. Annotations added by others (gateway controllers) are kept.
func (g *GatewayAPI) Reconcile(ctx context.Context, c *v1beta1.Canary) error {
	name, _, _ := c.ServiceNames()
	if _, err := g.routes.Cached(c.Namespace, name); apierrors.IsNotFound(err) {
		return g.create(ctx, c, name)
	}
	written, err := g.update(ctx, c, name, func(live *gwv1.HTTPRoute) *gwv1.HTTPRoute {
		current, _ := readRoutes(c, live)
		labels, annotations := routeMetadata(c, live.Annotations)
		if routeSpecEqual(live.Spec, routeSpec(c, current)) && mapsEqual(live.Labels, labels) && mapsEqual(live.Annotations, annotations) {
			return nil
		}
		updated := live.DeepCopy()
		updated.Labels, updated.Annotations = labels, annotations
		updated.Spec = routeSpec(c, engine.Routes{Primary: v1beta1.TotalWeight})
		return updated
	})
	if written {
		g.logFor(c).Info(fmt.Sprintf("HTTPRoute %s.%s updated", name, c.Namespace))
	}
	return err
}

// update writes the route that change makes of the live one, nil meaning nothing to write.
// The live route comes from the cache first and from the API server after a conflict (a
// gateway controller writing the route's status changes its resourceVersion too).
func (g *GatewayAPI) update(ctx context.Context, c *v1beta1.Canary, name string, change func(live *gwv1.HTTPRoute) *gwv1.HTTPRoute) (written bool, err error) {
	live, err := g.routes.Cached(c.Namespace, name)
	first := true
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if !first {
			live, err = g.routes.Get(ctx, c.Namespace, name)
		}
		first = false
		if err != nil {
			return fmt.Errorf("HTTPRoute %s.%s get query error: %w", name, c.Namespace, err)
		}
		updated := change(live)
		if updated == nil {
			return nil
		}
		if err := g.routes.Update(ctx, updated); err != nil {
			return fmt.Errorf("HTTPRoute %s.%s update error: %w", name, c.Namespace, err)
		}
		written = true
		return nil
	})
	return written, err
}

func (g *GatewayAPI) create(ctx context.Context, c *v1beta1.Canary, name string) error {
	labels, annotations := routeMetadata(c, nil)
	r := &gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: c.Namespace, Labels: labels, Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{controllerRef(c)},
		},
		Spec: routeSpec(c, engine.Routes{Primary: v1beta1.TotalWeight}),
	}
	if err := g.routes.Create(ctx, r); err != nil {
		return fmt.Errorf("HTTPRoute %s.%s create error: %w", name, c.Namespace, err)
	}
	g.logFor(c).Info(fmt.Sprintf("HTTPRoute %s.%s created", name, c.Namespace))
	return nil
}

// routeMetadata returns the route's labels and annotations: those of service.apex, plus the
// live annotations that others added.
func routeMetadata(c *v1beta1.Canary, live map[string]string) (labels, annotations map[string]string) {
	annotations = maps.Clone(live)
	if m := c.Spec.Service.Apex; m != nil {
		labels = maps.Clone(m.Labels)
		if annotations == nil && len(m.Annotations) > 0 {
			annotations = map[string]string{}
		}
		maps.Copy(annotations, m.Annotations)
	}
	return labels, annotations
}

// SetRoutes writes r into the HTTPRoute, re-reading it from the API server when the update
// conflicts. Nothing is written when the route already routes that way. The weights must be
// 0–100 and sum to 100.
func (g *GatewayAPI) SetRoutes(ctx context.Context, c *v1beta1.Canary, r engine.Routes) error {
	name, _, _ := c.ServiceNames()
	if r.Primary < 0 || r.Canary < 0 || r.Primary+r.Canary != v1beta1.TotalWeight {
		return fmt.Errorf("set HTTPRoute %s.%s weights primary %d canary %d: %w", name, c.Namespace, r.Primary, r.Canary, ErrInvalidWeights)
	}
	want := routeSpec(c, r)
	_, err := g.update(ctx, c, name, func(live *gwv1.HTTPRoute) *gwv1.HTTPRoute {
		if routeSpecEqual(live.Spec, want) {
			return nil
		}
		updated := live.DeepCopy()
		updated.Spec = want
		return updated
	})
	return err
}

// Routes reads the routes back from the HTTPRoute: the weights of the last rule that sends
// to both the primary and the canary (the weighted rule comes after the sticky session
// rules), and whether that rule mirrors to the canary. As in Flagger, a route that a parent
// Gateway has not accepted at its current generation is an error: the weights written are
// not in force yet.
func (g *GatewayAPI) Routes(_ context.Context, c *v1beta1.Canary) (engine.Routes, error) {
	name, primarySvc, canarySvc := c.ServiceNames()
	live, err := g.routes.Cached(c.Namespace, name)
	if err != nil {
		return engine.Routes{}, fmt.Errorf("HTTPRoute %s.%s get query error: %w", name, c.Namespace, err)
	}
	if err := accepted(live); err != nil {
		return engine.Routes{}, err
	}
	r, ok := readRoutes(c, live)
	if !ok || (r.Primary == 0 && r.Canary == 0) {
		return engine.Routes{}, &noRoutesError{kind: "HTTPRoute", split: name, namespace: c.Namespace, primary: primarySvc, canary: canarySvc}
	}
	return r, nil
}

// readRoutes finds the weighted rule of a live route; ok is false when there is none.
func readRoutes(c *v1beta1.Canary, live *gwv1.HTTPRoute) (r engine.Routes, ok bool) {
	_, primarySvc, canarySvc := c.ServiceNames()
	for _, rule := range live.Spec.Rules {
		p, pok := weightOf(rule.BackendRefs, primarySvc)
		w, cok := weightOf(rule.BackendRefs, canarySvc)
		if !pok || !cok {
			continue
		}
		r, ok = engine.Routes{Primary: p, Canary: w}, true
		for _, f := range rule.Filters {
			if f.Type == gwv1.HTTPRouteFilterRequestMirror && f.RequestMirror != nil && string(f.RequestMirror.BackendRef.Name) == canarySvc {
				r.Mirror = true
			}
		}
	}
	return r, ok
}

func weightOf(refs []gwv1.HTTPBackendRef, svc string) (int, bool) {
	for _, b := range refs {
		if string(b.Name) != svc {
			continue
		}
		if b.Weight == nil {
			return 1, true
		}
		return int(*b.Weight), true
	}
	return 0, false
}

// accepted fails when a parent of the route reports Accepted other than True, or for an older
// generation.
func accepted(r *gwv1.HTTPRoute) error {
	ours := map[string]bool{}
	for _, p := range r.Spec.ParentRefs {
		ours[parentKey(p, r.Namespace)] = true
	}
	for _, ps := range r.Status.Parents {
		if !ours[parentKey(ps.ParentRef, r.Namespace)] {
			continue
		}
		for _, cond := range ps.Conditions {
			if cond.Type == string(gwv1.RouteConditionAccepted) && (cond.Status != metav1.ConditionTrue || cond.ObservedGeneration < r.Generation) {
				return fmt.Errorf("HTTPRoute %s.%s parent %s is not ready (status: %s, observed generation: %d, current generation: %d)",
					r.Name, r.Namespace, ps.ParentRef.Name, cond.Status, cond.ObservedGeneration, r.Generation)
			}
		}
	}
	return nil
}

// Finalize does nothing: garbage collection deletes the HTTPRoute with the Canary.
func (g *GatewayAPI) Finalize(context.Context, *v1beta1.Canary) error { return nil }

func (g *GatewayAPI) logFor(c *v1beta1.Canary) logr.Logger {
	return g.log.WithValues("canary", c.ID())
}
