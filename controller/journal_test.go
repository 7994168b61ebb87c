package controller

import (
	"context"
	"errors"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/status/ledger"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type nopRecorder struct{ n int }

func (r *nopRecorder) Event(context.Context, *v1beta1.Canary, string, string) { r.n++ }

type nopTelemetry struct{ n int }

func (t *nopTelemetry) Record(*v1beta1.Canary, engine.TickReport) { t.n++ }

func journalCanary(phase v1beta1.CanaryPhase, weight, failed int) *v1beta1.Canary {
	max1, min99 := 1.0, 99.0
	return &v1beta1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test"},
		Spec: v1beta1.CanarySpec{
			TargetRef: v1beta1.LocalObjectReference{Name: "podinfo"},
			Analysis: &v1beta1.CanaryAnalysis{Metrics: []v1beta1.CanaryMetric{
				{Name: "error-rate", TemplateRef: &v1beta1.CrossNamespaceObjectReference{Name: "error-rate"}, ThresholdRange: &v1beta1.CanaryThresholdRange{Max: &max1}},
				{Name: v1beta1.BuiltinRequestSuccessRate, ThresholdRange: &v1beta1.CanaryThresholdRange{Min: &min99}},
				{Name: v1beta1.BuiltinRequestDuration, Threshold: 500},
			}},
		},
		Status: v1beta1.CanaryStatus{Phase: phase, CanaryWeight: weight, FailedChecks: failed},
	}
}

func TestJournalTurnsStatusChangesIntoTransitions(t *testing.T) {
	var got []ledger.Transition
	j := newJournal(3, func(tr ledger.Transition) { got = append(got, tr) },
		func(ns, name string) string { return "ghcr.io/stefanprodan/podinfo:6.0.1" })
	rec, tel := &nopRecorder{}, &nopTelemetry{}
	recorder, telemetry := j.recorder(rec), j.telemetry(tel)
	ctx := context.Background()

	j.observe(journalCanary("", 0, 0))
	require.Empty(t, got, "no phase yet, nothing to record")

	c := journalCanary(v1beta1.CanaryPhaseProgressing, 5, 0)
	for _, msg := range []string{"one", "two", "three", "Advance podinfo.test canary weight 5"} {
		recorder.Event(ctx, c, "Normal", msg)
	}
	telemetry.Record(c, engine.TickReport{Checks: []engine.MetricCheck{
		{Name: "error-rate", Value: 0.5},
		{Name: v1beta1.BuiltinRequestDuration, Value: 250},
		{Name: v1beta1.BuiltinRequestSuccessRate, Value: 98, Failure: "Halt podinfo.test advancement success rate 98.00% < 99%"},
	}})
	telemetry.Record(c, engine.TickReport{})
	require.Equal(t, 4, rec.n, "events still reach the real recorder")
	require.Equal(t, 2, tel.n, "reports still reach the real telemetry")

	j.observe(c)
	require.Len(t, got, 1)
	tr := got[0]
	require.Equal(t, "Progressing", tr.Phase)
	require.Equal(t, 5, tr.Weight)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", tr.TargetRevision)
	require.Len(t, tr.Events, 3, "the last events only")
	require.Equal(t, "Advance podinfo.test canary weight 5", tr.Events[2].Message)
	require.Len(t, tr.Metrics, 3, "a tick without checks keeps the last results")
	require.True(t, tr.Metrics[0].Passed)
	require.Equal(t, 1.0, *tr.Metrics[0].Max)
	require.Equal(t, 250.0, tr.Metrics[1].Value)
	require.True(t, tr.Metrics[1].Passed)
	require.False(t, tr.Metrics[2].Passed, "the engine judged 98 < 99")
	require.Equal(t, 99.0, *tr.Metrics[2].Min)
	require.Empty(t, tr.Metrics[2].Error)

	j.observe(journalCanary(v1beta1.CanaryPhaseProgressing, 5, 0))
	require.Len(t, got, 1, "a status write that changes nothing is no transition")

	telemetry.Record(c, engine.TickReport{Checks: []engine.MetricCheck{{Name: "error-rate", Err: errors.New("no values found"),
		Failure: "Halt advancement no values found for custom metric: error-rate: no values found"}}})
	j.observe(journalCanary(v1beta1.CanaryPhaseProgressing, 5, 1))
	require.Len(t, got, 2, "a failed check is a transition")
	require.Empty(t, got[1].Events, "events went with the previous transition")
	require.Equal(t, "Halt advancement no values found for custom metric: error-rate: no values found", got[1].Metrics[0].Error)
	require.False(t, got[1].Metrics[0].Passed)
}
