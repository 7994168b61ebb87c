//go:build e2e

package scenarios

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
	"github.com/stretchr/testify/require"
)

// thenKubectlShowsCanary checks what users see with the real kubectl: the printer columns of
// `kubectl get canaries -A`, and `kubectl wait --for=condition=promoted`.
func (s *scenario) thenKubectlShowsCanary(phase string) {
	s.t.Helper()
	out, err := s.env.Kubectl(s.ctx, "get", "canaries", "-A")
	require.NoError(s.t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Regexp(s.t, `^NAMESPACE\s+NAME\s+STATUS\s+WEIGHT\s+LASTTRANSITIONTIME$`, lines[0])
	var row string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, s.ns+" ") {
			row = l
		}
	}
	require.Regexp(s.t, `^`+s.ns+`\s+podinfo\s+`+phase+`\s+0\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, row, out)

	out, err = s.env.Kubectl(s.ctx, "wait", "-n", s.ns, "canary/podinfo", "--for=condition=promoted", "--timeout=60s")
	require.NoError(s.t, err)
	require.Contains(s.t, out, "condition met")
}

// thenMetricsShow scrapes the controller's /metrics until every wanted sample line is there.
func (s *scenario) thenMetricsShow(samples ...string) {
	s.t.Helper()
	s.eventually(30*time.Second, "metrics", func() (bool, string) {
		resp, err := http.Get(s.ctrl.MetricsURL + "/metrics")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return false, err.Error()
		}
		for _, want := range samples {
			if !strings.Contains(string(body), "\n"+want+"\n") {
				return false, "missing " + want
			}
		}
		return true, ""
	})
}

// thenLedgerMatches reads the status branch back and checks that the canary's file matches its
// status in the cluster, and that the history holds the transitions of the analysis.
func (s *scenario) thenLedgerMatches(wantPhases ...string) ledger.Status {
	s.t.Helper()
	remote := gitsource.Remote{URL: s.git.HTTPURL(walkthrough.RepoName), Auth: gitsource.Auth{Username: gitUser, Password: gitPassword}}
	var st ledger.Status
	s.eventually(time.Minute, "the ledger to match the cluster", func() (bool, string) {
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		snap, err := ledger.OpenRemote(s.ctx, remote, walkthrough.StatusBranch, false)
		if err != nil {
			return false, err.Error()
		}
		statuses, err := snap.Statuses()
		if err != nil {
			return false, err.Error()
		}
		for _, x := range statuses {
			if x.Namespace == s.ns && x.Name == "podinfo" {
				st = x
			}
		}
		ok := st.Phase == string(c.Status.Phase) && st.Weight == c.Status.CanaryWeight && st.FailedChecks == c.Status.FailedChecks
		return ok, "ledger " + st.Phase + ", cluster " + string(c.Status.Phase)
	})
	require.NotEmpty(s.t, st.Events, "the ledger keeps the last events")

	snap, err := ledger.OpenRemote(s.ctx, remote, walkthrough.StatusBranch, true)
	require.NoError(s.t, err)
	history, err := snap.History(s.ns + "/podinfo")
	require.NoError(s.t, err)
	var phases []string
	for i := len(history) - 1; i >= 0; i-- { // oldest first
		phases = append(phases, history[i].Phase)
	}
	requireInOrder(s.t, phases, wantPhases)

	// And gitcanary status prints the table users read in Git
	cmd := exec.CommandContext(context.Background(), controllerBin, "status", "--repo", s.git.RepoPath(walkthrough.RepoName), "--branch", walkthrough.StatusBranch)
	out, err := cmd.CombinedOutput()
	require.NoError(s.t, err, string(out))
	require.Regexp(s.t, `(?m)^`+s.ns+`\s+podinfo\s+`+st.Phase+`\s`, string(out))
	return st
}
