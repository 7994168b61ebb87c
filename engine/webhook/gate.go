package webhook

import (
	"context"
	"errors"
	"fmt"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// ErrGitGatesDisabled answers a Git gate (url "git:") when the client has no Gates: the gate
// stays closed, so a confirm gate waits and a rollback gate signals nothing.
var ErrGitGatesDisabled = errors.New("git gates are not enabled: the controller reads them from the status ledger, which is disabled")

// Gates answers the Git gates of a canary: webhooks whose url is v1beta1.GitGateURL, decided by
// commits on the status branch instead of an HTTP endpoint (status/ledger.Gatekeeper).
type Gates interface {
	// Check returns nil when the gate is open for the canary's current revision, and an error
	// saying why it is closed otherwise.
	Check(ctx context.Context, c *v1beta1.Canary, h v1beta1.CanaryWebhook) error
}

// gate answers a Git gate instead of POSTing.
func (c *Client) gate(ctx context.Context, cn *v1beta1.Canary, h v1beta1.CanaryWebhook) error {
	if c.opts.Gates == nil {
		return fmt.Errorf("gate %s: %w", h.Name, ErrGitGatesDisabled)
	}
	return c.opts.Gates.Check(ctx, cn, h)
}
