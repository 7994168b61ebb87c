package gitsync

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sync loop's own metrics: gitcanary_sync_total{result},
// gitcanary_sync_last_success_timestamp_seconds and gitcanary_sync_overlay_ready{overlay}.
type Metrics struct {
	syncs       *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	overlayOK   *prometheus.GaugeVec
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
			Name: "gitcanary_sync_overlay_ready", Help: "1 when the overlay's last revision was applied, 0 when it failed and the cluster keeps an older one.",
		}, []string{"overlay"}),
	}
	for _, c := range []prometheus.Collector{m.syncs, m.lastSuccess, m.overlayOK} {
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
		v := 1.0
		if o.Err != nil {
			v = 0
		}
		m.overlayOK.WithLabelValues(o.Overlay).Set(v)
	}
	if err != nil {
		m.syncs.WithLabelValues("failure").Inc()
		return
	}
	m.syncs.WithLabelValues("success").Inc()
	m.lastSuccess.SetToCurrentTime()
}
