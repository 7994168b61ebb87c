package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// noDataPolicy sets the no-data policy of the error-rate metric.
func noDataPolicy(policy v1beta1.NoDataPolicy, limit int) func(*v1beta1.Canary) {
	return withAnalysis(func(a *v1beta1.CanaryAnalysis) {
		a.Metrics[0].NoData = &v1beta1.CanaryMetricNoData{Policy: policy, Limit: limit}
	})
}

// holdQueryErrors sets queryErrors Hold with maxHold.
func holdQueryErrors(maxHold string) func(*v1beta1.Canary) {
	return withAnalysis(func(a *v1beta1.CanaryAnalysis) {
		a.QueryErrors = &v1beta1.CanaryQueryErrors{Policy: v1beta1.QueryErrorHold, MaxHold: maxHold}
	})
}

// withPolicyStatus gives the canary's status the counters of the policies.
func withPolicyStatus(noData map[string]int, holdingSince *metav1.Time) func(*v1beta1.Canary) {
	return func(c *v1beta1.Canary) {
		c.Status.Analysis = &v1beta1.CanaryAnalysisStatus{NoDataIntervals: noData, HoldingSince: holdingSince}
	}
}

func noData(w *world) {
	w.metrics = map[string]engine.MetricResult{"error-rate": {Err: &engine.MetricError{Failure: engine.MetricNoData, Err: errors.New("no values found")}}, "latency": {Value: 0.3}}
}

var errRefused = errors.New(`Post "http://flagger-prometheus:9090/api/v1/query": dial tcp 127.0.0.1:9090: connect: connection refused`)

func down(w *world) {
	unavailable := engine.MetricResult{Err: &engine.MetricError{Failure: engine.MetricUnavailable, Err: errRefused}}
	w.metrics = map[string]engine.MetricResult{"error-rate": unavailable, "latency": unavailable}
}

func noDataCount(want map[string]int) func(t *testing.T, st v1beta1.CanaryStatus) {
	return func(t *testing.T, st v1beta1.CanaryStatus) {
		t.Helper()
		var got map[string]int
		if st.Analysis != nil {
			got = st.Analysis.NoDataIntervals
		}
		require.Equal(t, want, got)
	}
}

func holding(since *metav1.Time) func(t *testing.T, st v1beta1.CanaryStatus) {
	return func(t *testing.T, st v1beta1.CanaryStatus) {
		t.Helper()
		require.NotNil(t, st.Analysis)
		require.Equal(t, since, st.Analysis.HoldingSince)
	}
}

func all(fs ...func(t *testing.T, st v1beta1.CanaryStatus)) func(t *testing.T, st v1beta1.CanaryStatus) {
	return func(t *testing.T, st v1beta1.CanaryStatus) {
		t.Helper()
		for _, f := range fs {
			f(t, st)
		}
	}
}

