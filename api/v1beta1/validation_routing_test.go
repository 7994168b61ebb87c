package v1beta1

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// gatewayCanary turns the seed's Canary into a Gateway API canary attached to Gateway envoy.
func gatewayCanary(c *Canary) {
	c.Spec.Provider = ProviderGatewayAPIv1
	c.Spec.Service.Hosts = []string{"podinfo.test"}
	c.Spec.Service.GatewayRefs = []GatewayRef{{Name: "envoy", Namespace: ptr("test")}}
}

// abTest turns the seed's analysis into an A/B test of ten iterations by header.
func abTest(c *Canary) {
	c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 10
	c.Spec.Analysis.Match = append(c.Spec.Analysis.Match, rawJSON(`{"headers":{"x-canary":{"exact":"insider"}}}`))
}

func TestValidateCanaryRouting(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(*Canary)
		wantFields []string
		wantText   string
	}{
		{name: "gateway api canary", mod: gatewayCanary},
		{name: "gateway api v1beta1", mod: func(c *Canary) { gatewayCanary(c); c.Spec.Provider = ProviderGatewayAPIv1beta1 }},
		{name: "A/B by header and cookie", mod: func(c *Canary) {
			gatewayCanary(c)
			abTest(c)
			c.Spec.Analysis.Match = append(c.Spec.Analysis.Match, rawJSON(`{"headers":{"cookie":{"regex":"^(.*?;)?(canary=always)(;.*)?$"}}}`))
		}},
		{name: "service match by uri, method and query", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Service.Match = append(c.Spec.Service.Match, rawJSON(`{"uri":{"prefix":"/api"},"method":{"exact":"GET"},"queryParams":{"v":{"regex":"2.*"}}}`))
		}},
		{name: "blue/green with mirror", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Analysis.StepWeight, c.Spec.Analysis.MaxWeight, c.Spec.Analysis.Iterations = 0, 0, 5
			c.Spec.Analysis.Mirror, c.Spec.Analysis.MirrorWeight = true, 50
		}},
		{name: "canary with a mirror step", mod: func(c *Canary) { gatewayCanary(c); c.Spec.Analysis.Mirror = true }},
		{name: "session affinity", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "flagger-cookie", PrimaryCookieName: "primary-cookie"}
		}},
		{name: "service mirror", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Service.Mirror = []HTTPRequestMirror{{BackendRef: MirrorBackendRef{Name: "podinfo-shadow"}}}
		}},
		{name: "gateway api without gatewayRefs", mod: func(c *Canary) { gatewayCanary(c); c.Spec.Service.GatewayRefs = nil },
			wantFields: []string{"spec.service.gatewayRefs"}, wantText: "provider gatewayapi:v1 attaches the HTTPRoute to the Gateways listed here"},
		{name: "gatewayRef without name", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Service.GatewayRefs = append(c.Spec.Service.GatewayRefs, GatewayRef{Namespace: ptr("infra")})
		}, wantFields: []string{"spec.service.gatewayRefs[1].name"}},
		{name: "service mirror without backend", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Service.Mirror = []HTTPRequestMirror{{}}
		}, wantFields: []string{"spec.service.mirror[0].backendRef.name"}},
		{name: "header prefix match", mod: func(c *Canary) {
			gatewayCanary(c)
			abTest(c)
			c.Spec.Analysis.Match[0] = rawJSON(`{"headers":{"x-canary":{"prefix":"ins"}}}`)
		}, wantFields: []string{"spec.analysis.match[0].headers[x-canary]"}, wantText: "cannot match a prefix here"},
		{name: "header match without value", mod: func(c *Canary) {
			gatewayCanary(c)
			abTest(c)
			c.Spec.Analysis.Match[0] = rawJSON(`{"headers":{"x-canary":{}}}`)
		}, wantFields: []string{"spec.analysis.match[0].headers[x-canary]"}, wantText: "set exactly one of exact, prefix or regex"},
		{name: "match on source labels", mod: func(c *Canary) {
			gatewayCanary(c)
			abTest(c)
			c.Spec.Analysis.Match[0] = rawJSON(`{"sourceLabels":{"app":"frontend"}}`)
		}, wantFields: []string{"spec.analysis.match[0]"}, wantText: `unknown field "sourceLabels"`},
		{name: "method by regex", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Service.Match = append(c.Spec.Service.Match, rawJSON(`{"method":{"regex":"GET|HEAD"}}`))
		}, wantFields: []string{"spec.service.match[0].method"}, wantText: "matches the method exactly"},
		{name: "session affinity without cookie", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Analysis.SessionAffinity = &SessionAffinity{}
		}, wantFields: []string{"spec.analysis.sessionAffinity.cookieName"}},
		{name: "session affinity with one cookie for both", mod: func(c *Canary) {
			gatewayCanary(c)
			c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "c", PrimaryCookieName: "c"}
		}, wantFields: []string{"spec.analysis.sessionAffinity.primaryCookieName"}, wantText: "must differ from cookieName"},
		{name: "mirror weight above 100", mod: func(c *Canary) { gatewayCanary(c); c.Spec.Analysis.MirrorWeight = 150 },
			wantFields: []string{"spec.analysis.mirrorWeight"}},
		{name: "A/B match under SMI", mod: abTest,
			wantFields: []string{"spec.analysis.match"}, wantText: "A/B testing is not supported by SMI"},
		{name: "A/B match under the default provider", mod: func(c *Canary) { abTest(c); c.Spec.Provider = "" },
			wantFields: []string{"spec.analysis.match"}, wantText: "A/B testing is not supported by SMI"},
		{name: "mirror under SMI", mod: func(c *Canary) { c.Spec.Analysis.Mirror = true },
			wantFields: []string{"spec.analysis.mirror"}, wantText: "mirroring is not supported"},
		{name: "session affinity under SMI", mod: func(c *Canary) {
			c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "flagger-cookie"}
		}, wantFields: []string{"spec.analysis.sessionAffinity"}, wantText: "session affinity is not supported by SMI TrafficSplits (Flagger ignores it"},
		{name: "service match and mirror under SMI", mod: func(c *Canary) {
			c.Spec.Service.Match = append(c.Spec.Service.Match, rawJSON(`{"uri":{"prefix":"/api"}}`))
			c.Spec.Service.Mirror = []HTTPRequestMirror{{BackendRef: MirrorBackendRef{Name: "shadow"}}}
		}, wantFields: []string{"spec.service.match", "spec.service.mirror"}, wantText: "use provider gatewayapi:v1"},
		{name: "gatewayRefs under SMI are ignored", mod: func(c *Canary) {
			c.Spec.Service.GatewayRefs = []GatewayRef{{Name: "envoy"}}
		}},
		{name: "unknown gateway api version", mod: func(c *Canary) { gatewayCanary(c); c.Spec.Provider = "gatewayapi:v1alpha2" },
			wantFields: []string{"spec.provider"}, wantText: "gatewayapi:v1 or gatewayapi:v1beta1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCanary(newCanary(tt.mod))
			if len(tt.wantFields) == 0 {
				require.NoError(t, err)
				return
			}
			requireProblems(t, err, "Canary test/podinfo", tt.wantFields, tt.wantText)
		})
	}
}

func TestParseMatchesSortsConditions(t *testing.T) {
	ms, errs := ParseMatches(append(newCanary().Spec.Service.Match,
		rawJSON(`{"headers":{"x-b":{"exact":"2"},"x-a":{"regex":"1.*"}},"queryParams":{"q":{"exact":"v"}}}`)), nil)
	require.Empty(t, errs)
	require.Len(t, ms, 1)
	require.Equal(t, []Header{{Name: "x-a", Match: StringMatch{Regex: "1.*"}}, {Name: "x-b", Match: StringMatch{Exact: "2"}}}, ms[0].SortedHeaders())
	require.Equal(t, []Header{{Name: "q", Match: StringMatch{Exact: "v"}}}, ms[0].SortedQueryParams())
}
