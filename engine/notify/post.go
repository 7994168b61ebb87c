package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gitcanary/gitcanary/internal/outbound"
)

// maxBody bounds how much of an error answer is kept.
const maxBody = 64 << 10

// post sends a message to a destination. Any 2xx answer passes; another status is the error
// "sending notification bad response <code>: <body>". The destination's address, token and
// proxy are credentials (for Slack the URL is): errors show only their scheme and host.
func (d *Dispatcher) post(ctx context.Context, dest destination, m message) error {
	secrets := append([]string{dest.address, dest.token, dest.proxy}, outbound.URLParts(dest.address)...)
	return outbound.Redact(d.send(ctx, dest, m), append(secrets, outbound.URLParts(dest.proxy)...)...)
}

func (d *Dispatcher) send(ctx context.Context, dest destination, m message) error {
	address, body, err := render(dest, m)
	if err != nil {
		return err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", dest.kind, err)
	}
	hc, closeIdle, err := d.httpClient(dest.proxy)
	if err != nil {
		return err
	}
	defer closeIdle()
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, address, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("build notification request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if dest.token != "" {
		req.Header.Set("Authorization", "Bearer "+dest.token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sending notification failed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		return fmt.Errorf("sending notification bad response %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

// httpClient returns the shared client, or a client through the proxy with a function that
// releases its connections.
func (d *Dispatcher) httpClient(proxy string) (*http.Client, func(), error) {
	if proxy == "" {
		return d.client, func() {}, nil
	}
	u, err := url.Parse(proxy)
	if err != nil {
		return nil, nil, fmt.Errorf("parse proxy URL: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(u)
	return &http.Client{Transport: tr, CheckRedirect: outbound.CheckRedirect}, tr.CloseIdleConnections, nil
}
