package v1beta1

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateRouting checks the routing settings against the provider that will carry them.
//
// Gateway API (HTTPRoute) needs gatewayRefs, each with a name; it honours A/B matches,
// traffic mirroring (analysis.mirror, service.mirror filters), session affinity, and the
// service's headers, rewrite and timeout, whose contents must be expressible in an HTTPRoute.
//
// SMI TrafficSplits can do none of match, mirror, service.mirror and sessionAffinity: Flagger
// routes 100% of the traffic to the canary for an A/B test, stalls at weight 0 when mirroring
// (quirk S10), and silently ignores session affinity, so users would believe their sessions
// are pinned while every request is split by weight. gitcanary rejects all four.
func validateRouting(c *Canary, p Provider, spec *field.Path) field.ErrorList {
	svc := spec.Child("service")
	a := c.Spec.Analysis
	if !p.IsGatewayAPI() {
		return forbidUnderSMI(c, spec)
	}
	var errs field.ErrorList
	if len(c.Spec.Service.GatewayRefs) == 0 {
		errs = append(errs, field.Required(svc.Child("gatewayRefs"),
			fmt.Sprintf("provider %s attaches the HTTPRoute to the Gateways listed here", p.Raw)))
	}
	for i, g := range c.Spec.Service.GatewayRefs {
		if g.Name == "" {
			errs = append(errs, field.Required(svc.Child("gatewayRefs").Index(i).Child("name"), "the Gateway's name"))
		}
	}
	for i, m := range c.Spec.Service.Mirror {
		if m.BackendRef.Name == "" {
			errs = append(errs, field.Required(svc.Child("mirror").Index(i).Child("backendRef", "name"), "the Service requests are mirrored to"))
		}
	}
	svcMatches, matchErrs := ParseMatches(c.Spec.Service.Match, svc.Child("match"))
	errs = append(errs, matchErrs...)
	errs = append(errs, validateServiceFilters(c, svcMatches, svc)...)
	if a == nil {
		return errs
	}
	path := spec.Child("analysis")
	_, matchErrs = ParseMatches(a.Match, path.Child("match"))
	errs = append(errs, matchErrs...)
	errs = append(errs, validatePercent(a.MirrorWeight, path.Child("mirrorWeight"))...)
	if s := a.SessionAffinity; s != nil {
		sp := path.Child("sessionAffinity")
		if s.CookieName == "" {
			errs = append(errs, field.Required(sp.Child("cookieName"), "the name of the cookie that pins users to the canary"))
		}
		if s.PrimaryCookieName != "" && s.PrimaryCookieName == s.CookieName {
			errs = append(errs, field.Invalid(sp.Child("primaryCookieName"), s.PrimaryCookieName, "must differ from cookieName"))
		}
	}
	return errs
}

// forbidUnderSMI rejects the settings SMI TrafficSplits cannot honour.
func forbidUnderSMI(c *Canary, spec *field.Path) field.ErrorList {
	const hint = "; use provider gatewayapi:v1"
	var errs field.ErrorList
	if len(c.Spec.Service.Match) > 0 {
		errs = append(errs, field.Forbidden(spec.Child("service", "match"),
			"request matches are not supported by SMI TrafficSplits"+hint))
	}
	if len(c.Spec.Service.Mirror) > 0 {
		errs = append(errs, field.Forbidden(spec.Child("service", "mirror"),
			"traffic mirroring is not supported by SMI TrafficSplits"+hint))
	}
	a := c.Spec.Analysis
	if a == nil {
		return errs
	}
	path := spec.Child("analysis")
	if len(a.Match) > 0 {
		errs = append(errs, field.Forbidden(path.Child("match"),
			"A/B testing is not supported by SMI TrafficSplits, which cannot match on headers (Flagger would route 100% of the traffic to the canary); use stepWeight, stepWeights or iterations, or provider gatewayapi:v1"))
	}
	if a.Mirror {
		errs = append(errs, field.Forbidden(path.Child("mirror"),
			"traffic mirroring is not supported by SMI TrafficSplits (Flagger would stall at weight 0)"+hint))
	}
	if a.SessionAffinity != nil {
		errs = append(errs, field.Forbidden(path.Child("sessionAffinity"),
			"session affinity is not supported by SMI TrafficSplits (Flagger ignores it and splits every request by weight)"+hint))
	}
	return errs
}

// validateServiceFilters checks service.headers, service.rewrite and service.timeout, which
// become the HTTPRoute's filters and timeouts. Session affinity owns the Set-Cookie response
// header. A prefix rewrite needs every rule of the route to match exactly one path prefix (an
// HTTPRoute rule of the API server): one service match at most, on a path prefix, and one A/B
// match at most.
func validateServiceFilters(c *Canary, svcMatches []HTTPMatch, svc *field.Path) field.ErrorList {
	h, errs := ParseHeaders(c.Spec.Service.Headers, svc.Child("headers"))
	if h != nil && h.Response != nil && c.Spec.Analysis != nil && c.Spec.Analysis.SessionAffinity != nil {
		for _, op := range []string{"set", "add"} {
			for name := range map[string]map[string]string{"set": h.Response.Set, "add": h.Response.Add}[op] {
				if strings.EqualFold(name, "Set-Cookie") {
					errs = append(errs, field.Forbidden(svc.Child("headers", "response", op).Key(name),
						"spec.analysis.sessionAffinity sets the Set-Cookie header of the answers"))
				}
			}
		}
	}
	rw, rwErrs := ParseRewrite(c.Spec.Service.Rewrite, svc.Child("rewrite"))
	errs = append(errs, rwErrs...)
	errs = append(errs, validateGatewayDuration(c.Spec.Service.Timeout, svc.Child("timeout"))...)
	if rw == nil || rw.URI == "" || rw.PathType() != RewritePrefixMatch {
		return errs
	}
	const why = "a ReplacePrefixMatch rewrite needs exactly one path prefix match per HTTPRoute rule"
	prefixOnly := len(svcMatches) <= 1
	for _, m := range svcMatches {
		prefixOnly = prefixOnly && (m.URI == nil || m.URI.Prefix != "")
	}
	if !prefixOnly {
		errs = append(errs, field.Invalid(svc.Child("rewrite", "type"), rw.Type, why+": spec.service.match must be one match on a uri prefix at most"))
	}
	if a := c.Spec.Analysis; a != nil && len(a.Match) > 1 {
		errs = append(errs, field.Invalid(svc.Child("rewrite", "type"), rw.Type, why+": spec.analysis.match must have one match at most"))
	}
	return errs
}
