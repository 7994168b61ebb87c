package controller

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
	"github.com/gitcanary/gitcanary/status/page"
)

// serveHTTP serves /metrics, /healthz, /readyz and the status page (/status/) on the listen
// address until ctx ends, and with Options.Pprof Go's profiles under /debug/pprof/.
func (c *Controller) serveHTTP(ctx context.Context) error {
	lis, err := net.Listen("tcp", c.opts.ListenAddress)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.opts.ListenAddress, err)
	}
	c.log.Info("serving metrics and health", "address", lis.Addr().String(), "pprof", c.opts.Pprof)
	srv := &http.Server{Handler: c.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", c.opts.ListenAddress, err)
	}
	return nil
}

// handler routes the controller's HTTP endpoints.
func (c *Controller) handler() http.Handler {
	mux := http.NewServeMux()
	if c.opts.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(c.registry, promhttp.HandlerOpts{Registry: c.registry}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !c.ready.Load() {
			http.Error(w, "caches not synced (or not the leader yet)", http.StatusServiceUnavailable)
			return
		}
		if _, verbose := r.URL.Query()["verbose"]; verbose {
			writeOverlays(w, c.sync.loop.Status())
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if c.page != nil {
		mux.Handle("/status/", http.StripPrefix("/status", c.page))
	}
	return mux
}

// statusPageTTL is how often the controller's status page reads the status branch again.
const statusPageTTL = 10 * time.Second

// statusPage is the status page over the status branch of remote, fetched (with its history)
// at most every statusPageTTL; nil when the ledger is disabled.
func statusPage(remote gitsource.Remote, opts Options) http.Handler {
	if opts.Ledger.Disabled {
		return nil
	}
	src := page.Cached(page.SourceFunc(func(ctx context.Context) (*ledger.Snapshot, error) {
		return ledger.OpenRemote(ctx, remote, opts.Ledger.Branch, true)
	}), statusPageTTL)
	return page.New(src, page.Options{Refresh: statusPageTTL})
}
