//go:build e2e

package scenarios

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRollback is the seed's "Automated rollback": a version whose traffic fails is halted at
// every check and rolled back after 5 failed checks — with gitcanary's built-in Envoy metrics
// (the seed's "success rate" lines) and with the example's MetricTemplates.
func TestRollback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// metrics edits canary.yaml; nil keeps the example's MetricTemplates.
		metrics func(string) string
		// halt matches the Halt event of the failing metric, for the canary key.
		halt func(key string) *regexp.Regexp
	}{
		{name: "built-in metrics", metrics: walkthrough.BuiltinMetrics, halt: func(key string) *regexp.Regexp {
			return regexp.MustCompile(`^Halt ` + regexp.QuoteMeta(key) + ` advancement success rate \d+\.\d\d% < 99%$`)
		}},
		{name: "metric templates", halt: func(key string) *regexp.Regexp {
			return regexp.MustCompile(`^Halt ` + regexp.QuoteMeta(key) + ` advancement error-rate \d+\.\d\d > 1$`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Given podinfo 6.0.0 initialised
			s := given(t)
			files := s.podinfoOverlay()
			if tt.metrics != nil {
				files.Edit("canary.yaml", tt.metrics)
			}
			s.push("podinfo 6.0.0", files)
			s.startController()
			s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

			// When a version that answers 30 % of its requests with HTTP 500 is pushed
			files.Edit("deployment.yaml", walkthrough.SetImage("6.0.2", "PODINFO_FAULT", "500", "PODINFO_FAULT_PERCENT", "30"))
			s.push("podinfo 6.0.2", files)

			// Then the analysis halts five times and rolls back
			c := s.waitPhase(v1beta1.CanaryPhaseFailed, 5*time.Minute)
			key := "podinfo." + s.ns
			events := s.events()
			// Five failed checks; the first may also find no data yet, which counts as a
			// failed check too, as in Flagger.
			var halts, metricHalts int
			for _, e := range events {
				if strings.HasPrefix(e, "Halt ") {
					halts++
				}
				if tt.halt(key).MatchString(e) {
					metricHalts++
				}
			}
			require.Equal(t, 5, halts, "events:\n%s", strings.Join(events, "\n"))
			require.GreaterOrEqual(t, metricHalts, 3, "events:\n%s", strings.Join(events, "\n"))
			requireInOrder(t, events, []string{
				"New revision detected! Scaling up " + key,
				"Advance " + key + " canary weight 5",
				"Rolling back " + key + " failed checks threshold reached 5",
				"Canary failed! Scaling down " + key,
			})

			// And all traffic is back on the primary, which still runs 6.0.0, and the canary
			// is at zero replicas
			require.Equal(t, 0, c.Status.CanaryWeight)
			w, err := s.canaryWeight()
			require.NoError(t, err)
			require.Equal(t, 0, w)
			require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", s.primaryImage())
			s.eventually(time.Minute, "canary at zero replicas", func() (bool, string) {
				d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
				return err == nil && *d.Spec.Replicas == 0, "not yet"
			})

			// And the status branch records the rollback of 6.0.2
			st := s.thenLedgerMatches("Initialized", "Progressing", "Failed")
			require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.2", st.TargetRevision)
			require.Equal(t, 0, st.FailedChecks, "Flagger resets the failed checks on rollback")
		})
	}
}
