package metrics

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"text/template"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Render renders a query template for one metric of a canary with Flagger's template
// functions, each a zero-argument function:
//
//	name       the Canary's name
//	namespace  the Canary's namespace
//	target     targetRef.name
//	service    service.name, or the target name
//	ingress    ingressRef.name, or the target name
//	route      routeRef.name, or the target name
//	interval   the metric's interval, 1m when unset (Flagger leaves it empty: quirk S8)
//	variables  the metric's templateVariables, used as {{ variables.key }}
//
// The template runs with missingkey=error, so an unknown variable key is an error, as is an
// unknown function or a syntax error. The language is restricted to text and these functions
// (v1beta1.CheckQueryTemplate: no loops, conditions, pipelines or template calls), the rendered
// query may not exceed MaxQueryBytes, and rendering stops when ctx is done.
func Render(ctx context.Context, query string, c *v1beta1.Canary, m v1beta1.CanaryMetric) (string, error) {
	t, err := template.New(m.Name).Option("missingkey=error").Funcs(templateFuncs(c, m)).Parse(query)
	if err != nil {
		return "", err
	}
	if err := v1beta1.CheckQueryTemplate(t); err != nil {
		return "", err
	}
	w := &boundedWriter{ctx: ctx, max: MaxQueryBytes}
	if err := t.Execute(w, nil); err != nil {
		return "", err
	}
	return w.b.String(), nil
}

// MaxQueryBytes bounds a rendered query. Real PromQL queries are well under a kilobyte; the
// bound keeps a template that repeats a large variable from building a huge request.
const MaxQueryBytes = 64 << 10

// boundedWriter collects a rendered query, failing once it exceeds max bytes or ctx is done.
type boundedWriter struct {
	ctx context.Context
	max int
	b   strings.Builder
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("render query: %w", err)
	}
	if w.b.Len()+len(p) > w.max {
		return 0, fmt.Errorf("%w: over %d bytes", ErrQueryTooLong, w.max)
	}
	return w.b.Write(p)
}

func templateFuncs(c *v1beta1.Canary, m v1beta1.CanaryMetric) template.FuncMap {
	target := c.Spec.TargetRef.Name
	service, _, _ := c.ServiceNames()
	ingress, route := target, target
	if c.Spec.IngressRef != nil && c.Spec.IngressRef.Name != "" {
		ingress = c.Spec.IngressRef.Name
	}
	if c.Spec.RouteRef != nil && c.Spec.RouteRef.Name != "" {
		route = c.Spec.RouteRef.Name
	}
	variables := maps.Clone(m.TemplateVariables)
	if variables == nil {
		variables = map[string]string{}
	}
	constant := func(v string) func() string { return func() string { return v } }
	return template.FuncMap{
		"name":      constant(c.Name),
		"namespace": constant(c.Namespace),
		"target":    constant(target),
		"service":   constant(service),
		"ingress":   constant(ingress),
		"route":     constant(route),
		"interval":  constant(m.EffectiveInterval()),
		"variables": func() map[string]string { return variables },
	}
}

// collapse replaces every run of whitespace with one space, as Flagger does before sending a
// query.
func collapse(query string) string {
	return strings.Join(strings.Fields(query), " ")
}
