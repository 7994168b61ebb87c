package metrics

import (
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// The Envoy built-in queries of Flagger's historical Crossover observer (reference §6.3b).
// Upstream Flagger runs Istio queries for crossover instead (quirk S2); gitcanary runs these.
// The Envoy cluster names are <target>-canary, as the observer matched them; a Service target
// matches the name exactly, a workload target as a regular expression.
const (
	successRateQuery = `sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name=~"{{ target }}-canary",envoy_response_code!~"5.*"}[{{ interval }}])) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name=~"{{ target }}-canary"}[{{ interval }}])) * 100`
	durationQuery    = `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="{{ namespace }}",envoy_cluster_name=~"{{ target }}-canary"}[{{ interval }}])) by (le))`

	serviceSuccessRateQuery  = `sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary",envoy_response_code!~"5.*"}[{{ interval }}])) / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary"}[{{ interval }}])) * 100`
	requestCountQuery        = `sum(increase(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name=~"{{ target }}-canary"}[{{ interval }}]))`
	serviceRequestCountQuery = `sum(increase(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary"}[{{ interval }}]))`
	serviceDurationQuery     = `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary"}[{{ interval }}])) by (le))`
)

// The Envoy built-in queries for Gateway API canaries, as Flagger's Envoy-based gateway
// observer (Contour's) selects them: Envoy-based gateways (Contour, Envoy Gateway) name the
// cluster of a backend Service <namespace>_<service>_<port>, so the canary's cluster is
// matched as <namespace>_<target>-canary_<port>.
const (
	gatewaySuccessRateQuery  = `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ target }}-canary_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[{{ interval }}])) / sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ target }}-canary_[0-9a-zA-Z-]+"}[{{ interval }}])) * 100`
	gatewayRequestCountQuery = `sum(increase(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ target }}-canary_[0-9a-zA-Z-]+"}[{{ interval }}]))`
	gatewayDurationQuery     = `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"{{ namespace }}_{{ target }}-canary_[0-9a-zA-Z-]+"}[{{ interval }}])) by (le))`
)

// BuiltinQuery returns the query template of a built-in metric, and false for any other name.
// The canary's provider (spec.provider, filled with the controller's default before the
// engine asks) selects the series: Envoy cluster names of Envoy-based gateways for Gateway
// API, Crossover's otherwise.
func BuiltinQuery(c *v1beta1.Canary, name string) (string, bool) {
	if p, err := c.EffectiveProvider(); err == nil && p.IsGatewayAPI() {
		switch name {
		case v1beta1.BuiltinRequestSuccessRate:
			return gatewaySuccessRateQuery, true
		case v1beta1.BuiltinRequestDuration:
			return gatewayDurationQuery, true
		}
	}
	service := c.Spec.TargetRef.Kind == "Service"
	switch {
	case name == v1beta1.BuiltinRequestSuccessRate && service:
		return serviceSuccessRateQuery, true
	case name == v1beta1.BuiltinRequestSuccessRate:
		return successRateQuery, true
	case name == v1beta1.BuiltinRequestDuration && service:
		return serviceDurationQuery, true
	case name == v1beta1.BuiltinRequestDuration:
		return durationQuery, true
	default:
		return "", false
	}
}

// RequestCountQuery returns the query template of the requests the canary's Envoy cluster
// served in the metric's interval, which the minRequests guard of the built-in metrics reads.
func RequestCountQuery(c *v1beta1.Canary) string {
	if p, err := c.EffectiveProvider(); err == nil && p.IsGatewayAPI() {
		return gatewayRequestCountQuery
	}
	if c.Spec.TargetRef.Kind == "Service" {
		return serviceRequestCountQuery
	}
	return requestCountQuery
}
