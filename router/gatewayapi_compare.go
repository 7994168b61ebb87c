package router

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeSpecEqual reports whether two HTTPRoute specs route the same way once the defaults
// the API server fills in are applied to both, and empty lists equal missing ones.
func routeSpecEqual(a, b gwv1.HTTPRouteSpec) bool {
	ja, erra := json.Marshal(withDefaults(a))
	jb, errb := json.Marshal(withDefaults(b))
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

// withDefaults returns a copy of spec with the CRD's defaults of parent and backend
// references (group, kind, weight) filled in.
func withDefaults(spec gwv1.HTTPRouteSpec) gwv1.HTTPRouteSpec {
	s := *spec.DeepCopy()
	for i := range s.ParentRefs {
		p := &s.ParentRefs[i]
		if p.Group == nil {
			p.Group = ptrTo(gatewayGroup)
		}
		if p.Kind == nil {
			p.Kind = ptrTo(gatewayKind)
		}
	}
	for i := range s.Rules {
		for j := range s.Rules[i].BackendRefs {
			b := &s.Rules[i].BackendRefs[j]
			if b.Group == nil {
				b.Group = ptrTo(gwv1.Group(""))
			}
			if b.Kind == nil {
				b.Kind = ptrTo(serviceKind)
			}
			if b.Weight == nil {
				b.Weight = ptrTo(int32(1))
			}
		}
	}
	return s
}

// parentKey identifies a parent reference, with the defaults applied, for matching a route's
// status parents to its spec's.
func parentKey(p gwv1.ParentReference, routeNamespace string) string {
	group, kind, ns, section := string(gatewayGroup), string(gatewayKind), routeNamespace, ""
	if p.Group != nil {
		group = string(*p.Group)
	}
	if p.Kind != nil {
		kind = string(*p.Kind)
	}
	if p.Namespace != nil {
		ns = string(*p.Namespace)
	}
	if p.SectionName != nil {
		section = string(*p.SectionName)
	}
	port := int32(0)
	if p.Port != nil {
		port = *p.Port
	}
	return fmt.Sprintf("%s/%s/%s/%s/%s/%d", group, kind, ns, p.Name, section, port)
}

// mapsEqual reports whether two string maps hold the same entries; nil equals empty.
func mapsEqual(a, b map[string]string) bool { return maps.Equal(a, b) }
