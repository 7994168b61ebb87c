package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

var minRate = 99.0

const (
	statusUser     = "reader"
	statusPassword = "status-secret-9876"
)

// ledgerServer starts a Git server whose status branch records podinfo (progressing, then
// promoted) and checkout (failed), and returns it with a credentials directory for it.
func ledgerServer(t *testing.T) (*gitserver.Server, string) {
	t.Helper()
	srv, err := gitserver.Start(gitserver.Options{Username: statusUser, Password: statusPassword})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	require.NoError(t, srv.CreateRepo("config", "main"))
	remote := gitsource.Remote{URL: srv.HTTPURL("config"), Auth: gitsource.Auth{Username: statusUser, Password: statusPassword}}
	l, err := ledger.New(remote, ledger.Options{SourceBranch: "main"})
	require.NoError(t, err)
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i, tr := range []ledger.Transition{
		{Namespace: "test", Name: "podinfo", Phase: "Progressing", Weight: 10, SourceCommit: "3f2a1c9e5b7d", Time: at},
		{Namespace: "test", Name: "checkout", Phase: "Failed", SourceCommit: "aaaaaaa1111", Time: at.Add(time.Minute),
			Metrics: []ledger.MetricResult{{Name: "request-success-rate", Value: 86.5185, Min: &minRate, Verdict: ledger.VerdictFailed,
				Query: `sum(rate(envoy_cluster_upstream_rq{envoy_response_code!~"5.*"}[30s]))`, Address: "http://flagger-prometheus:9090"}}},
		{Namespace: "test", Name: "podinfo", Phase: "Succeeded", SourceCommit: "3f2a1c9e5b7d", TargetRevision: "podinfo:6.0.1",
			Time: at.Add(2 * time.Minute)},
	} {
		require.NoError(t, l.Record(tr), i)
		require.NoError(t, l.Flush(context.Background()))
	}
	for _, o := range []ledger.Overlay{
		{Path: "apps/podinfo", Commit: "3f2a1c9e5b7d", Result: ledger.OverlayDriftCorrected, Applied: 5, Health: "Healthy", Time: at.Add(3 * time.Minute),
			Drift: []string{"Deployment test/podinfo: spec.template.spec.containers[name=podinfod].image"}},
		{Path: "apps/checkout", Commit: "aaaaaaa1111", Result: ledger.OverlayFailed, Reason: "overlay apps/checkout at bbbbbbb: render: no kustomization",
			Time: at.Add(4 * time.Minute)},
	} {
		require.NoError(t, l.RecordOverlay(o))
	}
	require.NoError(t, l.Flush(context.Background()))
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "username"), []byte(statusUser+"\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "password"), []byte(statusPassword+"\n"), 0o600))
	return srv, dir
}

func TestStatusTable(t *testing.T) {
	srv, auth := ledgerServer(t)
	tests := []struct {
		name string
		args []string
	}{
		{name: "remote", args: []string{"status", "--repo", srv.HTTPURL("config"), "--auth-dir", auth}},
		{name: "local bare clone", args: []string{"status", "--repo", srv.RepoPath("config")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			require.Equal(t, exitOK, code, stderr)
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			require.Len(t, lines, 3)
			require.Equal(t, []string{"NAMESPACE", "NAME", "STATUS", "WEIGHT", "LASTTRANSITIONTIME", "SOURCE"}, strings.Fields(lines[0]))
			require.Equal(t, []string{"test", "checkout", "Failed", "0", "2026-11-01T10:01:00Z", "aaaaaaa"}, strings.Fields(lines[1]))
			require.Equal(t, []string{"test", "podinfo", "Succeeded", "0", "2026-11-01T10:02:00Z", "3f2a1c9"}, strings.Fields(lines[2]))
		})
	}
}

// TestStatusOverlays: gitcanary status overlays prints the overlays the ledger records, as a
// table or YAML.
func TestStatusOverlays(t *testing.T) {
	srv, auth := ledgerServer(t)
	code, stdout, stderr := runCmd(t, "status", "overlays", "--repo", srv.HTTPURL("config"), "--auth-dir", auth)
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3, stdout)
	require.Equal(t, []string{"OVERLAY", "COMMIT", "RESULT", "APPLIED", "PRUNED", "HEALTH", "TIME"}, strings.Fields(lines[0]))
	require.True(t, strings.HasPrefix(lines[1], "apps/checkout "), lines[1])
	require.Contains(t, lines[1], "Failed: overlay apps/checkout at bbbbbbb: render: no kustomization")
	require.Equal(t, []string{"apps/podinfo", "3f2a1c9", "Drift", "corrected", "5", "0", "Healthy", "2026-11-01T10:03:00Z"}, strings.Fields(lines[2]))

	code, stdout, stderr = runCmd(t, "status", "overlays", "--repo", srv.RepoPath("config"), "-o", "yaml")
	require.Equal(t, exitOK, code, stderr)
	var overlays []ledger.Overlay
	require.NoError(t, yaml.Unmarshal([]byte(stdout), &overlays))
	require.Len(t, overlays, 2)
	require.Equal(t, []string{"Deployment test/podinfo: spec.template.spec.containers[name=podinfod].image"}, overlays[1].Drift)

	code, _, stderr = runCmd(t, "status", "overlays", "extra", "--repo", srv.RepoPath("config"))
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `unexpected argument "extra"`)
}

