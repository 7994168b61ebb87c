package webhook

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/stretchr/testify/require"
)

func TestCallPayload(t *testing.T) {
	srv := newHookServer(t)
	c := newCanary()
	hook := v1beta1.CanaryWebhook{Name: "load-test", URL: srv.URL + "/", Metadata: map[string]string{"cmd": "hey -z 1m"}}

	require.NoError(t, New(Options{}).Call(t.Context(), c, hook, v1beta1.CanaryPhaseProgressing))

	seen := srv.seen()
	require.Len(t, seen, 1)
	require.Equal(t, "application/json", seen[0].contentType)
	require.Equal(t, v1beta1.CanaryWebhookPayload{
		Name: "podinfo", Namespace: "test", Phase: v1beta1.CanaryPhaseProgressing,
		Checksum: Checksum(c), Metadata: map[string]string{"cmd": "hey -z 1m"},
	}, seen[0].payload)
	require.ElementsMatch(t, []string{"name", "namespace", "phase", "checksum", "metadata"}, keys(seen[0].raw))
}

func TestCallPayloadOmitsEmptyMetadata(t *testing.T) {
	srv := newHookServer(t)
	hook := v1beta1.CanaryWebhook{Name: "gate", URL: srv.URL + "/gate/approve", Type: v1beta1.ConfirmRolloutHook}

	require.NoError(t, New(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseInitialized))

	seen := srv.seen()
	require.Len(t, seen, 1)
	require.Equal(t, "/gate/approve", seen[0].path)
	require.Equal(t, "Initialized", seen[0].raw["phase"])
	require.NotContains(t, seen[0].raw, "metadata")
}

func TestCallAnswers(t *testing.T) {
	tests := []struct {
		name      string
		retries   int
		replies   []reply
		wantCalls int
		wantErr   string
	}{
		{name: "200 passes", replies: []reply{{200, "OK"}}, wantCalls: 1},
		{name: "202 passes", replies: []reply{{202, ""}}, wantCalls: 1},
		{name: "203 passes (Flagger fails it: S9)", replies: []reply{{203, ""}}, wantCalls: 1},
		{name: "204 passes", replies: []reply{{204, ""}}, wantCalls: 1},
		{name: "403 fails with the body", retries: 3, replies: []reply{{403, "Forbidden\n"}}, wantCalls: 1, wantErr: "Forbidden"},
		{name: "500 without retries", replies: []reply{{500, "command failed: exit 1"}}, wantCalls: 1, wantErr: "command failed: exit 1"},
		{name: "5xx after retries keeps the body", retries: 2, replies: []reply{{500, "boom"}}, wantCalls: 3, wantErr: "boom (after 3 attempts)"},
		{name: "503 then 200 passes", retries: 2, replies: []reply{{503, "busy"}, {200, "OK"}}, wantCalls: 2},
		{name: "429 is retried", retries: 1, replies: []reply{{429, "slow down"}, {429, "still"}}, wantCalls: 2, wantErr: "still (after 2 attempts)"},
		{name: "501 is not retried", retries: 3, replies: []reply{{501, "nope"}}, wantCalls: 1, wantErr: "nope"},
		{name: "empty body gives the status", replies: []reply{{502, ""}}, wantCalls: 1, wantErr: "502 Bad Gateway"},
		{name: "4xx after a retried 5xx", retries: 3, replies: []reply{{500, "boom"}, {400, "bad payload"}}, wantCalls: 2, wantErr: "bad payload (after 2 attempts)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newHookServer(t, tt.replies...)
			hook := v1beta1.CanaryWebhook{Name: "check", URL: srv.URL, Retries: tt.retries}
			err := fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing)
			require.Len(t, srv.seen(), tt.wantCalls)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
			var se *StatusError
			require.ErrorAs(t, err, &se)
			var answer engine.HookAnswer
			require.ErrorAs(t, err, &answer, "the engine keeps the code and body as evidence")
			code, body := answer.HookAnswer()
			last := tt.replies[min(len(tt.replies), tt.wantCalls)-1]
			require.Equal(t, last.status, code)
			require.Equal(t, strings.TrimSpace(last.body), body)
		})
	}
}

