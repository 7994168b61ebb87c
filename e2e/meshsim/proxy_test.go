package meshsim

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// named answers with its name and the Host it saw.
func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s host=%s path=%s", name, r.Host, r.URL.Path)
	})
}

func TestProxyResolve(t *testing.T) {
	s := newTestSim(t, podinfoObjects())
	p := NewProxy(s, map[string]Target{
		"envoy":              {Port: 10000, Handler: named("mesh")},
		"flagger-loadtester": {Port: 80, Handler: named("loadtester")},
		"flagger-prometheus": {Port: 9090, Handler: named("prometheus")},
		"anyport":            {Handler: named("anyport")},
	}, "test")
	tests := []struct {
		host     string
		want     string // body prefix, or "" for an error
		wantCode int
	}{
		{host: "envoy.test:10000", want: "mesh"},
		{host: "envoy.prod.svc.cluster.local:10000", want: "mesh"},
		{host: "envoy.test:80"},
		{host: "flagger-loadtester.test", want: "loadtester"},
		{host: "flagger-loadtester.test:80", want: "loadtester"},
		{host: "flagger-prometheus:9090", want: "prometheus"},
		{host: "flagger-prometheus.test.svc:9090", want: "prometheus"},
		{host: "anyport:1234", want: "anyport"},
		{host: "podinfo-canary.test:9898", want: `{"`, wantCode: http.StatusOK},
		{host: "podinfo-canary.test:80", want: "connection refused", wantCode: http.StatusBadGateway},
		{host: "example.com.au"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			h, err := p.Resolve(tt.host)
			if tt.want == "" {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "http://"+tt.host+"/token", nil))
			if tt.wantCode != 0 {
				require.Equal(t, tt.wantCode, rec.Code)
			}
			require.True(t, strings.HasPrefix(rec.Body.String(), tt.want), rec.Body.String())
		})
	}
}

// startProxy serves p with ServeProxy on a loopback port and returns its URL.
func startProxy(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeProxy(ctx, l, h) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return "http://" + l.Addr().String()
}

func TestServeProxyKeepsTheClientsHostHeader(t *testing.T) {
	s := newTestSim(t, podinfoObjects())
	backend := httptest.NewServer(named("loopback"))
	defer backend.Close()
	proxyURL := startProxy(t, NewProxy(s, map[string]Target{"envoy": {Port: 10000, Handler: named("mesh")}}, "test"))

	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "curl with a Host header", args: []string{"-H", "Host: podinfo.test", "http://envoy.test:10000/delay/1"}, want: "mesh host=podinfo.test path=/delay/1"},
		{name: "curl without", args: []string{"http://envoy.test:10000/"}, want: "mesh host=envoy.test:10000 path=/"},
		{name: "loopback passes through", args: []string{"-H", "Host: podinfo.test", backend.URL + "/x"}, want: "loopback host=podinfo.test path=/x"},
		{name: "podinfo backend", args: []string{"-sd", "test", "http://podinfo-canary.test:9898/token"}, want: `{"expires_at"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command("curl", append([]string{"-s", "--max-time", "10", "-x", proxyURL}, tt.args...)...).CombinedOutput()
			require.NoError(t, err, string(out))
			require.True(t, strings.HasPrefix(string(out), tt.want), string(out))
		})
	}
}

func TestServeProxyKeepsConnectionsAlive(t *testing.T) {
	s := newTestSim(t, podinfoObjects())
	proxyURL := startProxy(t, NewProxy(s, nil, "test"))
	u, err := url.Parse(proxyURL)
	require.NoError(t, err)
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u), MaxIdleConnsPerHost: 1}}
	for i := range 20 {
		resp, err := c.Get("http://podinfo.test:9898/version")
		require.NoError(t, err, "request %d", i)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(body), `"version":"6.0.0"`)
	}
	resp, err := c.Get("http://nope.test/")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
}

func TestHostHeader(t *testing.T) {
	tests := map[string]string{
		"GET http://envoy.test:10000/ HTTP/1.1\r\nHost: podinfo.test\r\nAccept: */*": "podinfo.test",
		"GET / HTTP/1.1\r\nhost:  a.b:80 \r\n":                                       "a.b:80",
		"GET / HTTP/1.0\r\nAccept: */*":                                              "",
		"GET / HTTP/1.1\r\nX-Host: no\r\nHost: yes":                                  "yes",
	}
	for head, want := range tests {
		require.Equal(t, want, HostHeader([]byte(head)), head)
	}
}