func TestDecideNoDataPolicy(t *testing.T) {
	progressing := func(opts ...func(*v1beta1.Canary)) *v1beta1.Canary {
		return seedCanary(t, append([]func(*v1beta1.Canary){analysing(v1beta1.CanaryPhaseProgressing, 10, 0)}, opts...)...)
	}
	skipped := "Event Normal: No data for error-rate yet, podinfo.test stays at weight 10 (1 of 3 intervals)"
	runDecideCases(t, []decideCase{{
		name:   "Fail (the default) is Flagger's failed check",
		canary: progressing(),
		world:  at(10).with(noData),
		want:   then("Event Warning: Halt advancement no values found for custom metric: error-rate: no values found"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: all(counters(10, 1, 0), noDataCount(nil)),
	}, {
		name:   "Skip holds the weight without a failed check, and still queries the other metrics",
		canary: progressing(noDataPolicy(v1beta1.NoDataSkip, 3)),
		world:  at(10).with(noData),
		want:   then(skipped),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: []string{"Workload", "Routes", "Hook rollout load-test phase=Progressing", "Metric error-rate", "Metric latency"},
		status: all(counters(10, 0, 0), noDataCount(map[string]int{"error-rate": 1})),
	}, {
		name:   "Skip fails the check at its limit: no data for 3 intervals",
		canary: progressing(noDataPolicy(v1beta1.NoDataSkip, 3), withPolicyStatus(map[string]int{"error-rate": 2}, nil)),
		world:  at(10).with(noData),
		want:   then("Event Warning: Halt podinfo.test advancement error-rate no data for 3 intervals"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: all(counters(10, 1, 0), noDataCount(map[string]int{"error-rate": 3})),
	}, {
		name:   "Skip keeps failing past its limit",
		canary: progressing(noDataPolicy(v1beta1.NoDataSkip, 3), withPolicyStatus(map[string]int{"error-rate": 4}, nil)),
		world:  at(10).with(noData),
		want:   then("Event Warning: Halt podinfo.test advancement error-rate no data for 5 intervals"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(10, 1, 0),
	}, {
		name:   "a value ends the run of intervals without data, and the canary advances",
		canary: progressing(noDataPolicy(v1beta1.NoDataSkip, 3), withPolicyStatus(map[string]int{"error-rate": 2}, nil)),
		world:  at(10),
		want:   then("SetRoutes 85/15", "Event Normal: Advance podinfo.test canary weight 15"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: all(counters(15, 0, 0), noDataCount(nil)),
	}, {
		name:   "a failure after a skipped metric fails the tick",
		canary: progressing(noDataPolicy(v1beta1.NoDataSkip, 3)),
		world: at(10).with(func(w *world) {
			noData(w)
			w.metrics["latency"] = engine.MetricResult{Value: 900}
		}),
		want:   then(skipped, "Event Warning: Halt podinfo.test advancement latency 900.00 > 0.5"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: all(counters(10, 1, 0), noDataCount(map[string]int{"error-rate": 1})),
	}, {
		name:   "Pass passes without data",
		canary: progressing(noDataPolicy(v1beta1.NoDataPass, 0)),
		world:  at(10).with(noData),
		want:   then("SetRoutes 85/15", "Event Normal: Advance podinfo.test canary weight 15"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(15, 0, 0),
	}, {
		name:   "a new revision forgets the runs without data",
		canary: seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded), withPolicyStatus(map[string]int{"error-rate": 2}, ptr(metaAgo(60)))),
		world:  routed(0),
		want:   then("Event Normal: New revision detected! Scaling up podinfo.test", "Notify info: New revision detected, progressing canary analysis.", "ScaleFromZero"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: all(noDataCount(nil), holding(nil)),
	}})
}

func TestDecideQueryErrorPolicy(t *testing.T) {
	progressing := func(opts ...func(*v1beta1.Canary)) *v1beta1.Canary {
		return seedCanary(t, append([]func(*v1beta1.Canary){analysing(v1beta1.CanaryPhaseProgressing, 25, 0)}, opts...)...)
	}
	refused := "Metric query failed for error-rate: " + errRefused.Error()
	since := ptr(metaAgo(0))
	runDecideCases(t, []decideCase{{
		name:   "Fail (the default) counts an unreachable backend as a failed check, as Flagger",
		canary: progressing(),
		world:  at(25).with(down),
		want:   then("Event Warning: " + refused),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(25, 1, 0),
	}, {
		name:   "Hold keeps the weight, with one Warning and one alert",
		canary: progressing(holdQueryErrors("5m")),
		world:  at(25).with(down),
		want: then("Event Warning: Halt podinfo.test advancement metrics unavailable, holding canary weight 25 for up to 5m0s: "+refused,
			"Notify warn: Metrics unavailable, canary weight held at 25 for up to 5m0s: "+refused),
		phase:  v1beta1.CanaryPhaseProgressing,
		checks: []string{"Workload", "Routes", "Hook rollout load-test phase=Progressing", "Metric error-rate", "Metric latency"},
		status: all(counters(25, 0, 0), holding(since)),
	}, {
		name:   "a hold in progress stays silent",
		canary: progressing(holdQueryErrors("5m"), withPolicyStatus(nil, ptr(metaAgo(120)))),
		world:  at(25).with(down),
		want:   then(),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: all(counters(25, 0, 0), holding(ptr(metaAgo(120)))),
	}, {
		name:   "after maxHold the failed queries count again",
		canary: progressing(holdQueryErrors("5m"), withPolicyStatus(nil, ptr(metaAgo(300)))),
		world:  at(25).with(down),
		want:   then("Event Warning: " + refused + " (metrics unavailable for 5m0s, queryErrors.maxHold 5m0s)"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: all(counters(25, 1, 0), holding(ptr(metaAgo(300)))),
	}, {
		name:   "the backend answers again: the hold ends and the canary advances",
		canary: progressing(holdQueryErrors("5m"), withPolicyStatus(nil, ptr(metaAgo(42)))),
		world:  at(25),
		want: then("Event Normal: Metrics available again after 42s, resuming podinfo.test analysis",
			"SetRoutes 70/30", "Event Normal: Advance podinfo.test canary weight 30"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: all(counters(30, 0, 0), holding(nil)),
	}, {
		name:   "a value out of range is a failed check under Hold too",
		canary: progressing(holdQueryErrors("5m")),
		world:  at(25).with(func(w *world) { w.metrics["error-rate"] = engine.MetricResult{Value: 7} }),
		want:   then("Event Warning: Halt podinfo.test advancement error-rate 7.00 > 1"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(25, 1, 0),
	}, {
		name:   "a query that fails for another reason is a failed check under Hold",
		canary: progressing(holdQueryErrors("5m")),
		world: at(25).with(func(w *world) {
			w.metrics["error-rate"] = engine.MetricResult{Err: &engine.MetricError{Failure: engine.MetricQueryFailed, Err: errors.New("bad_data: parse error")}}
		}),
		want:   then("Event Warning: Metric query failed for error-rate: bad_data: parse error"),
		phase:  v1beta1.CanaryPhaseProgressing,
		status: counters(25, 1, 0),
	}})
}

// TestGoldenHoldThenPromote runs a hold through the reconciler: Prometheus down for three
// ticks under queryErrors Hold, then back. The weight never moves while it is down, one
// Warning and one alert are sent, and the analysis completes.
func TestGoldenHoldThenPromote(t *testing.T) {
	h := newHarness(t, seedCanary(t, holdQueryErrors("10m")), engine.Options{})
	h.Metrics.Set("error-rate", 0.1)
	h.Metrics.Set("latency", 0.1)
	s := newCluster(h, revA)
	lines := s.run(t, 5, inPhases(v1beta1.CanaryPhaseInitialized))
	s.revision = revB
	s.observe()
	lines = append(lines, s.run(t, 6, func(c *v1beta1.Canary) bool { return c.Status.CanaryWeight == 15 })...)
	unavailable := &engine.MetricError{Failure: engine.MetricUnavailable, Err: errRefused}
	h.Metrics.SetError("error-rate", unavailable)
	h.Metrics.SetError("latency", unavailable)
	for range 3 {
		lines = append(lines, s.run(t, 1, func(*v1beta1.Canary) bool { return true })...)
		require.Equal(t, []int{15, 0}, []int{h.stored(t).Status.CanaryWeight, h.stored(t).Status.FailedChecks})
	}
	h.Metrics.Set("error-rate", 0.1)
	h.Metrics.Set("latency", 0.1)
	lines = append(lines, s.run(t, 40, inPhases(v1beta1.CanaryPhaseSucceeded))...)
	golden(t, "hold-then-promote", lines)

	var holds, alerts int
	for _, m := range h.Recorder.Messages() {
		if strings.HasPrefix(m, "Halt podinfo.test advancement metrics unavailable") {
			holds++
		}
	}
	for _, n := range h.Notifier.Sent() {
		if strings.HasPrefix(n.Message, "Metrics unavailable,") {
			alerts++
		}
	}
	require.Equal(t, []int{1, 1}, []int{holds, alerts}, "one Warning and one alert per outage")
	require.Contains(t, h.Recorder.Messages(), "Metrics available again after 3m0s, resuming podinfo.test analysis")
}

// TestGoldenNoTraffic runs a canary that never gets traffic under noData Skip with limit 3 and
// threshold 1: it holds at weight 5 for two intervals, fails the check with "no data for 3
// intervals" on the third, and is rolled back.
func TestGoldenNoTraffic(t *testing.T) {
	c := seedCanary(t, noDataPolicy(v1beta1.NoDataSkip, 3), withAnalysis(func(a *v1beta1.CanaryAnalysis) { a.Threshold = 1 }))
	lines, events := seedRun(t, c, func(h *harness) { h.Metrics.Set("latency", 0.1) })
	golden(t, "no-traffic", lines)
	requireInOrder(t, events, []string{
		"Advance podinfo.test canary weight 5",
		"No data for error-rate yet, podinfo.test stays at weight 5 (1 of 3 intervals)",
		"No data for error-rate yet, podinfo.test stays at weight 5 (2 of 3 intervals)",
		"Halt podinfo.test advancement error-rate no data for 3 intervals",
		"Rolling back podinfo.test failed checks threshold reached 1",
		"Canary failed! Scaling down podinfo.test",
	})
}
