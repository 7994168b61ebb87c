package engine_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// reconciled is the start of every tick after initialization.
var reconciled = []string{"EnsurePrimary", "ReconcileRouter"}

func then(actions ...string) []string { return append(append([]string{}, reconciled...), actions...) }

// at is a world where the canary is routed weight, both Deployments run revB and are ready,
// and the seed's checks pass.
func at(weight int) world {
	w := routed(weight)
	w.metrics = passing()
	return w
}

func (w world) with(change func(w *world)) world {
	change(&w)
	return w
}

func failing(name string, err error) func(w *world) {
	return func(w *world) {
		hooks := map[string]error{}
		for k, v := range w.hooks {
			hooks[k] = v
		}
		hooks[name] = err
		w.hooks = hooks
	}
}

var rolledBack = []string{
	"SetRoutes 100/0", "Event Warning: Canary failed! Scaling down podinfo.test", "ScaleToZero", "PostRolloutHooks Failed",
}

func TestDecideProgressing(t *testing.T) {
	progressing := func(weight, failed int) *v1beta1.Canary {
		return seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, weight, failed))
	}
	targetDead := at(10).with(func(w *world) {
		w.workload.Target = engine.Readiness{Message: `deployment "podinfo" exceeded its progress deadline`}
	})
	deadline := `canary deployment podinfo.test not ready: deployment "podinfo" exceeded its progress deadline`
	analysed := []string{"Workload", "Routes", "Hook rollout load-test phase=Progressing", "Metric error-rate", "Metric latency"}
	runDecideCases(t, []decideCase{{
		name:   "a newer revision restarts the analysis",
		canary: progressing(20, 2),
		world:  at(20).with(func(w *world) { w.workload = ready(revC) }),
		want:   then("SetRoutes 100/0", "Event Normal: New revision detected! Restarting analysis for podinfo.test"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			counters(0, 0, 0)(t, st)
			require.Equal(t, revC, st.LastAppliedSpec)
		},
	}, {
		name:   "a newer revision restarts the analysis from WaitingPromotion",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseWaitingPromotion, 0, 1)),
		world:  at(50).with(func(w *world) { w.workload = ready(revC) }),
		want:   then("SetRoutes 100/0", "Event Normal: New revision detected! Restarting analysis for podinfo.test"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 0),
	}, {
		name:   "the failed checks threshold rolls back from WaitingPromotion",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseWaitingPromotion, 0, 5)),
		world:  at(50),
		want: then(append([]string{
			"Event Warning: Rolling back podinfo.test failed checks threshold reached 5",
			"Notify error: Failed checks threshold reached 5",
		}, rolledBack...)...),
		phase: v1beta1.CanaryPhaseFailed,
	}, {
		name:   "a canary rolling out is waited for without a failed check",
		canary: progressing(0, 1),
		world:  at(0).with(func(w *world) { w.workload.Target = engine.Readiness{Message: targetWaiting, Retriable: true} }),
		want:   then("Event Warning: canary deployment podinfo.test not ready: " + targetWaiting),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 1, 0),
	}, {
		name:   "a canary past its progress deadline rolls back with an event and an alert",
		canary: progressing(10, 1),
		world:  targetDead,
		want: then(append([]string{
			"Event Warning: Rolling back podinfo.test progress deadline exceeded " + deadline,
			"Notify error: Progress deadline exceeded " + deadline,
		}, rolledBack...)...),
		phase:  v1beta1.CanaryPhaseFailed,
		status: counters(0, 0, 0),
	}, {
		name:   "skipAnalysis promotes at once",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 10, 0), skipAnalysis),
		world:  at(10),
		want: then("SetRoutes 100/0",
			"Event Normal: Copying podinfo.test template spec to podinfo-primary.test",
			"Promote", "SyncPrimaryAutoscaler", "ScaleToZero", "PostRolloutHooks Succeeded",
			"Event Normal: Promotion completed! Canary analysis was skipped for podinfo.test",
			"Notify info: Canary analysis was skipped, promotion finished."),
		phase:  v1beta1.CanaryPhaseSucceeded,
		checks: []string{"Workload", "Routes"},
		status: func(t *testing.T, st v1beta1.CanaryStatus) { require.Equal(t, revB, st.LastPromotedSpec) },
	}, {
		name:   "the failed checks threshold rolls back",
		canary: progressing(15, 5),
		world:  at(15),
		want: then(append([]string{
			"Event Warning: Rolling back podinfo.test failed checks threshold reached 5",
			"Notify error: Failed checks threshold reached 5",
		}, rolledBack...)...),
		phase:  v1beta1.CanaryPhaseFailed,
		checks: []string{"Workload", "Routes"},
		status: counters(0, 0, 0),
	}, {
		name:   "the first analysis tick runs the pre-rollout hooks and the first step",
		canary: progressing(0, 0),
		world:  at(0),
		want: then("Event Normal: Starting canary analysis for podinfo.test",
			"Event Normal: Pre-rollout check acceptance-test passed",
			"SetRoutes 95/5", "Event Normal: Advance podinfo.test canary weight 5"),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: []string{"Workload", "Routes", "Hook pre-rollout acceptance-test phase=Progressing"},
		status: counters(5, 0, 0),
	}, {
		name:   "a failing pre-rollout hook is a failed check",
		canary: progressing(0, 1),
		world:  at(0).with(failing("acceptance-test", errors.New("command curl failed: exit status 1"))),
		want: then("Event Normal: Starting canary analysis for podinfo.test",
			"Event Warning: Halt podinfo.test advancement pre-rollout check acceptance-test failed command curl failed: exit status 1"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 2, 0),
	}, {
		name:   "passing checks advance the weight",
		canary: progressing(5, 0),
		world:  at(5),
		want:   then("SetRoutes 90/10", "Event Normal: Advance podinfo.test canary weight 10"),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: analysed,
		status: counters(10, 0, 0),
	}, {
		name:   "a failing rollout hook is a failed check and skips the metrics",
		canary: progressing(5, 0),
		world:  at(5).with(failing("load-test", errors.New("POST http://flagger-loadtester.test/ giving up after 1 attempt(s)"))),
		want:   then("Event Warning: Halt podinfo.test advancement external check load-test failed POST http://flagger-loadtester.test/ giving up after 1 attempt(s)"),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: analysed[:3],
		status: counters(5, 1, 0),
	}, {
		name:   "a metric out of range is a failed check and stops the metrics",
		canary: progressing(5, 3),
		world:  at(5).with(func(w *world) { w.metrics = map[string]engine.MetricResult{"error-rate": value(30.83)} }),
		want:   then("Event Warning: Halt podinfo.test advancement error-rate 30.83 > 1"),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: analysed[:4],
		status: counters(5, 4, 0),
	}, {
		name:   "the weight steps up to maxWeight, then the target is promoted",
		canary: progressing(50, 0),
		world:  at(50),
		want:   then("Event Normal: Copying podinfo.test template spec to podinfo-primary.test", "Promote"),
		phase:  v1beta1.CanaryPhasePromoting,
		status: counters(50, 0, 0),
	}})
}

