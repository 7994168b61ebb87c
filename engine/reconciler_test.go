package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

func TestNewReconcilerRequiresEveryPort(t *testing.T) {
	_, err := engine.NewReconciler(engine.Ports{}, engine.Options{})
	require.ErrorIs(t, err, engine.ErrMissingPort)
	require.ErrorContains(t, err, "[Canaries Hooks Metrics Notifier Recorder Router Scaler Telemetry Workloads]")
}

func TestReconcileMissingCanary(t *testing.T) {
	h := newHarness(t, seedCanary(t), engine.Options{})
	requeue, err := h.r.Reconcile(context.Background(), "test", "other")
	require.NoError(t, err)
	require.Zero(t, requeue)
	require.Equal(t, []string{"Canaries.Get test/other"}, h.lines(0))
}

func TestReconcileGetError(t *testing.T) {
	h := newHarness(t, seedCanary(t), engine.Options{})
	h.Canaries.Fail("Get", errors.New("connection refused"))
	_, err := h.r.Reconcile(context.Background(), "test", "podinfo")
	require.ErrorContains(t, err, "get canary test/podinfo: connection refused")
}

func TestReconcileFailingActionRetriesTheTick(t *testing.T) {
	h := newHarness(t, seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized)), engine.Options{})
	h.Workloads.Set(ready(revB))
	h.Router.Route(100, 0)
	h.Scaler.Fail("ScaleFromZero", errors.New("scaling up podinfo.test to 1 failed: conflict"))

	require.Equal(t, time.Minute, h.tick(t))
	require.Equal(t, []string{
		`Recorder.Event Normal "New revision detected! Scaling up podinfo.test" phase=Progressing`,
		`Recorder.Event Warning "scaling up podinfo.test to 1 failed: conflict" phase=Initialized`,
	}, h.lines(0, "Recorder"))
	require.Zero(t, h.Canaries.StatusWrites())
	require.Equal(t, v1beta1.CanaryPhaseInitialized, h.Telemetry.Reports()[0].Phase)

	h.Scaler.Fail("ScaleFromZero", nil)
	h.tick(t)
	require.Equal(t, v1beta1.CanaryPhaseProgressing, h.stored(t).Status.Phase)
}

func TestReconcileWritesStatusOnlyWhenItChanges(t *testing.T) {
	h := newHarness(t, seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)), engine.Options{})
	h.Workloads.Set(ready(revA))
	h.tick(t)
	require.Equal(t, 1, h.Canaries.StatusWrites(), "the conditions are new")
	h.clock.Step(time.Minute)
	h.tick(t)
	h.tick(t)
	require.Equal(t, 1, h.Canaries.StatusWrites())
	require.Equal(t, metaAgo(0), h.stored(t).Status.LastTransitionTime)
}

func TestReconcileStatusWriteError(t *testing.T) {
	h := newHarness(t, seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)), engine.Options{})
	h.Workloads.Set(ready(revA))
	h.Canaries.Fail("WriteStatus", errors.New("the object has been modified"))
	_, err := h.r.Reconcile(context.Background(), "test", "podinfo")
	require.ErrorContains(t, err, "write status of canary test/podinfo: the object has been modified")
}

func TestReconcileInvalidSpec(t *testing.T) {
	c := seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), withAnalysis(func(a *v1beta1.CanaryAnalysis) {
		a.Iterations, a.StepWeight, a.MaxWeight = 10, 0, 0
		a.Match = []apiextensionsv1.JSON{{Raw: []byte(`{"headers":{"x-canary":{"exact":"insider"}}}`)}}
	}))
	h := newHarness(t, c, engine.Options{})
	h.tick(t)
	events := h.Recorder.Messages()
	require.Len(t, events, 1)
	require.Contains(t, events[0], "invalid canary spec: Canary test/podinfo: spec.analysis.match: Forbidden: A/B testing is not supported by SMI TrafficSplits")
	require.NotContains(t, h.lines(0, "Workloads"), "Workloads.Observe podinfo.test")
	require.Equal(t, engine.ReasonInvalidSpec, h.stored(t).Status.Condition(v1beta1.StalledType).Reason)
	h.tick(t)
	require.Len(t, h.Recorder.Messages(), 1, "the same problem is reported once")
}

