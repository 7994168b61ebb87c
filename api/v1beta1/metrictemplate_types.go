package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MetricTemplate is a reusable metric query that Canary analyses reference by name.
//
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=metrictemplates,scope=Namespaced,categories=all
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider.type`
type MetricTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec MetricTemplateSpec `json:"spec"`
	// +optional
	Status MetricTemplateStatus `json:"status,omitempty"`
}

// MetricTemplateList is a list of MetricTemplates.
//
// +kubebuilder:object:root=true
type MetricTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []MetricTemplate `json:"items"`
}

// MetricTemplateSpec is a metrics provider and a query template.
type MetricTemplateSpec struct {
	// Provider of the metric.
	Provider MetricTemplateProvider `json:"provider"`

	// Query is a Go text/template rendered with the canary's variables: {{ name }},
	// {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, {{ route }}, {{ interval }} and
	// {{ variables.key }}.
	Query string `json:"query"`
}

// MetricProviderType names a metrics backend.
type MetricProviderType string

// Metrics providers known to Flagger. gitcanary queries prometheus; the others are accepted by the
// schema so that templates round-trip, and are reported as unsupported when a canary uses them.
const (
	PrometheusProvider MetricProviderType = "prometheus"
)

// MetricTemplateProvider is where and how a template's query runs.
type MetricTemplateProvider struct {
	// Type of the provider.
	// +kubebuilder:validation:Enum=prometheus;influxdb;datadog;externalmetrics;stackdriver;cloudwatch;newrelic;graphite;dynatrace;keptn;splunk
	Type MetricProviderType `json:"type"`

	// Address of the provider's API, e.g. http://prometheus:9090.
	// +optional
	Address string `json:"address,omitempty"`

	// SecretRef names a Secret in the template's namespace holding credentials
	// (Prometheus: token, or username and password).
	// +optional
	SecretRef *SecretReference `json:"secretRef,omitempty"`

	// Headers replace the request headers sent to the provider.
	// +optional
	Headers map[string][]string `json:"headers,omitempty"`

	// Region of the provider (CloudWatch).
	// +optional
	Region string `json:"region,omitempty"`

	// InsecureSkipVerify disables TLS certificate verification.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// SecretReference names a Secret in the referrer's namespace.
type SecretReference struct {
	// Name of the Secret.
	Name string `json:"name"`
}

// MetricTemplateStatus is the observed state of a MetricTemplate.
type MetricTemplateStatus struct {
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