func TestCallTimeout(t *testing.T) {
	srv := newHookServer(t)
	srv.block = true
	hook := v1beta1.CanaryWebhook{Name: "slow", URL: srv.URL, Timeout: "50ms", Retries: 1}
	start := time.Now()
	err := fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "(after 2 attempts)")
	require.Len(t, srv.seen(), 2, "a timed-out attempt is retried")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestCallConnectionRefused(t *testing.T) {
	srv := newHookServer(t)
	url := srv.URL
	srv.Close()
	hook := v1beta1.CanaryWebhook{Name: "gone", URL: url, Retries: 2}
	err := fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing)
	require.ErrorContains(t, err, "connection refused")
	require.ErrorContains(t, err, "(after 3 attempts)")
}

func TestCallBadURL(t *testing.T) {
	hook := v1beta1.CanaryWebhook{Name: "bad", URL: "ftp://example.invalid/hook", Retries: 2}
	err := fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing)
	require.ErrorContains(t, err, "unsupported protocol scheme")
	require.NotContains(t, err.Error(), "after", "a wrong URL is not retried")
}

func TestCallBackoffStopsWithContext(t *testing.T) {
	srv := newHookServer(t, reply{500, "boom"})
	c := New(Options{MinBackoff: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	hook := v1beta1.CanaryWebhook{Name: "check", URL: srv.URL, Retries: 5}
	err := c.Call(ctx, newCanary(), hook, v1beta1.CanaryPhaseProgressing)
	require.EqualError(t, err, "boom")
	require.Len(t, srv.seen(), 1)
}

func TestCallDisableTLS(t *testing.T) {
	srv := newTLSHookServer(t)
	hook := v1beta1.CanaryWebhook{Name: "tls", URL: srv.URL, Retries: 2}

	err := fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing)
	require.ErrorContains(t, err, "certificate")
	require.NotContains(t, err.Error(), "after", "a certificate error is not retried")

	hook.DisableTLS = true
	require.NoError(t, fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing))
	require.Len(t, srv.seen(), 1)
}

func TestChecksum(t *testing.T) {
	base := newCanary()
	require.Len(t, Checksum(base), 16)
	require.Equal(t, Checksum(base), Checksum(newCanary()), "stable for equal status")

	reordered := newCanary(func(c *v1beta1.Canary) {
		c.Status.TrackedConfigs = map[string]string{"secret/b": "2", "configmap/a": "1"}
	})
	same := newCanary(func(c *v1beta1.Canary) {
		c.Status.TrackedConfigs = map[string]string{"configmap/a": "1", "secret/b": "2"}
	})
	require.Equal(t, Checksum(same), Checksum(reordered), "independent of map order")

	tests := []struct {
		name   string
		change canaryOpt
	}{
		{name: "new revision", change: func(c *v1beta1.Canary) { c.Status.LastAppliedSpec = "other" }},
		{name: "config changed", change: func(c *v1beta1.Canary) { c.Status.TrackedConfigs["configmap/podinfo-config"] = "ffff" }},
		{name: "no configs", change: func(c *v1beta1.Canary) { c.Status.TrackedConfigs = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEqual(t, Checksum(base), Checksum(newCanary(tt.change)))
		})
	}
	require.Equal(t, Checksum(base), Checksum(newCanary(func(c *v1beta1.Canary) { c.Status.Phase = v1beta1.CanaryPhaseFailed })),
		"the phase is not part of the checksum")
}

func TestStatusErrorRetriable(t *testing.T) {
	tests := []struct {
		code int
		want bool
	}{
		{400, false}, {403, false}, {404, false}, {429, true}, {500, true}, {501, false}, {502, true}, {503, true}, {504, true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, (&StatusError{Code: tt.code}).retriable(), "code %d", tt.code)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
