package webhook

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Metadata keys of event payloads.
const (
	EventMessageKey   = "eventMessage"
	EventTypeKey      = "eventType"
	EventTimestampKey = "timestamp"
)

// globalEventHook is the name of the global event webhook in errors and logs, as in Flagger.
const globalEventHook = "events"

// Event posts an event of the canary to each of its event webhooks, or to the global event
// webhook when it has none. The payload's metadata holds eventMessage, eventType (Normal or
// Warning) and timestamp (Unix milliseconds, as a string), plus the hook's own metadata keys
// that do not collide with those three; its phase is the canary's. Failures are logged and
// returned joined; the caller need not do more with them.
func (c *Client) Event(ctx context.Context, cn *v1beta1.Canary, eventType, message string) error {
	hooks := cn.Webhooks(v1beta1.EventHook)
	if len(hooks) == 0 && c.opts.EventURL != "" {
		hooks = []v1beta1.CanaryWebhook{{Name: globalEventHook, URL: c.opts.EventURL, Type: v1beta1.EventHook}}
	}
	stamp := strconv.FormatInt(c.opts.Clock.Now().UnixMilli(), 10)
	var errs []error
	for _, h := range hooks {
		meta := map[string]string{EventMessageKey: message, EventTypeKey: eventType, EventTimestampKey: stamp}
		for k, v := range h.Metadata {
			if _, taken := meta[k]; !taken {
				meta[k] = v
			}
		}
		err := c.post(ctx, h, v1beta1.CanaryWebhookPayload{
			Name:      cn.Name,
			Namespace: cn.Namespace,
			Phase:     cn.Status.Phase,
			Checksum:  Checksum(cn),
			Metadata:  meta,
		})
		if err != nil {
			c.opts.Log.Error(err, "error sending event to webhook", "canary", cn.ID(), "webhook", h.Name)
			errs = append(errs, fmt.Errorf("post event to webhook %s: %w", h.Name, err))
		}
	}
	return errors.Join(errs...)
}
