package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/internal/outbound"
	"github.com/go-logr/logr"
)

// Defaults of Flagger's alerting.
const (
	// DefaultTimeout bounds one POST to a chat service.
	DefaultTimeout = 5 * time.Second
	// DefaultChannel is an AlertProvider's channel when it sets none.
	DefaultChannel = "general"
	// DefaultUsername is the name alerts are posted as when none is set.
	DefaultUsername = "flagger"
)

// Options configures a Dispatcher. The Slack and Teams fields are the global notifier of the
// controller flags (-slack-url, -slack-token, -slack-proxy-url, -slack-user, -slack-channel,
// -msteams-url, -msteams-proxy-url); it serves canaries without alerts.
type Options struct {
	// ClusterName is sent as the first field, Cluster, when set.
	ClusterName string

	// SlackURL enables the global Slack notifier.
	SlackURL string
	// SlackToken is sent as a bearer token, e.g. for https://slack.com/api/chat.postMessage.
	SlackToken string
	// SlackProxy is an HTTP(S) proxy URL for Slack.
	SlackProxy string
	// SlackUser is the user name of Slack messages (DefaultUsername when empty).
	SlackUser string
	// SlackChannel is the channel of Slack messages; it may stay empty for incoming webhooks.
	SlackChannel string

	// TeamsURL enables the global MS Teams notifier, which then replaces Slack.
	TeamsURL string
	// TeamsProxy is an HTTP(S) proxy URL for MS Teams.
	TeamsProxy string

	// Timeout bounds one POST (DefaultTimeout when zero).
	Timeout time.Duration
	// Log receives delivery failures; discarded when zero.
	Log logr.Logger
}

// Dispatcher sends a canary's notifications to its AlertProviders or the global notifier.
type Dispatcher struct {
	providers Providers
	secrets   Secrets
	opts      Options
	global    *destination
	client    *http.Client
}

var _ engine.Notifier = (*Dispatcher)(nil)

// New returns a Dispatcher that reads AlertProviders and their Secrets through the readers.
func New(providers Providers, secrets Secrets, opts Options) *Dispatcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Log.GetSink() == nil {
		opts.Log = logr.Discard()
	}
	return &Dispatcher{
		providers: providers,
		secrets:   secrets,
		opts:      opts,
		global:    globalDestination(opts),
		client:    &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), CheckRedirect: outbound.CheckRedirect},
	}
}

func globalDestination(o Options) *destination {
	switch {
	case o.TeamsURL != "":
		return &destination{kind: v1beta1.MSTeamsProvider, address: o.TeamsURL, proxy: o.TeamsProxy}
	case o.SlackURL != "":
		user := o.SlackUser
		if user == "" {
			user = DefaultUsername
		}
		return &destination{kind: v1beta1.SlackProvider, address: o.SlackURL, token: o.SlackToken,
			proxy: o.SlackProxy, channel: o.SlackChannel, username: user}
	default:
		return nil
	}
}

// Notify sends a notification. Each failing provider is logged; the errors are returned
// joined, for the caller to ignore: alerts never block the analysis.
func (d *Dispatcher) Notify(ctx context.Context, c *v1beta1.Canary, n engine.Notification) error {
	m := message{subject: c.EventName(), text: n.Message, fields: d.fields(c, n), severity: n.Severity}
	var alerts []v1beta1.CanaryAlert
	if c.Spec.Analysis != nil {
		alerts = c.Spec.Analysis.Alerts
	}
	if len(alerts) == 0 {
		if d.global == nil {
			return nil
		}
		if err := d.post(ctx, *d.global, m); err != nil {
			err = fmt.Errorf("send alert to the global %s notifier: %w", d.global.kind, err)
			d.opts.Log.Error(err, "alert can't be sent", "canary", c.ID())
			return err
		}
		return nil
	}
	var errs []error
	for _, a := range alerts {
		if !a.Severity.Receives(n.Severity) {
			continue
		}
		if err := d.sendAlert(ctx, c, a, m); err != nil {
			d.opts.Log.Error(err, "alert can't be sent", "canary", c.ID(), "alert", a.Name)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sendAlert resolves an alert's AlertProvider and posts the message to it.
func (d *Dispatcher) sendAlert(ctx context.Context, c *v1beta1.Canary, a v1beta1.CanaryAlert, m message) error {
	ns := a.ProviderRef.Namespace
	if ns == "" {
		ns = c.Namespace
	}
	p, err := d.providers.AlertProvider(ctx, ns, a.ProviderRef.Name)
	if err != nil {
		return fmt.Errorf("alert %s: get AlertProvider %s/%s: %w", a.Name, ns, a.ProviderRef.Name, err)
	}
	dest, err := d.resolve(ctx, p)
	if err != nil {
		return fmt.Errorf("alert %s: %w", a.Name, err)
	}
	if err := d.post(ctx, dest, m); err != nil {
		return fmt.Errorf("alert %s: send to %s AlertProvider %s/%s: %w", a.Name, p.Spec.Type, ns, p.Name, err)
	}
	return nil
}

// resolve turns an AlertProvider into a destination: its Secret's address overrides the spec
// and its token is sent as a bearer token; channel and username get Flagger's defaults.
func (d *Dispatcher) resolve(ctx context.Context, p *v1beta1.AlertProvider) (destination, error) {
	dest := destination{
		kind: p.Spec.Type, address: p.Spec.Address, proxy: p.Spec.Proxy,
		channel: p.Spec.Channel, username: p.Spec.Username,
	}
	if dest.channel == "" {
		dest.channel = DefaultChannel
	}
	if dest.username == "" {
		dest.username = DefaultUsername
	}
	if ref := p.Spec.SecretRef; ref != nil {
		s, err := d.secrets.Secret(ctx, p.Namespace, ref.Name)
		if err != nil {
			return destination{}, fmt.Errorf("get Secret %s/%s of AlertProvider %s: %w", p.Namespace, ref.Name, p.Name, err)
		}
		address, ok := s.Data["address"]
		if !ok || len(address) == 0 {
			return destination{}, fmt.Errorf("secret %s/%s of AlertProvider %s: %w", p.Namespace, ref.Name, p.Name, ErrNoAddress)
		}
		dest.address = string(address)
		if token, ok := s.Data["token"]; ok {
			dest.token = string(token)
		}
	}
	if dest.address == "" {
		return destination{}, fmt.Errorf("use AlertProvider %s/%s: %w", p.Namespace, p.Name, ErrNoAddress)
	}
	return dest, nil
}
