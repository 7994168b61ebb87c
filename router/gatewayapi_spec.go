package router

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Defaults the API server fills in; the desired spec spells them out so that a route read
// back compares equal to the one written.
const (
	gatewayGroup = gwv1.Group(gwv1.GroupName)
	gatewayKind  = gwv1.Kind("Gateway")
	serviceKind  = gwv1.Kind("Service")
	cookieHeader = "Cookie"
	setCookie    = "Set-Cookie"
)

// routeSpec is the HTTPRoute spec of canary c routed as r (Flagger's shape, reference
// docs of gatewayapi:v1):
//
//   - parentRefs from service.gatewayRefs, hostnames from service.hosts;
//   - one weighted rule: service.match (default: path prefix /), the service's filters
//     (headers, rewrite, mirror) and, when r.Mirror, a RequestMirror filter to the canary;
//     the service.timeout; backends primary and canary;
//   - A/B testing (analysis.match): the weighted rule matches the analysis conditions merged
//     into the service's, and a second rule sends the rest to the primary;
//   - session affinity: rules before the weighted one pin the users carrying the canary's (or
//     primary's) cookie, which the weighted rule's backends set (sessionRules).
func routeSpec(c *v1beta1.Canary, r engine.Routes) gwv1.HTTPRouteSpec {
	_, primary, canary := c.ServiceNames()
	port := c.Spec.Service.Port
	svcMatches := routeMatches(mustMatches(c.Spec.Service.Match))
	if len(svcMatches) == 0 {
		svcMatches = []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchPathPrefix), Value: ptrTo("/")}}}
	}
	weighted := gwv1.HTTPRouteRule{
		Matches:     svcMatches,
		Filters:     serviceFilters(c),
		BackendRefs: backends(primary, canary, port, r.Primary, r.Canary),
		Timeouts:    timeouts(c),
	}
	if r.Mirror {
		weighted.Filters = append(weighted.Filters, mirrorFilter(c, canary, port))
	}
	spec := gwv1.HTTPRouteSpec{
		CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: parentRefs(c)},
		Hostnames:       hostnames(c.Spec.Service.Hosts),
		Rules:           []gwv1.HTTPRouteRule{weighted},
	}
	a := c.Spec.Analysis
	if a != nil && len(a.Match) > 0 {
		spec.Rules[0].Matches = mergeMatches(routeMatches(mustMatches(a.Match)), svcMatches)
		spec.Rules = append(spec.Rules, gwv1.HTTPRouteRule{
			Matches:     svcMatches,
			Filters:     serviceFilters(c),
			BackendRefs: []gwv1.HTTPBackendRef{backendRef(primary, port, v1beta1.TotalWeight)},
			Timeouts:    timeouts(c),
		})
	}
	if a != nil && a.SessionAffinity != nil {
		spec.Rules = append(sessionRules(c, &spec.Rules[0], svcMatches, r), spec.Rules...)
	}
	return spec
}

// mustMatches returns the parsed matches; validation rejected canaries whose matches do not
// parse before any router call, so errors are not expected here and dropped matches are.
func mustMatches(raw []apiextensionsv1.JSON) []v1beta1.HTTPMatch {
	ms, _ := v1beta1.ParseMatches(raw, nil)
	return ms
}

func parentRefs(c *v1beta1.Canary) []gwv1.ParentReference {
	var out []gwv1.ParentReference
	for _, g := range c.Spec.Service.GatewayRefs {
		p := gwv1.ParentReference{
			Group:       ptrTo(gatewayGroup),
			Kind:        ptrTo(gatewayKind),
			Namespace:   (*gwv1.Namespace)(g.Namespace),
			Name:        gwv1.ObjectName(g.Name),
			SectionName: (*gwv1.SectionName)(g.SectionName),
			Port:        g.Port,
		}
		if g.Group != nil {
			p.Group = (*gwv1.Group)(g.Group)
		}
		if g.Kind != nil {
			p.Kind = (*gwv1.Kind)(g.Kind)
		}
		out = append(out, p)
	}
	return out
}

