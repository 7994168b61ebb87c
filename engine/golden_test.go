package engine_test

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares lines with testdata/<name>.golden, or rewrites it with -update.
func golden(t *testing.T, name string, lines []string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./engine -run TestGolden -update to create it")
	require.Equal(t, string(want), got)
}

// requireInOrder checks that want appears in got in this order, possibly with other lines
// between them.
func requireInOrder(t *testing.T, got, want []string) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	require.Equal(t, len(want), i, "missing %q (in order) in events:\n%s", want[min(i, len(want)-1)], strings.Join(got, "\n"))
}

func advanceEvents(weights ...int) []string {
	var out []string
	for _, w := range weights {
		out = append(out, "Advance podinfo.test canary weight "+strconv.Itoa(w))
	}
	return out
}

// seedRun creates the seed's Canary with a fresh primary, initializes it, then applies the
// new revision revB (kubectl set image) and runs until the analysis ends.
func seedRun(t *testing.T, c *v1beta1.Canary, setup func(h *harness)) (lines, events []string) {
	t.Helper()
	h := newHarness(t, c, engine.Options{})
	setup(h)
	s := newCluster(h, revA)
	lines = s.run(t, 10, inPhases(v1beta1.CanaryPhaseInitialized))
	s.revision = revB
	s.observe()
	lines = append(lines, s.run(t, 40, inPhases(v1beta1.CanaryPhaseSucceeded, v1beta1.CanaryPhaseFailed))...)
	return lines, h.Recorder.Messages()
}

// TestGoldenPromotion drives the seed's Canary through a successful analysis.
func TestGoldenPromotion(t *testing.T) {
	lines, events := seedRun(t, seedCanary(t), func(h *harness) {
		h.Metrics.Set("error-rate", 0.12)
		h.Metrics.Set("latency", 0.25)
	})
	golden(t, "promotion", lines)
	want := []string{"New revision detected! Scaling up podinfo.test",
		"canary deployment podinfo.test not ready: waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated replicas are available",
		"Pre-rollout check acceptance-test passed"}
	want = append(want, advanceEvents(5, 10, 15, 20, 25, 30, 35, 40, 45, 50)...)
	want = append(want, "Copying podinfo.test template spec to podinfo-primary.test",
		"podinfo-primary.test not ready: waiting for rollout to finish: 1 of 2 (readyThreshold 100%) updated replicas are available",
		"Routing all traffic to primary",
		"Promotion completed! Scaling down podinfo.test")
	requireInOrder(t, events, want)
}

// TestGoldenRollback drives the seed's Canary, with its error-rate and latency templates,
// into a rollback after 5 failed checks.
func TestGoldenRollback(t *testing.T) {
	lines, events := seedRun(t, seedCanary(t), func(h *harness) {
		h.Metrics.Set("error-rate", 0.5, 0.5, 30.83, 38.61, 44.94, 0.5, 0.5)
		h.Metrics.Set("latency", 0.3, 0.3, 1.2, 1.45)
	})
	golden(t, "rollback", lines)
	requireInOrder(t, events, append(advanceEvents(5, 10, 15),
		"Halt podinfo.test advancement error-rate 30.83 > 1",
		"Halt podinfo.test advancement error-rate 38.61 > 1",
		"Halt podinfo.test advancement error-rate 44.94 > 1",
		"Halt podinfo.test advancement latency 1.20 > 0.5",
		"Halt podinfo.test advancement latency 1.45 > 0.5",
		"Rolling back podinfo.test failed checks threshold reached 5",
		"Canary failed! Scaling down podinfo.test"))
}

// TestGoldenRollbackBuiltin is the rollback of the seed's walkthrough log: the seed's Canary
// with the built-in request-success-rate (min 99%) and request-duration (max 500ms) metrics in
// place of its templates, which reproduces the seed's Halt lines verbatim (the duration ones
// in Go's duration format).
func TestGoldenRollbackBuiltin(t *testing.T) {
	c := seedCanary(t, withAnalysis(func(a *v1beta1.CanaryAnalysis) {
		a.Metrics = []v1beta1.CanaryMetric{
			{Name: "request-success-rate", ThresholdRange: &v1beta1.CanaryThresholdRange{Min: ptr(99.0)}, Interval: "1m"},
			{Name: "request-duration", ThresholdRange: &v1beta1.CanaryThresholdRange{Max: ptr(500.0)}, Interval: "30s"},
		}
	}))
	lines, events := seedRun(t, c, func(h *harness) {
		h.Metrics.Set("request-success-rate", 99.9, 99.9, 69.17, 61.39, 55.06, 99.9, 99.9)
		h.Metrics.Set("request-duration", 45, 45, 1200, 1450)
	})
	golden(t, "rollback-builtin", lines)
	requireInOrder(t, events, []string{
		"Pre-rollout check acceptance-test passed",
		"Advance podinfo.test canary weight 5",
		"Advance podinfo.test canary weight 10",
		"Advance podinfo.test canary weight 15",
		"Halt podinfo.test advancement success rate 69.17% < 99%",
		"Halt podinfo.test advancement success rate 61.39% < 99%",
		"Halt podinfo.test advancement success rate 55.06% < 99%",
		"Halt podinfo.test advancement request duration 1.2s > 500ms",
		"Halt podinfo.test advancement request duration 1.45s > 500ms",
		"Rolling back podinfo.test failed checks threshold reached 5",
		"Canary failed! Scaling down podinfo.test",
	})
}

// mirrorRun is seedRun for a Gateway API canary with analysis.mirror, whose lines show the
// routes set as well.
func mirrorRun(t *testing.T, c *v1beta1.Canary) (lines, events []string) {
	t.Helper()
	h := newHarness(t, c, engine.Options{})
	h.Metrics.Set("error-rate", 0.12)
	h.Metrics.Set("latency", 0.25)
	s := newCluster(h, revA)
	s.showRoutes = true
	s.run(t, 10, inPhases(v1beta1.CanaryPhaseInitialized))
	s.revision = revB
	s.observe()
	lines = s.run(t, 40, inPhases(v1beta1.CanaryPhaseSucceeded, v1beta1.CanaryPhaseFailed))
	require.False(t, h.Router.Mirrored(), "nothing is mirrored after the analysis")
	return lines, h.Recorder.Messages()
}

// TestGoldenMirrorBlueGreen drives a Blue/Green canary with traffic mirroring: the requests
// are mirrored to the canary during the iterations, then all traffic goes to it, then it is
// promoted.
func TestGoldenMirrorBlueGreen(t *testing.T) {
	lines, events := mirrorRun(t, seedCanary(t, blueGreen(3), mirror))
	golden(t, "mirror-blue-green", lines)
	requireInOrder(t, events, []string{"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary iteration 1/3", "Advance podinfo.test canary iteration 2/3",
		"Advance podinfo.test canary iteration 3/3", "Stop traffic mirroring and route all traffic to canary",
		"Copying podinfo.test template spec to podinfo-primary.test", "Promotion completed! Scaling down podinfo.test"})
}

// TestGoldenMirrorCanary drives a canary with one mirroring step before its first weight.
func TestGoldenMirrorCanary(t *testing.T) {
	lines, events := mirrorRun(t, seedCanary(t, mirror))
	golden(t, "mirror-canary", lines)
	requireInOrder(t, events, append([]string{"Starting canary analysis for podinfo.test",
		"Advance podinfo.test canary weight 0"}, advanceEvents(5, 10, 15, 20, 25, 30, 35, 40, 45, 50)...))
}
