package v1beta1

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseProvider(t *testing.T) {
	tests := []struct {
		in      string
		want    Provider
		wantErr bool
	}{
		{in: "smi:crossover", want: Provider{Raw: "smi:crossover", SMIVersion: SMIv1alpha1, Mesh: "crossover"}},
		{in: "smi:v1alpha1", want: Provider{Raw: "smi:v1alpha1", SMIVersion: SMIv1alpha1, Mesh: "smi:v1alpha1"}},
		{in: "smi:v1alpha1:crossover", want: Provider{Raw: "smi:v1alpha1:crossover", SMIVersion: SMIv1alpha1, Mesh: "crossover"}},
		{in: "smi:v1alpha2:osm", want: Provider{Raw: "smi:v1alpha2:osm", SMIVersion: SMIv1alpha2, Mesh: "osm"}},
		{in: "smi:v1alpha3:istio", want: Provider{Raw: "smi:v1alpha3:istio", SMIVersion: SMIv1alpha3, Mesh: "istio"}},
		{in: "gatewayapi:v1", want: Provider{Raw: "gatewayapi:v1", GatewayAPIVersion: GatewayAPIv1}},
		{in: "gatewayapi:v1beta1", want: Provider{Raw: "gatewayapi:v1beta1", GatewayAPIVersion: GatewayAPIv1beta1}},
		{in: "gatewayapi", wantErr: true},
		{in: "gatewayapi:v1alpha2", wantErr: true},
		{in: "smi:v1alpha4", wantErr: true},
		{in: "smi:v1alpha2:", wantErr: true},
		{in: "smi", wantErr: true},
		{in: "istio", wantErr: true},
		{in: "v1alpha1", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseProvider(tt.in)
			if tt.wantErr {
				require.ErrorContains(t, err, "unsupported provider")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestAnalysisDefaults(t *testing.T) {
	tests := []struct {
		name          string
		mod           func(*Canary)
		wantInterval  time.Duration
		wantThreshold int
		wantMax       int
		wantStrategy  DeploymentStrategy
	}{
		{name: "seed", mod: func(*Canary) {}, wantInterval: time.Minute, wantThreshold: 5, wantMax: 50, wantStrategy: CanaryStrategy},
		{name: "short interval is clamped", mod: func(c *Canary) { c.Spec.Analysis.Interval = "2s" },
			wantInterval: 10 * time.Second, wantThreshold: 5, wantMax: 50, wantStrategy: CanaryStrategy},
		{name: "unparsable interval and zero threshold", mod: func(c *Canary) { c.Spec.Analysis.Interval, c.Spec.Analysis.Threshold = "1x", 0 },
			wantInterval: time.Minute, wantThreshold: 1, wantMax: 50, wantStrategy: CanaryStrategy},
		{name: "no maxWeight", mod: func(c *Canary) { c.Spec.Analysis.MaxWeight = 0 },
			wantInterval: time.Minute, wantThreshold: 5, wantMax: 100, wantStrategy: CanaryStrategy},
		{name: "stepWeights cap at 100", mod: func(c *Canary) { c.Spec.Analysis.StepWeights = []int{1, 2, 10, 200} },
			wantInterval: time.Minute, wantThreshold: 5, wantMax: 100, wantStrategy: CanaryStrategy},
		{name: "blue/green", mod: func(c *Canary) { c.Spec.Analysis.Iterations = 10 },
			wantInterval: time.Minute, wantThreshold: 5, wantMax: 50, wantStrategy: BlueGreenStrategy},
		{name: "a/b", mod: func(c *Canary) {
			c.Spec.Analysis.Iterations = 10
			c.Spec.Analysis.Match = append(c.Spec.Analysis.Match, rawJSON(`{}`))
		}, wantInterval: time.Minute, wantThreshold: 5, wantMax: 50, wantStrategy: ABTestingStrategy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCanary(tt.mod)
			require.Equal(t, tt.wantInterval, c.AnalysisInterval())
			require.Equal(t, tt.wantThreshold, c.AnalysisThreshold())
			require.Equal(t, tt.wantMax, c.MaxWeight())
			require.Equal(t, tt.wantStrategy, c.Strategy())
		})
	}
	require.Equal(t, 2*time.Second, newCanary(func(c *Canary) { c.Spec.Analysis.Interval = "2s" }).AnalysisIntervalAtLeast(time.Second))
}

func TestNamesAndHelpers(t *testing.T) {
	c := newCanary()
	apex, primary, canary := c.ServiceNames()
	require.Equal(t, []string{"podinfo", "podinfo-primary", "podinfo-canary"}, []string{apex, primary, canary})
	require.Equal(t, "podinfo-primary", c.PrimaryName())
	require.Equal(t, "podinfo.test", c.EventName())
	require.Equal(t, "Canary test/podinfo", c.String())
	require.Equal(t, AutoscalingV2, c.Spec.AutoscalerRef.HPAAPIVersion())
	require.Equal(t, time.Minute, c.ProgressDeadline())

	c.Spec.Service.Name = "frontend"
	apex, primary, canary = c.ServiceNames()
	require.Equal(t, []string{"frontend", "frontend-primary", "frontend-canary"}, []string{apex, primary, canary})

	rollout := c.Webhooks(RolloutHook)
	require.Len(t, rollout, 1)
	require.Equal(t, "load-test", rollout[0].Name)
	require.Equal(t, 5*time.Second, rollout[0].TimeoutDuration())
	require.Equal(t, DefaultWebhookTimeout, (&CanaryWebhook{Timeout: "x"}).TimeoutDuration())
	require.Equal(t, "30s", c.Spec.Analysis.Metrics[0].EffectiveInterval())
	require.Equal(t, "1m", (&CanaryMetric{}).EffectiveInterval())
	require.False(t, c.Spec.Analysis.Metrics[0].IsBuiltin())
	require.True(t, (&CanaryMetric{Name: BuiltinRequestDuration}).IsBuiltin())
}

func TestSeverityRouting(t *testing.T) {
	all := []AlertSeverity{SeverityInfo, SeverityWarn, SeverityError}
	tests := []struct {
		alert AlertSeverity
		want  []AlertSeverity
	}{
		{alert: "", want: all},
		{alert: SeverityInfo, want: all},
		{alert: SeverityWarn, want: []AlertSeverity{SeverityWarn, SeverityError}},
		{alert: SeverityError, want: []AlertSeverity{SeverityError}},
	}
	for _, tt := range tests {
		t.Run(string(tt.alert), func(t *testing.T) {
			var got []AlertSeverity
			for _, n := range all {
				if tt.alert.Receives(n) {
					got = append(got, n)
				}
			}
			require.Equal(t, tt.want, got)
		})
	}
}