func hostnames(hosts []string) []gwv1.Hostname {
	var out []gwv1.Hostname
	for _, h := range hosts {
		out = append(out, gwv1.Hostname(h))
	}
	return out
}

func backends(primary, canary string, port int32, pw, cw int) []gwv1.HTTPBackendRef {
	return []gwv1.HTTPBackendRef{backendRef(primary, port, pw), backendRef(canary, port, cw)}
}

func backendRef(svc string, port int32, weight int) gwv1.HTTPBackendRef {
	return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{
		BackendObjectReference: serviceRef(svc, port),
		Weight:                 ptrTo(int32(weight)),
	}}
}

func serviceRef(svc string, port int32) gwv1.BackendObjectReference {
	return gwv1.BackendObjectReference{
		Group: ptrTo(gwv1.Group("")), Kind: ptrTo(serviceKind), Name: gwv1.ObjectName(svc), Port: ptrTo(port),
	}
}

// routeMatches converts Flagger's match conditions to HTTPRoute matches.
func routeMatches(ms []v1beta1.HTTPMatch) []gwv1.HTTPRouteMatch {
	var out []gwv1.HTTPRouteMatch
	for _, m := range ms {
		var rm gwv1.HTTPRouteMatch
		if u := m.URI; u != nil {
			switch {
			case u.Exact != "":
				rm.Path = &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchExact), Value: ptrTo(u.Exact)}
			case u.Prefix != "":
				rm.Path = &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchPathPrefix), Value: ptrTo(u.Prefix)}
			default:
				rm.Path = &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchRegularExpression), Value: ptrTo(u.Regex)}
			}
		}
		if m.Method != nil {
			rm.Method = ptrTo(gwv1.HTTPMethod(m.Method.Exact))
		}
		for _, h := range m.SortedHeaders() {
			hm := gwv1.HTTPHeaderMatch{Name: gwv1.HTTPHeaderName(h.Name), Type: ptrTo(gwv1.HeaderMatchExact), Value: h.Match.Exact}
			if h.Match.Regex != "" {
				hm.Type, hm.Value = ptrTo(gwv1.HeaderMatchRegularExpression), h.Match.Regex
			}
			rm.Headers = append(rm.Headers, hm)
		}
		for _, q := range m.SortedQueryParams() {
			qm := gwv1.HTTPQueryParamMatch{Name: gwv1.HTTPHeaderName(q.Name), Type: ptrTo(gwv1.QueryParamMatchExact), Value: q.Match.Exact}
			if q.Match.Regex != "" {
				qm.Type, qm.Value = ptrTo(gwv1.QueryParamMatchRegularExpression), q.Match.Regex
			}
			rm.QueryParams = append(rm.QueryParams, qm)
		}
		if rm.Path == nil {
			rm.Path = &gwv1.HTTPPathMatch{Type: ptrTo(gwv1.PathMatchPathPrefix), Value: ptrTo("/")}
		}
		out = append(out, rm)
	}
	return out
}

// mergeMatches is Flagger's merge of A/B conditions into the service's: every pair of an
// analysis and a service match, with the analysis headers and query parameters.
func mergeMatches(analysis, service []gwv1.HTTPRouteMatch) []gwv1.HTTPRouteMatch {
	var out []gwv1.HTTPRouteMatch
	for _, a := range analysis {
		for _, s := range service {
			m := *s.DeepCopy()
			if len(a.Headers) > 0 {
				m.Headers = a.Headers
			}
			if len(a.QueryParams) > 0 {
				m.QueryParams = a.QueryParams
			}
			out = append(out, m)
		}
	}
	return out
}

// cookieValue is the value of a session cookie: derived from the Canary's UID, the revision
// under analysis and the cookie's name, so that every tick (and a restarted controller)
// writes the same route, and a new revision gets a new cookie.
func cookieValue(c *v1beta1.Canary, name string) string {
	sum := sha256.Sum256([]byte(string(c.UID) + "/" + c.Status.LastAppliedSpec + "/" + name))
	return hex.EncodeToString(sum[:8])
}

