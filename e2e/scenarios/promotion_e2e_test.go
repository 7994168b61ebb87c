//go:build e2e

package scenarios

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPromotion is the seed's "Automated canary promotion": a push of podinfo 6.0.1 shifts
// traffic 5, 10, … 50 % to the canary while the load test runs and the Envoy metrics stay in
// range, then promotes it.
func TestPromotion(t *testing.T) {
	t.Parallel()
	// Given podinfo 6.0.0 initialised by the controller
	s := given(t)
	s.push("podinfo 6.0.0", s.podinfoOverlay())
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", s.podinfoOverlay().Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then the TrafficSplit moves through 5, 10, … 50 and the canary is promoted
	var seen []int
	s.eventually(5*time.Minute, "Succeeded", func() (bool, string) {
		if w, err := s.canaryWeight(); err == nil && w > 0 && (len(seen) == 0 || seen[len(seen)-1] != w) {
			seen = append(seen, w)
		}
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		return c.Status.Phase == v1beta1.CanaryPhaseSucceeded, string(c.Status.Phase) + " weights " + ints(seen)
	})
	require.Equal(t, []int{5, 10, 15, 20, 25, 30, 35, 40, 45, 50}, seen, "weights observed on the TrafficSplit")
	w, err := s.canaryWeight()
	require.NoError(t, err)
	require.Equal(t, 0, w, "all traffic back on the primary")

	// And the primary runs 6.0.1, the target is back at zero
	primary, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", primary.Spec.Template.Spec.Containers[0].Image)
	s.eventually(time.Minute, "target at zero", func() (bool, string) {
		d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
		return err == nil && *d.Spec.Replicas == 0, "not yet"
	})

	// And the events are the seed's, in order
	key := "podinfo." + s.ns
	want := []string{
		"New revision detected! Scaling up " + key,
		"Pre-rollout check acceptance-test passed",
	}
	for w := 5; w <= 50; w += 5 {
		want = append(want, "Advance "+key+" canary weight "+strconv.Itoa(w))
	}
	want = append(want,
		"Copying "+key+" template spec to podinfo-primary."+s.ns,
		"Routing all traffic to primary",
		"Promotion completed! Scaling down "+key,
	)
	requireInOrder(t, s.events(), want)
	require.Subset(t, s.kubeEvents(), want, "kubectl describe canary shows them too")

	// And the controller's /metrics says so with Flagger's names and labels
	s.thenMetricsShow(`flagger_canary_status{name="podinfo",namespace="`+s.ns+`"} 1`,
		`flagger_canary_successes_total{analysis_status="completed",deployment_strategy="canary",name="podinfo",namespace="`+s.ns+`"} 1`,
		`flagger_canary_weight{namespace="`+s.ns+`",workload="podinfo-primary"} 100`,
		`flagger_canary_total{namespace="`+s.ns+`"} 1`,
		`gitcanary_sync_overlay_ready{overlay="apps/podinfo"} 1`)

	// And kubectl and the status branch say the same
	s.thenKubectlShowsCanary("Succeeded")
	s.thenLedgerMatches("Initialized", "Progressing", "Promoting", "Finalising", "Succeeded")
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
