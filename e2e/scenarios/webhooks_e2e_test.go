//go:build e2e

package scenarios

import (
	"strconv"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
)

// Each of Flagger's eight webhook types, through the real controller and the load tester's gate
// endpoints (reference §8): a closed gate holds the canary where Flagger holds it, and opening
// it releases the canary.

// promoteTo pushes a new image and waits until the analysis promoted it.
func (s *scenario) promoteTo(o walkthrough.Overlay, tag string) {
	s.t.Helper()
	s.push("podinfo "+tag, o.Edit("deployment.yaml", walkthrough.SetImage(tag)))
	s.waitPromoted("ghcr.io/stefanprodan/podinfo:"+tag, 3*time.Minute)
}

// thenPromotedAfter checks the events of a promotion that follows the given ones.
func (s *scenario) thenPromotedAfter(first ...string) {
	s.t.Helper()
	k := s.key()
	requireInOrder(s.t, s.events(), append(first,
		"Advance "+k+" canary weight 5",
		"Advance "+k+" canary weight 10",
		"Copying "+k+" template spec to podinfo-primary."+s.ns,
		"Promotion completed! Scaling down "+k,
	))
}

// TestConfirmRolloutWebhook: a closed confirm-rollout gate keeps a new revision Waiting, not
// scaled up, and asks again every tick; opening it starts the analysis.
func TestConfirmRolloutWebhook(t *testing.T) {
	t.Parallel()
	// Given a canary whose confirm-rollout hook is the load tester's gate, closed
	s := given(t)
	o := s.startFeature(features{analysis: "webhooks:\n" + hook("approve-rollout", "confirm-rollout", s.loadTesterURL("/gate/check"))})
	require.Empty(t, s.hookCalls("/gate/check"), "confirm-rollout is not asked at initialization")

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then the canary waits for approval, asking at every tick, and the target stays at zero
	s.waitPhase(v1beta1.CanaryPhaseWaiting, 2*time.Minute)
	calls := s.waitHookCalls("/gate/check", 3, time.Minute)
	require.Equal(t, "Initialized", calls[0].Payload.Phase)
	require.Equal(t, "Waiting", calls[2].Payload.Phase)
	require.Equal(t, int32(0), s.targetReplicas())
	halt := "Halt " + s.key() + " advancement waiting for approval approve-rollout"
	require.Equal(t, 1, count(s.events(), halt), "announced once")
	require.Contains(t, s.kubeEvents(), halt)

	// When the gate opens
	s.gate("/gate/open")

	// Then the analysis starts and promotes 6.0.1
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	s.thenPromotedAfter(halt, "Confirm-rollout check approve-rollout passed", "New revision detected! Scaling up "+s.key())
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", s.primaryImage())
}

// TestPreRolloutWebhook: a failing pre-rollout hook is a failed check at weight 0 on every
// tick; once it passes, the first step follows in the same tick.
func TestPreRolloutWebhook(t *testing.T) {
	t.Parallel()
	// Given a canary whose pre-rollout hook is the load tester's gate, closed
	s := given(t)
	o := s.startFeature(features{analysis: "threshold: 20\nwebhooks:\n" + hook("acceptance", "pre-rollout", s.loadTesterURL("/gate/check"))})

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then every tick fails the pre-rollout check at weight 0, counting failed checks
	halt := "Halt " + s.key() + " advancement pre-rollout check acceptance failed Forbidden"
	s.waitEvent(halt, 3, 2*time.Minute)
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, v1beta1.CanaryPhaseProgressing, c.Status.Phase)
	require.GreaterOrEqual(t, c.Status.FailedChecks, 2)
	w, err := s.canaryWeight()
	require.NoError(t, err)
	require.Equal(t, 0, w)
	for _, call := range s.hookCalls("/gate/check") {
		require.Equal(t, "Progressing", call.Payload.Phase)
	}

	// When the gate opens
	s.gate("/gate/open")

	// Then the check passes, the weight steps and the canary is promoted
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	s.thenPromotedAfter(halt, "Starting canary analysis for "+s.key(), "Pre-rollout check acceptance passed")
}

// TestRolloutWebhook: a failing rollout hook halts the analysis at its weight with a failed
// check per tick; once it passes, the analysis goes on.
func TestRolloutWebhook(t *testing.T) {
	t.Parallel()
	// Given a canary whose rollout hook is the load tester's gate, closed
	s := given(t)
	o := s.startFeature(features{analysis: "threshold: 20\nwebhooks:\n" + hook("load-gate", "rollout", s.loadTesterURL("/gate/check"))})

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then the first step is taken (rollout hooks run from the second analysis tick on) and
	// every later tick halts at 5 %
	halt := "Halt " + s.key() + " advancement external check load-gate failed Forbidden"
	s.waitEvent(halt, 3, 2*time.Minute)
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, 5, c.Status.CanaryWeight)
	require.GreaterOrEqual(t, c.Status.FailedChecks, 2)

	// When the gate opens
	s.gate("/gate/open")

	// Then the analysis resumes and promotes
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	requireInOrder(t, s.events(), []string{"Advance " + s.key() + " canary weight 5", halt, "Advance " + s.key() + " canary weight 10",
		"Promotion completed! Scaling down " + s.key()})
}