func TestReconcileDefaultsProviderAndMetricInterval(t *testing.T) {
	c := seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 5, 0), noChecks, func(c *v1beta1.Canary) {
		c.Spec.Provider = ""
		c.Spec.Analysis.Metrics = []v1beta1.CanaryMetric{
			{Name: "error-rate", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "error-rate"}, ThresholdRange: &v1beta1.CanaryThresholdRange{Max: ptr(1.0)}},
			{Name: "request-success-rate", ThresholdRange: &v1beta1.CanaryThresholdRange{Min: ptr(99.0)}},
		}
	})
	h := newHarness(t, c, engine.Options{DefaultProvider: "smi:v1alpha2:crossover"})
	h.Workloads.Set(ready(revB))
	h.Router.Route(95, 5)
	h.tick(t)
	require.Equal(t, []string{"Metrics.Query request-success-rate interval=1m"}, h.lines(0, "Metrics"))
	require.Equal(t, []string{
		"Halt advancement no values found for smi:v1alpha2:crossover metric request-success-rate probably podinfo.test is not receiving traffic: no values found",
	}, h.Recorder.Messages())
	require.Empty(t, h.stored(t).Spec.Provider, "the stored spec is not changed")

	h.Metrics.Set("request-success-rate", 100)
	mark := h.Journal.Len()
	h.clock.Step(time.Minute)
	h.tick(t)
	require.Equal(t, []string{"Metrics.Query request-success-rate interval=1m", "Metrics.Query error-rate interval=1m"},
		h.lines(mark, "Metrics"), "templates get the 1m default too (quirk S8)")
}

func TestReconcileTelemetry(t *testing.T) {
	h := newHarness(t, seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 5, 0)), engine.Options{})
	h.Workloads.Set(ready(revB))
	h.Router.Route(95, 5)
	h.Metrics.Set("error-rate", 0.25)
	h.Metrics.Set("latency", 0.3)
	h.tick(t)
	reports := h.Telemetry.Reports()
	require.Len(t, reports, 1)
	r := reports[0]
	require.True(t, r.Analysed)
	require.True(t, r.Routed)
	require.Equal(t, []int{90, 10}, []int{r.PrimaryWeight, r.CanaryWeight})
	require.Equal(t, map[string]float64{"error-rate": 0.25, "latency": 0.3}, r.MetricValues)
	addr := "http://flagger-prometheus:9090"
	require.Equal(t, []engine.MetricCheck{
		{Name: "error-rate", Value: 0.25, Query: "error-rate[30s]", Address: addr, Verdict: v1beta1.CheckPassed},
		{Name: "latency", Value: 0.3, Query: "latency[30s]", Address: addr, Verdict: v1beta1.CheckPassed},
	}, r.Checks)
	require.Equal(t, v1beta1.CanaryPhaseProgressing, r.Phase)

	// A failing check is reported with the event it caused, and ends the checks.
	h.Metrics.Set("error-rate", 30.8333)
	h.clock.Step(time.Minute)
	h.tick(t)
	r = h.Telemetry.Reports()[1]
	require.Equal(t, []engine.MetricCheck{{Name: "error-rate", Value: 30.8333, Failure: "Halt podinfo.test advancement error-rate 30.83 > 1",
		Query: "error-rate[30s]", Address: addr, Verdict: v1beta1.CheckFailed}}, r.Checks)
}

func TestReconcileNotifierFailureDoesNotBlock(t *testing.T) {
	h := newHarness(t, seedCanary(t, inPhase(v1beta1.CanaryPhaseInitialized)), engine.Options{})
	h.Workloads.Set(ready(revB))
	h.Router.Route(100, 0)
	h.Notifier.Fail("Notify", errors.New("sending notification bad response 500"))
	h.tick(t)
	require.Len(t, h.Notifier.Sent(), 1)
	require.Equal(t, v1beta1.CanaryPhaseProgressing, h.stored(t).Status.Phase)
	require.Contains(t, h.lines(0, "Scaler"), "Scaler.ScaleFromZero podinfo.test")
}

