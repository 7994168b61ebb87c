package v1beta1

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateCanary(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Canary)
		// wantFields are the field paths the error must name; empty means valid.
		wantFields []string
		wantText   string
	}{
		{name: "seed canary is valid", mod: func(*Canary) {}},
		{name: "smi v1alpha3 with mesh", mod: func(c *Canary) { c.Spec.Provider = "smi:v1alpha3:linkerd" }},
		{name: "no provider uses the controller default", mod: func(c *Canary) { c.Spec.Provider = "" }},
		{name: "skipAnalysis without a strategy", mod: func(c *Canary) {
			c.Spec.SkipAnalysis = true
			c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight = 0, 0
		}},
		{name: "blue/green", mod: func(c *Canary) { c.Spec.Analysis.StepWeight, c.Spec.Analysis.Iterations = 0, 10 }},
		{name: "unknown provider", mod: func(c *Canary) { c.Spec.Provider = "istio" },
			wantFields: []string{"spec.provider"}, wantText: "unsupported provider"},
		{name: "smi without version", mod: func(c *Canary) { c.Spec.Provider = "smi" }, wantFields: []string{"spec.provider"}},
		{name: "smi with empty mesh", mod: func(c *Canary) { c.Spec.Provider = "smi:v1alpha2:" }, wantFields: []string{"spec.provider"}},
		{name: "missing target name", mod: func(c *Canary) { c.Spec.TargetRef.Name = "" }, wantFields: []string{"spec.targetRef.name"}},
		{name: "missing target kind", mod: func(c *Canary) { c.Spec.TargetRef.Kind = "" }, wantFields: []string{"spec.targetRef.kind"}},
		{name: "daemonset target", mod: func(c *Canary) { c.Spec.TargetRef.Kind = "DaemonSet" },
			wantFields: []string{"spec.targetRef.kind"}, wantText: `Unsupported value: "DaemonSet"`},
		{name: "bad target apiVersion", mod: func(c *Canary) { c.Spec.TargetRef.APIVersion = "extensions/v1beta1" },
			wantFields: []string{"spec.targetRef.apiVersion"}},
		{name: "missing service port", mod: func(c *Canary) { c.Spec.Service.Port = 0 }, wantFields: []string{"spec.service.port"}, wantText: "Required value"},
		{name: "service port out of range", mod: func(c *Canary) { c.Spec.Service.Port = 70000 }, wantFields: []string{"spec.service.port"}},
		{name: "stepWeight and stepWeights", mod: func(c *Canary) { c.Spec.Analysis.StepWeights = []int{10, 20} },
			wantFields: []string{"spec.analysis.stepWeights"}, wantText: "only one of iterations, stepWeight and stepWeights"},
		{name: "iterations and stepWeight", mod: func(c *Canary) { c.Spec.Analysis.Iterations = 3 },
			wantFields: []string{"spec.analysis.stepWeight"}},
		{name: "no strategy", mod: func(c *Canary) { c.Spec.Analysis.StepWeight = 0 },
			wantFields: []string{"spec.analysis.stepWeight"}, wantText: "one of iterations, stepWeight or stepWeights is required"},
		{name: "stepWeights not increasing", mod: func(c *Canary) { c.Spec.Analysis.StepWeight, c.Spec.Analysis.StepWeights = 0, []int{10, 5, 20} },
			wantFields: []string{"spec.analysis.stepWeights[1]"}, wantText: "greater than the previous step"},
		{name: "stepWeights above 100", mod: func(c *Canary) { c.Spec.Analysis.StepWeight, c.Spec.Analysis.StepWeights = 0, []int{1, 2, 10, 200} },
			wantFields: []string{"spec.analysis.stepWeights[3]"}},
		{name: "stepWeight above 100", mod: func(c *Canary) { c.Spec.Analysis.StepWeight = 120 }, wantFields: []string{"spec.analysis.stepWeight"}},
		{name: "maxWeight above 100", mod: func(c *Canary) { c.Spec.Analysis.MaxWeight = 101 }, wantFields: []string{"spec.analysis.maxWeight"}},
		{name: "missing interval", mod: func(c *Canary) { c.Spec.Analysis.Interval = "" }, wantFields: []string{"spec.analysis.interval"}},
		{name: "bad interval", mod: func(c *Canary) { c.Spec.Analysis.Interval = "ten minutes" }, wantFields: []string{"spec.analysis.interval"}},
		{name: "interval in hours", mod: func(c *Canary) { c.Spec.Analysis.Interval = "1h" }, wantFields: []string{"spec.analysis.interval"}},
		{name: "negative threshold", mod: func(c *Canary) { c.Spec.Analysis.Threshold = -1 }, wantFields: []string{"spec.analysis.threshold"}},
		{name: "bad metric interval", mod: func(c *Canary) { c.Spec.Analysis.Metrics[1].Interval = "30" }, wantFields: []string{"spec.analysis.metrics[1].interval"}},
		{name: "threshold range min above max", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[0].ThresholdRange = &CanaryThresholdRange{Min: ptr(99.0), Max: ptr(1.0)}
		}, wantFields: []string{"spec.analysis.metrics[0].thresholdRange.min"}},
		{name: "metric without query or template", mod: func(c *Canary) { c.Spec.Analysis.Metrics[0].TemplateRef = nil },
			wantFields: []string{"spec.analysis.metrics[0].templateRef"}, wantText: `metric "error-rate" is not built in`},
		{name: "metric template without name", mod: func(c *Canary) { c.Spec.Analysis.Metrics[0].TemplateRef.Name = "" },
			wantFields: []string{"spec.analysis.metrics[0].templateRef.name"}},
		{name: "inline query that does not parse", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[0].TemplateRef, c.Spec.Analysis.Metrics[0].Query = nil, "rate(x[{{ interval }])"
		}, wantFields: []string{"spec.analysis.metrics[0].query"}},
		{name: "inline query with unknown function", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[0].TemplateRef, c.Spec.Analysis.Metrics[0].Query = nil, "rate(x[{{ window }}])"
		}, wantFields: []string{"spec.analysis.metrics[0].query"}, wantText: `function "window" not defined`},
		{name: "builtin metric needs no template", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[0] = CanaryMetric{Name: BuiltinRequestSuccessRate, ThresholdRange: &CanaryThresholdRange{Min: ptr(99.0)}}
		}},
		{name: "unknown webhook type", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Type = "pre-rollout-check" },
			wantFields: []string{"spec.analysis.webhooks[0].type"}, wantText: `Unsupported value: "pre-rollout-check"`},
		{name: "relative webhook url", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[1].URL = "flagger-loadtester.test/" },
			wantFields: []string{"spec.analysis.webhooks[1].url"}, wantText: "absolute http or https URL"},
		{name: "git gate for confirm-rollout", mod: func(c *Canary) {
			c.Spec.Analysis.Webhooks[0] = CanaryWebhook{Name: "approval", Type: ConfirmRolloutHook, URL: "git:"}
		}},
		{name: "git gates for confirm-promotion and rollback", mod: func(c *Canary) {
			c.Spec.Analysis.Webhooks[0] = CanaryWebhook{Name: "promotion", Type: ConfirmPromotionHook, URL: "git:"}
			c.Spec.Analysis.Webhooks[1] = CanaryWebhook{Name: "abort", Type: RollbackHook, URL: "git:"}
		}},
		{name: "git gate of a rollout webhook", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[1].URL = "git:" },
			wantFields: []string{"spec.analysis.webhooks[1].url"}, wantText: `must have type confirm-rollout, confirm-promotion or rollback, not "rollout"`},
		{name: "git gate of a pre-rollout webhook", mod: func(c *Canary) {
			c.Spec.Analysis.Webhooks[0] = CanaryWebhook{Name: "pre", Type: PreRolloutHook, URL: "git:"}
		}, wantFields: []string{"spec.analysis.webhooks[0].url"}, wantText: `not "pre-rollout"`},
		{name: "git gate url with a path", mod: func(c *Canary) {
			c.Spec.Analysis.Webhooks[0] = CanaryWebhook{Name: "approval", Type: ConfirmRolloutHook, URL: "git://example.com/repo"}
		}, wantFields: []string{"spec.analysis.webhooks[0].url"}, wantText: `must be exactly "git:"`},
		{name: "webhook without url", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[1].URL = "" }, wantFields: []string{"spec.analysis.webhooks[1].url"}},
		{name: "webhook without name", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Name = "" }, wantFields: []string{"spec.analysis.webhooks[0].name"}},
		{name: "bad webhook timeout", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Timeout = "30 seconds" }, wantFields: []string{"spec.analysis.webhooks[0].timeout"}},
		{name: "webhook timeout of 5m is the most", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Timeout = "5m" }},
		{name: "webhook timeout over 5m", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Timeout = "301s" },
			wantFields: []string{"spec.analysis.webhooks[0].timeout"}, wantText: "must be at most 5m0s"},
		{name: "webhook timeout of hours", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Timeout = "90000m" },
			wantFields: []string{"spec.analysis.webhooks[0].timeout"}, wantText: "must be at most"},
		{name: "10 webhook retries", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Retries = 10 }},
		{name: "500 webhook retries", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Retries = 500 },
			wantFields: []string{"spec.analysis.webhooks[0].retries"}, wantText: "must be at most 10"},
		{name: "negative webhook retries", mod: func(c *Canary) { c.Spec.Analysis.Webhooks[0].Retries = -1 },
			wantFields: []string{"spec.analysis.webhooks[0].retries"}, wantText: "must not be negative"},
		{name: "alert without provider", mod: func(c *Canary) {
			c.Spec.Analysis.Alerts = []CanaryAlert{{Name: "on-call", Severity: "critical"}}
		}, wantFields: []string{"spec.analysis.alerts[0].providerRef.name", "spec.analysis.alerts[0].severity"}},
		{name: "autoscaler ScaledObject", mod: func(c *Canary) { c.Spec.AutoscalerRef.Kind = "ScaledObject" }, wantFields: []string{"spec.autoscalerRef.kind"}},
		{name: "autoscaler v1", mod: func(c *Canary) { c.Spec.AutoscalerRef.APIVersion = "autoscaling/v1" }, wantFields: []string{"spec.autoscalerRef.apiVersion"}},
		{name: "zero progress deadline", mod: func(c *Canary) { c.Spec.ProgressDeadlineSeconds = ptr(int32(0)) }, wantFields: []string{"spec.progressDeadlineSeconds"}},
		{name: "metrics server not a URL", mod: func(c *Canary) { c.Spec.MetricsServer = "prometheus:9090" }, wantFields: []string{"spec.metricsServer"}},
		{name: "noData Skip with a limit", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[0].NoData = &CanaryMetricNoData{Policy: NoDataSkip, Limit: 3}
		}},
		{name: "noData Pass", mod: func(c *Canary) { c.Spec.Analysis.Metrics[1].NoData = &CanaryMetricNoData{Policy: NoDataPass} }},
		{name: "unknown noData policy", mod: func(c *Canary) { c.Spec.Analysis.Metrics[0].NoData = &CanaryMetricNoData{Policy: "Ignore"} },
			wantFields: []string{"spec.analysis.metrics[0].noData.policy"}, wantText: `Unsupported value: "Ignore"`},
		{name: "negative noData limit", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[0].NoData = &CanaryMetricNoData{Policy: NoDataSkip, Limit: -1}
		}, wantFields: []string{"spec.analysis.metrics[0].noData.limit"}, wantText: "must not be negative"},
		{name: "noData limit without Skip", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[1].NoData = &CanaryMetricNoData{Limit: 3}
		}, wantFields: []string{"spec.analysis.metrics[1].noData.limit"}, wantText: "only used with policy Skip"},
		{name: "minRequests on a built-in metric", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[0] = CanaryMetric{Name: BuiltinRequestSuccessRate, MinRequests: 20, ThresholdRange: &CanaryThresholdRange{Min: ptr(99.0)}}
		}},
		{name: "minRequests on a template metric", mod: func(c *Canary) { c.Spec.Analysis.Metrics[0].MinRequests = 20 },
			wantFields: []string{"spec.analysis.metrics[0].minRequests"}, wantText: "only the built-in metrics"},
		{name: "negative minRequests", mod: func(c *Canary) {
			c.Spec.Analysis.Metrics[0] = CanaryMetric{Name: BuiltinRequestDuration, MinRequests: -5}
		}, wantFields: []string{"spec.analysis.metrics[0].minRequests"}, wantText: "must not be negative"},
		{name: "queryErrors Hold for 5m", mod: func(c *Canary) {
			c.Spec.Analysis.QueryErrors = &CanaryQueryErrors{Policy: QueryErrorHold, MaxHold: "5m"}
		}},
		{name: "unknown queryErrors policy", mod: func(c *Canary) { c.Spec.Analysis.QueryErrors = &CanaryQueryErrors{Policy: "Retry"} },
			wantFields: []string{"spec.analysis.queryErrors.policy"}, wantText: `Unsupported value: "Retry"`},
		{name: "bad maxHold", mod: func(c *Canary) {
			c.Spec.Analysis.QueryErrors = &CanaryQueryErrors{Policy: QueryErrorHold, MaxHold: "a while"}
		}, wantFields: []string{"spec.analysis.queryErrors.maxHold"}},
		{name: "maxHold without Hold", mod: func(c *Canary) { c.Spec.Analysis.QueryErrors = &CanaryQueryErrors{MaxHold: "5m"} },
			wantFields: []string{"spec.analysis.queryErrors.maxHold"}, wantText: "only used with policy Hold"},
		{name: "several problems at once", mod: func(c *Canary) {
			c.Spec.Service.Port = 0
			c.Spec.Analysis.Interval = "soon"
		}, wantFields: []string{"spec.service.port", "spec.analysis.interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCanary(newCanary(tt.mod))
			if len(tt.wantFields) == 0 {
				require.NoError(t, err)
				return
			}
			requireProblems(t, err, "Canary test/podinfo", tt.wantFields, tt.wantText)
		})
	}
}

