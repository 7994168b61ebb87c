package metrics

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/gitcanary/gitcanary/internal/outbound"
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

// MaxAnswerBytes bounds the answer of a metrics server: an instant query reduced to one number
// needs far less.
const MaxAnswerBytes = 4 << 20

// query runs one instant query and reduces its result to a number (reference §7.3). Redirects
// to another host are refused (the request carries the template's credentials), the answer is
// read up to MaxAnswerBytes, and errors show neither the address's path nor the credentials.
func (q *Querier) query(ctx context.Context, ep endpoint, query string) (float64, error) {
	base := q.plain
	if ep.insecure {
		base = q.insecure
	}
	rt := &transport{base: base, ep: ep}
	c, err := api.NewClient(api.Config{Address: ep.address, Client: &http.Client{Transport: rt, CheckRedirect: outbound.CheckRedirect}})
	if err != nil {
		return 0, outbound.Redact(fmt.Errorf("build Prometheus client: %w", err), ep.secrets()...)
	}
	ctx, cancel := context.WithTimeout(ctx, q.opts.Timeout)
	defer cancel()
	v, _, _, err := promv1.NewAPI(c).Query(ctx, collapse(query), time.Time{})
	if err != nil {
		err = rt.explain(err)
		// A server error, or no answer at all (refused, unreachable, timed out).
		down := rt.code >= http.StatusInternalServerError || (rt.code == 0 && !misconfigured(err) && !errors.Is(err, outbound.ErrCrossHostRedirect))
		err = outbound.Redact(err, ep.secrets()...)
		if down {
			err = unavailableError{err}
		}
		return 0, err
	}
	return value(v)
}

// secrets returns the credentials of an endpoint that may come back in an error: the token,
// the password, the basic-auth header value and the values of the template's headers.
func (ep endpoint) secrets() []string {
	out := []string{ep.token, ep.password}
	if ep.username != "" || ep.password != "" {
		out = append(out, base64.StdEncoding.EncodeToString([]byte(ep.username+":"+ep.password)))
	}
	for _, vs := range ep.headers {
		out = append(out, vs...)
	}
	return out
}

// unavailableError marks a query whose backend did not answer usefully; its text is the
// underlying error's, so events keep Flagger's wording.
type unavailableError struct{ err error }

func (e unavailableError) Error() string        { return e.err.Error() }
func (e unavailableError) Unwrap() error        { return e.err }
func (e unavailableError) Is(target error) bool { return target == ErrUnavailable }

// misconfigured reports whether a transport error will not pass by waiting: the server's
// certificate is not trusted, or it does not speak TLS where the address says https.
func misconfigured(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		record  tls.RecordHeaderError
		host    x509.HostnameError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &host) ||
		errors.As(err, &unknown) || errors.As(err, &invalid)
}

// unavailable reports whether a query failed because its backend did not answer usefully.
func unavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// redactAddress returns a metrics server address without its user information, for the
// evidence of a check; "" when it does not parse.
func redactAddress(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return ""
	}
	u.User = nil
	return u.String()
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
		outbound.LimitBody(resp, MaxAnswerBytes)
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
