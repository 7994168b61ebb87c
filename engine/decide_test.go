package engine_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

const (
	primaryWaiting = "waiting for rollout to finish: 0 of 2 (readyThreshold 100%) updated replicas are available"
	targetWaiting  = "waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated replicas are available"
)

func TestDecideInitialization(t *testing.T) {
	noPrimary := ready(revA)
	noPrimary.PrimaryExists = false
	noPrimary.Primary = engine.Readiness{Retriable: true}
	primaryNotReady := ready(revA)
	primaryNotReady.Primary = engine.Readiness{Message: primaryWaiting, Retriable: true}
	initialized := []string{
		"EnsurePrimary", "ReconcileRouter", "ScaleToZero",
		"Event Normal: Initialization done! podinfo.test",
		"Notify info: New Deployment detected, initialization completed.",
	}
	runDecideCases(t, []decideCase{{
		name:   "a new canary checks its metrics providers and creates its primary",
		canary: seedCanary(t),
		world:  world{workload: noPrimary},
		want:   []string{"Event Normal: all the metrics providers are available!", "EnsurePrimary"},
		phase:  v1beta1.CanaryPhaseInitializing,
		checks: []string{"Workload", "Providers"},
	}, {
		name:   "unavailable providers are a warning; the initialization goes on",
		canary: seedCanary(t),
		world:  world{workload: noPrimary, providers: errors.New("prometheus not available: connection refused")},
		want:   []string{"Event Warning: Error checking metric providers: prometheus not available: connection refused", "EnsurePrimary"},
		phase:  v1beta1.CanaryPhaseInitializing,
	}, {
		name:   "skipAnalysis does not check the providers",
		canary: seedCanary(t, skipAnalysis, inPhase(v1beta1.CanaryPhaseInitializing)),
		world:  world{workload: noPrimary},
		want:   initialized,
		phase:  v1beta1.CanaryPhaseInitialized,
		checks: []string{"Workload"},
	}, {
		name:   "initialization waits for the primary",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitializing)),
		world:  world{workload: primaryNotReady},
		want:   []string{"EnsurePrimary", "Event Warning: podinfo-primary.test not ready: " + primaryWaiting},
		phase:  v1beta1.CanaryPhaseInitializing,
	}, {
		name:   "a ready primary completes the initialization",
		canary: seedCanary(t, func(c *v1beta1.Canary) { c.Status.Phase = v1beta1.CanaryPhaseInitializing }),
		world:  world{workload: ready(revA)},
		want:   initialized,
		phase:  v1beta1.CanaryPhaseInitialized,
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			require.Equal(t, []string{revA, revA}, []string{st.LastAppliedSpec, st.LastPromotedSpec})
			promoted := st.Condition(v1beta1.PromotedType)
			require.Equal(t, "Deployment initialization completed.", promoted.Message)
			require.Equal(t, "True", string(promoted.Status))
			require.Equal(t, "True", string(st.Condition(v1beta1.ReadyType).Status))
		},
	}, {
		name:   "skipAnalysis initializes without waiting for the primary",
		canary: seedCanary(t, skipAnalysis),
		world:  world{workload: noPrimary},
		want:   initialized,
		phase:  v1beta1.CanaryPhaseInitialized,
	}, {
		name:   "a missing target is a warning",
		canary: seedCanary(t),
		world:  world{workloadErr: errors.New(`deployment podinfo.test get query error: deployments.apps "podinfo" not found`)},
		want:   []string{`Event Warning: deployment podinfo.test get query error: deployments.apps "podinfo" not found`},
		phase:  v1beta1.CanaryPhaseInitializing,
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			require.Equal(t, "New Deployment detected, starting initialization.", st.Condition(v1beta1.PromotedType).Message)
		},
	}})
}

