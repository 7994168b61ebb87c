//go:build e2e

package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The seed walkthrough with the seed's own YAML (render/testdata/seed: its Canary and both
// MetricTemplates, byte for byte but for the analysis interval) and podinfo as the seed installs
// it (Flagger's kustomize/podinfo, the example's deployment.yaml and hpa.yaml), in the seed's
// namespace test. Two of its lines cannot work as written, and `gitcanary render` says so:
//
//   - the latency threshold max 0.5 is compared with Envoy's milliseconds, so any version whose
//     P99 is above half a millisecond — any real one — fails every check and is rolled back;
//   - the error-rate query divides without sum(), so it reads 0 % errors whatever the canary
//     answers: a version failing 30 % of its requests is promoted. A rollback must then come
//     from a metric that works: after the fix the render warning suggests, the latency.
//
// The scenario walks the user through exactly that, and asserts each step.

const (
	seedNamespace = "test"
	seedCanaryDir = "apps/podinfo-canary"
	// seedLatency is the latency of every podinfo answer in the scenario: a few milliseconds,
	// as a real podinfo behind Envoy (the mesh simulator's answers take under one otherwise).
	seedLatency = "5ms"
)

// seedOverlays returns the repository of the seed walkthrough: apps/podinfo is Flagger's
// kustomize/podinfo, apps/podinfo-canary the seed's three YAML documents as a plain folder
// (kubectl apply -f), with the interval shortened for the test.
func seedOverlays(t *testing.T, interval string) walkthrough.Overlay {
	t.Helper()
	o := walkthrough.Overlay{"apps/podinfo/kustomization.yaml": []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
		"namespace: test\nresources:\n  - hpa.yaml\n  - deployment.yaml\n")}
	for _, f := range []string{"deployment.yaml", "hpa.yaml"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "manifests", "examples", "podinfo", f))
		require.NoError(t, err)
		o["apps/podinfo/"+f] = data
	}
	for _, f := range []string{"podinfo-canary.yaml", "error-rate.yaml", "latency.yaml"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "render", "testdata", "seed", f))
		require.NoError(t, err)
		o[seedCanaryDir+"/"+f] = data
	}
	canary := string(o[seedCanaryDir+"/podinfo-canary.yaml"])
	require.Contains(t, canary, "    interval: 1m\n")
	o[seedCanaryDir+"/podinfo-canary.yaml"] = []byte(strings.Replace(canary, "    interval: 1m\n", "    interval: "+interval+"\n", 1))
	return o
}

// seedImage is an edit of apps/podinfo/deployment.yaml: the image tag and the behaviour of the
// simulated podinfo (environment variable pairs), always answering after seedLatency.
func seedImage(tag string, env ...string) func(string) string {
	return walkthrough.SetImage(tag, append([]string{"PODINFO_DELAY", seedLatency}, env...)...)
}

// renderWarnings runs `gitcanary render` on the overlay's files as a user would on a checkout,
// and returns its warnings.
func renderWarnings(t *testing.T, o walkthrough.Overlay, overlay string) []string {
	t.Helper()
	root := t.TempDir()
	for name, data := range o {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), data, 0o644))
	}
	cmd := exec.Command(controllerBin, "render", "--root", root, filepath.Join(root, overlay))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	var out []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if w, ok := strings.CutPrefix(l, "warning: "); ok && !strings.Contains(w, "is not in this overlay") {
			out = append(out, w)
		}
	}
	return out
}

// seedNamespaceFor creates the seed's namespace test for the test and deletes it at the end.
func seedNamespaceFor(t *testing.T, e *env.Env) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: seedNamespace, Labels: map[string]string{"gitcanary.e2e/test": "true"}}}
	_, err := e.Client().CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	require.NoError(t, err, "namespace test must not exist: only this scenario uses it")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if t.Failed() {
			out, err := e.Kubectl(ctx, "-n", seedNamespace, "get", "all,events,trafficsplits", "-o", "wide")
			t.Logf("namespace test at failure (err %v):\n%s", err, out)
		}
		_ = e.Client().CoreV1().Namespaces().Delete(ctx, seedNamespace, metav1.DeleteOptions{})
	})
	return seedNamespace
}

// halts returns the Halt events of the canary since the index from.
func (s *scenario) halts(from int, pattern *regexp.Regexp) (matching, all int) {
	for _, e := range s.events()[from:] {
		if strings.HasPrefix(e, "Halt ") {
			all++
		}
		if pattern.MatchString(e) {
			matching++
		}
	}
	return matching, all
}

// promQuery runs an instant query against the environment's Prometheus and returns the value
// of its single sample, or -1 when it has none.
func (s *scenario) promQuery(query string) float64 {
	s.t.Helper()
	resp, err := http.Get(s.env.PrometheusURL + "/api/v1/query?query=" + url.QueryEscape(query))
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var r struct {
		Data struct{ Result []struct{ Value []any } }
	}
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&r))
	if len(r.Data.Result) == 0 {
		return -1
	}
	var v float64
	_, err = fmt.Sscan(r.Data.Result[0].Value[1].(string), &v)
	require.NoError(s.t, err)
	return v
}

