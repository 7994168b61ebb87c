package meshsim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// RouteTarget is where an HTTPRoute sends one request: the backend Service that answers,
// the response headers its filters add, and the Services the request is mirrored to.
type RouteTarget struct {
	// Namespace of the route (and of backends without a namespace).
	Namespace string
	// Backend is the backend Service picked by weight; empty when every weight is 0.
	Backend gwv1.BackendObjectReference
	// ResponseHeaders are added to the answer (ResponseHeaderModifier filters of the rule and
	// of the picked backend).
	ResponseHeaders []gwv1.HTTPHeader
	// Mirrors are the RequestMirror backends of the rule.
	Mirrors []gwv1.BackendObjectReference
}

// ClusterName is the Envoy cluster name of a backend as Envoy-based gateways (Contour, Envoy
// Gateway) name it, and as Flagger's Envoy queries for Gateway API match it:
// <namespace>_<service>_<port>.
func ClusterName(namespace string, b gwv1.BackendObjectReference) string {
	if b.Namespace != nil {
		namespace = string(*b.Namespace)
	}
	port := int32(0)
	if b.Port != nil {
		port = *b.Port
	}
	return fmt.Sprintf("%s_%s_%d", namespace, b.Name, port)
}

// ruleMatch is one match of one rule of a route, with its precedence.
type ruleMatch struct {
	route *gwv1.HTTPRoute
	rule  int
	score matchScore
}

// matchScore orders matches as Gateway API's precedence does, most specific first: an exact
// hostname, then a wildcard, then none; an exact path, then the longest prefix, then a
// regular expression; a method; more header matches; more query parameter matches.
type matchScore struct {
	host, pathKind, pathLen, method, headers, queries int
}

func (a matchScore) less(b matchScore) bool {
	x := []int{a.host, a.pathKind, a.pathLen, a.method, a.headers, a.queries}
	y := []int{b.host, b.pathKind, b.pathLen, b.method, b.headers, b.queries}
	return slices.Compare(x, y) < 0
}

// bestRule returns the route and rule that serves req among routes (all attached to a Gateway
// of the simulator), or nil. Ties go to the route listed first.
func bestRule(routes []*gwv1.HTTPRoute, req *http.Request) *ruleMatch {
	host := strings.ToLower(req.Host)
	if h, _, err := splitHostPort(host); err == nil {
		host = h
	}
	var best *ruleMatch
	for _, rt := range routes {
		hs, ok := hostScore(rt.Spec.Hostnames, host)
		if !ok {
			continue
		}
		for i, rule := range rt.Spec.Rules {
			matches := rule.Matches
			if len(matches) == 0 {
				matches = []gwv1.HTTPRouteMatch{{}}
			}
			for _, m := range matches {
				sc, ok := matchRequest(m, req)
				if !ok {
					continue
				}
				sc.host = hs
				if best == nil || best.score.less(sc) {
					best = &ruleMatch{route: rt, rule: i, score: sc}
				}
			}
		}
	}
	return best
}

// hostScore matches the request host against a route's hostnames: 2 exact, 1 wildcard, 0
// for a route without hostnames (which takes every host).
func hostScore(hostnames []gwv1.Hostname, host string) (int, bool) {
	if len(hostnames) == 0 {
		return 0, true
	}
	score, ok := 0, false
	for _, h := range hostnames {
		name := strings.ToLower(string(h))
		switch {
		case name == host:
			return 2, true
		case strings.HasPrefix(name, "*.") && strings.HasSuffix(host, name[1:]):
			score, ok = 1, true
		}
	}
	return score, ok
}

// matchRequest checks one HTTPRouteMatch (with the CRD's defaults) against req.
func matchRequest(m gwv1.HTTPRouteMatch, req *http.Request) (matchScore, bool) {
	var sc matchScore
	kind, value := gwv1.PathMatchPathPrefix, "/"
	if m.Path != nil {
		if m.Path.Type != nil {
			kind = *m.Path.Type
		}
		if m.Path.Value != nil {
			value = *m.Path.Value
		}
	}
	path := req.URL.Path
	switch kind {
	case gwv1.PathMatchExact:
		if path != value {
			return sc, false
		}
		sc.pathKind = 3
	case gwv1.PathMatchPathPrefix:
		trimmed := strings.TrimSuffix(value, "/")
		if path != trimmed && !strings.HasPrefix(path, trimmed+"/") && trimmed != "" {
			return sc, false
		}
		sc.pathKind, sc.pathLen = 2, len(value)
	default:
		if !fullMatch(value, path) {
			return sc, false
		}
		sc.pathKind = 1
	}
	if m.Method != nil {
		if string(*m.Method) != req.Method {
			return sc, false
		}
		sc.method = 1
	}
	for _, h := range m.Headers {
		regex := h.Type != nil && *h.Type == gwv1.HeaderMatchRegularExpression
		if !valueMatches(req.Header.Values(string(h.Name)), h.Value, regex) {
			return sc, false
		}
	}
	for _, q := range m.QueryParams {
		regex := q.Type != nil && *q.Type == gwv1.QueryParamMatchRegularExpression
		if !valueMatches(req.URL.Query()[string(q.Name)], q.Value, regex) {
			return sc, false
		}
	}
	sc.headers, sc.queries = len(m.Headers), len(m.QueryParams)
	return sc, true
}