func TestStatusYAML(t *testing.T) {
	srv, auth := ledgerServer(t)
	code, stdout, stderr := runCmd(t, "status", "--repo", srv.HTTPURL("config"), "--auth-dir", auth, "-o", "yaml")
	require.Equal(t, exitOK, code, stderr)
	var sts []ledger.Status
	require.NoError(t, yaml.Unmarshal([]byte(stdout), &sts))
	require.Len(t, sts, 2)
	require.Equal(t, "podinfo:6.0.1", sts[1].TargetRevision)
}

func TestStatusHistory(t *testing.T) {
	srv, auth := ledgerServer(t)
	code, stdout, stderr := runCmd(t, "status", "history", "test/podinfo", "--repo", srv.HTTPURL("config"), "--auth-dir", auth)
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3, stdout)
	require.Equal(t, []string{"COMMIT", "TIME", "PHASE", "SOURCE", "SUMMARY"}, strings.Fields(lines[0]))
	require.Equal(t, []string{"Succeeded", "3f2a1c9", "test/podinfo:"}, strings.Fields(lines[1])[2:5])
	require.True(t, strings.HasSuffix(lines[1], "test/podinfo: Succeeded (promoted podinfo:6.0.1, source 3f2a1c9)"), lines[1])
	require.Equal(t, "Progressing", strings.Fields(lines[2])[2])

	code, stdout, stderr = runCmd(t, "status", "history", "test/checkout", "--repo", srv.RepoPath("config"), "-o", "yaml")
	require.Equal(t, exitOK, code, stderr)
	var entries []ledger.Entry
	require.NoError(t, yaml.Unmarshal([]byte(stdout), &entries))
	require.Len(t, entries, 1)
	require.Equal(t, "Failed", entries[0].Phase)
	require.Equal(t, "request-success-rate 86.5185 < min 99", entries[0].FailedCheck)

	// The table shows the failing metric's value, threshold, query and server under the rows.
	code, stdout, stderr = runCmd(t, "status", "history", "test/checkout", "--repo", srv.RepoPath("config"))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "request-success-rate 86.5185 < min 99, source aaaaaaa)")
	require.Contains(t, stdout, "\nFailed checks:\n")
	require.Regexp(t, `\n  [0-9a-f]{7}  request-success-rate 86.5185 < min 99\n`, stdout)
	require.Contains(t, stdout, "           query: sum(rate(envoy_cluster_upstream_rq{envoy_response_code!~\"5.*\"}[30s]))\n")
	require.Contains(t, stdout, "           metrics server: http://flagger-prometheus:9090\n")
}

func TestStatusFailuresAndUsage(t *testing.T) {
	srv, auth := ledgerServer(t)
	wrongAuth := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(wrongAuth, "username"), []byte(statusUser), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(wrongAuth, "password"), []byte("wrong-"+statusPassword), 0o600))
	badAuth := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(badAuth, "identity"), []byte("not a key"), 0o600))
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "no repo", args: []string{"status"}, wantCode: exitUsage, wantStderr: "--repo is required"},
		{name: "bad output", args: []string{"status", "--repo", "x", "-o", "json"}, wantCode: exitUsage, wantStderr: "unknown output format"},
		{name: "stray argument", args: []string{"status", "--repo", "x", "podinfo"}, wantCode: exitUsage, wantStderr: `unexpected argument "podinfo"`},
		{name: "history without canary", args: []string{"status", "history", "--repo", "x"}, wantCode: exitUsage, wantStderr: "exactly one NAMESPACE/NAME"},
		{name: "history with bad key", args: []string{"status", "history", "podinfo", "--repo", "x"}, wantCode: exitUsage, wantStderr: "is not NAMESPACE/NAME"},
		{name: "help", args: []string{"status", "-h"}, wantCode: exitOK, wantStderr: "Usage: gitcanary status"},
		{name: "wrong password", args: []string{"status", "--repo", srv.HTTPURL("config"), "--auth-dir", wrongAuth}, wantCode: exitFailure,
			wantStderr: "authentication failed"},
		{name: "no credentials", args: []string{"status", "--repo", srv.HTTPURL("config")}, wantCode: exitFailure, wantStderr: "authentication failed"},
		{name: "bad identity", args: []string{"status", "--repo", srv.HTTPURL("config"), "--auth-dir", badAuth}, wantCode: exitFailure,
			wantStderr: "identity is not a usable private key"},
		{name: "missing branch", args: []string{"status", "--repo", srv.HTTPURL("config"), "--auth-dir", auth, "--branch", "nope"},
			wantCode: exitFailure, wantStderr: "status branch not found"},
		{name: "missing local branch", args: []string{"status", "--repo", srv.RepoPath("config"), "--branch", "nope"},
			wantCode: exitFailure, wantStderr: "status branch not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tt.args...)
			require.Equal(t, tt.wantCode, code, stderr)
			require.Contains(t, stderr, tt.wantStderr)
			require.NotContains(t, stderr, statusPassword)
		})
	}
}

func TestStatusEmptyLedger(t *testing.T) {
	srv, err := gitserver.Start(gitserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	require.NoError(t, srv.CreateRepo("config", "main"))
	_, err = srv.CommitFiles(context.Background(), "config", ledger.DefaultBranch, gitserver.Change{Files: map[string][]byte{"README.md": []byte("x")}})
	require.NoError(t, err)
	code, stdout, stderr := runCmd(t, "status", "--repo", srv.HTTPURL("config"))
	require.Equal(t, exitOK, code, stderr)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "No canaries recorded on gitcanary/status.")
}
