package v1beta1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Canary is the configuration of a canary release: it automates the bootstrap, analysis, traffic
// shifting, promotion or rollback of a new revision of its target workload.
//
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=canaries,scope=Namespaced,categories=all
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Weight",type=string,JSONPath=`.status.canaryWeight`
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=`.spec.suspend`,priority=1
// +kubebuilder:printcolumn:name="FailedChecks",type=string,JSONPath=`.status.failedChecks`,priority=1
// +kubebuilder:printcolumn:name="Interval",type=string,JSONPath=`.spec.analysis.interval`,priority=1
// +kubebuilder:printcolumn:name="Mirror",type=boolean,JSONPath=`.spec.analysis.mirror`,priority=1
// +kubebuilder:printcolumn:name="StepWeight",type=string,JSONPath=`.spec.analysis.stepWeight`,priority=1
// +kubebuilder:printcolumn:name="StepWeights",type=string,JSONPath=`.spec.analysis.stepWeights`,priority=1
// +kubebuilder:printcolumn:name="MaxWeight",type=string,JSONPath=`.spec.analysis.maxWeight`,priority=1
// +kubebuilder:printcolumn:name="LastTransitionTime",type=string,JSONPath=`.status.lastTransitionTime`
type Canary struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CanarySpec `json:"spec"`
	// +optional
	Status CanaryStatus `json:"status,omitempty"`
}

// CanaryList is a list of Canaries.
//
// +kubebuilder:object:root=true
type CanaryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Canary `json:"items"`
}

// CanarySpec is the desired behaviour of a Canary.
type CanarySpec struct {
	// Provider overrides the controller's -mesh-provider for this canary: it selects the router and
	// the built-in metrics. gitcanary accepts smi:crossover (TrafficSplit v1alpha1) and
	// smi:v1alpha1|v1alpha2|v1alpha3[:mesh].
	// +optional
	Provider string `json:"provider,omitempty"`

	// MetricsServer overrides the controller's -metrics-server for built-in metrics and inline queries.
	// +optional
	MetricsServer string `json:"metricsServer,omitempty"`

	// TargetRef references the workload (a Deployment) whose new revisions are analysed.
	TargetRef LocalObjectReference `json:"targetRef"`

	// AutoscalerRef references the target's HorizontalPodAutoscaler; a <name>-primary copy is made.
	// +optional
	AutoscalerRef *AutoscalerReference `json:"autoscalerRef,omitempty"`

	// IngressRef references an Ingress (NGINX only). It fills the {{ ingress }} template variable.
	// +optional
	IngressRef *LocalObjectReference `json:"ingressRef,omitempty"`

	// RouteRef references an APISIX route (APISIX only). It fills the {{ route }} template variable.
	// +optional
	RouteRef *LocalObjectReference `json:"routeRef,omitempty"`

	// UpstreamRef references a Gloo Upstream (Gloo only); kept for compatibility.
	// +optional
	UpstreamRef *CrossNamespaceObjectReference `json:"upstreamRef,omitempty"`

	// Service defines the generated ClusterIP Services and the routing object.
	Service CanaryService `json:"service"`

	// Analysis defines the validation process of a release.
	// +optional
	Analysis *CanaryAnalysis `json:"analysis,omitempty"`

	// ProgressDeadlineSeconds is the maximum time for the canary Deployment to make progress
	// before it is considered failed (default 600).
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// SkipAnalysis promotes the canary without analysing it.
	// +optional
	SkipAnalysis bool `json:"skipAnalysis,omitempty"`

	// RevertOnDeletion restores the target and the apex Service when the Canary is deleted.
	// +optional
	RevertOnDeletion bool `json:"revertOnDeletion,omitempty"`

	// Suspend stops every analysis tick until it is cleared again.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// LocalObjectReference locates an object in the Canary's namespace.
type LocalObjectReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +optional
	Kind string `json:"kind,omitempty"`

	// Name of the referent.
	Name string `json:"name"`
}

// AutoscalerReference locates the target's autoscaler.
type AutoscalerReference struct {
	// APIVersion of the autoscaler. autoscaling/v2beta1 and v2beta2 are read as autoscaling/v2.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the autoscaler: HorizontalPodAutoscaler (or ScaledObject, which gitcanary rejects).
	// +kubebuilder:validation:Enum=HorizontalPodAutoscaler;ScaledObject
	Kind string `json:"kind"`

	// Name of the autoscaler.
	Name string `json:"name"`

	// PrimaryScalerQueries overrides KEDA trigger queries on the primary (KEDA only).
	// +optional
	PrimaryScalerQueries map[string]string `json:"primaryScalerQueries,omitempty"`

	// PrimaryScalerReplicas overrides the replica bounds of the primary autoscaler.
	// +optional
	PrimaryScalerReplicas *ScalerReplicas `json:"primaryScalerReplicas,omitempty"`
}

