package v1beta1

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateServiceFilters(t *testing.T) {
	headers := func(raw string) func(*Canary) {
		return func(c *Canary) { gatewayCanary(c); j := rawJSON(raw); c.Spec.Service.Headers = &j }
	}
	rewrite := func(raw string) func(*Canary) {
		return func(c *Canary) { gatewayCanary(c); j := rawJSON(raw); c.Spec.Service.Rewrite = &j }
	}
	timeout := func(s string) func(*Canary) {
		return func(c *Canary) { gatewayCanary(c); c.Spec.Service.Timeout = s }
	}
	tests := []struct {
		name       string
		mod        func(*Canary)
		wantFields []string
		wantText   string
	}{
		{name: "request and response headers", mod: headers(`{"request":{"set":{"x-env":"prod"},"add":{"x-via":"gitcanary"},"remove":["x-debug"]},"response":{"set":{"cache-control":"no-store"}}}`)},
		{name: "full path rewrite", mod: rewrite(`{"uri":"/v2","authority":"podinfo.internal"}`)},
		{name: "prefix rewrite", mod: rewrite(`{"uri":"/v2","type":"ReplacePrefixMatch"}`)},
		{name: "timeouts", mod: timeout("1m30s")},
		{name: "headers and rewrite under SMI are not used", mod: func(c *Canary) {
			j := rawJSON(`{"anything":1}`)
			c.Spec.Service.Headers, c.Spec.Service.Rewrite, c.Spec.Service.Timeout = &j, &j, "1.5s"
		}},
		{name: "unknown header operation", mod: headers(`{"request":{"append":{"x":"y"}}}`),
			wantFields: []string{"spec.service.headers"}, wantText: `unknown field "append"`},
		{name: "bad header name", mod: headers(`{"request":{"set":{"x env":"prod"}}}`),
			wantFields: []string{"spec.service.headers.request.set[x env]"}, wantText: "must be an HTTP header name"},
		{name: "empty header value", mod: headers(`{"response":{"add":{"x-a":""}}}`),
			wantFields: []string{"spec.service.headers.response.add[x-a]"}, wantText: "1 to 4096 characters"},
		{name: "one header twice", mod: headers(`{"request":{"set":{"X-Env":"a"},"remove":["x-env"]}}`),
			wantFields: []string{"spec.service.headers.request.remove[0]"}, wantText: "header names are case-insensitive"},
		{name: "too many headers", mod: headers(`{"request":{"remove":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}}`),
			wantFields: []string{"spec.service.headers.request.remove"}, wantText: "must have at most 16 items"},
		{name: "Set-Cookie with session affinity", mod: func(c *Canary) {
			headers(`{"response":{"add":{"set-cookie":"a=b"}}}`)(c)
			c.Spec.Analysis.SessionAffinity = &SessionAffinity{CookieName: "flagger-cookie"}
		}, wantFields: []string{"spec.service.headers.response.add[set-cookie]"}, wantText: "sessionAffinity sets the Set-Cookie header"},
		{name: "relative rewrite", mod: rewrite(`{"uri":"v2"}`),
			wantFields: []string{"spec.service.rewrite.uri"}, wantText: "absolute path"},
		{name: "rewrite of nothing", mod: rewrite(`{}`), wantFields: []string{"spec.service.rewrite"}, wantText: "uri or authority"},
		{name: "authority with a port", mod: rewrite(`{"authority":"podinfo:80"}`),
			wantFields: []string{"spec.service.rewrite.authority"}, wantText: "lowercase DNS name"},
		{name: "unknown rewrite type", mod: rewrite(`{"uri":"/","type":"RegexReplace"}`),
			wantFields: []string{"spec.service.rewrite.type"}, wantText: "supported values"},
		{name: "unknown rewrite field", mod: rewrite(`{"uriRegexRewrite":{"match":"a"}}`),
			wantFields: []string{"spec.service.rewrite"}, wantText: "rewrite supports uri, authority and type"},
		{name: "prefix rewrite of an exact match", mod: func(c *Canary) {
			rewrite(`{"uri":"/v2","type":"ReplacePrefixMatch"}`)(c)
			c.Spec.Service.Match = append(c.Spec.Service.Match, rawJSON(`{"uri":{"exact":"/v1"}}`))
		}, wantFields: []string{"spec.service.rewrite.type"}, wantText: "spec.service.match must be one match on a uri prefix at most"},
		{name: "prefix rewrite of two A/B matches", mod: func(c *Canary) {
			rewrite(`{"uri":"/v2","type":"ReplacePrefixMatch"}`)(c)
			abTest(c)
			c.Spec.Analysis.Match = append(c.Spec.Analysis.Match, rawJSON(`{"headers":{"x-b":{"exact":"1"}}}`))
		}, wantFields: []string{"spec.service.rewrite.type"}, wantText: "spec.analysis.match must have one match at most"},
		{name: "fractional timeout", mod: timeout("1.5s"),
			wantFields: []string{"spec.service.timeout"}, wantText: "Gateway API duration"},
		{name: "timeout in days", mod: timeout("1d"), wantFields: []string{"spec.service.timeout"}},
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

func TestRewritePathType(t *testing.T) {
	require.Equal(t, RewriteFullPath, HTTPRewrite{URI: "/"}.PathType())
	require.Equal(t, RewriteFullPath, HTTPRewrite{URI: "/", Type: RewriteFullPath}.PathType())
	require.Equal(t, RewritePrefixMatch, HTTPRewrite{URI: "/", Type: RewritePrefixMatch}.PathType())
}
