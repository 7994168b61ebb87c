package v1beta1

// The types of the Gateway API settings of a Canary, with Flagger's JSON names: the Gateways
// an HTTPRoute attaches to, extra RequestMirror filters, and session affinity by cookie.

// GatewayRef references a Gateway (or another parent) that the generated HTTPRoute attaches
// to; it is a Gateway API ParentReference.
type GatewayRef struct {
	// Group of the parent (default gateway.networking.k8s.io).
	// +optional
	Group *string `json:"group,omitempty"`

	// Kind of the parent (default Gateway).
	// +optional
	Kind *string `json:"kind,omitempty"`

	// Namespace of the parent; empty means the Canary's namespace.
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// Name of the parent.
	Name string `json:"name"`

	// SectionName is the listener of the Gateway to attach to.
	// +optional
	SectionName *string `json:"sectionName,omitempty"`

	// Port of the Gateway to attach to.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port *int32 `json:"port,omitempty"`
}

// HTTPRequestMirror is an extra RequestMirror filter of the generated HTTPRoute
// (spec.service.mirror): every request is also sent to the backend, and its answer dropped.
type HTTPRequestMirror struct {
	// BackendRef is the Service the requests are mirrored to.
	BackendRef MirrorBackendRef `json:"backendRef"`

	// Percent of the requests mirrored (default 100).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Percent *int32 `json:"percent,omitempty"`
}

// MirrorBackendRef locates the backend of a RequestMirror filter.
type MirrorBackendRef struct {
	// Group of the backend ("" for a Service).
	// +optional
	Group *string `json:"group,omitempty"`

	// Kind of the backend (default Service).
	// +optional
	Kind *string `json:"kind,omitempty"`

	// Name of the backend.
	Name string `json:"name"`

	// Namespace of the backend; empty means the Canary's namespace.
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// Port of the backend.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port *int32 `json:"port,omitempty"`
}

// SessionAffinity keeps a user on the version that answered them first while the canary is
// analysed: answers of the canary set a cookie, and requests carrying it go to the canary.
type SessionAffinity struct {
	// CookieName is the name of the canary's cookie.
	CookieName string `json:"cookieName"`

	// PrimaryCookieName, when set, also pins users answered by the primary to it.
	// +optional
	PrimaryCookieName string `json:"primaryCookieName,omitempty"`

	// Domain attribute of the cookies.
	// +optional
	Domain string `json:"domain,omitempty"`

	// HTTPOnly attribute of the cookies.
	// +optional
	HTTPOnly bool `json:"httpOnly,omitempty"`

	// MaxAge of the canary cookie in seconds (default 86400, a day).
	// +optional
	MaxAge int `json:"maxAge,omitempty"`

	// Partitioned attribute of the cookies.
	// +optional
	Partitioned bool `json:"partitioned,omitempty"`

	// Path attribute of the cookies.
	// +optional
	Path string `json:"path,omitempty"`

	// SameSite attribute of the cookies.
	// +kubebuilder:validation:Enum=Strict;Lax;None
	// +optional
	SameSite string `json:"sameSite,omitempty"`

	// Secure attribute of the cookies.
	// +optional
	Secure bool `json:"secure,omitempty"`
}

// DefaultCookieMaxAge is the max age of the canary cookie when sessionAffinity.maxAge is 0.
const DefaultCookieMaxAge = 86400

// EffectiveMaxAge returns maxAge, or DefaultCookieMaxAge when it is not positive.
func (s *SessionAffinity) EffectiveMaxAge() int {
	if s.MaxAge <= 0 {
		return DefaultCookieMaxAge
	}
	return s.MaxAge
}
