package metrics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// DefaultTimeout is the time one query may take, as in Flagger.
const DefaultTimeout = 5 * time.Second

// Options configures a Querier.
type Options struct {
	// DefaultServer is the Prometheus address for built-in metrics and inline queries of
	// canaries without spec.metricsServer (the controller's -metrics-server flag).
	DefaultServer string
	// Timeout of one query; DefaultTimeout when zero.
	Timeout time.Duration
}

// Querier runs the analysis metrics of canaries against Prometheus.
type Querier struct {
	templates Templates
	secrets   Secrets
	opts      Options
	plain     http.RoundTripper
	insecure  http.RoundTripper
}

var _ engine.Metrics = (*Querier)(nil)

// New returns a Querier that reads MetricTemplates and their Secrets through the given readers.
func New(templates Templates, secrets Secrets, opts Options) *Querier {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	plain := http.DefaultTransport.(*http.Transport).Clone()
	insecure := plain.Clone()
	insecure.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the template asked for it
	return &Querier{templates: templates, secrets: secrets, opts: opts, plain: plain, insecure: insecure}
}

// Query returns the value of one analysis metric with the rendered query and the server's
// address (credentials removed). A MetricTemplate is rendered and sent to its provider's
// address; an inline query is sent verbatim, and a built-in rendered, to the canary's
// metricsServer or the default server. request-duration is returned in whole milliseconds.
// Every error is an *engine.MetricError; the sample carries the query and address as far as
// they were known.
func (q *Querier) Query(ctx context.Context, c *v1beta1.Canary, m v1beta1.CanaryMetric) (engine.MetricSample, error) {
	switch {
	case m.TemplateRef != nil:
		return q.queryTemplate(ctx, c, m)
	case m.Query != "":
		return q.queryServer(ctx, c, m.Query)
	case m.IsBuiltin():
		return q.queryBuiltin(ctx, c, m)
	default:
		return engine.MetricSample{}, fail(engine.MetricNotConfigured, fmt.Errorf("metric %s: %w", m.Name, ErrNotConfigured))
	}
}

func (q *Querier) queryBuiltin(ctx context.Context, c *v1beta1.Canary, m v1beta1.CanaryMetric) (engine.MetricSample, error) {
	tmpl, _ := BuiltinQuery(c, m.Name)
	query, err := Render(ctx, tmpl, c, m)
	if err != nil {
		// Flagger's observers word it "rendering query failed: …".
		return engine.MetricSample{}, fail(engine.MetricRenderError, fmt.Errorf("rendering query failed: %w", err))
	}
	if m.MinRequests > 0 {
		if s, err := q.guardTraffic(ctx, c, m); err != nil {
			s.Query = collapse(query)
			return s, runningQueryFailed(err)
		}
	}
	s, err := q.queryServer(ctx, c, query)
	if err != nil {
		return s, runningQueryFailed(err)
	}
	if m.Name != v1beta1.BuiltinRequestDuration {
		return s, nil
	}
	// Envoy's upstream_rq_time is in milliseconds; Flagger truncates it to whole ones.
	s.Value = float64(int64(s.Value))
	return s, nil
}

// guardTraffic is the minRequests guard of a built-in metric: fewer requests served by the
// canary in the metric's interval than minRequests is no data (MetricNoData).
func (q *Querier) guardTraffic(ctx context.Context, c *v1beta1.Canary, m v1beta1.CanaryMetric) (engine.MetricSample, error) {
	query, err := Render(ctx, RequestCountQuery(c), c, m)
	if err != nil {
		return engine.MetricSample{}, fail(engine.MetricRenderError, fmt.Errorf("render request count of %s: %w", m.Name, err))
	}
	s, err := q.queryServer(ctx, c, query)
	var me *engine.MetricError
	switch {
	case errors.As(err, &me) && me.Failure == engine.MetricNoData:
		s.Value = 0
	case err != nil:
		return s, err
	}
	if s.Value < float64(m.MinRequests) {
		return s, fail(engine.MetricNoData, fmt.Errorf("%w: the canary served %.0f requests in %s, fewer than minRequests %d",
			ErrTooFewRequests, s.Value, m.EffectiveInterval(), m.MinRequests))
	}
	return s, nil
}

// runningQueryFailed words a built-in metric's failed query as Flagger's observers do, so the
// events read "… is not receiving traffic: running query failed: no values found" and
// "Prometheus query failed: running query failed: …". The failure kind is kept.
func runningQueryFailed(err error) error {
	var me *engine.MetricError
	if !errors.As(err, &me) || (me.Failure != engine.MetricNoData && me.Failure != engine.MetricQueryFailed && me.Failure != engine.MetricUnavailable) {
		return err
	}
	return &engine.MetricError{Failure: me.Failure, Detail: me.Detail, Err: fmt.Errorf("running query failed: %w", me.Err)}
}

