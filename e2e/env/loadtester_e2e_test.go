//go:build e2e

package env_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/loadtester"
)

// webhook posts a Flagger webhook payload to the seed's load tester address through the
// cluster DNS proxy, as the controller under test will, and returns status and body.
func webhook(t *testing.T, e *env.Env, ns string, metadata map[string]string) (int, string) {
	t.Helper()
	body, err := json.Marshal(loadtester.Payload{Name: "podinfo", Namespace: ns, Phase: "Progressing", Metadata: metadata})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://flagger-loadtester."+ns+"/", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.HTTPClient().Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(out)
}

// Given podinfo in the mesh, the seed's webhooks run unchanged against the load tester: the
// pre-rollout bash check with curl against podinfo-canary.<ns>:9898/token, and the
// asynchronous cmd load test with hey through envoy.<ns>:10000 with a Host header.
func TestLoadTesterRunsSeedWebhooks(t *testing.T) {
	e := env.Get(t)
	ns := e.Namespace(t)
	canarySetup{}.deploy(t, e, ns)
	setSplit(t, e, ns, "v1alpha1", 0)

	t.Run("bash acceptance test passes", func(t *testing.T) {
		code, body := webhook(t, e, ns, map[string]string{
			"type": "bash", "returnCmdOutput": "true",
			"cmd": "curl -sd 'test' http://podinfo-canary." + ns + ":9898/token | grep token",
		})
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, `"token":"meshsim.podinfo-`)
	})
	t.Run("curl with a Host header reaches the mesh through the proxy", func(t *testing.T) {
		code, body := webhook(t, e, ns, map[string]string{
			"type": "bash", "returnCmdOutput": "true",
			"cmd": "curl -s -H 'Host: podinfo." + ns + "' http://envoy." + ns + ":10000/ | grep greetings",
		})
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, `"version":"6.0.0"`)
	})
	t.Run("bash check that fails answers 500", func(t *testing.T) {
		code, body := webhook(t, e, ns, map[string]string{
			"type": "bash",
			"cmd":  "curl -s http://podinfo-canary." + ns + ":9898/status/500 | grep token",
		})
		require.Equal(t, http.StatusInternalServerError, code, body)
		require.Contains(t, body, "failed:")
		require.Contains(t, body, "exit status 1")
	})
	t.Run("cmd load test runs hey through the mesh", func(t *testing.T) {
		cmd := "hey -z 2s -q 10 -c 2 -H 'Host: podinfo." + ns + "' http://envoy." + ns + ":10000/"
		code, body := webhook(t, e, ns, map[string]string{"cmd": cmd})
		require.Equal(t, http.StatusAccepted, code, body)
		code, body = webhook(t, e, ns, map[string]string{"cmd": cmd})
		require.Equal(t, http.StatusAccepted, code, body, "a running command is deduplicated, still 202")
		require.Equal(t, 1, e.LoadTester.Running())

		e.WaitFor(t, 30*time.Second, "hey's requests reach podinfo-primary and hey ends", func(ctx context.Context) error {
			n, err := meshRequests(ctx, e, ns, "podinfo-primary", "200")
			if err != nil {
				return err
			}
			if n < 20 || e.LoadTester.Running() != 0 {
				return fmt.Errorf("%v requests seen, %d commands running", n, e.LoadTester.Running())
			}
			return nil
		})
	})
}

// meshRequests reads envoy_cluster_upstream_rq for one cluster and code from the mesh
// simulator's metrics endpoint.
func meshRequests(ctx context.Context, e *env.Env, ns, cluster, code string) (float64, error) {
	status, body, err := get(ctx, meshClient(), e.MeshMetricsURL, "")
	if err != nil || status != http.StatusOK {
		return 0, fmt.Errorf("get mesh metrics: status %d: %w", status, err)
	}
	want := fmt.Sprintf(`envoy_cluster_upstream_rq{envoy_cluster_name=%q,envoy_response_code=%q,kubernetes_namespace=%q} `, cluster, code, ns)
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, want); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, nil
}
