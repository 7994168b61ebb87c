package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gitcanary/gitcanary/status/ledger"
	"github.com/gitcanary/gitcanary/status/page"
)

// runStatusServe serves the status page of the branch until ctx ends.
func runStatusServe(ctx context.Context, extra []string, f statusFlags, stdout, stderr io.Writer) int {
	switch {
	case f.repo == "":
		fmt.Fprintln(stderr, "gitcanary status serve: --repo is required")
		return exitUsage
	case len(extra) > 0:
		fmt.Fprintf(stderr, "gitcanary status serve: unexpected argument %q\n", extra[0])
		return exitUsage
	case f.refresh <= 0:
		fmt.Fprintln(stderr, "gitcanary status serve: --refresh must be positive")
		return exitUsage
	}
	src := page.Cached(page.SourceFunc(func(ctx context.Context) (*ledger.Snapshot, error) {
		return openLedger(ctx, f, true)
	}), f.refresh)
	l, err := net.Listen("tcp", f.listen)
	if err != nil {
		fmt.Fprintf(stderr, "gitcanary status serve: listen on %s: %v\n", f.listen, err)
		return exitFailure
	}
	srv := &http.Server{Handler: page.New(src, page.Options{Refresh: f.refresh}), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "serving the status page of %s (branch %s) on http://%s/\n", f.repo, f.branch, l.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "gitcanary status serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}
