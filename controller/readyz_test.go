package controller

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/gitsync"
)

func TestWriteOverlays(t *testing.T) {
	var b strings.Builder
	writeOverlays(&b, []gitsync.OverlayStatus{
		{Overlay: "apps/a", Revision: "3f2a1c9e5b7d4a1f", Result: gitsync.ResultApplied, Health: gitsync.Health{State: gitsync.HealthHealthy}},
		{Overlay: "apps/b", Revision: "3f2a1c9e5b7d4a1f", Result: gitsync.ResultFailed, Err: errors.New("overlay apps/b at 5e6f7a8: spec.analysis.stepWeight")},
		{Overlay: "apps/c", Revision: "3f2a1c9e5b7d4a1f", Result: gitsync.ResultDriftCorrected,
			Health: gitsync.Health{State: gitsync.HealthUnhealthy, Message: "not ready after 5m0s: Deployment test/c: Replicas: 0/1"}},
	})
	require.Equal(t, `[+]caches ok
[+]overlay apps/a Applied Healthy at 3f2a1c9
[-]overlay apps/b Failed at 3f2a1c9: overlay apps/b at 5e6f7a8: spec.analysis.stepWeight
[-]overlay apps/c DriftCorrected Unhealthy at 3f2a1c9: not ready after 5m0s: Deployment test/c: Replicas: 0/1
readyz check passed
`, b.String())
}
