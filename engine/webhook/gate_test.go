package webhook

import (
	"context"
	"errors"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
)

type gatesFunc func(ctx context.Context, c *v1beta1.Canary, h v1beta1.CanaryWebhook) error

func (f gatesFunc) Check(ctx context.Context, c *v1beta1.Canary, h v1beta1.CanaryWebhook) error {
	return f(ctx, c, h)
}

func TestCallGitGate(t *testing.T) {
	c := newCanary()
	closed := errors.New("no confirm-rollout decision")
	var asked []string
	cl := New(Options{Gates: gatesFunc(func(_ context.Context, cn *v1beta1.Canary, h v1beta1.CanaryWebhook) error {
		asked = append(asked, cn.Name+" "+h.Name)
		if h.Type == v1beta1.ConfirmRolloutHook {
			return closed
		}
		return nil
	})})
	err := cl.Call(context.Background(), c, v1beta1.CanaryWebhook{Name: "approval", Type: v1beta1.ConfirmRolloutHook, URL: "git:"}, v1beta1.CanaryPhaseWaiting)
	require.ErrorIs(t, err, closed)
	err = cl.Call(context.Background(), c, v1beta1.CanaryWebhook{Name: "promotion", Type: v1beta1.ConfirmPromotionHook, URL: "git:"}, v1beta1.CanaryPhaseProgressing)
	require.NoError(t, err)
	require.Equal(t, []string{"podinfo approval", "podinfo promotion"}, asked)

	err = New(Options{}).Call(context.Background(), c, v1beta1.CanaryWebhook{Name: "approval", Type: v1beta1.ConfirmRolloutHook, URL: "git:"}, v1beta1.CanaryPhaseWaiting)
	require.ErrorIs(t, err, ErrGitGatesDisabled, "without gates a Git gate stays closed, and nothing is called")
}
