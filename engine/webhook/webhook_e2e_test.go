//go:build e2e

package webhook

import (
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { env.Main(m, env.Options{}) }

// Given the environment's Flagger-compatible load tester, when the Client calls the seed's
// webhooks, then gates, asynchronous commands and blocking commands answer as Flagger sees
// them, and a failing command's output is the error text.
func TestCallLoadTester(t *testing.T) {
	e := env.Get(t)
	c := newCanary(func(c *v1beta1.Canary) { c.Namespace = "test" })
	cl := fastClient(Options{})
	call := func(h v1beta1.CanaryWebhook) error {
		return cl.Call(t.Context(), c, h, v1beta1.CanaryPhaseProgressing)
	}
	hook := func(typ v1beta1.HookType, path string, meta map[string]string) v1beta1.CanaryWebhook {
		return v1beta1.CanaryWebhook{Name: path, Type: typ, URL: e.LoadTesterURL + path, Timeout: "30s", Metadata: meta}
	}

	require.NoError(t, call(hook(v1beta1.ConfirmRolloutHook, "/gate/approve", nil)))
	require.EqualError(t, call(hook(v1beta1.ConfirmPromotionHook, "/gate/halt", nil)), "Forbidden")

	check := hook(v1beta1.ConfirmPromotionHook, "/gate/check", nil)
	require.EqualError(t, call(check), "Forbidden", "gates start closed")
	require.NoError(t, call(hook(v1beta1.RolloutHook, "/gate/open", nil)), "opening answers 202")
	require.NoError(t, call(check))

	require.NoError(t, call(hook(v1beta1.RolloutHook, "/", map[string]string{"cmd": "true"})), "cmd answers 202 at once")
	require.NoError(t, call(hook(v1beta1.PreRolloutHook, "/", map[string]string{"type": "bash", "cmd": "echo ok"})))
	err := call(hook(v1beta1.PreRolloutHook, "/", map[string]string{"type": "bash", "cmd": "echo token missing; exit 3"}))
	require.ErrorContains(t, err, "command echo token missing; exit 3 failed: token missing")
	require.EqualError(t, call(hook(v1beta1.RolloutHook, "/", nil)), "metadata not found in payload")
}
