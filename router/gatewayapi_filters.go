package router

import (
	"sort"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// serviceFilters are the filters of spec.service, in Flagger's order: the request and response
// header modifiers (service.headers), the URL rewrite (service.rewrite), then the RequestMirror
// filters of service.mirror. Validation rejected canaries whose headers or rewrite do not
// parse, so parse errors are not expected here.
func serviceFilters(c *v1beta1.Canary) []gwv1.HTTPRouteFilter {
	var out []gwv1.HTTPRouteFilter
	if h, _ := v1beta1.ParseHeaders(c.Spec.Service.Headers, nil); h != nil {
		if m := headerFilter(h.Request); m != nil {
			out = append(out, gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterRequestHeaderModifier, RequestHeaderModifier: m})
		}
		if m := headerFilter(h.Response); m != nil {
			out = append(out, gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterResponseHeaderModifier, ResponseHeaderModifier: m})
		}
	}
	if r, _ := v1beta1.ParseRewrite(c.Spec.Service.Rewrite, nil); r != nil {
		out = append(out, gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterURLRewrite, URLRewrite: urlRewrite(r)})
	}
	for _, m := range c.Spec.Service.Mirror {
		ref := gwv1.BackendObjectReference{
			Group: ptrTo(gwv1.Group("")), Kind: ptrTo(serviceKind), Name: gwv1.ObjectName(m.BackendRef.Name),
			Namespace: (*gwv1.Namespace)(m.BackendRef.Namespace), Port: m.BackendRef.Port,
		}
		if m.BackendRef.Group != nil {
			ref.Group = (*gwv1.Group)(m.BackendRef.Group)
		}
		if m.BackendRef.Kind != nil {
			ref.Kind = (*gwv1.Kind)(m.BackendRef.Kind)
		}
		out = append(out, gwv1.HTTPRouteFilter{
			Type:          gwv1.HTTPRouteFilterRequestMirror,
			RequestMirror: &gwv1.HTTPRequestMirrorFilter{BackendRef: ref, Percent: m.Percent},
		})
	}
	return out
}

// headerFilter is the header modifier of ops, its headers sorted by name so that the route is
// stable; nil when ops changes nothing.
func headerFilter(ops *v1beta1.HeaderOperations) *gwv1.HTTPHeaderFilter {
	if ops == nil || len(ops.Set)+len(ops.Add)+len(ops.Remove) == 0 {
		return nil
	}
	return &gwv1.HTTPHeaderFilter{Set: httpHeaders(ops.Set), Add: httpHeaders(ops.Add), Remove: ops.Remove}
}

func httpHeaders(m map[string]string) []gwv1.HTTPHeader {
	var out []gwv1.HTTPHeader
	for name, value := range m {
		out = append(out, gwv1.HTTPHeader{Name: gwv1.HTTPHeaderName(name), Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// urlRewrite is the URLRewrite filter of r: the Host header, and the full path or the matched
// prefix.
func urlRewrite(r *v1beta1.HTTPRewrite) *gwv1.HTTPURLRewriteFilter {
	f := &gwv1.HTTPURLRewriteFilter{}
	if r.Authority != "" {
		f.Hostname = ptrTo(gwv1.PreciseHostname(r.Authority))
	}
	if r.URI != "" {
		f.Path = &gwv1.HTTPPathModifier{Type: gwv1.HTTPPathModifierType(r.PathType())}
		if r.PathType() == v1beta1.RewritePrefixMatch {
			f.Path.ReplacePrefixMatch = ptrTo(r.URI)
		} else {
			f.Path.ReplaceFullPath = ptrTo(r.URI)
		}
	}
	return f
}

// timeouts are the rule timeouts of spec.service.timeout; nil without one.
func timeouts(c *v1beta1.Canary) *gwv1.HTTPRouteTimeouts {
	if c.Spec.Service.Timeout == "" {
		return nil
	}
	return &gwv1.HTTPRouteTimeouts{Request: ptrTo(gwv1.Duration(c.Spec.Service.Timeout))}
}

// mirrorFilter mirrors the requests of the weighted rule to the canary: all of them, or
// analysis.mirrorWeight percent.
func mirrorFilter(c *v1beta1.Canary, canary string, port int32) gwv1.HTTPRouteFilter {
	f := &gwv1.HTTPRequestMirrorFilter{BackendRef: serviceRef(canary, port)}
	if w := c.Spec.Analysis.MirrorWeight; w > 0 {
		f.Percent = ptrTo(int32(w))
	}
	return gwv1.HTTPRouteFilter{Type: gwv1.HTTPRouteFilterRequestMirror, RequestMirror: f}
}

// addResponseHeader adds the headers of modifier (a ResponseHeaderModifier filter) to filters:
// into the rule's own ResponseHeaderModifier when it has one (an HTTPRoute rule may hold only
// one), else as a filter of its own. filters is not changed.
func addResponseHeader(filters []gwv1.HTTPRouteFilter, modifier gwv1.HTTPRouteFilter) []gwv1.HTTPRouteFilter {
	out := make([]gwv1.HTTPRouteFilter, 0, len(filters)+1)
	merged := false
	for _, f := range filters {
		if f.Type == gwv1.HTTPRouteFilterResponseHeaderModifier && f.ResponseHeaderModifier != nil && !merged {
			f = *f.DeepCopy()
			f.ResponseHeaderModifier.Add = append(f.ResponseHeaderModifier.Add, modifier.ResponseHeaderModifier.Add...)
			merged = true
		}
		out = append(out, f)
	}
	if !merged {
		out = append(out, modifier)
	}
	return out
}
