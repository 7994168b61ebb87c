package engine_test

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

func TestDecidePromotion(t *testing.T) {
	promoting := func(weight int, opts ...func(*v1beta1.Canary)) *v1beta1.Canary {
		return seedCanary(t, append([]func(*v1beta1.Canary){analysing(v1beta1.CanaryPhasePromoting, weight, 0)}, opts...)...)
	}
	stepPromotion := withAnalysis(func(a *v1beta1.CanaryAnalysis) { a.StepWeightPromotion = 20 })
	rollingOut := "waiting for rollout to finish: 1 of 2 (readyThreshold 100%) updated replicas are available"
	dead := `podinfo-primary.test not ready: deployment "podinfo-primary" exceeded its progress deadline`
	runDecideCases(t, []decideCase{{
		name:   "Promoting waits for the primary's rollout",
		canary: promoting(50),
		world:  at(50).with(func(w *world) { w.workload.Primary = engine.Readiness{Message: rollingOut, Retriable: true} }),
		want:   then("Event Warning: podinfo-primary.test not ready: " + rollingOut),
		phase:  v1beta1.CanaryPhasePromoting,
	}, {
		name:   "a primary that cannot roll out fails the promotion and keeps the canary serving",
		canary: promoting(50),
		world: at(50).with(func(w *world) {
			w.workload.Primary = engine.Readiness{Message: `deployment "podinfo-primary" exceeded its progress deadline`}
		}),
		want: then("Event Warning: "+dead,
			"Event Warning: Promotion of podinfo.test failed, primary not ready: "+dead,
			"Notify error: Promotion failed, primary not ready: "+dead,
			"SetRoutes 0/100", "PostRolloutHooks Failed"),
		phase:  v1beta1.CanaryPhaseFailed,
		status: counters(100, 0, 0),
	}, {
		name:   "a rolled out primary gets all the traffic back",
		canary: promoting(50),
		world:  at(50),
		want:   then("SyncPrimaryAutoscaler", "Event Normal: Routing all traffic to primary", "SetRoutes 100/0"),
		phase:  v1beta1.CanaryPhaseFinalising,
		checks: []string{"Workload", "Routes"},
		status: counters(0, 0, 0),
	}, {
		name:   "stepWeightPromotion ramps the primary up",
		canary: promoting(50, stepPromotion),
		world:  at(50),
		want:   then("SyncPrimaryAutoscaler", "SetRoutes 70/30", "Event Normal: Advance podinfo.test primary weight 70"),
		phase:  v1beta1.CanaryPhasePromoting,
		status: counters(30, 0, 0),
	}, {
		name:   "stepWeightPromotion finishes at 100",
		canary: promoting(10, stepPromotion),
		world:  at(10),
		want:   then("SyncPrimaryAutoscaler", "SetRoutes 100/0", "Event Normal: Advance podinfo.test primary weight 100"),
		phase:  v1beta1.CanaryPhaseFinalising,
	}, {
		name:   "skipAnalysis set during the promotion promotes again at once",
		canary: promoting(50, skipAnalysis),
		world:  at(50),
		want: then("SetRoutes 100/0",
			"Event Normal: Copying podinfo.test template spec to podinfo-primary.test",
			"Promote", "SyncPrimaryAutoscaler", "ScaleToZero", "PostRolloutHooks Succeeded",
			"Event Normal: Promotion completed! Canary analysis was skipped for podinfo.test",
			"Notify info: Canary analysis was skipped, promotion finished."),
		phase: v1beta1.CanaryPhaseSucceeded,
	}, {
		name:   "Finalising scales the target down and succeeds",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseFinalising, 0, 0)),
		world:  at(0),
		want: then("ScaleToZero", "PostRolloutHooks Succeeded",
			"Event Normal: Promotion completed! Scaling down podinfo.test",
			"Notify info: Canary analysis completed successfully, promotion finished."),
		phase: v1beta1.CanaryPhaseSucceeded,
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			require.Equal(t, []string{revB, revB}, []string{st.LastAppliedSpec, st.LastPromotedSpec})
			require.Equal(t, "Canary analysis completed successfully, promotion finished.", st.Condition(v1beta1.PromotedType).Message)
		},
	}})
}