// valueMatches reports whether the first value equals want, or fully matches the regular
// expression want; a missing value never matches.
func valueMatches(values []string, want string, regex bool) bool {
	if len(values) == 0 {
		return false
	}
	if regex {
		return fullMatch(want, values[0])
	}
	return values[0] == want
}

// fullMatch reports whether the whole of s matches the regular expression expr; an invalid
// expression matches nothing.
func fullMatch(expr, s string) bool {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	return err == nil && re.MatchString(s)
}

// target turns the chosen rule into where the request goes, picking the backend by weight
// with pick (an index into the rule's backends, or -1).
func (m *ruleMatch) target(pick func([]Backend) int) RouteTarget {
	rule := m.route.Spec.Rules[m.rule]
	t := RouteTarget{Namespace: m.route.Namespace}
	for _, f := range rule.Filters {
		switch {
		case f.Type == gwv1.HTTPRouteFilterRequestMirror && f.RequestMirror != nil:
			t.Mirrors = append(t.Mirrors, f.RequestMirror.BackendRef)
		case f.Type == gwv1.HTTPRouteFilterResponseHeaderModifier && f.ResponseHeaderModifier != nil:
			t.ResponseHeaders = append(t.ResponseHeaders, f.ResponseHeaderModifier.Add...)
		}
	}
	bs := make([]Backend, len(rule.BackendRefs))
	for i, b := range rule.BackendRefs {
		w := int64(1)
		if b.Weight != nil {
			w = int64(*b.Weight)
		}
		bs[i] = Backend{Service: string(b.Name), Weight: w}
	}
	i := pick(bs)
	if i < 0 {
		return t
	}
	b := rule.BackendRefs[i]
	t.Backend = b.BackendObjectReference
	for _, f := range b.Filters {
		if f.Type == gwv1.HTTPRouteFilterResponseHeaderModifier && f.ResponseHeaderModifier != nil {
			t.ResponseHeaders = append(t.ResponseHeaders, f.ResponseHeaderModifier.Add...)
		}
	}
	return t
}

// serveRoute serves a request routed by an HTTPRoute: the picked backend Service answers
// with the route's response headers, the mirrors get a copy whose answer is dropped, and
// every upstream request is recorded under its Envoy cluster name (ClusterName).
func (s *Sim) serveRoute(w http.ResponseWriter, r *http.Request, t RouteTarget) {
	for _, m := range t.Mirrors {
		s.upstream(httptestRecorder{}, r, t.Namespace, m)
	}
	if t.Backend.Name == "" {
		http.Error(w, "no healthy upstream", http.StatusServiceUnavailable)
		return
	}
	for _, h := range t.ResponseHeaders {
		w.Header().Add(string(h.Name), h.Value)
	}
	s.upstream(w, r, t.Namespace, t.Backend)
}

// upstream sends r to a Ready pod of backend b and records the Envoy metrics of its cluster.
func (s *Sim) upstream(w http.ResponseWriter, r *http.Request, namespace string, b gwv1.BackendObjectReference) {
	ns := namespace
	if b.Namespace != nil {
		ns = string(*b.Namespace)
	}
	p, err := s.podFor(ns, string(b.Name))
	if err != nil {
		s.log.Debug("no healthy upstream", "namespace", ns, "backend", b.Name, "err", err)
		http.Error(w, "no healthy upstream", http.StatusServiceUnavailable)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	start := time.Now()
	p.ServeHTTP(rec, r.Clone(r.Context()))
	if rec.code != 0 {
		s.metrics.observe(ns, ClusterName(namespace, b), rec.code, time.Since(start))
	}
}

// httptestRecorder is a ResponseWriter that drops what a mirrored request answers.
type httptestRecorder struct{}

func (httptestRecorder) Header() http.Header         { return http.Header{} }
func (httptestRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (httptestRecorder) WriteHeader(int)             {}
