package env

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAPIServerArgsAvoidKnownPitfalls(t *testing.T) {
	args := strings.Join(apiserverArgs(&PKI{CACert: "ca.crt"}, ports{apiserver: 6443, etcdClient: 2379}), " ")
	for _, want := range []string{
		"--advertise-address=127.0.0.1 --endpoint-reconciler-type=none",
		"--requestheader-client-ca-file=ca.crt --requestheader-allowed-names=front-proxy-client",
		"--client-ca-file=ca.crt",
		"--bind-address=127.0.0.1",
		"--etcd-servers=http://127.0.0.1:2379",
	} {
		require.Contains(t, args, want)
	}
}

func TestKwokArgsUseTheBuiltStages(t *testing.T) {
	dir := t.TempDir()
	_, err := kwokArgs("kc", dir, ports{kwok: 1})
	require.Error(t, err, "no stages")
	for _, f := range []string{"pod-ready.yaml", "node-initialize.yaml", "README.md"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o600))
	}
	args, err := kwokArgs("kc", dir, ports{kwok: 1})
	require.NoError(t, err)
	require.Contains(t, args, "--config="+filepath.Join(dir, "node-initialize.yaml")+","+filepath.Join(dir, "pod-ready.yaml"))
	require.Contains(t, args, "--manage-all-nodes=true")
}

func TestPrometheusConfigScrapesTheMeshEverySecond(t *testing.T) {
	cfg := prometheusConfig("127.0.0.1:1234")
	require.Contains(t, cfg, "scrape_interval: 1s")
	require.Contains(t, cfg, "honor_labels: true")
	require.Contains(t, cfg, `- targets: ["127.0.0.1:1234"]`)
}

func TestTailLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb", 5, "a\nb\n"},
		{"", 3, ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tailLines([]byte(tt.in), tt.n))
	}
}

// The hey wrapper turns the seed's hey command into one that works from outside a cluster.
func TestHeyWrapper(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-hey")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n"), 0o755))
	wrapper := filepath.Join(dir, "hey")
	require.NoError(t, os.WriteFile(wrapper, []byte(heyWrapper(fake, "http://127.0.0.1:1", "http://127.0.0.1:2")), 0o755))
	tests := []struct {
		name string
		cmd  string
		want string
	}{
		{
			name: "seed load test",
			cmd:  "hey -z 1m -q 10 -c 2 -H 'Host: podinfo.test' http://envoy.test:10000/",
			want: "[-z][1m][-q][10][-c][2][-host][podinfo.test][http://127.0.0.1:2/]",
		},
		{
			name: "seed 500 generator with path",
			cmd:  "hey -z 1m -c 5 -q 5 -H 'Host: podinfo.test' http://envoy.test:10000/status/500",
			want: "[-z][1m][-c][5][-q][5][-host][podinfo.test][http://127.0.0.1:2/status/500]",
		},
		{
			name: "direct service call goes through the proxy",
			cmd:  "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/",
			want: "[-x][http://127.0.0.1:1][-z][1m][-q][10][-c][2][http://podinfo-canary.test:9898/]",
		},
		{
			name: "other headers stay",
			cmd:  "hey -H 'X-Test: 1' -H 'host:podinfo' http://envoy:10000",
			want: "[-H][X-Test: 1][-host][podinfo][http://127.0.0.1:2]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command("bash", "-c", strings.Replace(tt.cmd, "hey", wrapper, 1)).CombinedOutput()
			require.NoError(t, err, string(out))
			require.Equal(t, tt.want, strings.TrimSpace(string(out)))
		})
	}
}

// TestFreePortsAvoidTheEphemeralRange: the ports differ and, where the kernel says which ports
// outgoing connections take, lie below that range.
func TestFreePortsAvoidTheEphemeralRange(t *testing.T) {
	ports, err := FreePorts(7)
	require.NoError(t, err)
	require.Len(t, ports, 7)
	seen := map[int]bool{}
	start := ephemeralStart()
	for _, p := range ports {
		require.False(t, seen[p], "port %d chosen twice", p)
		seen[p] = true
		if start > lowestPort {
			require.GreaterOrEqual(t, p, lowestPort)
			require.Less(t, p, start, "below the ephemeral range %s", ephemeralRangeFile)
		}
	}
}
