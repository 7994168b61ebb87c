package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// metricKind is how Flagger runs a metric check, which decides its order and wording.
type metricKind int

const (
	metricBuiltin      metricKind = iota + 1 // request-success-rate, request-duration
	metricInline                             // deprecated inline query
	metricTemplate                           // MetricTemplate reference
	metricUnconfigured                       // none of the above
)

func kindOf(m *v1beta1.CanaryMetric) metricKind {
	switch {
	case m.TemplateRef != nil:
		return metricTemplate
	case m.Query != "":
		return metricInline
	case m.IsBuiltin():
		return metricBuiltin
	default:
		return metricUnconfigured
	}
}

// metricOrder returns the indexes of the metrics in Flagger's evaluation order: the built-ins
// and inline queries in list order, then the templates (and unusable metrics) in list order.
func metricOrder(ms []v1beta1.CanaryMetric) []int {
	var first, second []int
	for i := range ms {
		switch kindOf(&ms[i]) {
		case metricBuiltin, metricInline:
			first = append(first, i)
		default:
			second = append(second, i)
		}
	}
	return append(first, second...)
}

// evaluate judges one metric result. It returns "" when the check passes, otherwise the text
// of the Warning event Flagger records: a Halt message for a value out of range or missing
// data, an error message for a failed query (reference §7.4, §11.1).
func evaluate(c *v1beta1.Canary, m *v1beta1.CanaryMetric, r MetricResult) string {
	if r.Err != nil {
		return metricErrorText(c, m, r.Err)
	}
	switch {
	case kindOf(m) != metricBuiltin:
		return outOfRange(m, r.Value, fmt.Sprintf("Halt %s advancement %s %.2f", c.EventName(), m.Name, r.Value), "", false)
	case m.Name == v1beta1.BuiltinRequestSuccessRate:
		return outOfRange(m, r.Value, fmt.Sprintf("Halt %s advancement success rate %.2f%%", c.EventName(), r.Value), "%", true)
	default:
		return durationOutOfRange(c, m, r.Value)
	}
}

// outOfRange checks thresholdRange, or the deprecated threshold: a minimum when thresholdIsMin,
// a maximum otherwise. prefix is the start of the Halt message, unit follows the limit.
func outOfRange(m *v1beta1.CanaryMetric, v float64, prefix, unit string, thresholdIsMin bool) string {
	if tr := m.ThresholdRange; tr != nil {
		if tr.Min != nil && v < *tr.Min {
			return fmt.Sprintf("%s < %v%s", prefix, *tr.Min, unit)
		}
		if tr.Max != nil && v > *tr.Max {
			return fmt.Sprintf("%s > %v%s", prefix, *tr.Max, unit)
		}
		return ""
	}
	if thresholdIsMin && v < m.Threshold {
		return fmt.Sprintf("%s < %v%s", prefix, m.Threshold, unit)
	}
	if !thresholdIsMin && v > m.Threshold {
		return fmt.Sprintf("%s > %v%s", prefix, m.Threshold, unit)
	}
	return ""
}

// durationOutOfRange checks request-duration: the value and limits are milliseconds, the message
// shows Go durations ("request duration 1.2s > 500ms"). Like Flagger, the value counts whole
// milliseconds; a fractional limit is kept exact instead of being truncated.
func durationOutOfRange(c *v1beta1.Canary, m *v1beta1.CanaryMetric, v float64) string {
	val := time.Duration(int64(v)) * time.Millisecond
	ms := func(x float64) time.Duration { return time.Duration(x * float64(time.Millisecond)) }
	prefix := fmt.Sprintf("Halt %s advancement request duration %v", c.EventName(), val)
	if tr := m.ThresholdRange; tr != nil {
		if tr.Min != nil && val < ms(*tr.Min) {
			return fmt.Sprintf("%s < %v", prefix, ms(*tr.Min))
		}
		if tr.Max != nil && val > ms(*tr.Max) {
			return fmt.Sprintf("%s > %v", prefix, ms(*tr.Max))
		}
		return ""
	}
	if val > ms(m.Threshold) {
		return fmt.Sprintf("%s > %v", prefix, ms(m.Threshold))
	}
	return ""
}

// metricErrorText words a failed query as Flagger does for the metric's kind and failure.
// Errors that are not *MetricError count as failed queries.
func metricErrorText(c *v1beta1.Canary, m *v1beta1.CanaryMetric, err error) string {
	failure, cause, detail := MetricQueryFailed, err, ""
	var me *MetricError
	if errors.As(err, &me) {
		failure, detail = me.Failure, me.Detail
		if me.Err != nil {
			cause = me.Err
		}
	}
	if failure == MetricNotConfigured {
		return msgNotConfigured
	}
	switch kindOf(m) {
	case metricBuiltin:
		return builtinErrorText(c, m, failure, cause)
	case metricInline:
		if failure == MetricNoData {
			return "Halt advancement no values found for metric: " + m.Name
		}
		return fmt.Sprintf("Prometheus query failed for %s: %v", m.Name, cause)
	case metricTemplate:
		return templateErrorText(c, m, failure, cause, detail)
	default:
		return msgNotConfigured
	}
}

func builtinErrorText(c *v1beta1.Canary, m *v1beta1.CanaryMetric, failure MetricFailure, cause error) string {
	if failure != MetricNoData {
		return fmt.Sprintf("Prometheus query failed: %v", cause)
	}
	msg := fmt.Sprintf("Halt advancement no values found for %s metric %s probably %s is not receiving traffic",
		c.Spec.Provider, m.Name, c.TargetEventName())
	if m.Name == v1beta1.BuiltinRequestSuccessRate {
		msg += fmt.Sprintf(": %v", cause)
	}
	return msg
}

func templateErrorText(c *v1beta1.Canary, m *v1beta1.CanaryMetric, failure MetricFailure, cause error, detail string) string {
	ref := m.TemplateRef.Name + "." + c.TemplateNamespace(m.TemplateRef)
	named := func(what string) string {
		if detail == "" {
			return what
		}
		return what + " " + detail
	}
	switch failure {
	case MetricTemplateError:
		return fmt.Sprintf("Metric template %s error: %v", ref, cause)
	case MetricSecretError:
		return fmt.Sprintf("Metric template %s %s error: %v", ref, named("secret"), cause)
	case MetricProviderError:
		return fmt.Sprintf("Metric template %s %s error: %v", ref, named("provider"), cause)
	case MetricRenderError:
		return fmt.Sprintf("Metric template %s query render error: %v", ref, cause)
	case MetricNoData:
		return fmt.Sprintf("Halt advancement no values found for custom metric: %s: %v", m.Name, cause)
	default:
		return fmt.Sprintf("Metric query failed for %s: %v", m.Name, cause)
	}
}
