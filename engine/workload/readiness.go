package workload

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/gitcanary/gitcanary/engine"
)

// readiness judges a Deployment as Flagger's isDeploymentReady does (reference §4.3), with the
// given ready threshold (percent) and the canary's progress deadline. The message carries no
// object prefix: the engine adds it.
func readiness(dep *appsv1.Deployment, threshold int, deadline time.Duration, now time.Time) engine.Readiness {
	if dep.Generation > dep.Status.ObservedGeneration {
		return waiting("waiting for rollout to finish: observed deployment generation less than desired generation", true)
	}
	progress := condition(dep.Status, appsv1.DeploymentProgressing)
	retriable := true
	if progress != nil {
		// Stuck: the Deployment has lacked its minimum replicas for longer than the deadline.
		if a := condition(dep.Status, appsv1.DeploymentAvailable); a != nil &&
			a.Status == corev1.ConditionFalse && a.Reason == "MinimumReplicasUnavailable" {
			retriable = !a.LastUpdateTime.Add(deadline).Before(now)
		}
		if progress.Reason == "ProgressDeadlineExceeded" {
			return waiting(fmt.Sprintf("deployment %q exceeded its progress deadline", dep.Name), false)
		}
	}
	st := dep.Status
	if r := dep.Spec.Replicas; r != nil && st.UpdatedReplicas < *r {
		return waiting(fmt.Sprintf("waiting for rollout to finish: %d out of %d new replicas have been updated",
			st.UpdatedReplicas, *r), retriable)
	}
	if st.Replicas > st.UpdatedReplicas {
		return waiting(fmt.Sprintf("waiting for rollout to finish: %d old replicas are pending termination",
			st.Replicas-st.UpdatedReplicas), retriable)
	}
	// Flagger computes the threshold in float32 and truncates; so does this, to the same count.
	ratio := float32(threshold) / float32(100)
	needed := int32(float32(st.UpdatedReplicas) * ratio)
	if st.AvailableReplicas < needed {
		return waiting(fmt.Sprintf("waiting for rollout to finish: %d of %d (readyThreshold %d%%) updated replicas are available",
			st.AvailableReplicas, needed, threshold), retriable)
	}
	return engine.Readiness{Ready: true, Retriable: true}
}

func waiting(msg string, retriable bool) engine.Readiness {
	return engine.Readiness{Message: msg, Retriable: retriable}
}

func condition(st appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}