// cookieMatch matches requests that carry name=value in their Cookie header.
func cookieMatch(name, value string, service []gwv1.HTTPRouteMatch) []gwv1.HTTPRouteMatch {
	m := gwv1.HTTPRouteMatch{Headers: []gwv1.HTTPHeaderMatch{{
		Type: ptrTo(gwv1.HeaderMatchRegularExpression), Name: cookieHeader, Value: fmt.Sprintf(".*%s=%s.*", name, value),
	}}}
	return mergeMatches([]gwv1.HTTPRouteMatch{m}, service)
}

// setCookieFilter adds a Set-Cookie header with the session affinity attributes to answers.
func setCookieFilter(s *v1beta1.SessionAffinity, name, value string, maxAge int) gwv1.HTTPRouteFilter {
	attrs := []string{fmt.Sprintf("%s=%s", name, value), fmt.Sprintf("Max-Age=%d", maxAge)}
	for _, a := range []struct {
		on  bool
		val string
	}{
		{s.Domain != "", "Domain=" + s.Domain}, {s.Path != "", "Path=" + s.Path}, {s.SameSite != "", "SameSite=" + s.SameSite},
		{s.HTTPOnly, "HttpOnly"}, {s.Secure, "Secure"}, {s.Partitioned, "Partitioned"},
	} {
		if a.on {
			attrs = append(attrs, a.val)
		}
	}
	return gwv1.HTTPRouteFilter{
		Type:                   gwv1.HTTPRouteFilterResponseHeaderModifier,
		ResponseHeaderModifier: &gwv1.HTTPHeaderFilter{Add: []gwv1.HTTPHeader{{Name: setCookie, Value: strings.Join(attrs, "; ")}}},
	}
}

// sessionRules returns the sticky rules that go before the weighted rule, and adds the
// Set-Cookie filters to the backends of weighted. While the canary gets traffic, users
// answered by the canary get its cookie (analysis.sessionAffinity.maxAge) and are pinned to
// it; with primaryCookieName, users answered by the primary get that cookie (for one
// analysis interval) and are pinned to the primary. At weight 0 the canary's cookie of this
// revision is expired by a rule that routes like the weighted one.
func sessionRules(c *v1beta1.Canary, weighted *gwv1.HTTPRouteRule, service []gwv1.HTTPRouteMatch, r engine.Routes) []gwv1.HTTPRouteRule {
	s := c.Spec.Analysis.SessionAffinity
	_, primary, canary := c.ServiceNames()
	port := c.Spec.Service.Port
	cv := cookieValue(c, s.CookieName)
	if r.Canary == 0 {
		expire := *weighted.DeepCopy()
		expire.Matches = cookieMatch(s.CookieName, cv, service)
		expire.Filters = addResponseHeader(expire.Filters, setCookieFilter(s, s.CookieName, cv, -1))
		return []gwv1.HTTPRouteRule{expire}
	}
	weighted.BackendRefs[1].Filters = []gwv1.HTTPRouteFilter{setCookieFilter(s, s.CookieName, cv, s.EffectiveMaxAge())}
	sticky := *weighted.DeepCopy()
	sticky.Matches = cookieMatch(s.CookieName, cv, service)
	sticky.BackendRefs = backends(primary, canary, port, 0, v1beta1.TotalWeight)
	rules := []gwv1.HTTPRouteRule{sticky}
	if s.PrimaryCookieName != "" {
		pv := cookieValue(c, s.PrimaryCookieName)
		weighted.BackendRefs[0].Filters = []gwv1.HTTPRouteFilter{
			setCookieFilter(s, s.PrimaryCookieName, pv, int(c.AnalysisInterval().Seconds())),
		}
		pin := *weighted.DeepCopy()
		pin.Matches = cookieMatch(s.PrimaryCookieName, pv, service)
		pin.BackendRefs = backends(primary, canary, port, v1beta1.TotalWeight, 0)
		rules = append(rules, pin)
	}
	return rules
}

func ptrTo[T any](v T) *T { return &v }
