package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/internal/outbound"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// Default backoff bounds between attempts, as go-retryablehttp's used by Flagger.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 30 * time.Second
)

// maxBody bounds how much of an answer is read into an error.
const maxBody = 64 << 10

// Options configures a Client.
type Options struct {
	// EventURL is the global event webhook (the controller's -event-webhook flag). It receives
	// the events of canaries that define no event webhook; empty disables it.
	EventURL string
	// MinBackoff and MaxBackoff bound the exponential wait between attempts; the defaults are
	// DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Clock stamps event payloads; the real clock when nil.
	Clock clock.PassiveClock
	// Log receives the failures of event webhooks; discarded when zero.
	Log logr.Logger
	// Gates answers the Git gates (url "git:") instead of an HTTP call; nil keeps them closed.
	Gates Gates
}

// Client calls webhooks.
type Client struct {
	opts     Options
	plain    *http.Client
	insecure *http.Client
}

var _ engine.Hooks = (*Client)(nil)

// New returns a Client.
func New(opts Options) *Client {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(DefaultMaxBackoff, opts.MinBackoff)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Log.GetSink() == nil {
		opts.Log = logr.Discard()
	}
	plain := http.DefaultTransport.(*http.Transport).Clone()
	insecure := plain.Clone()
	insecure.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // disableTLS asked for it
	return &Client{opts: opts,
		plain:    &http.Client{Transport: plain, CheckRedirect: outbound.CheckRedirect},
		insecure: &http.Client{Transport: insecure, CheckRedirect: outbound.CheckRedirect}}
}

// Call POSTs the Flagger payload of the canary in the given phase to the hook and returns nil
// on any 2xx answer. Otherwise the error text is the last response body, followed by
// "(after <n> attempts)" when the hook was retried. A Git gate (url "git:") is not called:
// Options.Gates answers it.
func (c *Client) Call(ctx context.Context, cn *v1beta1.Canary, h v1beta1.CanaryWebhook, phase v1beta1.CanaryPhase) error {
	if h.IsGitGate() {
		return c.gate(ctx, cn, h)
	}
	return c.post(ctx, h, v1beta1.CanaryWebhookPayload{
		Name:      cn.Name,
		Namespace: cn.Namespace,
		Phase:     phase,
		Checksum:  Checksum(cn),
		Metadata:  h.Metadata,
	})
}

// Checksum returns the payload checksum of a canary: the first 16 hex digits of the SHA-256
// of the canonical JSON {"lastAppliedSpec":…,"trackedConfigs":{…}} of its status (map keys
// sorted). It changes exactly when the analysed revision or a tracked config changes, so
// load testers can tell runs apart. Flagger hashes a spew dump of the same two fields, which
// cannot be reproduced outside its Go types (see quirk S5).
func Checksum(cn *v1beta1.Canary) string {
	raw, err := json.Marshal(struct {
		LastAppliedSpec string            `json:"lastAppliedSpec"`
		TrackedConfigs  map[string]string `json:"trackedConfigs"`
	}{cn.Status.LastAppliedSpec, cn.Status.TrackedConfigs})
	if err != nil {
		// A string and a map of strings always marshal; keep the function total anyway.
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// post sends a payload with the hook's timeout, retries and TLS setting.
func (c *Client) post(ctx context.Context, h v1beta1.CanaryWebhook, payload v1beta1.CanaryWebhookPayload) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode payload of webhook %s: %w", h.Name, err)
	}
	hc := c.plain
	if h.DisableTLS {
		hc = c.insecure
	}
	attempts := max(h.Retries, 0) + 1
	n := 0
	for {
		n++
		retry, err := c.attempt(ctx, hc, h, body)
		switch {
		case err == nil:
			return nil
		case !retry || n == attempts || c.wait(ctx, n) != nil:
			if n > 1 {
				return fmt.Errorf("%w (after %d attempts)", err, n)
			}
			return err
		}
	}
}

// attempt POSTs once and says whether a failure is worth retrying.
func (c *Client) attempt(ctx context.Context, hc *http.Client, h v1beta1.CanaryWebhook, body []byte) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, h.TimeoutDuration())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return false, outbound.Redact(fmt.Errorf("build request to webhook %s: %w", h.Name, err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		// The URL may hold a token in its path or query: errors show its scheme and host only.
		return retriableTransport(err), outbound.Redact(err)
	}
	defer resp.Body.Close()
	b, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	if readErr != nil {
		return true, fmt.Errorf("read answer of webhook %s: %w", h.Name, readErr)
	}
	// The body is the hook's word (Flagger shows it in events); a hook that echoes its URL does
	// not get the URL's path, query or credentials shown.
	se := &StatusError{Code: resp.StatusCode, Body: outbound.Scrub(strings.TrimSpace(string(b)), outbound.URLParts(h.URL)...)}
	return se.retriable(), se
}

// retriableTransport reports whether a transport error may pass on another attempt: not when
// the URL or the server's certificate is wrong, nor when the hook redirects to another host.
func retriableTransport(err error) bool {
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) || errors.Is(err, outbound.ErrCrossHostRedirect) {
		return false
	}
	return !strings.Contains(err.Error(), "unsupported protocol scheme")
}

// wait sleeps before attempt i (1-based retries): MinBackoff·2^(i-1), at most MaxBackoff.
func (c *Client) wait(ctx context.Context, i int) error {
	d := c.opts.MinBackoff << (i - 1)
	if d <= 0 || d > c.opts.MaxBackoff {
		d = c.opts.MaxBackoff
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
