//go:build e2e

package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
)

// TestLeaderElection: of two controllers with leader election, one works and the other waits;
// when the leader dies, the other takes the Lease over and carries on.
func TestLeaderElection(t *testing.T) {
	election := []string{"-enable-leader-election", "-leader-election-lease-duration", "4s",
		"-leader-election-renew-deadline", "3s", "-leader-election-retry-period", "500ms"}
	leads := func(c *walkthrough.Controller) bool { return strings.Contains(c.Log(), `"msg":"became the leader"`) }

	// Given two controllers with leader election, and podinfo pushed
	s := given(t)
	s.push("podinfo 6.0.0", s.podinfoOverlay())
	a := s.startController(election...)
	b := s.startController(election...)
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

	// Then exactly one of them leads
	leader, standby := a, b
	if leads(b) {
		leader, standby = b, a
	}
	require.True(t, leads(leader))
	require.False(t, leads(standby), "only one controller leads")
	require.NotContains(t, standby.Log(), `"msg":"overlay applied"`, "the standby applies nothing")

	// When the leader dies and a new version is pushed
	leader.Kill()
	s.ctrl = standby
	s.push("podinfo 6.0.1", s.podinfoOverlay().Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then the standby takes over and promotes it
	s.eventually(time.Minute, "the standby to lead", func() (bool, string) { return leads(standby), "standing by" })
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", s.primaryImage())
}