func TestDecideStart(t *testing.T) {
	started := []string{
		"EnsurePrimary", "ReconcileRouter",
		"Event Normal: New revision detected! Scaling up podinfo.test",
		"Notify info: New revision detected, progressing canary analysis.",
		"ScaleFromZero",
	}
	primaryWaits := ready(revB)
	primaryWaits.Primary = engine.Readiness{Message: primaryWaiting, Retriable: true}
	primaryDead := ready(revB)
	primaryDead.Primary = engine.Readiness{Message: `deployment "podinfo-primary" exceeded its progress deadline`}
	newConfig := ready(revA)
	newConfig.Configs = map[string]string{"configmap/podinfo-config": "2222222222222222"}
	runDecideCases(t, []decideCase{{
		name:   "an unchanged initialized canary idles",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized)),
		world:  world{workload: ready(revA)},
		want:   []string{"EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseInitialized,
		checks: []string{"Workload"},
	}, {
		name:   "a new revision starts the analysis",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized)),
		world:  world{workload: ready(revB), primary: 100},
		want:   started,
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: []string{"Workload", "Routes"},
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			require.Equal(t, []string{revB, revA}, []string{st.LastAppliedSpec, st.LastPromotedSpec})
			counters(0, 0, 0)(t, st)
		},
	}, {
		name: "a changed config starts the analysis of a succeeded canary",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), func(c *v1beta1.Canary) {
			c.Status.TrackedConfigs = map[string]string{"configmap/podinfo-config": "1111111111111111"}
		}),
		world: world{workload: newConfig, primary: 100},
		want:  started,
		phase: v1beta1.CanaryPhaseProgressing,
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			require.Equal(t, newConfig.Configs, st.TrackedConfigs)
		},
	}, {
		name:   "a newer revision after a failure starts the analysis",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseFailed, 0, 0)),
		world:  world{workload: ready(revC), primary: 100},
		want:   started,
		phase:  v1beta1.CanaryPhaseProgressing,
		status: func(t *testing.T, st v1beta1.CanaryStatus) { require.Equal(t, revC, st.LastAppliedSpec) },
	}, {
		name:   "a failed canary does not retry its failed revision",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseFailed, 0, 0)),
		world:  world{workload: ready(revB)},
		want:   []string{"EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseFailed,
	}, {
		name:   "a manual rollback to the promoted spec starts no analysis but becomes the applied spec",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseFailed, 0, 0)),
		world:  world{workload: ready(revA)},
		want:   []string{"EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseFailed,
		status: func(t *testing.T, st v1beta1.CanaryStatus) { require.Equal(t, revA, st.LastAppliedSpec) },
	}, {
		name:   "a primary that is not ready delays the start",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized)),
		world:  world{workload: primaryWaits},
		want:   []string{"EnsurePrimary", "ReconcileRouter", "Event Warning: podinfo-primary.test not ready: " + primaryWaiting},
		phase:  v1beta1.CanaryPhaseInitialized,
	}, {
		name:   "a primary past its deadline rolls back",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)),
		world:  world{workload: primaryDead},
		want: []string{
			"EnsurePrimary", "ReconcileRouter",
			`Event Warning: podinfo-primary.test not ready: deployment "podinfo-primary" exceeded its progress deadline`,
			"SetRoutes 100/0", "Event Warning: Canary failed! Scaling down podinfo.test", "ScaleToZero",
			"PostRolloutHooks Failed",
		},
		phase: v1beta1.CanaryPhaseFailed,
	}, {
		name:   "routes that cannot be read delay the start",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized)),
		world:  world{workload: ready(revB), routesErr: errors.New("TrafficSplit podinfo.test get query error: boom")},
		want:   []string{"EnsurePrimary", "ReconcileRouter", "Event Warning: TrafficSplit podinfo.test get query error: boom"},
		phase:  v1beta1.CanaryPhaseInitialized,
	}})
}

