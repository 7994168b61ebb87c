package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

func TestChecks(t *testing.T) {
	metrics, webhooks := Checks([]v1beta1.CanaryCheck{
		{Kind: v1beta1.CheckWebhook, Name: "load-test", Verdict: v1beta1.CheckFailed, StatusCode: 500, Body: "hey: exit 1", Message: "Halt …"},
		{Kind: v1beta1.CheckMetric, Name: "request-success-rate", Verdict: v1beta1.CheckFailed, Value: "86.5185",
			ThresholdRange: &v1beta1.CanaryThresholdRange{Min: ptr(99)}, Query: "sum(x)", Address: "http://prom:9090"},
		{Kind: v1beta1.CheckMetric, Name: "error-rate", Verdict: v1beta1.CheckSkipped, Message: "No data for error-rate yet"},
	})
	require.Equal(t, []WebhookResult{{Name: "load-test", Verdict: "Failed", StatusCode: 500, Body: "hey: exit 1", Message: "Halt …"}}, webhooks)
	require.Equal(t, []MetricResult{
		{Name: "request-success-rate", Value: 86.5185, Min: ptr(99), Query: "sum(x)", Address: "http://prom:9090", Verdict: "Failed"},
		{Name: "error-rate", Verdict: "Skipped", Error: "No data for error-rate yet"},
	}, metrics)
}

func TestFailedCheck(t *testing.T) {
	rate := MetricResult{Name: "request-success-rate", Value: 86.5185, Min: ptr(99), Verdict: VerdictFailed, Query: "sum(\n  x\n)", Address: "http://prom:9090"}
	skipped := MetricResult{Name: "error-rate", Verdict: VerdictSkipped, Error: "no data yet"}
	legacy := MetricResult{Name: "latency", Value: 900, Max: ptr(500)} // written before verdicts: Passed false
	hook := WebhookResult{Name: "load-test", Verdict: VerdictFailed, StatusCode: 502, Body: "bad\ngateway"}
	tests := []struct {
		name                 string
		ms                   []MetricResult
		ws                   []WebhookResult
		desc, query, address string
	}{
		{name: "none"},
		{name: "a skipped metric is not a failure", ms: []MetricResult{skipped}},
		{name: "a failed metric with its query and server", ms: []MetricResult{skipped, rate},
			desc: "request-success-rate 86.5185 < min 99", query: "sum( x )", address: "http://prom:9090"},
		{name: "a file from before verdicts", ms: []MetricResult{legacy}, desc: "latency 900 > max 500"},
		{name: "a failed webhook comes first", ms: []MetricResult{rate}, ws: []WebhookResult{hook}, desc: "webhook load-test: HTTP 502: bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desc, query, address := failedCheck(tt.ms, tt.ws)
			require.Equal(t, []string{tt.desc, tt.query, tt.address}, []string{desc, query, address})
		})
	}
	require.Equal(t, "[99, ∞)", rate.Range())
	require.Equal(t, "(−∞, 500]", legacy.Range())
}

// TestRollbackCommitNamesTheFailedCheck: the rollback's tick runs no check, so its transition
// carries none; its commit still names the check that failed the canary, from the file.
func TestRollbackCommitNamesTheFailedCheck(t *testing.T) {
	srv := newServer(t)
	l := newLedger(t, srv, Options{})
	failing := transition("test", "podinfo", "Progressing", 15, "Halt podinfo.test advancement success rate 86.52% < 99%")
	failing.FailedChecks = 5
	failing.Metrics = []MetricResult{{Name: "request-success-rate", Value: 86.5185, Min: ptr(99), Verdict: VerdictFailed,
		Query: "sum(rate(x[30s]))", Address: "http://prometheus:9090"}}
	rolledBack := transition("test", "podinfo", "Failed", 0, "Canary failed! Scaling down podinfo.test")
	for _, tr := range []Transition{failing, rolledBack} {
		require.NoError(t, l.Record(tr))
		require.NoError(t, l.Flush(testContext(t)))
	}
	head := branchHistory(t, srv, DefaultBranch).head
	require.Contains(t, head.Message, "test/podinfo: Failed (rolled back ghcr.io/stefanprodan/podinfo:6.0.1, request-success-rate 86.5185 < min 99, source 3f2a1c9)")
	tr := ParseTrailers(head.Message)
	require.Len(t, tr, 1)
	require.Equal(t, "request-success-rate 86.5185 < min 99", tr[0].FailedCheck)
	require.Equal(t, "sum(rate(x[30s]))", tr[0].CheckQuery)
	require.Equal(t, "http://prometheus:9090", tr[0].MetricsServer)

	// A new revision's first commit does not inherit the previous revision's failure.
	require.NoError(t, l.Record(transition("test", "podinfo", "Progressing", 0, "New revision detected! Scaling up podinfo.test")))
	require.NoError(t, l.Flush(testContext(t)))
	require.Empty(t, ParseTrailers(branchHistory(t, srv, DefaultBranch).head.Message)[0].FailedCheck)
}
