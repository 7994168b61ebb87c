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

// Gateway API versions of gateway.networking.k8s.io that the HTTPRoute router writes.
const (
	GatewayAPIv1      = "v1"
	GatewayAPIv1beta1 = "v1beta1"
)

// Provider strings of the Gateway API router, as in Flagger's CRD enum.
const (
	ProviderGatewayAPIv1      = "gatewayapi:" + GatewayAPIv1
	ProviderGatewayAPIv1beta1 = "gatewayapi:" + GatewayAPIv1beta1
)

// DefaultProvider is the mesh provider of the reference mesh, Envoy with Crossover.
const DefaultProvider = "smi:crossover"

// supportedProviders is the hint of every provider error.
const supportedProviders = "use smi:crossover, smi:v1alpha1|v1alpha2|v1alpha3[:<mesh>], gatewayapi:v1 or gatewayapi:v1beta1"

// Provider is a parsed mesh provider string: an SMI TrafficSplit version or a Gateway API
// HTTPRoute version. Exactly one of SMIVersion and GatewayAPIVersion is set.
type Provider struct {
	// Raw is the provider string as written.
	Raw string
	// SMIVersion is the TrafficSplit API version: v1alpha1, v1alpha2 or v1alpha3.
	SMIVersion string
	// Mesh is the target mesh name (crossover, linkerd, istio, …), or the raw string when the
	// provider names none, as in Flagger. Empty for Gateway API.
	Mesh string
	// GatewayAPIVersion is the HTTPRoute API version: v1 or v1beta1.
	GatewayAPIVersion string
}

// IsGatewayAPI reports whether the provider routes with Gateway API HTTPRoutes.
func (p Provider) IsGatewayAPI() bool { return p.GatewayAPIVersion != "" }

// ParseProvider parses a mesh provider string. smi:crossover selects TrafficSplit v1alpha1
// (where Flagger ≥ 1.8 silently falls back to Istio); smi:v1alpha1, smi:v1alpha2 and
// smi:v1alpha3, each with an optional :<mesh> suffix, select that version as in Flagger;
// gatewayapi:v1 and gatewayapi:v1beta1 select the HTTPRoute version. Anything else is an error.
func ParseProvider(s string) (Provider, error) {
	switch s {
	case "smi:crossover":
		return Provider{Raw: s, SMIVersion: SMIv1alpha1, Mesh: "crossover"}, nil
	case ProviderGatewayAPIv1:
		return Provider{Raw: s, GatewayAPIVersion: GatewayAPIv1}, nil
	case ProviderGatewayAPIv1beta1:
		return Provider{Raw: s, GatewayAPIVersion: GatewayAPIv1beta1}, nil
	}
	version, mesh, hasMesh := strings.Cut(strings.TrimPrefix(s, "smi:"), ":")
	validVersion := version == SMIv1alpha1 || version == SMIv1alpha2 || version == SMIv1alpha3
	if !strings.HasPrefix(s, "smi:") || !validVersion || (hasMesh && mesh == "") {
		return Provider{}, fmt.Errorf("unsupported provider %q: gitcanary routes with SMI TrafficSplits and Gateway API HTTPRoutes; %s", s, supportedProviders)
	}
	if !hasMesh {
		mesh = s
	}
	return Provider{Raw: s, SMIVersion: version, Mesh: mesh}, nil
}

// EffectiveProvider parses spec.provider, or DefaultProvider when it is empty. The engine
// fills spec.provider with the controller's -mesh-provider before it validates.
func (c *Canary) EffectiveProvider() (Provider, error) {
	if c.Spec.Provider == "" {
		return ParseProvider(DefaultProvider)
	}
	return ParseProvider(c.Spec.Provider)
}
