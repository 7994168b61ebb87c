package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serveHTTP serves /metrics, /healthz and /readyz on -listen-address until ctx ends.
func (c *controller) serveHTTP(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(c.registry, promhttp.HandlerOpts{Registry: c.registry}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !c.ready.Load() {
			http.Error(w, "caches not synced (or not the leader yet)", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	lis, err := net.Listen("tcp", c.cfg.listenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.cfg.listenAddr, err)
	}
	c.log.Info("serving metrics and health", "address", lis.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", c.cfg.listenAddr, err)
	}
	return nil
}

// syncMetrics are the sync loop's own metrics.
type syncMetrics struct {
	syncs       *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	overlayOK   *prometheus.GaugeVec
}

func newSyncMetrics(reg prometheus.Registerer) *syncMetrics {
	m := &syncMetrics{
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
	reg.MustRegister(m.syncs, m.lastSuccess, m.overlayOK)
	return m
}

func (m *syncMetrics) observe(overlays []gitsync.OverlayStatus, err error) {
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
