//go:build e2e

package scenarios

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// builtinMetrics replaces the Canary's template metrics with gitcanary's built-in Envoy
// metrics, which produce the seed's "success rate" lines.
func builtinMetrics(text string) string {
	start := strings.Index(text, "    metrics:\n")
	end := strings.Index(text, "    webhooks:\n")
	return text[:start] + `    metrics:
    - name: request-success-rate
      thresholdRange:
        min: 99
      interval: 30s
    - name: request-duration
      thresholdRange:
        max: 500
      interval: 30s
` + text[end:]
}

// TestRollback is the seed's "Automated rollback": a version whose traffic fails is halted at
// every check and rolled back after 5 failed checks.
func TestRollback(t *testing.T) {
	// Given podinfo initialised with the built-in Envoy metrics
	s := given(t)
	files := s.podinfoOverlay()
	files[overlayPath+"/canary.yaml"] = []byte(builtinMetrics(string(files[overlayPath+"/canary.yaml"])))
	s.push("podinfo 6.0.0 with built-in metrics", files)
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

	// When a version that answers 30 % of its requests with HTTP 500 is pushed
	files[overlayPath+"/deployment.yaml"] = []byte(setImage("6.0.2", "PODINFO_FAULT", "500", "PODINFO_FAULT_PERCENT", "30")(string(files[overlayPath+"/deployment.yaml"])))
	s.push("podinfo 6.0.2", files)

	// Then the analysis halts five times and rolls back
	c := s.waitPhase(v1beta1.CanaryPhaseFailed, 5*time.Minute)
	key := "podinfo." + s.ns
	events := s.events()
	halt := regexp.MustCompile(`^Halt ` + regexp.QuoteMeta(key) + ` advancement success rate \d+\.\d\d% < 99%$`)
	// Five failed checks: the seed's success-rate lines (the first check may also find no data
	// yet, which counts as a failed check too, as in Flagger).
	var halts, successRate int
	for _, e := range events {
		if strings.HasPrefix(e, "Halt ") {
			halts++
		}
		if halt.MatchString(e) {
			successRate++
		}
	}
	require.Equal(t, 5, halts, "events:\n%s", strings.Join(events, "\n"))
	require.GreaterOrEqual(t, successRate, 3, "events:\n%s", strings.Join(events, "\n"))
	requireInOrder(t, events, []string{
		"New revision detected! Scaling up " + key,
		"Advance " + key + " canary weight 5",
		"Rolling back " + key + " failed checks threshold reached 5",
		"Canary failed! Scaling down " + key,
	})

	// And all traffic is back on the primary, which still runs 6.0.0, and the canary is at zero
	require.Equal(t, 0, c.Status.CanaryWeight)
	w, err := s.canaryWeight()
	require.NoError(t, err)
	require.Equal(t, 0, w)
	primary, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", primary.Spec.Template.Spec.Containers[0].Image)
	s.eventually(time.Minute, "canary at zero replicas", func() (bool, string) {
		d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
		return err == nil && *d.Spec.Replicas == 0, "not yet"
	})
}