func TestDecideConfirmRollout(t *testing.T) {
	gated := withHooks(hook(v1beta1.ConfirmRolloutHook, "gate"))
	muted := withHooks(v1beta1.CanaryWebhook{Type: v1beta1.ConfirmRolloutHook, Name: "gate", URL: "http://gate", MuteAlert: true})
	closed := world{workload: ready(revB), primary: 100, hooks: map[string]error{"gate": errors.New("Forbidden")}}
	open := world{workload: ready(revB), primary: 100}
	runDecideCases(t, []decideCase{{
		name:   "a closed gate holds the canary in Waiting",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized), gated),
		world:  closed,
		want: []string{
			"EnsurePrimary", "ReconcileRouter",
			"Event Warning: Halt podinfo.test advancement waiting for approval gate",
			"Notify warn: Canary is waiting for approval.",
		},
		phase:  v1beta1.CanaryPhaseWaiting,
		checks: []string{"Workload", "Routes", "Hook confirm-rollout gate phase=Initialized"},
	}, {
		name:   "muteAlert silences the approval alert",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), muted),
		world:  closed,
		want:   []string{"EnsurePrimary", "ReconcileRouter", "Event Warning: Halt podinfo.test advancement waiting for approval gate"},
		phase:  v1beta1.CanaryPhaseWaiting,
	}, {
		name:   "a gate still closed is asked again silently",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseWaiting), gated),
		world:  closed,
		want:   []string{"EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseWaiting,
		checks: []string{"Workload", "Routes", "Hook confirm-rollout gate phase=Waiting"},
	}, {
		name:   "an open gate starts the analysis",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseWaiting), gated),
		world:  open,
		want: []string{
			"EnsurePrimary", "ReconcileRouter",
			"Event Normal: Confirm-rollout check gate passed",
			"Event Normal: New revision detected! Scaling up podinfo.test",
			"Notify info: New revision detected, progressing canary analysis.",
			"ScaleFromZero",
		},
		phase: v1beta1.CanaryPhaseProgressing,
	}})
}

func TestDecideSuspendInvalidFinalizer(t *testing.T) {
	suspended := func(c *v1beta1.Canary) { c.Spec.Suspend = true }
	runDecideCases(t, []decideCase{{
		name:   "suspending announces it once and observes nothing",
		canary: seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 10, 1), suspended),
		want:   []string{"Event Normal: skipping canary run as object is suspended"},
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: []string{},
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			require.Equal(t, engine.ReasonSuspended, st.Condition(v1beta1.ReadyType).Reason)
			counters(10, 1, 0)(t, st)
		},
	}, {
		name:   "an invalid spec is reported and nothing runs",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)),
		world:  world{invalid: errors.New("Canary test/podinfo: spec.analysis.match: Forbidden: A/B testing")},
		want:   []string{"Event Warning: invalid canary spec: Canary test/podinfo: spec.analysis.match: Forbidden: A/B testing"},
		phase:  v1beta1.CanaryPhaseSucceeded,
		checks: []string{},
		status: func(t *testing.T, st v1beta1.CanaryStatus) {
			stalled := st.Condition(v1beta1.StalledType)
			require.Equal(t, []string{"True", engine.ReasonInvalidSpec}, []string{string(stalled.Status), stalled.Reason})
			require.Equal(t, "False", string(st.Condition(v1beta1.ReadyType).Status))
		},
	}, {
		name:   "revertOnDeletion adds the finalizer",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized), func(c *v1beta1.Canary) { c.Spec.RevertOnDeletion = true }),
		world:  world{workload: ready(revA)},
		want:   []string{"SetFinalizer true", "EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseInitialized,
	}, {
		name:   "unsetting revertOnDeletion removes the finalizer",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized), revertOnDeletion, func(c *v1beta1.Canary) { c.Spec.RevertOnDeletion = false }),
		world:  world{workload: ready(revA)},
		want:   []string{"SetFinalizer false", "EnsurePrimary", "ReconcileRouter"},
		phase:  v1beta1.CanaryPhaseInitialized,
	}})
}