func TestReconcilePostRolloutHooks(t *testing.T) {
	c := seedCanary(t, analysing(v1beta1.CanaryPhaseFinalising, 0, 0), withHooks(
		hook(v1beta1.PostRolloutHook, "notify-a"), hook(v1beta1.PostRolloutHook, "notify-b"), hook(v1beta1.PostRolloutHook, "notify-c")))
	h := newHarness(t, c, engine.Options{})
	h.Workloads.Set(ready(revB))
	h.Router.Route(100, 0)
	h.Hooks.Set("notify-b", errors.New("Forbidden"))
	h.tick(t)
	require.Equal(t, []string{
		"Hooks.Call post-rollout notify-a phase=Succeeded",
		`Recorder.Event Normal "Post-rollout check notify-a passed" phase=Succeeded`,
		"Hooks.Call post-rollout notify-b phase=Succeeded",
		`Recorder.Event Warning "Post-rollout hook notify-b failed Forbidden" phase=Succeeded`,
		`Recorder.Event Normal "Promotion completed! Scaling down podinfo.test" phase=Succeeded`,
	}, h.lines(0, "Hooks", "Recorder"))
	require.Equal(t, v1beta1.CanaryPhaseSucceeded, h.stored(t).Status.Phase)
}

func TestReconcileDeletionWithRevert(t *testing.T) {
	h := newHarness(t, seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), revertOnDeletion, deleting), engine.Options{})
	h.Workloads.Set(ready(revA))

	require.Equal(t, 5*time.Second, h.tick(t))
	require.Equal(t, v1beta1.CanaryPhaseTerminating, h.stored(t).Status.Phase)
	h.clock.Step(5 * time.Second)
	h.tick(t)
	require.Equal(t, v1beta1.CanaryPhaseTerminated, h.stored(t).Status.Phase)
	h.tick(t)
	require.Nil(t, h.Canaries.Stored("test", "podinfo"), "the last finalizer is gone")
	var calls []string
	for _, l := range h.lines(0, "Recorder", "Scaler", "Router", "Canaries") {
		if !strings.HasPrefix(l, "Canaries.Get") && !strings.HasPrefix(l, "Canaries.WriteStatus") {
			calls = append(calls, l)
		}
	}
	require.Equal(t, []string{
		`Recorder.Event Normal "Terminating canary podinfo.test" phase=Terminating`,
		"Scaler.Revert podinfo.test",
		"Router.Finalize podinfo.test",
		`Recorder.Event Normal "Terminated canary podinfo.test" phase=Terminated`,
		"Canaries.SetFinalizer podinfo.test false",
	}, calls)
	requeue, err := h.r.Reconcile(context.Background(), "test", "podinfo")
	require.NoError(t, err)
	require.Zero(t, requeue)
}

func TestReconcileSuspendedSaysSoOnce(t *testing.T) {
	h := newHarness(t, seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 10, 0), func(c *v1beta1.Canary) { c.Spec.Suspend = true }), engine.Options{})
	for range 3 {
		h.tick(t)
		h.clock.Step(time.Minute)
	}
	require.Equal(t, []string{"skipping canary run as object is suspended"}, h.Recorder.Messages())
	require.Empty(t, h.lines(0, "Workloads", "Router", "Scaler", "Hooks", "Metrics"))
	require.Equal(t, 1, h.Canaries.StatusWrites())

	h.Canaries.Update("test", "podinfo", func(c *v1beta1.Canary) { c.Spec.Suspend = false })
	h.Workloads.Set(ready(revB))
	h.Router.Route(90, 10)
	h.Metrics.Set("error-rate", 0.1)
	h.Metrics.Set("latency", 0.1)
	h.tick(t)
	st := h.stored(t).Status
	require.Equal(t, 15, st.CanaryWeight, "the analysis resumes where it was")
	require.Equal(t, string(v1beta1.CanaryPhaseProgressing), st.Condition(v1beta1.ReadyType).Reason)
}
