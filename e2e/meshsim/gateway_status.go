package meshsim

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// writeStatus accepts the simulator's GatewayClasses and Gateways and the parents of the
// HTTPRoutes attached to them, for the current generation of each. Objects whose status is
// already current are not written. Conflicts are left to the next event.
func (g *gateways) writeStatus(ctx context.Context) {
	if !g.ready() {
		return
	}
	classes, _ := g.classes.List(labels.Everything())
	for _, c := range classes {
		if c.Spec.ControllerName != ControllerName || current(c.Status.Conditions, string(gwv1.GatewayClassConditionStatusAccepted), c.Generation) {
			continue
		}
		u := c.DeepCopy()
		setCondition(&u.Status.Conditions, string(gwv1.GatewayClassConditionStatusAccepted), "Accepted", u.Generation)
		if _, err := g.client.GatewayV1().GatewayClasses().UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
			g.log.Debug("accept GatewayClass", "name", c.Name, "err", err)
		}
	}
	gws, _ := g.gws.List(labels.Everything())
	for _, gw := range gws {
		if !g.ours(gw.Namespace, gw.Name) || current(gw.Status.Conditions, string(gwv1.GatewayConditionProgrammed), gw.Generation) {
			continue
		}
		u := gw.DeepCopy()
		setCondition(&u.Status.Conditions, string(gwv1.GatewayConditionAccepted), "Accepted", u.Generation)
		setCondition(&u.Status.Conditions, string(gwv1.GatewayConditionProgrammed), "Programmed", u.Generation)
		if _, err := g.client.GatewayV1().Gateways(u.Namespace).UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
			g.log.Debug("accept Gateway", "gateway", gw.Namespace+"/"+gw.Name, "err", err)
		}
	}
	routes, _ := g.routes.List(labels.Everything())
	for _, r := range routes {
		g.acceptRoute(ctx, r)
	}
}

// acceptRoute writes Accepted and ResolvedRefs for each parent of r that is a Gateway of the
// simulator, keeping the parent statuses of other controllers.
func (g *gateways) acceptRoute(ctx context.Context, r *gwv1.HTTPRoute) {
	parents := g.attached(r)
	if len(parents) == 0 {
		return
	}
	u := r.DeepCopy()
	changed := false
	for _, p := range parents {
		i := slices.IndexFunc(u.Status.Parents, func(ps gwv1.RouteParentStatus) bool {
			return ps.ControllerName == ControllerName && sameParent(ps.ParentRef, p)
		})
		if i < 0 {
			u.Status.Parents = append(u.Status.Parents, gwv1.RouteParentStatus{ParentRef: p, ControllerName: ControllerName})
			i = len(u.Status.Parents) - 1
		}
		ps := &u.Status.Parents[i]
		if current(ps.Conditions, string(gwv1.RouteConditionAccepted), u.Generation) {
			continue
		}
		setCondition(&ps.Conditions, string(gwv1.RouteConditionAccepted), "Accepted", u.Generation)
		setCondition(&ps.Conditions, string(gwv1.RouteConditionResolvedRefs), "ResolvedRefs", u.Generation)
		changed = true
	}
	if !changed {
		return
	}
	if _, err := g.client.GatewayV1().HTTPRoutes(u.Namespace).UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		g.log.Debug("accept HTTPRoute", "route", r.Namespace+"/"+r.Name, "err", err)
	}
}

func sameParent(a, b gwv1.ParentReference) bool {
	str := func(p *gwv1.Namespace) string {
		if p == nil {
			return ""
		}
		return string(*p)
	}
	sec := func(p *gwv1.SectionName) string {
		if p == nil {
			return ""
		}
		return string(*p)
	}
	return a.Name == b.Name && str(a.Namespace) == str(b.Namespace) && sec(a.SectionName) == sec(b.SectionName)
}

// current reports whether condition t is True for generation.
func current(conds []metav1.Condition, t string, generation int64) bool {
	c := meta.FindStatusCondition(conds, t)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == generation
}

func setCondition(conds *[]metav1.Condition, t, reason string, generation int64) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: t, Status: metav1.ConditionTrue, Reason: reason, ObservedGeneration: generation,
		Message: "accepted by the gitcanary mesh simulator",
	})
}
