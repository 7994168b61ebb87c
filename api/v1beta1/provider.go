package v1beta1

import (
	"fmt"
	"strings"
)

// TrafficSplit API versions of split.smi-spec.io.
const (
	SMIv1alpha1 = "v1alpha1"
	SMIv1alpha2 = "v1alpha2"
	SMIv1alpha3 = "v1alpha3"
)

// DefaultProvider is the mesh provider of the reference mesh, Envoy with Crossover.
const DefaultProvider = "smi:crossover"

// Provider is a parsed mesh provider string.
type Provider struct {
	// Raw is the provider string as written.
	Raw string
	// SMIVersion is the TrafficSplit API version: v1alpha1, v1alpha2 or v1alpha3.
	SMIVersion string
	// Mesh is the target mesh name (crossover, linkerd, istio, …), or the raw string when the
	// provider names none, as in Flagger.
	Mesh string
}

// ParseProvider parses a mesh provider string. gitcanary routes with SMI TrafficSplits only:
// smi:crossover selects TrafficSplit v1alpha1 (where Flagger ≥ 1.8 silently falls back to Istio),
// and smi:v1alpha1, smi:v1alpha2 and smi:v1alpha3, each with an optional :<mesh> suffix, select
// that version as in Flagger. Anything else is an error.
func ParseProvider(s string) (Provider, error) {
	if s == "smi:crossover" {
		return Provider{Raw: s, SMIVersion: SMIv1alpha1, Mesh: "crossover"}, nil
	}
	version, mesh, hasMesh := strings.Cut(strings.TrimPrefix(s, "smi:"), ":")
	validVersion := version == SMIv1alpha1 || version == SMIv1alpha2 || version == SMIv1alpha3
	if !strings.HasPrefix(s, "smi:") || !validVersion || (hasMesh && mesh == "") {
		return Provider{}, fmt.Errorf("unsupported provider %q: gitcanary routes with SMI TrafficSplits; use smi:crossover or smi:v1alpha1|v1alpha2|v1alpha3[:<mesh>]", s)
	}
	if !hasMesh {
		mesh = s
	}
	return Provider{Raw: s, SMIVersion: version, Mesh: mesh}, nil
}
