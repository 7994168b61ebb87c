//go:build e2e

package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The shapes of an analysis (reference §2.4–§2.6, §6.2), each through the real controller and
// the mesh simulator: stepWeights, Blue/Green iterations, stepWeightPromotion, skipAnalysis and
// the TrafficSplit versions.

// promoteWatchingWeights pushes a new image and records every canary weight the TrafficSplit
// takes until the canary succeeded.
func (s *scenario) promoteWatchingWeights(o walkthrough.Overlay, tag string) []int {
	s.t.Helper()
	s.push("podinfo "+tag, o.Edit("deployment.yaml", walkthrough.SetImage(tag)))
	seen := []int{}
	s.eventually(3*time.Minute, "Succeeded", func() (bool, string) {
		if w, err := s.canaryWeight(); err == nil && (len(seen) == 0 || seen[len(seen)-1] != w) {
			seen = append(seen, w)
		}
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		return c.Status.Phase == v1beta1.CanaryPhaseSucceeded, string(c.Status.Phase) + " weights " + ints(seen)
	})
	require.Equal(s.t, "ghcr.io/stefanprodan/podinfo:"+tag, s.primaryImage())
	return seen
}

// TestStepWeights: stepWeights replace stepWeight and maxWeight: the canary takes each listed
// weight, then is promoted.
func TestStepWeights(t *testing.T) {
	t.Parallel()
	// Given a canary with stepWeights 10, 30, 60
	s := given(t)
	o := s.startFeature(features{analysis: "maxWeight: 20\nstepWeights: [10, 30, 60]\n"})

	// When 6.0.1 is pushed
	seen := s.promoteWatchingWeights(o, "6.0.1")

	// Then the TrafficSplit took exactly those weights (maxWeight is ignored), then 0
	require.Equal(t, []int{0, 10, 30, 60, 0}, seen)
	k := s.key()
	requireInOrder(t, s.events(), []string{"Advance " + k + " canary weight 10", "Advance " + k + " canary weight 30",
		"Advance " + k + " canary weight 60", "Copying " + k + " template spec to podinfo-primary." + s.ns, "Routing all traffic to primary"})
}

// TestBlueGreen: with iterations and no weights, the analysis runs its iterations with all
// traffic on the primary, then routes everything to the canary for one tick, then promotes.
func TestBlueGreen(t *testing.T) {
	t.Parallel()
	// Given a Blue/Green canary of 3 iterations
	s := given(t)
	o := s.startFeature(features{analysis: "iterations: 3\n"})

	// When 6.0.1 is pushed
	seen := s.promoteWatchingWeights(o, "6.0.1")

	// Then the traffic moved once, all of it, to the canary, and back after the promotion
	require.Equal(t, []int{0, 100, 0}, seen)
	k := s.key()
	requireInOrder(t, s.events(), []string{
		"New revision detected! Scaling up " + k,
		"Advance " + k + " canary iteration 1/3",
		"Advance " + k + " canary iteration 2/3",
		"Advance " + k + " canary iteration 3/3",
		"Routing all traffic to canary",
		"Copying " + k + " template spec to podinfo-primary." + s.ns,
		"Routing all traffic to primary",
		"Promotion completed! Scaling down " + k,
	})
	s.thenMetricsShow(`flagger_canary_successes_total{analysis_status="completed",deployment_strategy="blue-green",name="podinfo",namespace="` + s.ns + `"} 1`)
}

// TestStepWeightPromotion: after the promotion, the traffic goes back to the primary by
// stepWeightPromotion per tick instead of at once.
func TestStepWeightPromotion(t *testing.T) {
	t.Parallel()
	// Given a canary stepping 25 % up to 50 % and back by 25 %
	s := given(t)
	o := s.startFeature(features{analysis: "maxWeight: 50\nstepWeight: 25\nstepWeightPromotion: 25\n"})

	// When 6.0.1 is pushed
	seen := s.promoteWatchingWeights(o, "6.0.1")

	// Then the canary's weight went 25, 50 during the analysis and 25, 0 after the promotion
	require.Equal(t, []int{0, 25, 50, 25, 0}, seen)
	k := s.key()
	requireInOrder(t, s.events(), []string{
		"Advance " + k + " canary weight 50",
		"Copying " + k + " template spec to podinfo-primary." + s.ns,
		"Advance " + k + " primary weight 75",
		"Advance " + k + " primary weight 100",
		"Promotion completed! Scaling down " + k,
	})
	require.Zero(t, count(s.events(), "Routing all traffic to primary"))
}

// TestSkipAnalysis: with skipAnalysis a new revision is promoted as soon as it is ready,
// without traffic shifting or checks.
func TestSkipAnalysis(t *testing.T) {
	t.Parallel()
	// Given a canary with skipAnalysis and a rollout hook that would halt any analysis
	s := given(t)
	o := s.startFeature(features{spec: "skipAnalysis: true", analysis: "webhooks:\n" + hook("never", "rollout", s.loadTesterURL("/gate/halt"))})

	// When 6.0.1 is pushed
	seen := s.promoteWatchingWeights(o, "6.0.1")

	// Then it was promoted with no traffic on the canary and no hook called
	require.Equal(t, []int{0}, seen)
	k := s.key()
	requireInOrder(t, s.events(), []string{
		"New revision detected! Scaling up " + k,
		"Copying " + k + " template spec to podinfo-primary." + s.ns,
		"Promotion completed! Canary analysis was skipped for " + k,
	})
	for _, e := range s.events() {
		require.NotContains(t, e, "Advance", "no analysis step")
	}
	require.Empty(t, s.hookCalls("/gate/halt"))
	require.NotContains(t, s.events(), "all the metrics providers are available!", "no provider check without analysis")
	s.thenMetricsShow(`flagger_canary_successes_total{analysis_status="skipped",deployment_strategy="canary",name="podinfo",namespace="` + s.ns + `"} 1`)
}

