package metrics

import (
	"context"
	"errors"
	"fmt"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// onlineQuery is the query Flagger's IsOnline sends; a provider that answers 1 is online.
const onlineQuery = "vector(1)"

// Available checks, as Flagger does when it initialises a canary, that the providers of the
// canary's metrics answer: the Prometheus of the built-in metrics (spec.metricsServer or the
// default server), and for each MetricTemplate the template, its Secret and its provider.
// Inline queries are not checked, as in Flagger. The first failure is returned, worded as
// Flagger words it.
func (q *Querier) Available(ctx context.Context, c *v1beta1.Canary) error {
	if c.Spec.Analysis == nil {
		return nil
	}
	asked := map[string]bool{}
	for _, m := range c.Spec.Analysis.Metrics {
		switch {
		case m.TemplateRef != nil:
			if err := q.templateAvailable(ctx, c, m, asked); err != nil {
				return err
			}
		case m.Query == "" && m.IsBuiltin():
			address := c.Spec.MetricsServer
			if address == "" {
				address = q.opts.DefaultServer
			}
			if err := parseAddress(address); err != nil {
				return fmt.Errorf("prometheus not available: %w", err)
			}
			if err := q.online(ctx, endpoint{address: address}, asked); err != nil {
				return fmt.Errorf("prometheus not available: %w", err)
			}
		}
	}
	return nil
}

func (q *Querier) templateAvailable(ctx context.Context, c *v1beta1.Canary, m v1beta1.CanaryMetric, asked map[string]bool) error {
	ns := c.TemplateNamespace(m.TemplateRef)
	ref := m.TemplateRef.Name + "." + ns
	t, err := q.templates.MetricTemplate(ctx, ns, m.TemplateRef.Name)
	if err != nil {
		return fmt.Errorf("metric template %s error: %w", ref, err)
	}
	ep, err := q.templateEndpoint(ctx, t)
	if err != nil {
		var me *engine.MetricError
		if errors.As(err, &me) && me.Failure == engine.MetricSecretError {
			return fmt.Errorf("metric template %s secret %s error: %w", ref, me.Detail, me.Err)
		}
		if errors.As(err, &me) {
			err = me.Err
		}
		return fmt.Errorf("metric template %s provider %s error: %w", ref, t.Spec.Provider.Type, err)
	}
	if err := q.online(ctx, ep, asked); err != nil {
		return fmt.Errorf("%s in metric template %s not available: %w", t.Spec.Provider.Type, ref, err)
	}
	return nil
}

// online runs Flagger's IsOnline query against ep unless the same address with the same
// credentials was asked already.
func (q *Querier) online(ctx context.Context, ep endpoint, asked map[string]bool) error {
	key := ep.address + "\x00" + ep.username + "\x00" + ep.password + "\x00" + ep.token
	if asked[key] {
		return nil
	}
	asked[key] = true
	v, err := q.query(ctx, ep, onlineQuery)
	if err != nil {
		return fmt.Errorf("running query failed: %w", err)
	}
	if v != 1 {
		return fmt.Errorf("value is not 1 for query: %s", onlineQuery)
	}
	return nil
}
