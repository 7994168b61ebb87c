package engine_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// hookFailure is a webhook error that carries its HTTP answer, as the webhook adapter's does.
type hookFailure struct {
	code int
	body string
}

func (e hookFailure) Error() string                          { return e.body }
func (e hookFailure) HookAnswer() (int, string)              { return e.code, e.body }
func checksOf(st v1beta1.CanaryStatus) []v1beta1.CanaryCheck { return st.Analysis.Checks }

func TestDecideEvidence(t *testing.T) {
	progressing := func(weight, failed int, opts ...func(*v1beta1.Canary)) *v1beta1.Canary {
		return seedCanary(t, append([]func(*v1beta1.Canary){analysing(v1beta1.CanaryPhaseProgressing, weight, failed)}, opts...)...)
	}
	maxOne, maxHalf := ptr(1.0), ptr(0.5)
	withQuery := func(name string, v float64) engine.MetricResult {
		return engine.MetricResult{Value: v, Query: "sum(rate(" + name + "[30s]))", Address: "http://flagger-prometheus:9090"}
	}
	t.Run("a failing metric keeps its query, value, threshold and address", func(t *testing.T) {
		d := decide(t, progressing(10, 0), at(10).with(func(w *world) {
			w.metrics = map[string]engine.MetricResult{"error-rate": withQuery("errors", 30.83333), "latency": withQuery("latency", 0.3)}
		}))
		require.Equal(t, []v1beta1.CanaryCheck{
			{Kind: v1beta1.CheckWebhook, Name: "load-test", Verdict: v1beta1.CheckPassed},
			{Kind: v1beta1.CheckMetric, Name: "error-rate", Verdict: v1beta1.CheckFailed, Value: "30.8333",
				ThresholdRange: &v1beta1.CanaryThresholdRange{Max: maxOne}, Query: "sum(rate(errors[30s]))",
				Address: "http://flagger-prometheus:9090", Message: "Halt podinfo.test advancement error-rate 30.83 > 1"},
		}, checksOf(d.Status), "the checks stop at the first failure, as Flagger's")
	})
	t.Run("passing metrics are all recorded", func(t *testing.T) {
		d := decide(t, progressing(10, 0), at(10))
		checks := checksOf(d.Status)
		require.Len(t, checks, 3)
		require.Equal(t, v1beta1.CanaryCheck{Kind: v1beta1.CheckMetric, Name: "latency", Verdict: v1beta1.CheckPassed, Value: "0.3",
			ThresholdRange: &v1beta1.CanaryThresholdRange{Max: maxHalf}}, checks[2])
	})
	t.Run("a failed webhook keeps its status code and bounded body", func(t *testing.T) {
		body := strings.Repeat("x", 2*v1beta1.MaxCheckText)
		d := decide(t, progressing(10, 0), at(10).with(failing("load-test", hookFailure{code: 500, body: body})))
		checks := checksOf(d.Status)
		require.Len(t, checks, 1)
		require.Equal(t, v1beta1.CheckFailed, checks[0].Verdict)
		require.Equal(t, 500, checks[0].StatusCode)
		require.LessOrEqual(t, len(checks[0].Body), v1beta1.MaxCheckText)
		require.True(t, strings.HasSuffix(checks[0].Body, "…"))
		require.LessOrEqual(t, len(checks[0].Message), v1beta1.MaxCheckText)
	})
	t.Run("a closed gate is held, not failed", func(t *testing.T) {
		c := progressing(10, 0, withHooks(hook(v1beta1.ConfirmTrafficIncreaseHook, "traffic")))
		d := decide(t, c, at(10).with(failing("traffic", hookFailure{code: 403, body: "closed"})))
		require.Contains(t, checksOf(d.Status), v1beta1.CanaryCheck{Kind: v1beta1.CheckWebhook, Name: "traffic", Verdict: v1beta1.CheckHeld, StatusCode: 403, Body: "closed"})
	})
	t.Run("a rollback keeps the checks that failed the canary", func(t *testing.T) {
		failed := []v1beta1.CanaryCheck{{Kind: v1beta1.CheckMetric, Name: "error-rate", Verdict: v1beta1.CheckFailed, Value: "31"}}
		c := progressing(15, 5, func(c *v1beta1.Canary) { c.Status.Analysis = &v1beta1.CanaryAnalysisStatus{Checks: failed} })
		d := decide(t, c, at(15))
		require.Equal(t, v1beta1.CanaryPhaseFailed, d.Status.Phase)
		require.Equal(t, failed, checksOf(d.Status))
	})
	t.Run("a long query is cut", func(t *testing.T) {
		long := engine.MetricResult{Value: 0.1, Query: strings.Repeat("é", v1beta1.MaxCheckQuery)}
		d := decide(t, progressing(10, 0), at(10).with(func(w *world) { w.metrics["error-rate"] = long }))
		q := checksOf(d.Status)[1].Query
		require.LessOrEqual(t, len(q), v1beta1.MaxCheckQuery)
		require.True(t, strings.HasSuffix(q, "é…"), "cut on a rune boundary")
	})
	t.Run("an idle canary writes no evidence", func(t *testing.T) {
		d := decide(t, seedCanary(t, inPhase(v1beta1.CanaryPhaseSucceeded)), routed(0).with(func(w *world) { w.workload = ready(revA) }))
		require.Nil(t, d.Status.Analysis)
	})
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{86.51851851: "86.5185", 500: "500", 0.00012: "0.0001", 1234567.891: "1234567.891", -2.5: "-2.5"} {
		require.Equal(t, want, engine.FormatValue(v), "%v", v)
	}
}