// TestDecideOnce checks that the suspend and invalid-spec events are not repeated on later
// ticks, and that an unchanged status is not written again.
func TestDecideOnce(t *testing.T) {
	tests := []struct {
		name   string
		canary *v1beta1.Canary
		world  world
	}{
		{"suspended", seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), func(c *v1beta1.Canary) { c.Spec.Suspend = true }), world{}},
		{"invalid", seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)), world{invalid: errors.New("bad")}},
		{"idle", seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)), world{workload: ready(revA)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first := decide(t, tc.canary, tc.world)
			require.True(t, first.StatusChanged)
			tc.canary.Status = first.Status
			second := decide(t, tc.canary, tc.world)
			require.False(t, second.StatusChanged)
			for _, a := range second.Actions {
				require.NotEqual(t, engine.ActRecordEvent, a.Kind, "repeated event %s", a)
			}
		})
	}
}

func TestDecideDeletion(t *testing.T) {
	gone := apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "deployments"}, "podinfo")
	reverting := ready(revA)
	reverting.Target = engine.Readiness{Message: targetWaiting, Retriable: true}
	terminating := func(ago int) func(*v1beta1.Canary) {
		return func(c *v1beta1.Canary) {
			c.Status.Phase = v1beta1.CanaryPhaseTerminating
			c.Status.LastTransitionTime = metaAgo(ago)
		}
	}
	terminated := []string{"FinalizeRouter", "Event Normal: Terminated canary podinfo.test"}
	runDecideCases(t, []decideCase{{
		name:   "without revertOnDeletion garbage collection does the work",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), deleting),
		want:   []string{},
		phase:  v1beta1.CanaryPhaseSucceeded,
		checks: []string{},
	}, {
		name:   "a finalizer left by an unset revertOnDeletion is removed",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), revertOnDeletion, deleting, func(c *v1beta1.Canary) { c.Spec.RevertOnDeletion = false }),
		want:   []string{"SetFinalizer false"},
		phase:  v1beta1.CanaryPhaseSucceeded,
	}, {
		name:   "deletion reverts the target",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), revertOnDeletion, deleting),
		world:  world{workload: ready(revA)},
		want:   []string{"Event Normal: Terminating canary podinfo.test", "Revert"},
		phase:  v1beta1.CanaryPhaseTerminating,
	}, {
		name:   "a deleted target is not reverted",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseProgressing), revertOnDeletion, deleting),
		world:  world{workloadErr: gone},
		want:   []string{"Event Normal: Terminating canary podinfo.test"},
		phase:  v1beta1.CanaryPhaseTerminating,
	}, {
		name:   "termination waits for the reverted target",
		canary: seedCanary(t, revertOnDeletion, deleting, terminating(10)),
		world:  world{workload: reverting},
		want:   []string{},
		phase:  v1beta1.CanaryPhaseTerminating,
	}, {
		name:   "a ready target ends the termination",
		canary: seedCanary(t, revertOnDeletion, deleting, terminating(10)),
		world:  world{workload: ready(revA)},
		want:   terminated,
		phase:  v1beta1.CanaryPhaseTerminated,
	}, {
		name:   "termination stops waiting after one interval",
		canary: seedCanary(t, revertOnDeletion, deleting, terminating(60)),
		world:  world{workload: reverting},
		want:   terminated,
		phase:  v1beta1.CanaryPhaseTerminated,
	}, {
		name:   "the finalizer goes once Terminated is written",
		canary: seedCanary(t, revertOnDeletion, deleting, func(c *v1beta1.Canary) { c.Status.Phase = v1beta1.CanaryPhaseTerminated }),
		want:   []string{"SetFinalizer false"},
		phase:  v1beta1.CanaryPhaseTerminated,
	}, {
		name:   "an invalid spec does not block the deletion",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), revertOnDeletion, deleting),
		world:  world{invalid: errors.New("bad")},
		want:   []string{"SetFinalizer false"},
		phase:  v1beta1.CanaryPhaseSucceeded,
	}})
}