// TestTrafficSplitVersions: smi:v1alpha2 and smi:v1alpha3 write TrafficSplits of that version,
// with integer weights, which the mesh routes by.
func TestTrafficSplitVersions(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v1alpha2", "v1alpha3"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			// Given a canary with provider smi:<version>
			s := given(t)
			o := s.startFeature(features{provider: "smi:" + version, analysis: "maxWeight: 50\nstepWeight: 25\n"})

			// When 6.0.1 is pushed
			seen := s.promoteWatchingWeights(o, "6.0.1")

			// Then the weights moved as in v1alpha1
			require.Equal(t, []int{0, 25, 50, 0}, seen)

			// And the TrafficSplit was written at that version, with integer weights
			gvr := schema.GroupVersionResource{Group: "split.smi-spec.io", Version: version, Resource: "trafficsplits"}
			ts, err := s.dyn.Resource(gvr).Namespace(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
			require.NoError(t, err)
			backends, _, _ := unstructured.NestedSlice(ts.Object, "spec", "backends")
			require.Len(t, backends, 2)
			require.Equal(t, map[string]any{"service": "podinfo-canary", "weight": int64(0)}, backends[0])
			require.Equal(t, map[string]any{"service": "podinfo-primary", "weight": int64(100)}, backends[1])
			var writers []string
			for _, m := range ts.GetManagedFields() {
				writers = append(writers, m.APIVersion)
			}
			require.Contains(t, writers, "split.smi-spec.io/"+version)
			require.NotContains(t, writers, "split.smi-spec.io/v1alpha1")
		})
	}
}

// TestProgressDeadline: a canary that cannot become ready is rolled back once the progress
// deadline passes, with the event and the Slack alert Flagger lost (quirk S6), received by a
// Slack-compatible receiver in the environment.
func TestProgressDeadline(t *testing.T) {
	t.Parallel()
	// Given a canary with a 10 s progress deadline and an AlertProvider of type slack
	s := given(t)
	slack := s.startReceiver()
	o := s.featureOverlay(features{analysis: "alerts:\n- name: on-call\n  severity: error\n  providerRef:\n    name: on-call\n"})
	o.Edit("canary.yaml", func(text string) string {
		return strings.Replace(text, "progressDeadlineSeconds: 60", "progressDeadlineSeconds: 10", 1)
	})
	o.Edit("deployment.yaml", func(text string) string {
		return strings.Replace(text, "progressDeadlineSeconds: 60", "progressDeadlineSeconds: 10", 1)
	})
	o[overlayPath+"/alerts.yaml"] = []byte(fmt.Sprintf(`apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata:
  name: on-call
spec:
  type: slack
  channel: on-call
  username: gitcanary
  address: %s/slack
`, slack.URL))
	o.Edit("kustomization.yaml", func(text string) string {
		return strings.Replace(text, "resources:\n", "resources:\n  - alerts.yaml\n", 1)
	})
	s.push("podinfo 6.0.0", o)
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

	// When a version whose pods cannot be scheduled is pushed
	o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1"))
	o.Edit("deployment.yaml", func(text string) string {
		return strings.Replace(text, "    spec:\n      containers:\n", "    spec:\n      nodeSelector:\n        gitcanary.e2e/node: none\n      containers:\n", 1)
	})
	s.push("podinfo 6.0.1 nowhere to run", o)

	// Then the canary is rolled back when the deadline passes
	c := s.waitPhase(v1beta1.CanaryPhaseFailed, 3*time.Minute)
	require.Equal(t, 0, c.Status.CanaryWeight)
	k := s.key()
	var deadline string
	for _, e := range s.events() {
		if strings.HasPrefix(e, "Rolling back "+k+" progress deadline exceeded canary deployment "+k+" not ready: ") {
			deadline = e
		}
	}
	require.NotEmpty(t, deadline, "events:\n%s", strings.Join(s.events(), "\n"))
	requireInOrder(t, s.events(), []string{"New revision detected! Scaling up " + k, deadline, "Canary failed! Scaling down " + k})
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", s.primaryImage())

	// And the Slack receiver got the error alert, and only error alerts (severity error)
	type slackMessage struct {
		Channel, Username string
		Attachments       []struct {
			Color, Text string
			AuthorName  string `json:"author_name"`
		}
	}
	want := "Progress deadline exceeded " + strings.TrimPrefix(deadline, "Rolling back "+k+" progress deadline exceeded ")
	s.eventually(30*time.Second, "the Slack alert", func() (bool, string) {
		for _, m := range received[slackMessage](slack, "/slack") {
			if len(m.Attachments) == 1 && m.Attachments[0].Text == want {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d messages", len(received[slackMessage](slack, "/slack")))
	})
	for _, m := range received[slackMessage](slack, "/slack") {
		require.Equal(t, []string{"on-call", "gitcanary"}, []string{m.Channel, m.Username})
		require.Len(t, m.Attachments, 1)
		require.Equal(t, "danger", m.Attachments[0].Color, m.Attachments[0].Text)
		require.Equal(t, k, m.Attachments[0].AuthorName)
	}
}
