package metrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// endpoint is a Prometheus server and how to talk to it.
type endpoint struct {
	address  string
	headers  http.Header
	token    string
	username string
	password string
	insecure bool
}

// parseAddress checks that a Prometheus address is an absolute http(s) URL.
func parseAddress(address string) error {
	if address == "" {
		return ErrNoAddress
	}
	u, err := url.Parse(address)
	if err != nil {
		return fmt.Errorf("parse metrics server address %q: %w", address, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("metrics server address %q is not an http(s) URL", address)
	}
	return nil
}

// query runs one instant query and reduces its result to a number (reference §7.3).
func (q *Querier) query(ctx context.Context, ep endpoint, query string) (float64, error) {
	base := q.plain
	if ep.insecure {
		base = q.insecure
	}
	rt := &transport{base: base, ep: ep}
	c, err := api.NewClient(api.Config{Address: ep.address, RoundTripper: rt})
	if err != nil {
		return 0, fmt.Errorf("build Prometheus client for %s: %w", ep.address, err)
	}
	ctx, cancel := context.WithTimeout(ctx, q.opts.Timeout)
	defer cancel()
	v, _, _, err := promv1.NewAPI(c).Query(ctx, collapse(query), time.Time{})
	if err != nil {
		return 0, rt.explain(err)
	}
	return value(v)
}

// value reduces a query result to one number: the last series of a vector wins, a range
// vector is an error, and an empty result or NaN is ErrNoValues.
func value(v model.Value) (float64, error) {
	var f float64
	switch r := v.(type) {
	case model.Vector:
		if len(r) == 0 {
			return 0, ErrNoValues
		}
		f = float64(r[len(r)-1].Value)
	case model.Matrix:
		if len(r) == 0 {
			return 0, ErrNoValues
		}
		return 0, ErrMultipleValues
	case *model.Scalar:
		f = float64(r.Value)
	default:
		return 0, fmt.Errorf("unsupported query result type %v", v.Type())
	}
	if math.IsNaN(f) {
		return 0, ErrNoValues
	}
	return f, nil
}

// transport adds the endpoint's headers and credentials to every request and remembers the
// status line of the last response, which the API client does not return.
type transport struct {
	base   http.RoundTripper
	ep     endpoint
	code   int
	status string
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range t.ep.headers {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	switch {
	case t.ep.token != "":
		req.Header.Set("Authorization", "Bearer "+t.ep.token)
	case t.ep.username != "":
		req.SetBasicAuth(t.ep.username, t.ep.password)
	}
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		t.code, t.status = resp.StatusCode, resp.Status
	}
	return resp, err
}

// explain words an API client error as Flagger does for HTTP errors:
// "error response: Status <code> <text>: <body>".
func (t *transport) explain(err error) error {
	var apiErr *promv1.Error
	if !errors.As(err, &apiErr) || t.code < http.StatusBadRequest {
		return err
	}
	detail := apiErr.Detail
	if detail == "" {
		detail = apiErr.Msg
	}
	return fmt.Errorf("error response: Status %s: %s", t.status, detail)
}
