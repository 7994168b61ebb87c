package gitsync

import (
	"context"
	"errors"
	"testing"

	"github.com/gitcanary/gitcanary/render"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

func gauge(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, g.Write(&m))
	return m.GetGauge().GetValue()
}

func status(l *Loop, overlay string) OverlayStatus {
	for _, st := range l.Status() {
		if st.Overlay == overlay {
			return st
		}
	}
	return OverlayStatus{}
}

// TestSyncReportsOrphanedOverlays: an overlay matched by a glob, then deleted from Git, is
// neither pruned nor forgotten: it is reported once (with its Canaries), shown as orphaned, and
// counted in gitcanary_overlay_orphaned until it comes back.
func TestSyncReportsOrphanedOverlays(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	require.NoError(t, err)
	f := &fakeFetcher{t: t}
	a := &fakeApplier{failNext: map[string]error{}}
	r := &fakeReporter{}
	l := New(f, a, Options{Overlays: []string{"apps/*"}, Reporter: r, Metrics: m, Concurrency: 1})
	ctx := context.Background()

	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(ctx))
	without := repo(nil)
	delete(without, "apps/b/cm.yaml")
	delete(without, "apps/b/canary.yaml")
	f.commit("c2", without)
	require.NoError(t, l.Sync(ctx), "an orphan is not a sync failure")
	require.Equal(t, []string{"apps/a@c1", "apps/b@c1"}, a.applied, "nothing applied, nothing emptied")
	require.Equal(t, []string{"apps/b: test/podinfo"}, r.orphaned)
	require.True(t, status(l, "apps/b").Orphaned)
	require.Equal(t, 1.0, gauge(t, m.orphaned.WithLabelValues("apps/b")))
	require.Equal(t, 0.0, gauge(t, m.orphaned.WithLabelValues("apps/a")))

	f.commit("c3", without)
	require.NoError(t, l.Sync(ctx))
	require.Len(t, r.orphaned, 1, "reported once")

	f.commit("c4", repo(nil))
	require.NoError(t, l.Sync(ctx))
	require.False(t, status(l, "apps/b").Orphaned, "back in Git")
	require.Equal(t, 0.0, gauge(t, m.orphaned.WithLabelValues("apps/b")))
}

// TestSyncOrphanOfALiteralOverlay: an overlay named literally whose folder is deleted was
// reported as a render failure; it is an orphan now, and is not rendered.
func TestSyncOrphanOfALiteralOverlay(t *testing.T) {
	f := &fakeFetcher{t: t}
	a := &fakeApplier{failNext: map[string]error{}}
	r := &fakeReporter{}
	l := New(f, a, Options{Overlays: []string{"apps/a", "apps/b", "apps/never"}, Reporter: r, Concurrency: 1})
	ctx := context.Background()
	f.commit("c1", repo(nil))
	err := l.Sync(ctx)
	require.ErrorContains(t, err, "apps/never: no such overlay folder", "a misconfigured overlay that never applied stays an error")

	f.commit("c2", map[string]string{"apps/a/cm.yaml": configMap("a", "1")})
	err = l.Sync(ctx)
	require.ErrorContains(t, err, "apps/never")
	require.NotContains(t, err.Error(), "apps/b")
	require.Equal(t, []string{"apps/b: test/podinfo"}, r.orphaned)
	require.True(t, status(l, "apps/b").Orphaned)
}

// TestSyncEmptyOverlay: an overlay that renders nothing is an error (nothing is applied, so
// nothing is pruned) unless it is marked intentionally empty, which the applier is told.
func TestSyncEmptyOverlay(t *testing.T) {
	l, f, a, r := newLoop(t)
	ctx := context.Background()
	f.commit("c1", repo(nil))
	require.NoError(t, l.Sync(ctx))

	emptied := repo(map[string]string{"apps/b/kustomization.yaml": "resources: []\n"})
	f.commit("c2", emptied)
	err := l.Sync(ctx)
	var empty *render.EmptyError
	require.True(t, errors.As(err, &empty), "%v", err)
	require.Len(t, a.applied, 2, "nothing applied")
	require.Len(t, r.failed, 1)
	require.Contains(t, r.failed[0], "apps/b: renders no objects")

	emptied["apps/b/"+render.EmptyMarker] = ""
	f.commit("c3", emptied)
	require.NoError(t, l.Sync(ctx))
	last := a.sets[len(a.sets)-1]
	require.Equal(t, "apps/b", last.Name)
	require.Empty(t, last.Objects)
	require.True(t, last.AllowEmpty)
}
