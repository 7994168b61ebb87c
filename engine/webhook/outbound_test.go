package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/internal/outbound"
	"github.com/stretchr/testify/require"
)

// TestCallRefusesCrossHostRedirect: a 307 to another host would resend the payload there; it
// is refused, not retried, and the other host sees nothing. A redirect on the same host is
// followed.
func TestCallRefusesCrossHostRedirect(t *testing.T) {
	other := newHookServer(t)
	var target string
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect)
			return
		}
		if r.URL.Path == "/ok" {
			return
		}
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	target = other.URL + "/collect?token=abc"

	hook := v1beta1.CanaryWebhook{Name: "gate", URL: redirector.URL + "/hook", Retries: 3}
	err := fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing)
	require.ErrorIs(t, err, outbound.ErrCrossHostRedirect)
	require.NotContains(t, err.Error(), "after", "a redirect elsewhere is not retried")
	require.NotContains(t, err.Error(), "token=abc")
	require.Empty(t, other.seen(), "the other host received nothing")

	hook.URL = redirector.URL + "/same"
	require.NoError(t, fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing))
}

// TestCallErrorsHideURLPathAndQuery: a webhook URL may carry a token; errors show its scheme and
// host only.
func TestCallErrorsHideURLPathAndQuery(t *testing.T) {
	srv := newHookServer(t)
	url := srv.URL
	srv.Close()
	for _, u := range []string{url + "/hooks/T0K3N?key=s3cr3t", "http://user:pa55@" + strings.TrimPrefix(url, "http://") + "/x", "ftp://example.invalid/T0K3N"} {
		hook := v1beta1.CanaryWebhook{Name: "leaky", URL: u}
		err := fastClient(Options{}).Call(t.Context(), newCanary(), hook, v1beta1.CanaryPhaseProgressing)
		require.Error(t, err)
		for _, secret := range []string{"T0K3N", "s3cr3t", "pa55", "user"} {
			require.NotContains(t, err.Error(), secret, u)
		}
		require.Contains(t, err.Error(), outbound.Redacted)
	}
}