// requireProblems checks that err is a *ValidationError for object that names exactly the
// wanted fields, and that its text contains wantText.
func requireProblems(t *testing.T, err error, object string, wantFields []string, wantText string) {
	t.Helper()
	var verr *ValidationError
	require.True(t, errors.As(err, &verr), "want a *ValidationError, got %v", err)
	require.Equal(t, object, verr.Object())
	var fields []string
	for _, fe := range verr.Errs {
		fields = append(fields, fe.Field)
	}
	require.ElementsMatch(t, wantFields, fields, "error: %v", err)
	require.Contains(t, err.Error(), object+": ")
	require.Contains(t, err.Error(), wantText)
}

func TestValidateMetricTemplate(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(*MetricTemplate)
		wantFields []string
		wantText   string
	}{
		{name: "seed template is valid", mod: func(*MetricTemplate) {}},
		{name: "variables", mod: func(m *MetricTemplate) { m.Spec.Query = `sum(x{app="{{ variables.app }}"})` }},
		{name: "missing provider type", mod: func(m *MetricTemplate) { m.Spec.Provider.Type = "" }, wantFields: []string{"spec.provider.type"}},
		{name: "unsupported provider", mod: func(m *MetricTemplate) { m.Spec.Provider.Type = "datadog" },
			wantFields: []string{"spec.provider.type"}, wantText: `Unsupported value: "datadog"`},
		{name: "missing address", mod: func(m *MetricTemplate) { m.Spec.Provider.Address = "" }, wantFields: []string{"spec.provider.address"}},
		{name: "address with credentials is redacted", mod: func(m *MetricTemplate) { m.Spec.Provider.Address = "//admin:s3cret@prometheus" },
			wantFields: []string{"spec.provider.address"}},
		{name: "missing query", mod: func(m *MetricTemplate) { m.Spec.Query = "" }, wantFields: []string{"spec.query"}},
		{name: "query does not parse", mod: func(m *MetricTemplate) { m.Spec.Query = "{{ if }}" }, wantFields: []string{"spec.query"}},
		{name: "all template functions and comments", mod: func(m *MetricTemplate) {
			m.Spec.Query = `{{/* c */}}{{ name }}{{ namespace }}{{ target }}{{ service }}{{ ingress }}{{ route }}{{- interval -}}{{ variables.q }}`
		}},
		{name: "range over a huge number", mod: func(m *MetricTemplate) { m.Spec.Query = "{{ range 1000000000000 }}x{{ end }}" },
			wantFields: []string{"spec.query"}, wantText: "range is not allowed in a query"},
		{name: "nested loops", mod: func(m *MetricTemplate) { m.Spec.Query = "{{ range 10 }}{{ range 10 }}x{{ end }}{{ end }}" },
			wantFields: []string{"spec.query"}, wantText: "range is not allowed"},
		{name: "if", mod: func(m *MetricTemplate) { m.Spec.Query = "{{ if name }}x{{ end }}" }, wantFields: []string{"spec.query"}, wantText: "if is not allowed"},
		{name: "with", mod: func(m *MetricTemplate) { m.Spec.Query = "{{ with name }}x{{ end }}" }, wantFields: []string{"spec.query"}, wantText: "with is not allowed"},
		{name: "define", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ define "t" }}x{{ end }}up` }, wantFields: []string{"spec.query"}, wantText: "define"},
		{name: "recursive template", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ block "t" . }}{{ template "t" . }}{{ end }}` },
			wantFields: []string{"spec.query"}, wantText: "not allowed"},
		{name: "builtin function", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ printf "%0999999d" 1 }}` },
			wantFields: []string{"spec.query"}, wantText: "pipelines and arguments"},
		{name: "pipeline", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ namespace | len }}` }, wantFields: []string{"spec.query"}, wantText: "not allowed"},
		{name: "variable declaration", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ $x := namespace }}` }, wantFields: []string{"spec.query"}, wantText: "declaring a variable"},
		{name: "literal", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ "x" }}` }, wantFields: []string{"spec.query"}, wantText: "not allowed"},
		{name: "data access", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ .Name }}` }, wantFields: []string{"spec.query"}, wantText: "not allowed"},
		{name: "variables without a key", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ variables }}` }, wantFields: []string{"spec.query"}, wantText: "without a key"},
		{name: "variables with two keys", mod: func(m *MetricTemplate) { m.Spec.Query = `{{ variables.a.b }}` }, wantFields: []string{"spec.query"}, wantText: "not allowed"},
		{name: "secretRef without name", mod: func(m *MetricTemplate) { m.Spec.Provider.SecretRef = &SecretReference{} },
			wantFields: []string{"spec.provider.secretRef.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateMetricTemplate(newMetricTemplate(tt.mod))
			if len(tt.wantFields) == 0 {
				require.NoError(t, err)
				return
			}
			requireProblems(t, err, "MetricTemplate test/error-rate", tt.wantFields, tt.wantText)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestValidateAlertProvider(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(*AlertProvider)
		wantFields []string
	}{
		{name: "slack with address", mod: func(*AlertProvider) {}},
		{name: "secretRef instead of address", mod: func(a *AlertProvider) {
			a.Spec.Address, a.Spec.SecretRef = "", &SecretReference{Name: "slack-url"}
		}},
		{name: "unknown type", mod: func(a *AlertProvider) { a.Spec.Type = "pagerduty" }, wantFields: []string{"spec.type"}},
		{name: "missing type", mod: func(a *AlertProvider) { a.Spec.Type = "" }, wantFields: []string{"spec.type"}},
		{name: "neither address nor secret", mod: func(a *AlertProvider) { a.Spec.Address = "" }, wantFields: []string{"spec.address"}},
		{name: "bad proxy", mod: func(a *AlertProvider) { a.Spec.Proxy = "proxy:3128" }, wantFields: []string{"spec.proxy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAlertProvider(newAlertProvider(tt.mod))
			if len(tt.wantFields) == 0 {
				require.NoError(t, err)
				return
			}
			requireProblems(t, err, "AlertProvider test/on-call", tt.wantFields, "")
		})
	}
}
