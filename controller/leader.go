package controller

import (
	"context"
	"fmt"
	"os"

	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// leaseName is the leader election Lease; a shard's is leaseName-<shard name>.
const leaseName = "gitcanary-leader-election"

// whenLeading runs fn: at once without leader election, otherwise while this process holds the
// Lease (its shard's, when sharded). Losing the Lease ends fn's context and returns an error, so the process exits and a
// fresh start resumes from the Canaries' status.
func (c *Controller) whenLeading(ctx context.Context, fn func(ctx context.Context) error) error {
	le := c.opts.LeaderElection
	if !le.Enabled {
		return fn(ctx)
	}
	ns := le.Namespace
	sh, _ := parseShard(c.opts.Shard) // validated by New
	lease := sh.leaseName()
	id, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("leader election identity: %w", err)
	}
	id = fmt.Sprintf("%s_%d", id, os.Getpid())
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, ns, lease, c.clients.kube.CoreV1(), c.clients.kube.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: id})
	if err != nil {
		return fmt.Errorf("leader election lock %s/%s: %w", ns, lease, err)
	}
	var runErr error
	lost := false
	leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   le.LeaseDuration,
		RenewDeadline:   le.RenewDeadline,
		RetryPeriod:     le.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            lease,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				c.log.Info("became the leader", "lease", ns+"/"+lease, "identity", id)
				runErr = fn(ctx)
			},
			OnStoppedLeading: func() {
				lost = ctx.Err() == nil
			},
		},
	})
	if lost {
		return fmt.Errorf("lost the leader Lease %s/%s", ns, lease)
	}
	return runErr
}