func TestSeedVerbatim(t *testing.T) {
	t.Parallel()
	e := env.Get(t)
	s := givenIn(t, e, seedNamespaceFor(t, e))
	k := "podinfo.test"

	// Given the seed's YAML as the user copies it from the tutorial
	o := seedOverlays(t, s.interval)
	deployment := string(o["apps/podinfo/deployment.yaml"])
	version := func(edit func(string) string) walkthrough.Overlay {
		o["apps/podinfo/deployment.yaml"] = []byte(edit(deployment))
		return o
	}
	version(seedImage("6.0.0"))

	// Then gitcanary render warns about both lines that cannot work, and says how to fix them
	warnings := renderWarnings(t, o, seedCanaryDir)
	require.Len(t, warnings, 2, "%q", warnings)
	require.Contains(t, warnings[0], "MetricTemplate test/error-rate: spec.query: it divides envoy_cluster_upstream_rq by envoy_cluster_upstream_rq without aggregating either side")
	require.Contains(t, warnings[0], "Aggregate both sides: sum(rate(")
	require.Contains(t, warnings[1], "Canary test/podinfo: spec.analysis.metrics[1].thresholdRange.max: 0.5 means 0.5 ms")
	require.Contains(t, warnings[1], "for 0.5 s write max: 500")

	// When it is pushed: bootstrap, as the seed lists it
	s.push("the seed walkthrough", o)
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	requireInOrder(t, s.events(), []string{"all the metrics providers are available!", "Initialization done! " + k})
	for _, name := range []string{"podinfo", "podinfo-primary", "podinfo-canary"} {
		_, err := s.kube.CoreV1().Services(s.ns).Get(s.ctx, name, metav1.GetOptions{})
		require.NoError(t, err, "service/%s", name)
	}
	_, err := s.kube.AutoscalingV2().HorizontalPodAutoscalers(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	w, err := s.canaryWeight()
	require.NoError(t, err)
	require.Equal(t, 0, w)

	// When a healthy 6.0.1 (every answer in 5 ms) is pushed with the seed's Canary
	from := len(s.events())
	s.push("podinfo 6.0.1", version(seedImage("6.0.1")))

	// Then the latency check fails at every tick — 5 ms > 0.5 "ms" — and 6.0.1 is rolled back
	s.waitPhase(v1beta1.CanaryPhaseFailed, 3*time.Minute)
	latency := regexp.MustCompile(`^Halt ` + regexp.QuoteMeta(k) + ` advancement latency \d+\.\d\d > 0\.5$`)
	matching, all := s.halts(from, latency)
	require.Equal(t, 5, all, "events:\n%s", strings.Join(s.events()[from:], "\n"))
	require.GreaterOrEqual(t, matching, 3, "events:\n%s", strings.Join(s.events()[from:], "\n"))
	requireInOrder(t, s.events()[from:], []string{"Rolling back " + k + " failed checks threshold reached 5", "Canary failed! Scaling down " + k})
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", s.primaryImage())

	// When the user applies render's advice for the latency (max: 500) and pushes 6.0.2
	canary := seedCanaryDir + "/podinfo-canary.yaml"
	o[canary] = []byte(strings.Replace(string(o[canary]), "max: 0.5", "max: 500", 1))
	warnings = renderWarnings(t, o, seedCanaryDir)
	require.Len(t, warnings, 1, "only the error-rate warning is left: %q", warnings)
	s.push("latency in milliseconds; podinfo 6.0.2", version(seedImage("6.0.2")))

	// Then 6.0.2 is promoted as in the seed's "Automated canary promotion"
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 4*time.Minute)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.2", s.primaryImage())
	requireInOrder(t, s.events(), []string{"New revision detected! Scaling up " + k, "Pre-rollout check acceptance-test passed",
		"Advance " + k + " canary weight 5", "Advance " + k + " canary weight 50", "Promotion completed! Scaling down " + k})

	// When 6.0.3 answers 30 % of its requests with HTTP 500
	from = len(s.events())
	s.push("podinfo 6.0.3", version(seedImage("6.0.3", "PODINFO_FAULT", "500", "PODINFO_FAULT_PERCENT", "30")))

	// Then the seed's error-rate reads 0 % errors all along and 6.0.3 is promoted, although
	// Prometheus counted the canary's 500s
	s.waitPromoted("ghcr.io/stefanprodan/podinfo:6.0.3", 5*time.Minute)
	require.Equal(t, 1, count(s.events()[from:], "New revision detected! Scaling up "+k), "6.0.3 was analysed once")
	for _, e := range s.events()[from:] {
		require.NotContains(t, e, "advancement error-rate", "the error-rate never halted the analysis")
	}
	require.Positive(t, s.promQuery(`sum(increase(envoy_cluster_upstream_rq{kubernetes_namespace="test",envoy_cluster_name="podinfo-canary",envoy_response_code="500"}[10m]))`),
		"the canary answered 500s")
	s.thenMetricsShow(`flagger_canary_metric_analysis{metric="error-rate",name="podinfo",namespace="test"} 0`)

	// When 6.0.4 answers after one second (the seed's "Generate latency")
	from = len(s.events())
	s.push("podinfo 6.0.4", version(walkthrough.SetImage("6.0.4", "PODINFO_DELAY", "1s")))

	// Then the fixed latency check halts it and it is rolled back: the rollback comes from the
	// metric that works
	s.waitPhase(v1beta1.CanaryPhaseFailed, 4*time.Minute)
	slow := regexp.MustCompile(`^Halt ` + regexp.QuoteMeta(k) + ` advancement latency \d+\.\d\d > 500$`)
	matching, all = s.halts(from, slow)
	require.Equal(t, 5, all, "events:\n%s", strings.Join(s.events()[from:], "\n"))
	require.GreaterOrEqual(t, matching, 3, "events:\n%s", strings.Join(s.events()[from:], "\n"))
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.3", s.primaryImage())
	w, err = s.canaryWeight()
	require.NoError(t, err)
	require.Equal(t, 0, w)
}