// TestConfirmTrafficIncreaseWebhook: a closed confirm-traffic-increase gate keeps the weight
// where it is without failing checks; opening it lets the weight step.
func TestConfirmTrafficIncreaseWebhook(t *testing.T) {
	t.Parallel()
	// Given a canary whose confirm-traffic-increase hook is the load tester's gate, closed
	s := given(t)
	o := s.startFeature(features{analysis: "webhooks:\n" + hook("traffic", "confirm-traffic-increase", s.loadTesterURL("/gate/check"))})

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then no traffic reaches the canary and no check fails
	halt := "Halt " + s.key() + " advancement waiting for traffic increase approval traffic"
	s.waitEvent(halt, 3, 2*time.Minute)
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, []int{0, 0}, []int{c.Status.CanaryWeight, c.Status.FailedChecks}, "weight, failed checks")
	require.Equal(t, v1beta1.CanaryPhaseProgressing, c.Status.Phase)

	// When the gate opens
	s.gate("/gate/open")

	// Then every step is confirmed and the canary is promoted
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	s.thenPromotedAfter(halt, "Confirm-traffic-increase check traffic passed")
	require.GreaterOrEqual(t, count(s.events(), "Confirm-traffic-increase check traffic passed"), 3, "before 5, 10 and the promotion")
}

// TestConfirmPromotionWebhook: at the maximum weight a closed confirm-promotion gate holds the
// canary in WaitingPromotion; opening it promotes.
func TestConfirmPromotionWebhook(t *testing.T) {
	t.Parallel()
	// Given a canary whose confirm-promotion hook is the load tester's gate, closed
	s := given(t)
	o := s.startFeature(features{analysis: "webhooks:\n" + hook("promotion", "confirm-promotion", s.loadTesterURL("/gate/check"))})

	// When 6.0.1 is pushed
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then the canary reaches 10 % and waits for promotion, asking at every tick
	s.waitPhase(v1beta1.CanaryPhaseWaitingPromotion, 2*time.Minute)
	before := len(s.hookCalls("/gate/check"))
	calls := s.waitHookCalls("/gate/check", before+2, time.Minute)
	require.Equal(t, "Progressing", calls[len(calls)-1].Payload.Phase, "Flagger sends Progressing, even in WaitingPromotion")
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, v1beta1.CanaryPhaseWaitingPromotion, c.Status.Phase)
	require.Equal(t, 0, c.Status.CanaryWeight, "Flagger's status shows 0 in WaitingPromotion (reference §1.4)")
	w, err := s.canaryWeight()
	require.NoError(t, err)
	require.Equal(t, 10, w, "while the canary keeps its traffic")
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", s.primaryImage())
	halt := "Halt " + s.key() + " advancement waiting for promotion approval promotion"
	require.Contains(t, s.kubeEvents(), halt)

	// When the gate opens
	s.gate("/gate/open")

	// Then 6.0.1 is promoted
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	requireInOrder(t, s.events(), []string{"Advance " + s.key() + " canary weight 10", halt, "Confirm-promotion check promotion passed",
		"Copying " + s.key() + " template spec to podinfo-primary." + s.ns, "Promotion completed! Scaling down " + s.key()})
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", s.primaryImage())
}

// TestPostRolloutWebhook: post-rollout hooks are called once the canary succeeded, with phase
// Succeeded; a failing one is reported and changes nothing.
func TestPostRolloutWebhook(t *testing.T) {
	t.Parallel()
	// Given a canary with two post-rollout hooks: the load tester's approve and halt gates (and
	// a controller whose events carry the source component gitcanary)
	s := given(t)
	o := s.startFeature(features{analysis: "webhooks:\n" + hook("notify", "post-rollout", s.loadTesterURL("/gate/approve")) +
		hook("audit", "post-rollout", s.loadTesterURL("/gate/halt")), flags: []string{"-event-source-component", "gitcanary"}})
	require.Empty(t, s.hookCalls("/gate/approve"))

	// When 6.0.1 is pushed and promoted
	s.promoteTo(o, "6.0.1")

	// Then both hooks were called once, after the promotion, with phase Succeeded
	s.waitEvent("Post-rollout hook audit failed Forbidden", 1, time.Minute)
	for _, path := range []string{"/gate/approve", "/gate/halt"} {
		calls := s.hookCalls(path)
		require.Len(t, calls, 1, path)
		require.Equal(t, "Succeeded", calls[0].Payload.Phase, path)
	}
	requireInOrder(t, s.events(), []string{"Copying " + s.key() + " template spec to podinfo-primary." + s.ns,
		"Post-rollout check notify passed", "Post-rollout hook audit failed Forbidden", "Promotion completed! Scaling down " + s.key()})
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, v1beta1.CanaryPhaseSucceeded, c.Status.Phase)
	require.Equal(t, []string{"gitcanary"}, s.eventSources())
}

