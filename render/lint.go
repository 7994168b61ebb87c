package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// lint adds warnings for analysis metrics that are valid but cannot work as written. Two
// mistakes of the Crossover tutorial (the seed) are caught:
//
//   - a MetricTemplate query that divides two selections of the same metric without
//     aggregating either side: Prometheus pairs the series label set by label set, so every
//     series is divided by itself and the series one side filters out drop out. The tutorial's
//     error-rate reads 0 % errors whatever the canary answers;
//   - a latency threshold below 1 on a query that reads milliseconds (Envoy's upstream_rq_time,
//     *_milliseconds histograms, the built-in request-duration): the tutorial's max 0.5 means
//     half a millisecond, not half a second.
//
// Queries Prometheus's parser rejects (lint_query.go), and templates that are not in the overlay,
// are not checked. Each template's query is parsed once, however many metrics refer to it.
func (b *Bundle) lint() {
	templates := map[string]parsedTemplate{}
	for _, t := range b.MetricTemplates {
		query := parseQuery(t.Spec.Query)
		templates[t.Namespace+"/"+t.Name] = parsedTemplate{t, query}
		if t.Spec.Provider.Type != v1beta1.PrometheusProvider {
			continue
		}
		if msg := lintRatio(query); msg != "" {
			b.Warnings = append(b.Warnings, fmt.Sprintf("%s %s/%s: spec.query: %s", v1beta1.MetricTemplateKind, t.Namespace, t.Name, msg))
		}
	}
	for _, c := range b.Canaries {
		if c.Spec.Analysis == nil {
			continue
		}
		for i := range c.Spec.Analysis.Metrics {
			m := &c.Spec.Analysis.Metrics[i]
			path := field.NewPath("spec", "analysis", "metrics").Index(i)
			if msg := lintMilliseconds(c, m, templates, path); msg != "" {
				b.Warnings = append(b.Warnings, fmt.Sprintf("%s: %s", c, msg))
			}
		}
	}
}

// parsedTemplate is a MetricTemplate and its parsed query (nil when unread).
type parsedTemplate struct {
	template *v1beta1.MetricTemplate
	query    parser.Expr
}

// lintRatio explains a division of two unaggregated selections of the same metric that filter
// different labels, or returns "". A division that says how to match (on, ignoring with labels,
// group_left/group_right) is not checked.
func lintRatio(query parser.Expr) string {
	var msg string
	inspect(query, func(n parser.Node) {
		div, ok := n.(*parser.BinaryExpr)
		if msg != "" || !ok || div.Op != parser.DIV {
			return
		}
		if m := div.VectorMatching; m != nil && (m.On || len(m.MatchingLabels) > 0 || m.Card != parser.CardOneToOne) {
			return
		}
		for _, l := range unaggregatedSelectors(div.LHS) {
			for _, r := range unaggregatedSelectors(div.RHS) {
				name := metricName(l)
				if name == "" || name != metricName(r) || slices.Equal(labelMatchers(l), labelMatchers(r)) {
					continue
				}
				msg = ratioMessage(name, l, r)
				return
			}
		}
	})
	return msg
}

func ratioMessage(name string, l, r *parser.VectorSelector) string {
	only := symmetricDifference(matcherLabels(l), matcherLabels(r))
	per := ""
	if len(only) > 0 {
		per = " (one per " + strings.Join(only, ", ") + ")"
	}
	return fmt.Sprintf("it divides %[1]s by %[1]s without aggregating either side: Prometheus pairs the series one by one%[2]s, "+
		"so each series is divided by itself and the ratio is 1 whatever the canary answers; the series only one side selects drop out "+
		"and the check cannot see failing requests. Aggregate both sides: sum(rate(%[1]s{…}[…])) / sum(rate(%[1]s{…}[…]))", name, per)
}

// symmetricDifference returns the names in exactly one of a and b, sorted.
func symmetricDifference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lintMilliseconds explains a threshold below 1 on a metric measured in milliseconds, or
// returns "".
func lintMilliseconds(c *v1beta1.Canary, m *v1beta1.CanaryMetric, templates map[string]parsedTemplate, path *field.Path) string {
	tr := m.ThresholdRange
	if tr == nil {
		return ""
	}
	var source string
	switch {
	case m.TemplateRef != nil:
		t, ok := templates[c.TemplateNamespace(m.TemplateRef)+"/"+m.TemplateRef.Name]
		if !ok {
			return ""
		}
		metric := millisecondMetric(t.query)
		if metric == "" {
			return ""
		}
		source = fmt.Sprintf("%s %s/%s reads %s, which is in milliseconds", v1beta1.MetricTemplateKind, t.template.Namespace, t.template.Name, metric)
	case m.Query != "":
		metric := millisecondMetric(parseQuery(m.Query))
		if metric == "" {
			return ""
		}
		source = fmt.Sprintf("the query reads %s, which is in milliseconds", metric)
	case m.Name == v1beta1.BuiltinRequestDuration:
		source = "request-duration is compared in milliseconds"
	default:
		return ""
	}
	for _, bound := range []struct {
		name  string
		value *float64
	}{{"max", tr.Max}, {"min", tr.Min}} {
		if v := bound.value; v != nil && *v > 0 && *v < 1 {
			consequence := ""
			if bound.name == "max" {
				consequence = " (almost any request takes longer, so the check fails)"
			}
			return fmt.Sprintf("%s: %v means %v ms%s, because %s; for %v s write %s: %s",
				path.Child("thresholdRange", bound.name), *v, *v, consequence, source, *v, bound.name, strconv.FormatFloat(*v*1000, 'f', -1, 64))
		}
	}
	return ""
}

// millisecondMetric returns the first metric of the query that is measured in milliseconds:
// Envoy's upstream_rq_time histograms, or a name with a _milliseconds or _ms unit.
func millisecondMetric(query parser.Expr) string {
	var found string
	inspect(query, func(n parser.Node) {
		s, ok := n.(*parser.VectorSelector)
		if found != "" || !ok {
			return
		}
		metric := metricName(s)
		name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(metric, "_bucket"), "_sum"), "_count")
		if strings.HasSuffix(name, "_rq_time") || strings.HasSuffix(name, "_milliseconds") || strings.HasSuffix(name, "_ms") {
			found = metric
		}
	})
	return found
}
