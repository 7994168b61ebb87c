package engine_test

import (
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// mirror makes the canary a Gateway API canary with analysis.mirror.
func mirror(c *v1beta1.Canary) {
	c.Spec.Provider = v1beta1.ProviderGatewayAPIv1
	c.Spec.Service.GatewayRefs = []v1beta1.GatewayRef{{Name: "envoy"}}
	c.Spec.Analysis.Mirror = true
}

// mirroring is a world whose routes mirror the requests to the canary.
func mirroring(w *world) { w.mirrored = true }

func TestDecideMirrorCanary(t *testing.T) {
	progressing := func(weight, failed int, opts ...func(*v1beta1.Canary)) *v1beta1.Canary {
		return seedCanary(t, append([]func(*v1beta1.Canary){analysing(v1beta1.CanaryPhaseProgressing, weight, failed), mirror}, opts...)...)
	}
	analysed := []string{"Workload", "Routes", "Hook rollout load-test phase=Progressing", "Metric error-rate", "Metric latency"}
	trafficGate := withHooks(hook(v1beta1.ConfirmTrafficIncreaseHook, "traffic"))
	runDecideCases(t, []decideCase{{
		name:   "the first analysis tick mirrors before any weight",
		canary: progressing(0, 0),
		world:  at(0),
		want: then("Event Normal: Starting canary analysis for podinfo.test",
			"Event Normal: Pre-rollout check acceptance-test passed",
			"SetRoutes 100/0 mirror", "Event Normal: Advance podinfo.test canary weight 0"),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: []string{"Workload", "Routes", "Hook pre-rollout acceptance-test phase=Progressing"},
		status: counters(0, 0, 0),
	}, {
		name:   "the mirrored tick runs the checks, then stops mirroring and routes the first step",
		canary: progressing(0, 0),
		world:  at(0).with(mirroring),
		want:   then("SetRoutes 95/5", "Event Normal: Advance podinfo.test canary weight 5"),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: analysed,
		status: counters(5, 0, 0),
	}, {
		name:   "mirrored routes skip the confirm-traffic-increase gate",
		canary: progressing(0, 0, trafficGate),
		world:  at(0).with(mirroring).with(failing("traffic", errForbidden)),
		want:   then("SetRoutes 95/5", "Event Normal: Advance podinfo.test canary weight 5"),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: analysed,
		status: counters(5, 0, 0),
	}, {
		name:   "the gate holds the mirror step itself",
		canary: progressing(0, 0, trafficGate),
		world:  at(0).with(failing("traffic", errForbidden)),
		want: then("Event Normal: Starting canary analysis for podinfo.test",
			"Event Normal: Pre-rollout check acceptance-test passed",
			"Event Warning: Halt podinfo.test advancement waiting for traffic increase approval traffic",
			"Notify warn: Canary traffic increase is waiting for approval."),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 0),
	}, {
		name:   "a failing check while mirrored counts and keeps the mirror",
		canary: progressing(0, 0),
		world: at(0).with(mirroring).with(func(w *world) {
			w.metrics = map[string]engine.MetricResult{"error-rate": value(5)}
		}),
		want:   then("Event Warning: Halt podinfo.test advancement error-rate 5.00 > 1"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 1, 0),
	}, {
		name:   "later steps do not mirror",
		canary: progressing(5, 0),
		world:  at(5),
		want:   then("SetRoutes 90/10", "Event Normal: Advance podinfo.test canary weight 10"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(10, 0, 0),
	}, {
		name:   "the rollback stops mirroring",
		canary: progressing(0, 5),
		world:  at(0).with(mirroring),
		want: then(append([]string{
			"Event Warning: Rolling back podinfo.test failed checks threshold reached 5",
			"Notify error: Failed checks threshold reached 5",
		}, rolledBack...)...),
		phase: v1beta1.CanaryPhaseFailed,
	}, {
		name:   "a new revision stops mirroring and restarts",
		canary: progressing(0, 2),
		world:  at(0).with(mirroring).with(func(w *world) { w.workload = ready(revC) }),
		want:   then("SetRoutes 100/0", "Event Normal: New revision detected! Restarting analysis for podinfo.test"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 0),
	}})
}

func TestDecideMirrorBlueGreen(t *testing.T) {
	bg := func(iterations int) *v1beta1.Canary {
		return seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 0, 0), withIterations(iterations), blueGreen(3), mirror)
	}
	runDecideCases(t, []decideCase{{
		name:   "the first iteration starts mirroring",
		canary: bg(0),
		world:  at(0),
		want: then("Event Normal: Starting canary analysis for podinfo.test",
			"Event Normal: Pre-rollout check acceptance-test passed",
			"SetRoutes 100/0 mirror", "Event Normal: Advance podinfo.test canary iteration 1/3"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 1),
	}, {
		name:   "mirrored iterations leave the routes alone",
		canary: bg(1),
		world:  at(0).with(mirroring),
		want:   then("Event Normal: Advance podinfo.test canary iteration 2/3"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 2),
	}, {
		name:   "routes that lost the mirror get it back",
		canary: bg(2),
		world:  at(0),
		want:   then("SetRoutes 100/0 mirror", "Event Normal: Advance podinfo.test canary iteration 3/3"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 3),
	}, {
		name:   "after the last iteration mirroring stops and all traffic goes to the canary",
		canary: bg(3),
		world:  at(0).with(mirroring),
		want:   then("Event Normal: Stop traffic mirroring and route all traffic to canary", "SetRoutes 0/100"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(0, 0, 4),
	}, {
		name:   "the tick after the cut-over promotes",
		canary: bg(4),
		world:  at(100),
		want:   then("Event Normal: Copying podinfo.test template spec to podinfo-primary.test", "Promote"),
		phase:  v1beta1.CanaryPhasePromoting,
	}})
}