// TestRollbackWebhook: a rollback hook is asked at every tick of the analysis; when its gate
// opens, the canary is rolled back at once.
func TestRollbackWebhook(t *testing.T) {
	t.Parallel()
	// Given a canary held in WaitingPromotion (its confirm-promotion hook always halts) with a
	// rollback hook on the load tester's rollback gate, closed
	s := given(t)
	o := s.startFeature(features{analysis: "webhooks:\n" + hook("hold", "confirm-promotion", s.loadTesterURL("/gate/halt")) +
		hook("manual", "rollback", s.loadTesterURL("/rollback/check"))})
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitPhase(v1beta1.CanaryPhaseWaitingPromotion, 2*time.Minute)
	s.waitEvent("Rollback hook manual not signaling a rollback", 3, time.Minute)

	// When the rollback gate opens
	s.gate("/rollback/open")

	// Then the canary is rolled back: traffic and the primary stay on 6.0.0
	c := s.waitPhase(v1beta1.CanaryPhaseFailed, 2*time.Minute)
	require.Equal(t, 0, c.Status.CanaryWeight)
	requireInOrder(t, s.events(), []string{"Rollback check manual passed", "Rolling back " + s.key() + " manual webhook invoked",
		"Canary failed! Scaling down " + s.key()})
	require.Contains(t, s.kubeEvents(), "Rolling back "+s.key()+" manual webhook invoked")
	w, err := s.canaryWeight()
	require.NoError(t, err)
	require.Equal(t, 0, w)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", s.primaryImage())
	calls := s.hookCalls("/rollback/check")
	require.Equal(t, "WaitingPromotion", calls[len(calls)-1].Payload.Phase)
}

// eventPayload is Flagger's event webhook payload.
type eventPayload struct {
	Name, Namespace, Phase string
	Metadata               map[string]string
}

// TestEventWebhook: every event of the canary is posted to its event webhook with Flagger's
// metadata (eventMessage, eventType, timestamp).
func TestEventWebhook(t *testing.T) {
	t.Parallel()
	// Given a canary with an event webhook on a receiver started by the test
	s := given(t)
	r := s.startReceiver()
	o := s.startFeature(features{analysis: "webhooks:\n" + hook("events", "event", r.URL+"/events")})

	// When 6.0.1 is pushed and promoted
	s.promoteTo(o, "6.0.1")

	// Then the receiver got the canary's events in order, each with its type and time
	k := s.key()
	var messages []string
	s.eventually(time.Minute, "the promotion's last event", func() (bool, string) {
		messages = messages[:0]
		for _, p := range received[eventPayload](r, "/events") {
			messages = append(messages, p.Metadata["eventMessage"])
		}
		return count(messages, "Promotion completed! Scaling down "+k) == 1, strconv.Itoa(len(messages)) + " events"
	})
	requireInOrder(t, messages, []string{
		"all the metrics providers are available!",
		"Initialization done! " + k,
		"New revision detected! Scaling up " + k,
		"Advance " + k + " canary weight 5",
		"Advance " + k + " canary weight 10",
		"Copying " + k + " template spec to podinfo-primary." + s.ns,
		"Routing all traffic to primary",
		"Promotion completed! Scaling down " + k,
	})
	for _, p := range received[eventPayload](r, "/events") {
		require.Equal(t, []string{"podinfo", s.ns}, []string{p.Name, p.Namespace})
		require.Contains(t, []string{"Normal", "Warning"}, p.Metadata["eventType"], p.Metadata["eventMessage"])
		ms, err := strconv.ParseInt(p.Metadata["timestamp"], 10, 64)
		require.NoError(t, err, "timestamp in unix milliseconds")
		require.WithinDuration(t, time.Now(), time.UnixMilli(ms), 10*time.Minute)
		switch p.Metadata["eventMessage"] {
		case "Initialization done! " + k:
			require.Equal(t, "Initialized", p.Phase)
		case "Promotion completed! Scaling down " + k:
			require.Equal(t, "Succeeded", p.Phase)
		}
	}
	// And the receiver's payloads match what kubectl describe shows, from Flagger's source
	require.Subset(t, messages, s.kubeEvents())
	require.Equal(t, []string{"flagger"}, s.eventSources(), "kubectl get events --field-selector source=flagger finds them")
}
