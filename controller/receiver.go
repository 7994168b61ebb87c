package controller

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/receiver"
)

// receiverSecretKey is the key of the push receiver's Secret, as in Flux's Receiver Secrets.
const receiverSecretKey = "token"

// newReceiver builds the push receiver from its Secret (read once), or returns nil when it is
// off. A push of the synced ref triggers the sync; one of the status branch reads the gates.
func newReceiver(ctx context.Context, cl *clients, sy *syncer, refreshGates func(), opts Options, log logr.Logger) (*receiver.Receiver, error) {
	ro := opts.Receiver
	if ro.Address == "" {
		return nil, nil
	}
	data, err := cl.secretData(ctx, ro.Secret)
	if err != nil {
		return nil, fmt.Errorf("push receiver: %w", err)
	}
	secret := data[receiverSecretKey]
	if len(secret) == 0 {
		return nil, fmt.Errorf("push receiver: Secret %s has no key %q", ro.Secret, receiverSecretKey)
	}
	statusBranch := opts.Ledger.Branch
	if opts.Ledger.Disabled {
		statusBranch = ""
	}
	return receiver.New(receiver.Options{Secret: secret, Branch: opts.Ref.Branch, Tag: opts.Ref.Tag, StatusBranch: statusBranch,
		Sync: sy.scheduler.Trigger, Gates: refreshGates, Log: log.WithName("receiver")})
}

// serveReceiver serves the push receiver on its own address until ctx ends.
func (c *Controller) serveReceiver(ctx context.Context) error {
	addr := c.opts.Receiver.Address
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("push receiver: listen on %s: %w", addr, err)
	}
	c.log.Info("serving the push receiver", "address", lis.Addr().String())
	srv := &http.Server{Handler: c.receiver.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("push receiver: serve %s: %w", addr, err)
	}
	return nil
}
