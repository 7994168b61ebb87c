package controller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/status/ledger"
)

func TestLedgerTransition(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := eventCanary(func(c *v1beta1.Canary) { c.UID = "uid-1" })
	tr := v1beta1.CanaryTransition{
		Sequence: 7, Time: metav1.NewTime(at), Phase: v1beta1.CanaryPhaseFailed, FailedChecks: 5,
		Revision: "9ec8adaea22a67b7", Images: "ghcr.io/stefanprodan/podinfo:6.0.2", SourceCommit: "ea48536",
		Events: []v1beta1.TransitionEvent{{Type: "Warning", Message: "Rolling back podinfo.test failed checks threshold reached 5"}},
		Checks: []v1beta1.CanaryCheck{{Kind: v1beta1.CheckMetric, Name: "request-success-rate", Verdict: v1beta1.CheckFailed, Value: "86.5",
			Query: "sum(rate(...))", Message: "Halt podinfo.test advancement success rate 86.50% < 99%"}},
	}
	got := ledgerTransition(c, tr)
	require.Equal(t, []any{"test", "podinfo", "uid-1", int64(7), "Failed", 5, "ea48536", "ghcr.io/stefanprodan/podinfo:6.0.2"},
		[]any{got.Namespace, got.Name, got.UID, got.Sequence, got.Phase, got.FailedChecks, got.SourceCommit, got.TargetRevision})
	require.Equal(t, []ledger.Event{{Time: at, Type: "Warning", Reason: "Synced", Message: tr.Events[0].Message}}, got.Events)
	require.Len(t, got.Metrics, 1)
	require.Equal(t, "request-success-rate", got.Metrics[0].Name)
	require.False(t, got.Metrics[0].Passed)

	tr.Images = ""
	require.Equal(t, "9ec8adaea22a67b7", ledgerTransition(c, tr).TargetRevision, "the pod template hash when the images are unknown")
}
