package engine

import (
	"fmt"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// This file holds every event and alert text the engine produces, verbatim from Flagger
// (reference §8.1, §11). <c> is the canary's "<name>.<ns>" (Key), <t> the target's (TargetKey).

// Event texts.
const (
	msgSuspended      = "skipping canary run as object is suspended"
	msgRoutingPrimary = "Routing all traffic to primary"
	msgRoutingCanary  = "Routing all traffic to canary"
	msgStopMirroring  = "Stop traffic mirroring and route all traffic to canary"
	msgNotConfigured  = "Metric query failed for no usable metrics template and query were configured"
	// msgProvidersAvailable is the initialization event of a canary whose metrics providers
	// all answered.
	msgProvidersAvailable = "all the metrics providers are available!"
	// msgPrimaryCreated is the readiness text Flagger reports for a primary it just created.
	msgPrimaryCreated = "waiting for rollout to finish: observed deployment generation less than desired generation"
)

// Alert texts (reference §11.2).
const (
	alertNewRevision        = "New revision detected, progressing canary analysis."
	alertWaitingApproval    = "Canary is waiting for approval."
	alertWaitingTraffic     = "Canary traffic increase is waiting for approval."
	alertWaitingPromotion   = "Canary promotion is waiting for approval."
	alertManualRollback     = "Rolling back manual webhook invoked"
	alertPromotionSucceeded = "Canary analysis completed successfully, promotion finished."
	alertSkipped            = "Canary analysis was skipped, promotion finished."
)

func msgProvidersError(err error) string { return "Error checking metric providers: " + err.Error() }

func msgInvalid(err error) string { return "invalid canary spec: " + err.Error() }

func msgInitialized(c *v1beta1.Canary) string { return "Initialization done! " + c.EventName() }

func alertInitialized(c *v1beta1.Canary) string {
	return fmt.Sprintf("New %s detected, initialization completed.", c.Spec.TargetRef.Kind)
}

func msgNewRevision(c *v1beta1.Canary) string {
	return "New revision detected! Scaling up " + c.TargetEventName()
}

func msgRestart(c *v1beta1.Canary) string {
	return "New revision detected! Restarting analysis for " + c.TargetEventName()
}

func msgPrimaryNotReady(c *v1beta1.Canary, reason string) string {
	return fmt.Sprintf("%s.%s not ready: %s", c.PrimaryName(), c.Namespace, reason)
}

func msgCanaryNotReady(c *v1beta1.Canary, reason string) string {
	return fmt.Sprintf("canary deployment %s not ready: %s", c.TargetEventName(), reason)
}

func msgStarting(c *v1beta1.Canary) string {
	return "Starting canary analysis for " + c.TargetEventName()
}

func msgAdvanceWeight(c *v1beta1.Canary, w int) string {
	return fmt.Sprintf("Advance %s canary weight %d", c.EventName(), w)
}

func msgAdvanceIteration(c *v1beta1.Canary, k, n int) string {
	return fmt.Sprintf("Advance %s canary iteration %d/%d", c.EventName(), k, n)
}

func msgAdvancePrimary(c *v1beta1.Canary, w int) string {
	return fmt.Sprintf("Advance %s primary weight %d", c.EventName(), w)
}

func msgCopying(c *v1beta1.Canary) string {
	return fmt.Sprintf("Copying %s template spec to %s.%s", c.TargetEventName(), c.PrimaryName(), c.Namespace)
}

func msgPromoted(c *v1beta1.Canary) string {
	return "Promotion completed! Scaling down " + c.TargetEventName()
}

func msgSkipped(c *v1beta1.Canary) string {
	return "Promotion completed! Canary analysis was skipped for " + c.TargetEventName()
}

func msgThreshold(c *v1beta1.Canary, n int) string {
	return fmt.Sprintf("Rolling back %s failed checks threshold reached %d", c.EventName(), n)
}

func alertThreshold(n int) string { return fmt.Sprintf("Failed checks threshold reached %d", n) }

func msgManualRollback(c *v1beta1.Canary) string {
	return fmt.Sprintf("Rolling back %s manual webhook invoked", c.EventName())
}

func msgDeadline(c *v1beta1.Canary, err string) string {
	return fmt.Sprintf("Rolling back %s progress deadline exceeded %s", c.EventName(), err)
}

func alertDeadline(err string) string { return "Progress deadline exceeded " + err }

func msgCanaryFailed(c *v1beta1.Canary) string { return "Canary failed! Scaling down " + c.EventName() }

func msgPromotionFailed(c *v1beta1.Canary, err string) string {
	return fmt.Sprintf("Promotion of %s failed, primary not ready: %s", c.TargetEventName(), err)
}

func alertPromotionFailed(err string) string { return "Promotion failed, primary not ready: " + err }

func msgTerminating(c *v1beta1.Canary) string { return "Terminating canary " + c.EventName() }

func msgTerminated(c *v1beta1.Canary) string { return "Terminated canary " + c.EventName() }

// Webhook texts (reference §8.1).

func msgWaitingApproval(c *v1beta1.Canary, hook string) string {
	return fmt.Sprintf("Halt %s advancement waiting for approval %s", c.EventName(), hook)
}

func msgWaitingTraffic(c *v1beta1.Canary, hook string) string {
	return fmt.Sprintf("Halt %s advancement waiting for traffic increase approval %s", c.EventName(), hook)
}

func msgWaitingPromotion(c *v1beta1.Canary, hook string) string {
	return fmt.Sprintf("Halt %s advancement waiting for promotion approval %s", c.EventName(), hook)
}

func msgPreRolloutFailed(c *v1beta1.Canary, hook string, err error) string {
	return fmt.Sprintf("Halt %s advancement pre-rollout check %s failed %v", c.EventName(), hook, err)
}

func msgRolloutFailed(c *v1beta1.Canary, hook string, err error) string {
	return fmt.Sprintf("Halt %s advancement external check %s failed %v", c.EventName(), hook, err)
}

// msgHookPassed is the success event of a gate or pre/post-rollout webhook, e.g.
// "Pre-rollout check acceptance-test passed".
func msgHookPassed(t v1beta1.HookType, hook string) string {
	return fmt.Sprintf("%s check %s passed", hookTitle(t), hook)
}

func hookTitle(t v1beta1.HookType) string {
	switch t {
	case v1beta1.ConfirmRolloutHook:
		return "Confirm-rollout"
	case v1beta1.PreRolloutHook:
		return "Pre-rollout"
	case v1beta1.ConfirmTrafficIncreaseHook:
		return "Confirm-traffic-increase"
	case v1beta1.ConfirmPromotionHook:
		return "Confirm-promotion"
	case v1beta1.PostRolloutHook:
		return "Post-rollout"
	case v1beta1.RollbackHook:
		return "Rollback"
	default:
		return string(t)
	}
}

// msgPostRolloutFailed is the Warning event of a failing post-rollout webhook.
func msgPostRolloutFailed(hook string, err error) string {
	return fmt.Sprintf("Post-rollout hook %s failed %v", hook, err)
}

func msgRollbackNotSignaled(hook string) string {
	return fmt.Sprintf("Rollback hook %s not signaling a rollback", hook)
}
