package meshsim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseHost(t *testing.T) {
	tests := []struct {
		name    string
		host    string
		want    Host
		wantErr bool
	}{
		{name: "bare service", host: "flagger-prometheus:9090", want: Host{Service: "flagger-prometheus", Namespace: "test", Port: 9090}},
		{name: "service and namespace", host: "podinfo-canary.test:9898", want: Host{Service: "podinfo-canary", Namespace: "test", Port: 9898}},
		{name: "no port", host: "flagger-loadtester.prod", want: Host{Service: "flagger-loadtester", Namespace: "prod"}},
		{name: "svc suffix", host: "podinfo.test.svc", want: Host{Service: "podinfo", Namespace: "test"}},
		{name: "cluster domain", host: "envoy.test.svc.cluster.local:10000", want: Host{Service: "envoy", Namespace: "test", Port: 10000}},
		{name: "trailing dot and upper case", host: "Podinfo.Test.", want: Host{Service: "podinfo", Namespace: "test"}},
		{name: "ip address", host: "127.0.0.1:80", wantErr: true},
		{name: "external name", host: "example.com.au", wantErr: true},
		{name: "four labels", host: "a.b.c.d", wantErr: true},
		{name: "bad port", host: "podinfo.test:http", wantErr: true},
		{name: "port out of range", host: "podinfo.test:70000", wantErr: true},
		{name: "bad label", host: "pod_info.test", wantErr: true},
		{name: "empty", host: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHost(tt.host, "test")
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "127.1.2.3": true, "10.0.0.1": false, "envoy.test": false} {
		require.Equal(t, want, isLoopback(host), host)
	}
}
