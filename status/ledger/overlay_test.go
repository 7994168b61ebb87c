package ledger

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	testingclock "k8s.io/utils/clock/testing"
)

// TestOverlayRecords: overlay records become overlays/<id>.yaml files, a STATUS.md section and
// commit lines with trailers; a canary transition in the same commit keeps its line and block;
// a later record of an overlay replaces its file; the snapshot reads them back.
func TestOverlayRecords(t *testing.T) {
	srv := newServer(t)
	clk := testingclock.NewFakeClock(t0)
	l := newLedger(t, srv, Options{Clock: clk})
	const commit = "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d"

	// A commit of overlays only
	require.NoError(t, l.RecordOverlay(Overlay{Path: "apps/podinfo", Commit: commit, Result: OverlayApplied, Applied: 5, Pruned: 1, Health: "Progressing"}))
	require.NoError(t, l.RecordOverlay(Overlay{Path: "apps/broken", Commit: commit, Result: OverlayFailed,
		Reason: "overlay apps/broken at 5e6f7a8: Canary test/b: spec.analysis.stepWeight: Invalid value: 500"}))
	require.NoError(t, l.RecordOverlay(Overlay{Path: "apps/podinfo", Commit: commit, Result: OverlayApplied, Applied: 5, Pruned: 1, Health: "Healthy"}))
	require.NoError(t, l.Flush(testContext(t)))
	s := branchHistory(t, srv, DefaultBranch)
	require.Equal(t, "2 overlays: 1 Applied, 1 Failed\n\n"+
		"overlay apps/podinfo: Applied (source 3f2a1c9)\n"+
		"overlay apps/broken: Failed: overlay apps/broken at 5e6f7a8: Canary test/b: spec.analysis.stepWeight: Invalid value: 500 (source 3f2a1c9)\n\n"+
		"Overlay: apps/podinfo\nOverlay-Result: Applied\nOverlay-Commit: "+commit+"\n"+
		"Overlay: apps/broken\nOverlay-Result: Failed\nOverlay-Commit: "+commit+"\n", s.head.Message)
	f, err := s.head.File(overlayPath("apps/podinfo"))
	require.NoError(t, err)
	content, err := f.Contents()
	require.NoError(t, err)
	require.Equal(t, `overlay: apps/podinfo
commit: 3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d
result: Applied
applied: 5
pruned: 1
health: Healthy
time: 2026-11-01T10:00:00Z
`, content)

	// A drift correction committed with a canary's transition
	clk.Step(time.Minute)
	require.NoError(t, l.Record(transition("test", "podinfo", "Succeeded", 0, "Promotion completed! Scaling down podinfo.test")))
	require.NoError(t, l.RecordOverlay(Overlay{Path: "apps/podinfo", Commit: commit, Result: OverlayDriftCorrected, Applied: 5, Pruned: 1,
		Health: "Healthy", Drift: []string{"Deployment test/podinfo: spec.template.spec.containers[name=podinfo].image"}}))
	require.NoError(t, l.Flush(testContext(t)))
	s = branchHistory(t, srv, DefaultBranch)
	msg := s.head.Message
	require.True(t, strings.HasPrefix(msg, "1 canaries: 1 Succeeded\n\ntest/podinfo: Succeeded (promoted"), msg)
	require.Contains(t, msg, "\noverlay apps/podinfo: Drift corrected (Deployment test/podinfo: spec.template.spec.containers[name=podinfo].image, source 3f2a1c9)\n")
	trailers := ParseTrailers(msg)
	require.Len(t, trailers, 1, "overlay trailers are no canary's")
	require.Equal(t, "Succeeded", trailers[0].Phase)
	require.Contains(t, msg, "Overlay: apps/podinfo\nOverlay-Result: DriftCorrected\n")

	table, err := s.head.File(TableFile)
	require.NoError(t, err)
	md, err := table.Contents()
	require.NoError(t, err)
	require.Contains(t, md, "| test | podinfo | Succeeded |")
	require.Contains(t, md, "## Overlays\n")
	require.Contains(t, md, "| OVERLAY | COMMIT | RESULT | APPLIED | PRUNED | HEALTH | TIME |\n")
	require.Contains(t, md, "| apps/broken | 3f2a1c9 | Failed: overlay apps/broken at 5e6f7a8: Canary test/b: spec.analysis.stepWeig... | 0 | 0 |  | 2026-11-01T10:00:00Z |\n", "long reasons are cut in the table")
	require.Contains(t, md, "| apps/podinfo | 3f2a1c9 | Drift corrected | 5 | 1 | Healthy | 2026-11-01T10:01:00Z |\n")

	got, err := s.Overlays()
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "apps/broken", got[0].Path)
	require.Equal(t, OverlayDriftCorrected, got[1].Result)
	require.Equal(t, []string{"Deployment test/podinfo: spec.template.spec.containers[name=podinfo].image"}, got[1].Drift)
}

// TestTableWithoutOverlaysIsUnchanged: a branch without overlay records renders STATUS.md as
// before overlays existed.
func TestTableWithoutOverlaysIsUnchanged(t *testing.T) {
	md := string(markdownTable([]Row{{Namespace: "test", Name: "podinfo", Status: "Succeeded"}}, nil))
	require.NotContains(t, md, "Overlays")
	require.True(t, strings.HasSuffix(md, "| test | podinfo | Succeeded | 0 |  |  |\n"), md)
}

func TestRecordOverlayRejectsBadInput(t *testing.T) {
	l := newLedger(t, newServer(t), Options{})
	require.ErrorIs(t, l.RecordOverlay(Overlay{Result: OverlayApplied}), ErrInvalidTransition)
	require.ErrorIs(t, l.RecordOverlay(Overlay{Path: "apps/a"}), ErrInvalidTransition)
}
