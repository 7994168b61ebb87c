package notify

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
)

func TestSeverityRouting(t *testing.T) {
	sevs := []v1beta1.AlertSeverity{v1beta1.SeverityInfo, v1beta1.SeverityWarn, v1beta1.SeverityError}
	tests := []struct {
		name     string
		alert    v1beta1.AlertSeverity
		receives []v1beta1.AlertSeverity
	}{
		{name: "info receives everything", alert: v1beta1.SeverityInfo, receives: sevs},
		{name: "empty severity is info (Flagger never fires it: S7)", alert: "", receives: sevs},
		{name: "warn receives warn and error", alert: v1beta1.SeverityWarn, receives: []v1beta1.AlertSeverity{v1beta1.SeverityWarn, v1beta1.SeverityError}},
		{name: "error receives error", alert: v1beta1.SeverityError, receives: []v1beta1.AlertSeverity{v1beta1.SeverityError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := newChatServer(t, http.StatusOK, "ok")
			d := newDispatcher(t, Options{}, []*v1beta1.AlertProvider{newProvider("test", "slack", v1beta1.SlackProvider, chat.URL)})
			c := newCanary(withAlerts(alert("a", tt.alert, "slack")))
			for _, s := range sevs {
				require.NoError(t, d.Notify(t.Context(), c, engine.Notification{Message: string(s), Severity: s}))
			}
			var got []v1beta1.AlertSeverity
			for _, p := range chat.received() {
				var m slackMessage
				require.NoError(t, jsonUnmarshal(p.body, &m))
				got = append(got, v1beta1.AlertSeverity(m.Attachments[0].Text))
			}
			require.Equal(t, tt.receives, got)
		})
	}
}

func TestEmptySeverityAlertFiresOnInfo(t *testing.T) {
	chat := newChatServer(t, http.StatusOK, "ok")
	d := newDispatcher(t, Options{}, []*v1beta1.AlertProvider{newProvider("test", "slack", v1beta1.SlackProvider, chat.URL)})
	c := newCanary(withAlerts(alert("no-severity", "", "slack")))

	n := engine.Notification{Message: "Canary analysis completed successfully, promotion finished.", Severity: v1beta1.SeverityInfo}
	require.NoError(t, d.Notify(t.Context(), c, n))
	require.Len(t, chat.received(), 1)
}

