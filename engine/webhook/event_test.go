package webhook

import (
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
	clocktesting "k8s.io/utils/clock/testing"
)

var eventTime = time.Date(2026, 11, 1, 12, 0, 0, 123_000_000, time.UTC)

func TestEventToEventHooks(t *testing.T) {
	a, b, rollout, global := newHookServer(t), newHookServer(t), newHookServer(t), newHookServer(t)
	c := newCanary(withHooks(
		v1beta1.CanaryWebhook{Name: "a", URL: a.URL, Type: v1beta1.EventHook,
			Metadata: map[string]string{"eventType": "spoofed", "team": "payments"}},
		v1beta1.CanaryWebhook{Name: "load-test", URL: rollout.URL},
		v1beta1.CanaryWebhook{Name: "b", URL: b.URL, Type: v1beta1.EventHook},
	))
	cl := New(Options{EventURL: global.URL, Clock: clocktesting.NewFakePassiveClock(eventTime)})

	require.NoError(t, cl.Event(t.Context(), c, "Warning", "Halt podinfo.test advancement success rate 69.17% < 99%"))

	stamp := "1793534400123"
	require.Len(t, a.seen(), 1)
	require.Equal(t, v1beta1.CanaryWebhookPayload{
		Name: "podinfo", Namespace: "test", Phase: v1beta1.CanaryPhaseProgressing, Checksum: Checksum(c),
		Metadata: map[string]string{
			"eventMessage": "Halt podinfo.test advancement success rate 69.17% < 99%",
			"eventType":    "Warning",
			"timestamp":    stamp,
			"team":         "payments",
		},
	}, a.seen()[0].payload)
	require.Len(t, b.seen(), 1)
	require.Equal(t, map[string]string{
		"eventMessage": "Halt podinfo.test advancement success rate 69.17% < 99%",
		"eventType":    "Warning",
		"timestamp":    stamp,
	}, b.seen()[0].payload.Metadata)
	require.Empty(t, rollout.seen(), "only event hooks receive events")
	require.Empty(t, global.seen(), "the global webhook is skipped when the canary has an event hook")
}

func TestEventToGlobalWebhook(t *testing.T) {
	global := newHookServer(t)
	cl := New(Options{EventURL: global.URL, Clock: clocktesting.NewFakePassiveClock(eventTime)})

	require.NoError(t, cl.Event(t.Context(), newCanary(), "Normal", "Advance podinfo.test canary weight 5"))

	require.Len(t, global.seen(), 1)
	require.Equal(t, map[string]string{
		"eventMessage": "Advance podinfo.test canary weight 5",
		"eventType":    "Normal",
		"timestamp":    "1793534400123",
	}, global.seen()[0].payload.Metadata)

	noAnalysis := newCanary(func(c *v1beta1.Canary) { c.Spec.Analysis = nil })
	require.NoError(t, cl.Event(t.Context(), noAnalysis, "Normal", "Initialization done! podinfo.test"))
	require.Len(t, global.seen(), 2)
}

func TestEventWithoutWebhooks(t *testing.T) {
	require.NoError(t, New(Options{}).Event(t.Context(), newCanary(), "Normal", "nothing to send"))
}

func TestEventFailuresAreLoggedAndJoined(t *testing.T) {
	bad, good := newHookServer(t, reply{500, "receiver down"}), newHookServer(t)
	var logged []string
	log := funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{})
	c := newCanary(withHooks(
		v1beta1.CanaryWebhook{Name: "bad", URL: bad.URL, Type: v1beta1.EventHook},
		v1beta1.CanaryWebhook{Name: "good", URL: good.URL, Type: v1beta1.EventHook},
	))

	err := New(Options{Log: log}).Event(t.Context(), c, "Normal", "Starting canary analysis for podinfo.test")

	require.EqualError(t, err, "post event to webhook bad: receiver down")
	require.Len(t, good.seen(), 1, "a failing hook does not stop the others")
	require.Len(t, logged, 1)
	require.Contains(t, logged[0], `"canary"="test/podinfo"`)
	require.Contains(t, logged[0], `"webhook"="bad"`)
	require.Contains(t, logged[0], "receiver down")
}
