package controller

import (
	"context"
	"fmt"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// newLedger creates the status ledger, or returns nil when it is disabled. A signing key is
// read from its Secret once; its signer is returned too (revert commits use it).
func newLedger(ctx context.Context, cl *clients, remote gitsource.Remote, opts Options, log logr.Logger) (*ledger.Ledger, git.Signer, error) {
	lo := opts.Ledger
	if lo.Disabled {
		return nil, nil, nil
	}
	lopts := ledger.Options{
		Branch:            lo.Branch,
		SourceBranch:      opts.Ref.Branch,
		AllowSourceBranch: lo.AllowSourceBranch,
		Window:            lo.Window,
		Author:            lo.Author,
		Log:               log.WithName("ledger"),
	}
	if lo.SigningKeySecret != "" {
		data, err := cl.secretData(ctx, lo.SigningKeySecret)
		if err != nil {
			return nil, nil, err
		}
		if lopts.Signer, err = ledger.NewSigner(data); err != nil {
			return nil, nil, fmt.Errorf("signing key Secret %s: %w", lo.SigningKeySecret, err)
		}
	}
	l, err := ledger.New(remote, lopts)
	if err != nil {
		return nil, nil, fmt.Errorf("status ledger: %w", err)
	}
	return l, lopts.Signer, nil
}

// registerLedgerMetrics serves the ledger's queue on /metrics: gitcanary_ledger_pending_transitions
// (waiting to be committed) and gitcanary_ledger_dropped_transitions (refused by a full queue).
func registerLedgerMetrics(reg prometheus.Registerer, l *ledger.Ledger) error {
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gitcanary_ledger_pending_transitions",
			Help: "Canary transitions waiting to be committed to the status branch."}, func() float64 { return float64(l.Pending()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gitcanary_ledger_dropped_transitions_total",
			Help: "Canary transitions the ledger refused because its queue was full."}, func() float64 { return float64(l.Dropped()) }),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register ledger metrics: %w", err)
		}
	}
	return nil
}

// runLedger commits transitions until ctx ends, then pushes what is left within timeout.
func runLedger(ctx context.Context, l *ledger.Ledger, timeout time.Duration, log logr.Logger) error {
	err := l.Run(ctx)
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if ferr := l.Flush(flushCtx); ferr != nil {
		log.Error(ferr, "ledger transitions left unpushed at shutdown", "pending", l.Pending())
	}
	return err
}