// ScalerReplicas holds replica bounds for an autoscaler.
type ScalerReplicas struct {
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
}

// CrossNamespaceObjectReference locates an object, by default in the Canary's namespace.
type CrossNamespaceObjectReference struct {
	// APIVersion of the referent.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent.
	// +optional
	Kind string `json:"kind,omitempty"`

	// Name of the referent.
	Name string `json:"name"`

	// Namespace of the referent; empty means the Canary's namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// CustomMetadata holds labels and annotations for a generated object.
type CustomMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// UnmanagedMetadata lists label and annotation keys whose existing values are preserved on the
// generated Services.
type UnmanagedMetadata struct {
	// +optional
	Labels []string `json:"labels,omitempty"`
	// +optional
	Annotations []string `json:"annotations,omitempty"`
}

// CanaryService defines the generated Services and routing object.
type CanaryService struct {
	// Name of the apex Service and base of the -primary/-canary Service names (default: the target name).
	// +optional
	Name string `json:"name,omitempty"`

	// Port of the generated Services.
	Port int32 `json:"port"`

	// PortName of the generated Services' main port (default http).
	// +optional
	PortName string `json:"portName,omitempty"`

	// TargetPort of the main port, a number or a name (default: port).
	// +optional
	TargetPort intstr.IntOrString `json:"targetPort,omitempty"`

	// AppProtocol of the main port.
	// +optional
	AppProtocol *string `json:"appProtocol,omitempty"`

	// TrafficDistribution copied to the generated Services.
	// +kubebuilder:validation:Enum=PreferClose;PreferSameZone;PreferSameNode
	// +optional
	TrafficDistribution *string `json:"trafficDistribution,omitempty"`

	// PortDiscovery adds every container port of the target to the generated Services.
	// +optional
	PortDiscovery bool `json:"portDiscovery"`

	// Headless makes the generated Services headless (clusterIP: None).
	// +optional
	Headless bool `json:"headless,omitempty"`

	// Hosts: with SMI, hosts[0] becomes the TrafficSplit's spec.service; with Gateway API they
	// are the HTTPRoute's hostnames.
	// +optional
	Hosts []string `json:"hosts,omitempty"`

	// GatewayRefs are the Gateways the generated HTTPRoute attaches to (Gateway API; required there).
	// +optional
	GatewayRefs []GatewayRef `json:"gatewayRefs,omitempty"`

	// Gateways are Istio gateways; with SMI used only when the target mesh is istio.
	// +optional
	Gateways []string `json:"gateways,omitempty"`

	// Apex is metadata for the apex Service.
	// +optional
	Apex *CustomMetadata `json:"apex,omitempty"`

	// Primary is metadata for the -primary Service.
	// +optional
	Primary *CustomMetadata `json:"primary,omitempty"`

	// Canary is metadata for the -canary Service.
	// +optional
	Canary *CustomMetadata `json:"canary,omitempty"`

	// UnmanagedMetadata lists keys whose existing values are kept on the generated Services.
	// +optional
	UnmanagedMetadata *UnmanagedMetadata `json:"unmanagedMetadata,omitempty"`

	// Timeout of HTTP requests: with Gateway API the request timeout of the HTTPRoute's rules
	// (a Gateway API duration such as 30s); not used with SMI.
	// +optional
	Timeout string `json:"timeout,omitempty"`

	// BackendTimeout (other meshes; kept verbatim and not acted upon, as Flagger's Gateway API
	// router does not either).
	// +optional
	BackendTimeout string `json:"backendTimeout,omitempty"`

	// MeshName (App Mesh; not used with SMI).
	// +optional
	MeshName string `json:"meshName,omitempty"`

	// Backends (App Mesh; not used with SMI).
	// +optional
	Backends []string `json:"backends,omitempty"`

	// Match holds the request match conditions of the generated HTTPRoute (Gateway API), in
	// Flagger's (Istio's) HTTPMatchRequest shape; see ParseMatches. Rejected with SMI providers.
	// +optional
	Match []apiextensionsv1.JSON `json:"match,omitempty"`

	// Mirror adds RequestMirror filters to the generated HTTPRoute (Gateway API). Rejected with
	// SMI providers.
	// +optional
	Mirror []HTTPRequestMirror `json:"mirror,omitempty"`

	// Headers changes requests and responses (Flagger's request/response set, add and remove;
	// see ParseHeaders): with Gateway API the HTTPRoute's header modifier filters; not used
	// with SMI.
	// +optional
	Headers *apiextensionsv1.JSON `json:"headers,omitempty"`
	// Rewrite rewrites the path and Host of requests (Flagger's uri, authority and type; see
	// ParseRewrite): with Gateway API the HTTPRoute's URLRewrite filter; not used with SMI.
	// +optional
	Rewrite *apiextensionsv1.JSON `json:"rewrite,omitempty"`

	// Retries, TrafficPolicy, CorsPolicy and Delegation are other meshes' routing settings.
	// They are kept verbatim and not acted upon.

	// +optional
	Retries *apiextensionsv1.JSON `json:"retries,omitempty"`
	// +optional
	TrafficPolicy *apiextensionsv1.JSON `json:"trafficPolicy,omitempty"`
	// +optional
	CorsPolicy *apiextensionsv1.JSON `json:"corsPolicy,omitempty"`
	// +optional
	Delegation bool `json:"delegation,omitempty"`
}

// CanaryAnalysis describes how a new revision is analysed.
type CanaryAnalysis struct {
	// Interval between analysis ticks, e.g. 1m or 30s (default 60s, at least 10s).
	// +kubebuilder:validation:Pattern=`^[0-9]+(m|s)`
	// +optional
	Interval string `json:"interval,omitempty"`

	// Threshold is the number of failed checks before a rollback (default 1).
	// +optional
	Threshold int `json:"threshold,omitempty"`

	// MaxWeight is the highest canary weight before promotion (default 100; ignored with stepWeights).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MaxWeight int `json:"maxWeight,omitempty"`

	// StepWeight is the canary weight increment per passing tick.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	StepWeight int `json:"stepWeight,omitempty"`

	// StepWeights is an explicit ladder of canary weights.
	// +optional
	StepWeights []int `json:"stepWeights,omitempty"`

	// StepWeightPromotion ramps the primary back up by this much per tick during promotion
	// (0: all traffic to the primary in one step).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	StepWeightPromotion int `json:"stepWeightPromotion,omitempty"`

	// Iterations of a Blue/Green (or A/B) analysis.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Iterations int `json:"iterations,omitempty"`

	// PrimaryReadyThreshold is the percentage of primary replicas that must be available (default 100).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	PrimaryReadyThreshold *int `json:"primaryReadyThreshold,omitempty"`

	// CanaryReadyThreshold is the percentage of canary replicas that must be available (default 100).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	CanaryReadyThreshold *int `json:"canaryReadyThreshold,omitempty"`

	// Mirror enables traffic mirroring (Gateway API): the requests to the primary are also sent
	// to the canary during Blue/Green iterations, or for one step before a canary's first weight.
	// Rejected with SMI providers.
	// +optional
	Mirror bool `json:"mirror,omitempty"`

	// MirrorWeight is the percentage of requests mirrored (Gateway API; 0 means all).
	// +optional
	MirrorWeight int `json:"mirrorWeight,omitempty"`

	// Match holds A/B testing HTTP match conditions (Gateway API), in Flagger's (Istio's)
	// HTTPMatchRequest shape; see ParseMatches. Rejected with SMI providers, which cannot match
	// on headers.
	// +optional
	Match []apiextensionsv1.JSON `json:"match,omitempty"`

	// SessionAffinity pins users to the version that answered them first (Gateway API).
	// Rejected with SMI providers.
	// +optional
	SessionAffinity *SessionAffinity `json:"sessionAffinity,omitempty"`

	// Metrics are the checks run on every analysis tick.
	// +optional
	Metrics []CanaryMetric `json:"metrics,omitempty"`

	// Webhooks are the external checks and notifications of the analysis.
	// +optional
	Webhooks []CanaryWebhook `json:"webhooks,omitempty"`

	// Alerts route notifications to AlertProviders by severity.
	// +optional
	Alerts []CanaryAlert `json:"alerts,omitempty"`

	// QueryErrors is what a failed metric query does (gitcanary extension; default Fail, as
	// Flagger): Hold keeps the weight while the metrics backend is unreachable.
	// +optional
	QueryErrors *CanaryQueryErrors `json:"queryErrors,omitempty"`
}

// CanaryMetric is one metric check of the analysis.
type CanaryMetric struct {
	// Name of the metric; request-success-rate and request-duration are built in.
	Name string `json:"name"`

	// Interval is the query window, e.g. 1m (default 1m).
	// +kubebuilder:validation:Pattern=`^[0-9]+(m|s)`
	// +optional
	Interval string `json:"interval,omitempty"`

	// Threshold is deprecated: use ThresholdRange. A minimum for request-success-rate, a maximum otherwise.
	// +optional
	Threshold float64 `json:"threshold,omitempty"`

	// ThresholdRange is the accepted range of the metric's value.
	// +optional
	ThresholdRange *CanaryThresholdRange `json:"thresholdRange,omitempty"`

	// Query is deprecated: an inline PromQL query run against the metrics server.
	// +optional
	Query string `json:"query,omitempty"`

	// TemplateRef references a MetricTemplate.
	// +optional
	TemplateRef *CrossNamespaceObjectReference `json:"templateRef,omitempty"`

	// TemplateVariables are available to the template as {{ variables.key }}.
	// +optional
	TemplateVariables map[string]string `json:"templateVariables,omitempty"`

	// NoData is what the check does when the query returns no values (gitcanary extension;
	// default Fail, as Flagger).
	// +optional
	NoData *CanaryMetricNoData `json:"noData,omitempty"`

	// MinRequests is, for the built-in metrics, how many requests the canary must have served
	// in the metric's interval before its value counts; below it the check has no data
	// (gitcanary extension).
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinRequests int `json:"minRequests,omitempty"`
}

// CanaryThresholdRange is the accepted range of a metric's value.
type CanaryThresholdRange struct {
	// +optional
	Min *float64 `json:"min,omitempty"`
	// +optional
	Max *float64 `json:"max,omitempty"`
}

// AlertSeverity filters which notifications an alert receives.
type AlertSeverity string

// Alert severities. An empty severity means info.
const (
	SeverityInfo  AlertSeverity = "info"
	SeverityWarn  AlertSeverity = "warn"
	SeverityError AlertSeverity = "error"
)

// CanaryAlert routes the canary's notifications of a severity to an AlertProvider.
type CanaryAlert struct {
	// Name of the alert.
	Name string `json:"name"`

	// Severity: info (everything), warn (warn and error) or error; empty means info.
	// +kubebuilder:validation:Enum="";info;warn;error
	// +optional
	Severity AlertSeverity `json:"severity,omitempty"`

	// ProviderRef references the AlertProvider.
	ProviderRef CrossNamespaceObjectReference `json:"providerRef"`
}

// HookType says when a webhook runs.
type HookType string

// Webhook types. An empty type means RolloutHook.
const (
	RolloutHook                HookType = "rollout"
	PreRolloutHook             HookType = "pre-rollout"
	PostRolloutHook            HookType = "post-rollout"
	ConfirmRolloutHook         HookType = "confirm-rollout"
	ConfirmPromotionHook       HookType = "confirm-promotion"
	ConfirmTrafficIncreaseHook HookType = "confirm-traffic-increase"
	EventHook                  HookType = "event"
	RollbackHook               HookType = "rollback"
)

// GitGateURL is the URL of a webhook that gitcanary answers from the status branch instead of
// calling it: a Git gate, open when a decision for the canary's revision is committed there
// (gates/<namespace>/<name>/<type>.yaml). Flagger's CRD accepts it (url is a plain string);
// Flagger itself cannot reach it, so under Flagger such a gate stays closed.
const GitGateURL = "git:"

// CanaryWebhook is an external check or notification of the analysis.
type CanaryWebhook struct {
	// Type says when the webhook runs (empty means rollout).
	// +kubebuilder:validation:Enum="";confirm-rollout;pre-rollout;rollout;confirm-promotion;post-rollout;event;rollback;confirm-traffic-increase
	// +optional
	Type HookType `json:"type,omitempty"`

	// Name of the webhook.
	Name string `json:"name"`

	// URL the payload is POSTed to; or "git:" (gitcanary) for a confirm-rollout,
	// confirm-promotion or rollback gate answered by a decision committed to the status branch.
	URL string `json:"url"`

	// MuteAlert silences the approval alerts of confirm hooks.
	// +optional
	MuteAlert bool `json:"muteAlert,omitempty"`

	// Timeout of one attempt, e.g. 30s (default 10s).
	// +kubebuilder:validation:Pattern=`^[0-9]+(m|s)`
	// +optional
	Timeout string `json:"timeout,omitempty"`

	// Retries after a failed attempt (default 0).
	// +kubebuilder:validation:Minimum=0
	// +optional
	Retries int `json:"retries,omitempty"`

	// DisableTLS skips TLS certificate verification.
	// +optional
	DisableTLS bool `json:"disableTLS,omitempty"`

	// Metadata is sent to the webhook in the payload.
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}

// CanaryWebhookPayload is the JSON body POSTed to webhooks.
type CanaryWebhookPayload struct {
	// Name of the canary.
	Name string `json:"name"`
	// Namespace of the canary.
	Namespace string `json:"namespace"`
	// Phase of the canary analysis.
	Phase CanaryPhase `json:"phase"`
	// Checksum of the canary's tracked configs and last applied spec.
	Checksum string `json:"checksum"`
	// Metadata of the webhook.
	Metadata map[string]string `json:"metadata,omitempty"`
}
