package engine

import (
	"context"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// act executes a decision's actions in order through the ports. The first failing action is
// recorded as a Warning event with its error and ends the tick; its error is returned.
// Notifications, events and post-rollout hooks never fail a tick. stored is the Canary as read,
// for writes to the Canary itself; c is what the other ports see.
func (r *Reconciler) act(ctx context.Context, stored, c *v1beta1.Canary, actions []Action, rec Recorder, log logr.Logger) error {
	for _, a := range actions {
		if err := r.do(ctx, stored, c, a, rec, log); err != nil {
			log.Error(err, "canary action failed", "action", a.String(), "phase", c.Status.Phase)
			rec.Event(ctx, c, corev1.EventTypeWarning, err.Error())
			return err
		}
	}
	return nil
}

func (r *Reconciler) do(ctx context.Context, stored, c *v1beta1.Canary, a Action, rec Recorder, log logr.Logger) error {
	p := r.ports
	switch a.Kind {
	case ActEnsurePrimary:
		return p.Workloads.EnsurePrimary(ctx, c)
	case ActReconcileRouter:
		return p.Router.Reconcile(ctx, c)
	case ActSetRoutes:
		return p.Router.SetRoutes(ctx, c, Routes{Primary: a.Primary, Canary: a.Canary, Mirror: a.Mirror})
	case ActScaleToZero:
		return p.Scaler.ScaleToZero(ctx, c)
	case ActScaleFromZero:
		return p.Scaler.ScaleFromZero(ctx, c)
	case ActPromote:
		return p.Workloads.Promote(ctx, c)
	case ActSyncPrimaryAutoscaler:
		return p.Workloads.SyncPrimaryAutoscaler(ctx, c)
	case ActRevert:
		return p.Scaler.Revert(ctx, c)
	case ActFinalizeRouter:
		return p.Router.Finalize(ctx, c)
	case ActSetFinalizer:
		return p.Canaries.SetFinalizer(ctx, stored, a.Finalizer)
	case ActRestoreTarget:
		if r.desired != nil {
			return r.desired.RestoreTarget(ctx, c)
		}
	case ActRecordEvent:
		rec.Event(ctx, inPhase(c, a.Phase), a.Event.Type, a.Event.Message)
	case ActNotify:
		if err := p.Notifier.Notify(ctx, c, a.Notification); err != nil {
			log.Error(err, "canary notification failed", "phase", c.Status.Phase)
		}
	case ActPostRolloutHooks:
		r.postRolloutHooks(ctx, inPhase(c, a.Phase), rec)
	}
	return nil
}

// postRolloutHooks calls the post-rollout webhooks in order with the canary's phase (Succeeded
// or Failed) and records the outcome of each; the first failure ends the list.
func (r *Reconciler) postRolloutHooks(ctx context.Context, c *v1beta1.Canary, rec Recorder) {
	for _, h := range c.Webhooks(v1beta1.PostRolloutHook) {
		if err := r.ports.Hooks.Call(ctx, c, h, c.Status.Phase); err != nil {
			rec.Event(ctx, c, corev1.EventTypeWarning, msgPostRolloutFailed(h.Name, err))
			return
		}
		rec.Event(ctx, c, corev1.EventTypeNormal, msgHookPassed(v1beta1.PostRolloutHook, h.Name))
	}
}

// inPhase returns the canary as event webhooks should see it: in the given phase.
func inPhase(c *v1beta1.Canary, phase v1beta1.CanaryPhase) *v1beta1.Canary {
	if phase == "" || phase == c.Status.Phase {
		return c
	}
	cp := *c
	cp.Status.Phase = phase
	return &cp
}
