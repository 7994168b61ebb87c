package router

import (
	"encoding/json"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// SplitGroup is the API group of the SMI TrafficSplit.
const SplitGroup = "split.smi-spec.io"

// splitKind is the kind of the SMI TrafficSplit.
const splitKind = "TrafficSplit"

// istioGatewaysKey is the TrafficSplit annotation Flagger sets for the istio mesh.
const istioGatewaysKey = "VirtualService.v1alpha3.networking.istio.io/spec.gateways"

// SplitResource returns the trafficsplits resource of an SMI API version.
func SplitResource(version string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: SplitGroup, Version: version, Resource: "trafficsplits"}
}

// weightEncoders write a backend weight as each TrafficSplit version spells it: v1alpha1 has
// a resource.Quantity (a JSON string such as "5"), later versions a JSON integer.
var weightEncoders = map[string]func(int) any{
	v1beta1.SMIv1alpha1: func(w int) any { return strconv.Itoa(w) },
	v1beta1.SMIv1alpha2: func(w int) any { return int64(w) },
	v1beta1.SMIv1alpha3: func(w int) any { return int64(w) },
}

// backend is one weighted backend of a TrafficSplit.
type backend struct {
	Service string `json:"service"`
	Weight  weight `json:"weight"`
}

// weight reads both spellings of a backend weight: a JSON integer or a quantity string.
type weight int64

func (w *weight) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*w = 0
	case float64:
		*w = weight(x)
	case string:
		q, err := resource.ParseQuantity(x)
		if err != nil {
			return fmt.Errorf("weight %q: %w", x, err)
		}
		*w = weight(q.Value())
	default:
		return fmt.Errorf("weight %s: not a number or a quantity", b)
	}
	return nil
}

// splitSpec is what gitcanary reads of a TrafficSplit spec.
type splitSpec struct {
	Service  string    `json:"service"`
	Backends []backend `json:"backends"`
}

// readSpec decodes the spec of a live TrafficSplit.
func readSpec(u *unstructured.Unstructured) (splitSpec, error) {
	var s splitSpec
	raw, ok := u.Object["spec"]
	if !ok {
		return s, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return s, err
	}
	err = json.Unmarshal(b, &s)
	return s, err
}

// specFor returns the spec of a TrafficSplit of the given version routing canary% of the traffic
// for service to canarySvc and primary% to primarySvc, canary first as in Flagger.
func specFor(version, service, canarySvc, primarySvc string, primary, canary int) map[string]any {
	enc := weightEncoders[version]
	return map[string]any{
		"service": service,
		"backends": []any{
			map[string]any{"service": canarySvc, "weight": enc(canary)},
			map[string]any{"service": primarySvc, "weight": enc(primary)},
		},
	}
}

// sameButWeights reports whether two TrafficSplit specs are equal when weights are ignored.
func sameButWeights(a, b map[string]any) bool {
	return equality.Semantic.DeepEqual(withoutWeights(a), withoutWeights(b))
}

func withoutWeights(spec map[string]any) map[string]any {
	out := runtime.DeepCopyJSON(spec)
	if backends, ok := out["backends"].([]any); ok {
		for _, b := range backends {
			if m, ok := b.(map[string]any); ok {
				delete(m, "weight")
			}
		}
	}
	return out
}
