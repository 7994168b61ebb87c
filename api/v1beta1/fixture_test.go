package v1beta1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// newCanary returns the seed's Canary (test/podinfo), changed by opts.
func newCanary(opts ...func(*Canary)) *Canary {
	deadline := int32(60)
	c := &Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test"},
		Spec: CanarySpec{
			Provider:                "smi:crossover",
			TargetRef:               LocalObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			ProgressDeadlineSeconds: &deadline,
			AutoscalerRef:           &AutoscalerReference{APIVersion: "autoscaling/v2beta1", Kind: "HorizontalPodAutoscaler", Name: "podinfo"},
			Service:                 CanaryService{Port: 9898},
			Analysis: &CanaryAnalysis{
				Interval:   "1m",
				Threshold:  5,
				MaxWeight:  50,
				StepWeight: 5,
				Metrics: []CanaryMetric{
					{Name: "error-rate", TemplateRef: &CrossNamespaceObjectReference{Name: "error-rate"}, ThresholdRange: &CanaryThresholdRange{Max: ptr(1.0)}, Interval: "30s"},
					{Name: "latency", TemplateRef: &CrossNamespaceObjectReference{Name: "latency"}, ThresholdRange: &CanaryThresholdRange{Max: ptr(0.5)}, Interval: "30s"},
				},
				Webhooks: []CanaryWebhook{
					{Name: "acceptance-test", Type: PreRolloutHook, URL: "http://flagger-loadtester.test/", Timeout: "30s",
						Metadata: map[string]string{"type": "bash", "cmd": "curl -sd 'test' http://podinfo-canary.test:9898/token | grep token"}},
					{Name: "load-test", URL: "http://flagger-loadtester.test/", Timeout: "5s",
						Metadata: map[string]string{"cmd": "hey -z 1m -q 10 -c 2 -H 'Host: podinfo.test' http://envoy.test:10000/"}},
				},
			},
		},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func newMetricTemplate(opts ...func(*MetricTemplate)) *MetricTemplate {
	t := &MetricTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "error-rate", Namespace: "test"},
		Spec: MetricTemplateSpec{
			Provider: MetricTemplateProvider{Type: PrometheusProvider, Address: "http://flagger-prometheus:9090"},
			Query:    `100 - rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary"}[{{ interval }}])`,
		},
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

func newAlertProvider(opts ...func(*AlertProvider)) *AlertProvider {
	a := &AlertProvider{
		ObjectMeta: metav1.ObjectMeta{Name: "on-call", Namespace: "test"},
		Spec:       AlertProviderSpec{Type: SlackProvider, Channel: "on-call", Address: "https://hooks.slack.com/services/x"},
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

func rawJSON(s string) apiextensionsv1.JSON { return apiextensionsv1.JSON{Raw: []byte(s)} }
