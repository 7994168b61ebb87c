package gitsync

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sync loop's own metrics: gitcanary_sync_total{result},
// gitcanary_sync_last_success_timestamp_seconds, gitcanary_sync_overlay_ready{overlay},
// gitcanary_overlay_orphaned{overlay}, gitcanary_overlay_inventory_missing_total{overlay} and
// gitcanary_drift_corrections_total{overlay}.
type Metrics struct {
	syncs       *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	overlayOK   *prometheus.GaugeVec
	orphaned    *prometheus.GaugeVec
	invMissing  *prometheus.CounterVec
	drift       *prometheus.CounterVec
}

// NewMetrics registers the sync loop's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gitcanary_sync_total", Help: "Syncs of the Git source, by result (success or failure).",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gitcanary_sync_last_success_timestamp_seconds", Help: "Time of the last sync in which every overlay was applied or unchanged.",
		}),
		overlayOK: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gitcanary_sync_overlay_ready", Help: "1 when the overlay's last revision was applied and its applied objects are ready (kstatus), 0 when it failed (the cluster keeps an older revision), is not ready yet or never became ready.",
		}, []string{"overlay"}),
		orphaned: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gitcanary_overlay_orphaned", Help: "1 while an overlay that applied objects is no longer in Git or matched by -overlays; its objects are kept.",
		}, []string{"overlay"}),
		invMissing: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gitcanary_overlay_inventory_missing_total", Help: "Applies that found the overlay's inventory ConfigMap gone although its objects carry its label (nothing was pruned).",
		}, []string{"overlay"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gitcanary_drift_corrections_total", Help: "Re-applies of an unchanged overlay that set objects changed in the cluster back to Git's version.",
		}, []string{"overlay"}),
	}
	for _, c := range []prometheus.Collector{m.syncs, m.lastSuccess, m.overlayOK, m.orphaned, m.invMissing, m.drift} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register sync metrics: %w", err)
		}
	}
	return m, nil
}

// observe records one sync: its result and the state of every overlay.
func (m *Metrics) observe(overlays []OverlayStatus, err error) {
	if m == nil {
		return
	}
	for _, o := range overlays {
		m.overlay(o)
	}
	if err != nil {
		m.syncs.WithLabelValues("failure").Inc()
		return
	}
	m.syncs.WithLabelValues("success").Inc()
	m.lastSuccess.SetToCurrentTime()
}

// overlay records the state of one overlay.
func (m *Metrics) overlay(o OverlayStatus) {
	if m == nil {
		return
	}
	ready, orphaned := 0.0, 0.0
	if o.Ready() {
		ready = 1
	}
	if o.Orphaned {
		orphaned = 1
	}
	m.overlayOK.WithLabelValues(o.Overlay).Set(ready)
	m.orphaned.WithLabelValues(o.Overlay).Set(orphaned)
}

// driftCorrected counts a drift correction.
func (m *Metrics) driftCorrected(overlay string) {
	if m == nil {
		return
	}
	m.drift.WithLabelValues(overlay).Inc()
}

// inventoryLost counts an apply that found the overlay's inventory gone.
func (m *Metrics) inventoryLost(overlay string) {
	if m == nil {
		return
	}
	m.invMissing.WithLabelValues(overlay).Inc()
}