// queryServer runs a query against the canary's metrics server or the default one.
func (q *Querier) queryServer(ctx context.Context, c *v1beta1.Canary, query string) (engine.MetricSample, error) {
	address := c.Spec.MetricsServer
	if address == "" {
		address = q.opts.DefaultServer
	}
	s := engine.MetricSample{Query: collapse(query), Address: redactAddress(address)}
	if err := parseAddress(address); err != nil {
		return s, fail(engine.MetricProviderError, fmt.Errorf("use metrics server of canary %s: %w", c.EventName(), err))
	}
	return q.run(ctx, endpoint{address: address}, s)
}

func (q *Querier) queryTemplate(ctx context.Context, c *v1beta1.Canary, m v1beta1.CanaryMetric) (engine.MetricSample, error) {
	ns := c.TemplateNamespace(m.TemplateRef)
	t, err := q.templates.MetricTemplate(ctx, ns, m.TemplateRef.Name)
	if err != nil {
		return engine.MetricSample{}, fail(engine.MetricTemplateError, fmt.Errorf("get MetricTemplate %s/%s: %w", ns, m.TemplateRef.Name, err))
	}
	s := engine.MetricSample{Address: redactAddress(t.Spec.Provider.Address)}
	ep, err := q.templateEndpoint(ctx, t)
	if err != nil {
		return s, err
	}
	query, err := Render(ctx, t.Spec.Query, c, m)
	if err != nil {
		return s, fail(engine.MetricRenderError, err)
	}
	s.Query = collapse(query)
	return q.run(ctx, ep, s)
}

// templateEndpoint resolves a MetricTemplate's provider: its type, address and credentials.
func (q *Querier) templateEndpoint(ctx context.Context, t *v1beta1.MetricTemplate) (endpoint, error) {
	p := t.Spec.Provider
	if p.Type != v1beta1.PrometheusProvider {
		return endpoint{}, failDetail(engine.MetricProviderError, string(p.Type), fmt.Errorf("%w %q", ErrUnsupportedProvider, p.Type))
	}
	if err := parseAddress(p.Address); err != nil {
		return endpoint{}, failDetail(engine.MetricProviderError, string(p.Type), err)
	}
	ep := endpoint{address: p.Address, headers: http.Header(p.Headers), insecure: p.InsecureSkipVerify}
	if p.SecretRef == nil {
		return ep, nil
	}
	if err := q.credentials(ctx, t.Namespace, p.SecretRef.Name, &ep); err != nil {
		return endpoint{}, failDetail(engine.MetricSecretError, p.SecretRef.Name, err)
	}
	return ep, nil
}

// credentials reads a template's Secret: the key token is a bearer token and wins; otherwise
// username and password are both required.
func (q *Querier) credentials(ctx context.Context, namespace, name string, ep *endpoint) error {
	s, err := q.secrets.Secret(ctx, namespace, name)
	if err != nil {
		return fmt.Errorf("get Secret %s/%s: %w", namespace, name, err)
	}
	if token, ok := s.Data["token"]; ok {
		ep.token = string(token)
		return nil
	}
	user, hasUser := s.Data["username"]
	pass, hasPass := s.Data["password"]
	if !hasUser || !hasPass {
		return fmt.Errorf("secret %s/%s %w", namespace, name, ErrIncompleteCredentials)
	}
	ep.username, ep.password = string(user), string(pass)
	return nil
}

// run sends the sample's query and classifies its failure: no values, the backend unavailable
// (unreachable, 5xx, timeout), or any other failed query.
func (q *Querier) run(ctx context.Context, ep endpoint, s engine.MetricSample) (engine.MetricSample, error) {
	v, err := q.query(ctx, ep, s.Query)
	switch {
	case err == nil:
		s.Value = v
		return s, nil
	case errors.Is(err, ErrNoValues):
		return s, fail(engine.MetricNoData, err)
	case unavailable(err):
		return s, fail(engine.MetricUnavailable, err)
	default:
		return s, fail(engine.MetricQueryFailed, err)
	}
}

func fail(kind engine.MetricFailure, err error) *engine.MetricError {
	return &engine.MetricError{Failure: kind, Err: err}
}

// failDetail is fail with the name of the Secret or provider type that failed, which the
// engine puts in Flagger's wording "Metric template <n>.<ns> secret <s> error: …".
func failDetail(kind engine.MetricFailure, detail string, err error) *engine.MetricError {
	return &engine.MetricError{Failure: kind, Err: err, Detail: detail}
}
