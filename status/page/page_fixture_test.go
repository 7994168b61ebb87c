package page

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
)

var t0 = time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// ledgerRepo records on an in-process Git server what the demo records: podinfo promoted
// (6.0.1, weights 5 and 10), then rolled back (6.0.2, the success rate failing), and a second
// canary; it returns the local path of the repository.
func ledgerRepo(t *testing.T) string {
	t.Helper()
	srv, err := gitserver.Start(gitserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	require.NoError(t, srv.CreateRepo("config", "main"))
	l, err := ledger.New(gitsource.Remote{URL: srv.HTTPURL("config")}, ledger.Options{SourceBranch: "main"})
	require.NoError(t, err)
	rate := func(v float64, verdict string) []ledger.MetricResult {
		return []ledger.MetricResult{{Name: "request-success-rate", Value: v, Min: ptr(99.0), Verdict: verdict, Passed: verdict == "Passed",
			Query: `sum(rate(envoy_cluster_upstream_rq{envoy_response_code!~"5.*"}[30s]))`, Address: "http://flagger-prometheus:9090"}}
	}
	steps := []ledger.Transition{
		{Name: "podinfo", Phase: "Progressing", Weight: 5, TargetRevision: "ghcr.io/stefanprodan/podinfo:6.0.1", Metrics: rate(100, "Passed")},
		{Name: "podinfo", Phase: "Progressing", Weight: 10, Metrics: rate(99.8, "Passed")},
		{Name: "podinfo", Phase: "Succeeded", Weight: 0, Events: []ledger.Event{{Type: "Normal", Message: "Promotion completed! Scaling down podinfo.test"}}},
		{Name: "podinfo", Phase: "Progressing", Weight: 5, TargetRevision: "ghcr.io/stefanprodan/podinfo:6.0.2", Metrics: rate(100, "Passed")},
		{Name: "podinfo", Phase: "Progressing", Weight: 5, FailedChecks: 1, Metrics: rate(86.5185, "Failed"),
			Webhooks: []ledger.WebhookResult{{Name: "load-test", Verdict: "Passed"}}},
		{Name: "podinfo", Phase: "Failed", Weight: 0, Events: []ledger.Event{{Type: "Warning", Message: "Canary failed! Scaling down podinfo.test"}}},
		{Name: "checkout", Phase: "WaitingPromotion", Weight: 0, SourceCommit: "aaaaaaa1111",
			Webhooks: []ledger.WebhookResult{{Name: "approve", Verdict: "Held", StatusCode: 403, Body: "not yet"}}},
	}
	for i, tr := range steps {
		tr.Namespace, tr.Time = "test", t0.Add(time.Duration(i)*time.Minute)
		if tr.SourceCommit == "" {
			tr.SourceCommit = "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d"
		}
		require.NoError(t, l.Record(tr))
		require.NoError(t, l.Flush(context.Background()))
	}
	return srv.RepoPath("config")
}

// localSource reads the status branch of a repository on disk.
func localSource(path string) Source {
	return SourceFunc(func(context.Context) (*ledger.Snapshot, error) { return ledger.OpenLocal(path, ledger.DefaultBranch) })
}