func TestProviderResolution(t *testing.T) {
	tests := []struct {
		name      string
		alert     v1beta1.CanaryAlert
		provider  func(chatURL string) *v1beta1.AlertProvider
		secrets   func(chatURL string) []*secretData
		wantPost  bool
		wantToken string
		wantErr   string
	}{
		{
			name:  "provider in another namespace",
			alert: v1beta1.CanaryAlert{Name: "a", ProviderRef: v1beta1.CrossNamespaceObjectReference{Name: "slack", Namespace: "flagger"}},
			provider: func(u string) *v1beta1.AlertProvider {
				return newProvider("flagger", "slack", v1beta1.SlackProvider, u)
			},
			wantPost: true,
		},
		{
			name:     "provider missing",
			alert:    alert("a", "", "absent"),
			provider: func(u string) *v1beta1.AlertProvider { return newProvider("test", "slack", v1beta1.SlackProvider, u) },
			wantErr:  `alert a: get AlertProvider test/absent: alertproviders.flagger.app "absent" not found`,
		},
		{
			name:  "secret address overrides the spec, token is a bearer",
			alert: alert("a", "", "slack"),
			provider: func(string) *v1beta1.AlertProvider {
				return newProvider("test", "slack", v1beta1.SlackProvider, "http://wrong.invalid", withProviderSecret("slack-url"))
			},
			secrets: func(u string) []*secretData {
				return []*secretData{{"test", "slack-url", map[string]string{"address": u, "token": "xoxb-1"}}}
			},
			wantPost:  true,
			wantToken: "Bearer xoxb-1",
		},
		{
			name:  "secret read from the provider's namespace",
			alert: v1beta1.CanaryAlert{Name: "a", ProviderRef: v1beta1.CrossNamespaceObjectReference{Name: "slack", Namespace: "flagger"}},
			provider: func(string) *v1beta1.AlertProvider {
				return newProvider("flagger", "slack", v1beta1.SlackProvider, "", withProviderSecret("slack-url"))
			},
			secrets: func(u string) []*secretData {
				return []*secretData{{"flagger", "slack-url", map[string]string{"address": u}}}
			},
			wantPost: true,
		},
		{
			name:  "secret missing",
			alert: alert("a", "", "slack"),
			provider: func(u string) *v1beta1.AlertProvider {
				return newProvider("test", "slack", v1beta1.SlackProvider, u, withProviderSecret("absent"))
			},
			wantErr: `alert a: get Secret test/absent of AlertProvider slack: secrets "absent" not found`,
		},
		{
			name:  "secret without address",
			alert: alert("a", "", "slack"),
			provider: func(u string) *v1beta1.AlertProvider {
				return newProvider("test", "slack", v1beta1.SlackProvider, u, withProviderSecret("token-only"))
			},
			secrets: func(string) []*secretData {
				return []*secretData{{"test", "token-only", map[string]string{"token": "t"}}}
			},
			wantErr: "alert a: secret test/token-only of AlertProvider slack: no address",
		},
		{
			name:     "no address at all",
			alert:    alert("a", "", "slack"),
			provider: func(string) *v1beta1.AlertProvider { return newProvider("test", "slack", v1beta1.SlackProvider, "") },
			wantErr:  "alert a: use AlertProvider test/slack: no address",
		},
		{
			name:     "unsupported type",
			alert:    alert("a", "", "hook"),
			provider: func(u string) *v1beta1.AlertProvider { return newProvider("test", "hook", "webhook", u) },
			wantErr:  `alert a: send to webhook AlertProvider test/hook: unsupported alert provider type "webhook"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := newChatServer(t, http.StatusOK, "ok")
			var secrets []*secretData
			if tt.secrets != nil {
				secrets = tt.secrets(chat.URL)
			}
			d := newDispatcher(t, Options{}, []*v1beta1.AlertProvider{tt.provider(chat.URL)}, toSecrets(secrets)...)
			err := d.Notify(t.Context(), newCanary(withAlerts(tt.alert)), engine.Notification{Message: "m", Severity: v1beta1.SeverityInfo})
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				require.Empty(t, chat.received())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantPost, len(chat.received()) == 1)
			require.Equal(t, tt.wantToken, chat.only(t).header.Get("Authorization"))
		})
	}
}

func TestNotifierFailure(t *testing.T) {
	broken := newChatServer(t, http.StatusInternalServerError, "invalid_payload\n")
	good := newChatServer(t, http.StatusOK, "ok")
	var mu sync.Mutex
	var logged []string
	log := funcr.New(func(_, args string) { mu.Lock(); logged = append(logged, args); mu.Unlock() }, funcr.Options{})
	d := newDispatcher(t, Options{Log: log}, []*v1beta1.AlertProvider{
		newProvider("test", "broken", v1beta1.SlackProvider, broken.URL),
		newProvider("test", "good", v1beta1.MSTeamsProvider, good.URL),
	})
	c := newCanary(withAlerts(alert("first", "", "broken"), alert("second", "", "good")))

	err := d.Notify(t.Context(), c, engine.Notification{Message: "Failed checks threshold reached 5", Severity: v1beta1.SeverityError})

	require.EqualError(t, err, "alert first: send to slack AlertProvider test/broken: sending notification bad response 500: invalid_payload")
	require.Len(t, good.received(), 1, "a failing provider does not stop the others")
	require.Len(t, logged, 1)
	require.Contains(t, logged[0], `"canary"="test/podinfo"`)
	require.Contains(t, logged[0], `"alert"="first"`)
}

func TestNotifierTimeout(t *testing.T) {
	slow := newChatServer(t, http.StatusOK, "ok")
	slow.block = true
	d := newDispatcher(t, Options{Timeout: 50 * time.Millisecond}, []*v1beta1.AlertProvider{newProvider("test", "slow", v1beta1.SlackProvider, slow.URL)})
	start := time.Now()
	err := d.Notify(t.Context(), newCanary(withAlerts(alert("a", "", "slow"))), engine.Notification{Message: "m"})
	require.ErrorContains(t, err, "context deadline exceeded")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestProxy(t *testing.T) {
	chat := newChatServer(t, http.StatusOK, "ok")
	target, err := url.Parse(chat.URL)
	require.NoError(t, err)
	var proxied []string
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		proxied = append(proxied, r.In.URL.String())
		r.SetURL(target)
	}})
	t.Cleanup(proxy.Close)
	p := newProvider("test", "chat", v1beta1.GChatProvider, "http://chat.example.invalid/v1/spaces/x", func(p *v1beta1.AlertProvider) {
		p.Spec.Proxy = proxy.URL
	})
	d := newDispatcher(t, Options{}, []*v1beta1.AlertProvider{p})

	require.NoError(t, d.Notify(t.Context(), newCanary(withAlerts(alert("a", "", "chat"))), engine.Notification{Message: "m"}))

	require.Equal(t, []string{"http://chat.example.invalid/v1/spaces/x"}, proxied)
	require.Equal(t, "/v1/spaces/x", chat.only(t).path)

	bad := newProvider("test", "chat", v1beta1.GChatProvider, chat.URL, func(p *v1beta1.AlertProvider) { p.Spec.Proxy = "http://%zz" })
	d = newDispatcher(t, Options{}, []*v1beta1.AlertProvider{bad})
	require.ErrorContains(t, d.Notify(t.Context(), newCanary(withAlerts(alert("a", "", "chat"))), engine.Notification{Message: "m"}), "parse proxy URL")
}

func TestGlobalNotifier(t *testing.T) {
	n := engine.Notification{Message: "Canary analysis completed successfully, promotion finished.", Severity: v1beta1.SeverityInfo}

	t.Run("slack with token, default user", func(t *testing.T) {
		slack := newChatServer(t, http.StatusOK, "ok")
		d := newDispatcher(t, Options{SlackURL: slack.URL, SlackToken: "xoxb-2", SlackChannel: "deploys"}, nil)
		require.NoError(t, d.Notify(t.Context(), newCanary(), n))
		got := slack.only(t)
		require.Equal(t, "Bearer xoxb-2", got.header.Get("Authorization"))
		require.Equal(t, compactJSON(t, `{"channel":"deploys","username":"flagger","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"good","author_name":"podinfo.test","text":"Canary analysis completed successfully, promotion finished.","mrkdwn_in":["text"],"fields":[]}]}`), compactJSON(t, got.body))
	})
	t.Run("teams replaces slack", func(t *testing.T) {
		slack, teams := newChatServer(t, http.StatusOK, "ok"), newChatServer(t, http.StatusOK, "1")
		d := newDispatcher(t, Options{SlackURL: slack.URL, TeamsURL: teams.URL}, nil)
		require.NoError(t, d.Notify(t.Context(), newCanary(), n))
		require.Empty(t, slack.received())
		require.Contains(t, teams.only(t).body, `"@type":"MessageCard"`)
	})
	t.Run("not used when the canary has alerts", func(t *testing.T) {
		slack, own := newChatServer(t, http.StatusOK, "ok"), newChatServer(t, http.StatusOK, "ok")
		d := newDispatcher(t, Options{SlackURL: slack.URL}, []*v1beta1.AlertProvider{newProvider("test", "own", v1beta1.SlackProvider, own.URL)})
		c := newCanary(withAlerts(alert("errors-only", v1beta1.SeverityError, "own")))
		require.NoError(t, d.Notify(t.Context(), c, n))
		require.Empty(t, slack.received())
		require.Empty(t, own.received(), "the alert filters out info")
	})
	t.Run("none configured", func(t *testing.T) {
		d := newDispatcher(t, Options{}, nil)
		require.NoError(t, d.Notify(t.Context(), newCanary(func(c *v1beta1.Canary) { c.Spec.Analysis = nil }), n))
	})
	t.Run("global failure", func(t *testing.T) {
		teams := newChatServer(t, http.StatusBadRequest, "Summary or Text is required.")
		d := newDispatcher(t, Options{TeamsURL: teams.URL}, nil)
		require.EqualError(t, d.Notify(t.Context(), newCanary(), n),
			"send alert to the global msteams notifier: sending notification bad response 400: Summary or Text is required.")
	})
}
