package notify

import (
	"net/http"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func TestPayloads(t *testing.T) {
	info := engine.Notification{Message: "New revision detected, progressing canary analysis.", Severity: v1beta1.SeverityInfo, WithMetadata: true}
	failed := engine.Notification{Message: "Failed checks threshold reached 5", Severity: v1beta1.SeverityError}
	tests := []struct {
		name     string
		kind     v1beta1.AlertProviderType
		n        engine.Notification
		wantPath string
		want     string
	}{
		{
			name: "slack info with metadata", kind: v1beta1.SlackProvider, n: info, wantPath: "/hook",
			want: `{"channel":"general","username":"flagger","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"good","author_name":"podinfo.test","text":"New revision detected, progressing canary analysis.","mrkdwn_in":["text"],"fields":[{"title":"Cluster","value":"prod-eu","short":false},{"title":"Target","value":"Deployment/podinfo.test","short":false},{"title":"Failed checks threshold","value":"5","short":false},{"title":"Progress deadline","value":"60s","short":false},{"title":"Traffic routing","value":"Weight step: 5 max: 50","short":false}]}]}`,
		},
		{
			name: "slack error", kind: v1beta1.SlackProvider, n: failed, wantPath: "/hook",
			want: `{"channel":"general","username":"flagger","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"danger","author_name":"podinfo.test","text":"Failed checks threshold reached 5","mrkdwn_in":["text"],"fields":[{"title":"Cluster","value":"prod-eu","short":false}]}]}`,
		},
		{
			name: "discord posts the slack payload to /slack", kind: v1beta1.DiscordProvider, n: failed, wantPath: "/hook/slack",
			want: `{"channel":"general","username":"flagger","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"danger","author_name":"podinfo.test","text":"Failed checks threshold reached 5","mrkdwn_in":["text"],"fields":[{"title":"Cluster","value":"prod-eu","short":false}]}]}`,
		},
		{
			name: "rocket colors", kind: v1beta1.RocketProvider, n: engine.Notification{Message: "Canary is waiting for approval.", Severity: v1beta1.SeverityWarn}, wantPath: "/hook",
			want: `{"channel":"general","username":"flagger","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"#0076D7","author_name":"podinfo.test","text":"Canary is waiting for approval.","mrkdwn_in":["text"],"fields":[{"title":"Cluster","value":"prod-eu","short":false}]}]}`,
		},
		{
			name: "rocket error", kind: v1beta1.RocketProvider, n: failed, wantPath: "/hook",
			want: `{"channel":"general","username":"flagger","icon_url":"","icon_emoji":":rocket:","attachments":[{"color":"#FF0000","author_name":"podinfo.test","text":"Failed checks threshold reached 5","mrkdwn_in":["text"],"fields":[{"title":"Cluster","value":"prod-eu","short":false}]}]}`,
		},
		{
			name: "msteams info", kind: v1beta1.MSTeamsProvider, n: info, wantPath: "/hook",
			want: `{"@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"0076D7","summary":"podinfo.test","sections":[{"activityTitle":"New revision detected, progressing canary analysis.","activitySubtitle":"podinfo.test","facts":[{"name":"Cluster","value":"prod-eu"},{"name":"Target","value":"Deployment/podinfo.test"},{"name":"Failed checks threshold","value":"5"},{"name":"Progress deadline","value":"60s"},{"name":"Traffic routing","value":"Weight step: 5 max: 50"}]}]}`,
		},
		{
			name: "msteams error", kind: v1beta1.MSTeamsProvider, n: failed, wantPath: "/hook",
			want: `{"@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"FF0000","summary":"podinfo.test","sections":[{"activityTitle":"Failed checks threshold reached 5","activitySubtitle":"podinfo.test","facts":[{"name":"Cluster","value":"prod-eu"}]}]}`,
		},
		{
			name: "gchat", kind: v1beta1.GChatProvider, n: failed, wantPath: "/hook",
			want: `{"cards":[{"header":{"title":"Flagger","subtitle":"podinfo.test","imageUrl":"https://flagger.app/favicon.png"},"sections":[{"widgets":[{"textParagraph":{"text":"<font color=#848484><strong>Failed checks threshold reached 5</strong></font>"}}]},{"widgets":[{"textParagraph":{"text":"Cluster<br><font color=#848484><strong>prod-eu</strong></font>"}}]}]}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := newChatServer(t, http.StatusOK, "ok")
			p := newProvider("test", "chat", tt.kind, chat.URL+"/hook")
			d := newDispatcher(t, Options{ClusterName: "prod-eu"}, []*v1beta1.AlertProvider{p})
			c := newCanary(withAlerts(alert("on-call", v1beta1.SeverityInfo, "chat")))

			require.NoError(t, d.Notify(t.Context(), c, tt.n))

			got := chat.only(t)
			require.Equal(t, tt.wantPath, got.path)
			require.Equal(t, "application/json", got.header.Get("Content-Type"))
			require.Empty(t, got.header.Get("Authorization"))
			require.Equal(t, compactJSON(t, tt.want), compactJSON(t, got.body))
		})
	}
}

func TestDiscordURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://discord.com/api/webhooks/1/abc", "https://discord.com/api/webhooks/1/abc/slack"},
		{"https://discord.com/api/webhooks/1/abc/", "https://discord.com/api/webhooks/1/abc/slack"},
		{"https://discord.com/api/webhooks/1/abc/slack", "https://discord.com/api/webhooks/1/abc/slack"},
	}
	for _, tt := range tests {
		got, err := discordURL(tt.in)
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
	_, err := discordURL("http://%zz")
	require.Error(t, err)
}

func TestMetadata(t *testing.T) {
	tests := []struct {
		name        string
		analysis    *v1beta1.CanaryAnalysis
		wantRouting string
	}{
		{name: "step weight", analysis: &v1beta1.CanaryAnalysis{StepWeight: 10, MaxWeight: 50}, wantRouting: "Weight step: 10 max: 50"},
		{name: "step weights without maxWeight", analysis: &v1beta1.CanaryAnalysis{StepWeights: []int{1, 5, 10}}, wantRouting: "Weight steps: 1,5,10 max: 0"},
		{name: "blue/green", analysis: &v1beta1.CanaryAnalysis{Iterations: 10}, wantRouting: "Blue/Green"},
		{name: "no analysis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCanary(func(c *v1beta1.Canary) {
				c.Spec.Analysis = tt.analysis
				c.Spec.ProgressDeadlineSeconds = nil
			})
			want := []Field{
				{Name: "Target", Value: "Deployment/podinfo.test"},
				{Name: "Failed checks threshold", Value: "1"},
				{Name: "Progress deadline", Value: "600s"},
			}
			if tt.wantRouting != "" {
				want = append(want, Field{Name: "Traffic routing", Value: tt.wantRouting})
			}
			require.Equal(t, want, Metadata(c))
		})
	}
	ab := newCanary(func(c *v1beta1.Canary) {
		c.Spec.Analysis = &v1beta1.CanaryAnalysis{Iterations: 10}
		c.Spec.Analysis.Match = []apiextensionsv1.JSON{{Raw: []byte(`{"headers":{"x-canary":{"exact":"insider"}}}`)}}
	})
	require.Equal(t, Field{Name: "Traffic routing", Value: "A/B Testing"}, Metadata(ab)[3])
}