func TestDecideHookGates(t *testing.T) {
	withGates := func(phase v1beta1.CanaryPhase, weight int, hooks ...v1beta1.CanaryWebhook) *v1beta1.Canary {
		return seedCanary(t, analysing(phase, weight, 0), withHooks(hooks...))
	}
	traffic := hook(v1beta1.ConfirmTrafficIncreaseHook, "traffic")
	promo := hook(v1beta1.ConfirmPromotionHook, "promo")
	rb := hook(v1beta1.RollbackHook, "rb")
	closed := errors.New("Forbidden")
	runDecideCases(t, []decideCase{{
		name:   "a closed confirm-traffic-increase gate holds the weight",
		canary: withGates(v1beta1.CanaryPhaseProgressing, 5, traffic),
		world:  at(5).with(failing("traffic", closed)),
		want: then("Event Warning: Halt podinfo.test advancement waiting for traffic increase approval traffic",
			"Notify warn: Canary traffic increase is waiting for approval."),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(5, 0, 0),
	}, {
		name:   "an open confirm-traffic-increase gate lets the weight advance",
		canary: withGates(v1beta1.CanaryPhaseProgressing, 5, traffic),
		world:  at(5),
		want: then("Event Normal: Confirm-traffic-increase check traffic passed",
			"SetRoutes 90/10", "Event Normal: Advance podinfo.test canary weight 10"),
		phase: v1beta1.CanaryPhaseProgressing,
	}, {
		name:   "confirm-traffic-increase is asked at maxWeight too, before confirm-promotion",
		canary: withGates(v1beta1.CanaryPhaseProgressing, 50, traffic, promo),
		world:  at(50),
		want: then("Event Normal: Confirm-traffic-increase check traffic passed",
			"Event Normal: Confirm-promotion check promo passed",
			"Event Normal: Copying podinfo.test template spec to podinfo-primary.test", "Promote"),
		phase: v1beta1.CanaryPhasePromoting,
	}, {
		name:   "a closed confirm-promotion gate moves to WaitingPromotion",
		canary: withGates(v1beta1.CanaryPhaseProgressing, 50, promo),
		world:  at(50).with(failing("promo", closed)),
		want: then("Event Warning: Halt podinfo.test advancement waiting for promotion approval promo",
			"Notify warn: Canary promotion is waiting for approval."),
		phase:  v1beta1.CanaryPhaseWaitingPromotion,
		status: counters(0, 0, 0),
	}, {
		name:   "WaitingPromotion keeps analysing and asks again silently",
		canary: withGates(v1beta1.CanaryPhaseWaitingPromotion, 0, traffic, promo),
		world:  at(50).with(failing("promo", closed)),
		want:   reconciled,
		phase:  v1beta1.CanaryPhaseWaitingPromotion,
		checks: []string{"Workload", "Routes", "Hook rollout load-test phase=Progressing", "Metric error-rate",
			"Metric latency", "Hook confirm-promotion promo phase=Progressing"},
	}, {
		name:   "metrics keep counting in WaitingPromotion",
		canary: withGates(v1beta1.CanaryPhaseWaitingPromotion, 0, promo),
		world:  at(50).with(func(w *world) { w.metrics = map[string]engine.MetricResult{"error-rate": value(2)} }),
		want:   then("Event Warning: Halt podinfo.test advancement error-rate 2.00 > 1"),
		phase:  v1beta1.CanaryPhaseWaitingPromotion,
		status: counters(0, 1, 0),
	}, {
		name:   "an open confirm-promotion gate promotes",
		canary: withGates(v1beta1.CanaryPhaseWaitingPromotion, 0, promo),
		world:  at(50),
		want: then("Event Normal: Confirm-promotion check promo passed",
			"Event Normal: Copying podinfo.test template spec to podinfo-primary.test", "Promote"),
		phase: v1beta1.CanaryPhasePromoting,
	}, {
		name:   "a rollback hook answering 2xx rolls back",
		canary: withGates(v1beta1.CanaryPhaseProgressing, 20, rb),
		world:  at(20),
		want: then(append([]string{
			"Event Warning: Rollback check rb passed",
			"Event Warning: Rolling back podinfo.test manual webhook invoked",
			"Notify warn: Rolling back manual webhook invoked",
		}, rolledBack...)...),
		phase:  v1beta1.CanaryPhaseFailed,
		checks: []string{"Workload", "Routes", "Hook rollback rb phase=Progressing"},
	}, {
		name:   "a failing rollback hook signals nothing and the analysis goes on",
		canary: withGates(v1beta1.CanaryPhaseProgressing, 20, rb),
		world:  at(20).with(failing("rb", closed)),
		want: then("Event Normal: Rollback hook rb not signaling a rollback",
			"SetRoutes 75/25", "Event Normal: Advance podinfo.test canary weight 25"),
		phase: v1beta1.CanaryPhaseProgressing,
	}})
}
