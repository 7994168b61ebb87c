package meshsim

import (
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Backend is one weighted backend Service of a TrafficSplit.
type Backend struct {
	// Service is the backend Service name, which is also its Envoy cluster name.
	Service string
	// Weight is the backend's relative weight.
	Weight int64
}

// Split is the routing-relevant part of an SMI TrafficSplit of any version.
type Split struct {
	// Namespace and Name identify the TrafficSplit.
	Namespace, Name string
	// Service is spec.service, the apex Service the split applies to.
	Service string
	// Backends are spec.backends in order.
	Backends []Backend
}

// SplitFromUnstructured reads a TrafficSplit of version v1alpha1 (string Quantity weights),
// v1alpha2 or v1alpha3 (integer weights).
func SplitFromUnstructured(u *unstructured.Unstructured) (Split, error) {
	s := Split{Namespace: u.GetNamespace(), Name: u.GetName()}
	svc, _, err := unstructured.NestedString(u.Object, "spec", "service")
	if err != nil {
		return Split{}, fmt.Errorf("read TrafficSplit %s/%s spec.service: %w", s.Namespace, s.Name, err)
	}
	s.Service = svc
	if s.Service == "" {
		s.Service = s.Name
	}
	items, _, err := unstructured.NestedSlice(u.Object, "spec", "backends")
	if err != nil {
		return Split{}, fmt.Errorf("read TrafficSplit %s/%s spec.backends: %w", s.Namespace, s.Name, err)
	}
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			return Split{}, fmt.Errorf("read TrafficSplit %s/%s backend %d: not an object", s.Namespace, s.Name, i)
		}
		name, _ := m["service"].(string)
		w, err := parseWeight(m["weight"])
		if err != nil {
			return Split{}, fmt.Errorf("read TrafficSplit %s/%s backend %q weight: %w", s.Namespace, s.Name, name, err)
		}
		s.Backends = append(s.Backends, Backend{Service: name, Weight: w})
	}
	return s, nil
}

// parseWeight accepts a JSON number or a Quantity string; a missing weight is 0.
func parseWeight(v any) (int64, error) {
	var w int64
	switch t := v.(type) {
	case nil:
		return 0, nil
	case int64:
		w = t
	case float64:
		w = int64(t)
	case string:
		q, err := resource.ParseQuantity(t)
		if err != nil {
			return 0, fmt.Errorf("parse quantity %q: %w", t, err)
		}
		w = q.Value()
	default:
		return 0, fmt.Errorf("unsupported weight type %T", v)
	}
	if w < 0 {
		return 0, fmt.Errorf("negative weight %d", w)
	}
	return w, nil
}

// picker chooses backends by smooth weighted round robin: over any run of sum(weights)
// picks each backend is chosen exactly weight times, evenly spread.
type picker struct {
	mu       sync.Mutex
	backends []Backend
	current  []int64
}

// next returns the index of the next backend of bs, or -1 when every weight is 0. The
// state resets whenever the backends or their weights change.
func (p *picker) next(bs []Backend) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Equal(p.backends, bs) {
		p.backends = slices.Clone(bs)
		p.current = make([]int64, len(bs))
	}
	var total int64
	best := -1
	for i, b := range bs {
		p.current[i] += b.Weight
		total += b.Weight
		if b.Weight > 0 && (best < 0 || p.current[i] > p.current[best]) {
			best = i
		}
	}
	if best >= 0 {
		p.current[best] -= total
	}
	return best
}