func TestDecideBlueGreen(t *testing.T) {
	bg := func(phase v1beta1.CanaryPhase, iterations int) *v1beta1.Canary {
		return seedCanary(t, analysing(phase, 0, 0), withIterations(iterations), blueGreen(3))
	}
	runDecideCases(t, []decideCase{{
		name:   "the first iteration follows the pre-rollout hooks",
		canary: bg(v1beta1.CanaryPhaseProgressing, 0),
		world:  at(0),
		want: then("Event Normal: Starting canary analysis for podinfo.test",
			"Event Normal: Pre-rollout check acceptance-test passed",
			"Event Normal: Advance podinfo.test canary iteration 1/3"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 1),
	}, {
		name:   "iterations count passing ticks with the traffic on the primary",
		canary: bg(v1beta1.CanaryPhaseProgressing, 1),
		world:  at(0),
		want:   then("Event Normal: Advance podinfo.test canary iteration 2/3"),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: []string{"Workload", "Routes", "Hook rollout load-test phase=Progressing", "Metric error-rate", "Metric latency"},
		status: counters(0, 0, 2),
	}, {
		name:   "after the last iteration all traffic goes to the canary",
		canary: bg(v1beta1.CanaryPhaseProgressing, 3),
		world:  at(0),
		want:   then("Event Normal: Routing all traffic to canary", "SetRoutes 0/100"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 4),
	}, {
		name:   "the tick after the cut-over promotes",
		canary: bg(v1beta1.CanaryPhaseProgressing, 4),
		world:  at(100),
		want:   then("Event Normal: Copying podinfo.test template spec to podinfo-primary.test", "Promote"),
		phase:  v1beta1.CanaryPhasePromoting,
	}, {
		name:   "a closed confirm-promotion gate keeps iterations-1",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 0, 0), withIterations(3), blueGreen(3), withHooks(hook(v1beta1.ConfirmPromotionHook, "promo"))),
		world:  at(0).with(failing("promo", errForbidden)),
		want: then("Event Warning: Halt podinfo.test advancement waiting for promotion approval promo",
			"Notify warn: Canary promotion is waiting for approval."),
		phase:  v1beta1.CanaryPhaseWaitingPromotion,
		status: counters(0, 0, 2),
	}, {
		name:   "a failing metric does not count an iteration",
		canary: bg(v1beta1.CanaryPhaseProgressing, 2),
		world:  at(0).with(func(w *world) { w.metrics = map[string]engine.MetricResult{"error-rate": value(5)} }),
		want:   then("Event Warning: Halt podinfo.test advancement error-rate 5.00 > 1"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 1, 2),
	}})
}

func TestDecideABTest(t *testing.T) {
	ab := func(iterations int) *v1beta1.Canary {
		return seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 0, 0), withIterations(iterations), blueGreen(3),
			func(c *v1beta1.Canary) {
				c.Spec.Provider = v1beta1.ProviderGatewayAPIv1
				c.Spec.Analysis.Match = []apiextensionsv1.JSON{{Raw: []byte(`{"headers":{"x-canary":{"exact":"insider"}}}`)}}
			})
	}
	runDecideCases(t, []decideCase{{
		name:   "the first iteration routes the matched requests to the canary",
		canary: ab(0),
		world:  at(0),
		want: then("Event Normal: Starting canary analysis for podinfo.test",
			"Event Normal: Pre-rollout check acceptance-test passed",
			"SetRoutes 0/100", "Event Normal: Advance podinfo.test canary iteration 1/3"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 1),
	}, {
		name:   "every iteration keeps them there",
		canary: ab(1),
		world:  at(100),
		want:   then("SetRoutes 0/100", "Event Normal: Advance podinfo.test canary iteration 2/3"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 2),
	}, {
		name:   "after the last iteration the canary is promoted without a cut-over",
		canary: ab(3),
		world:  at(100),
		want:   then("Event Normal: Copying podinfo.test template spec to podinfo-primary.test", "Promote"),
		phase:  v1beta1.CanaryPhasePromoting,
	}})
}
