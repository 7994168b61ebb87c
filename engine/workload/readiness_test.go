package workload

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/engine"
)

func TestReadiness(t *testing.T) {
	progressing := appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated"}
	unavailableSince := func(d time.Duration) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{
			Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable",
			LastUpdateTime: metav1.NewTime(now.Add(-d)),
		}
	}
	tests := []struct {
		name      string
		spec      int32
		gen       int64
		status    appsv1.DeploymentStatus
		threshold int
		want      engine.Readiness
	}{
		{
			name: "ready", spec: 2, threshold: 100,
			status: appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2},
			want:   engine.Readiness{Ready: true, Retriable: true},
		},
		{
			name: "generation not observed", spec: 2, gen: 3, threshold: 100,
			status: appsv1.DeploymentStatus{ObservedGeneration: 2},
			want:   engine.Readiness{Message: "waiting for rollout to finish: observed deployment generation less than desired generation", Retriable: true},
		},
		{
			name: "progress deadline exceeded is not retriable", spec: 2, threshold: 100,
			status: appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"},
			}},
			want: engine.Readiness{Message: `deployment "podinfo" exceeded its progress deadline`, Retriable: false},
		},
		{
			name: "replicas not updated", spec: 2, threshold: 100,
			status: appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 1, AvailableReplicas: 1},
			want:   engine.Readiness{Message: "waiting for rollout to finish: 1 out of 2 new replicas have been updated", Retriable: true},
		},
		{
			name: "old replicas pending termination", spec: 2, threshold: 100,
			status: appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 2, AvailableReplicas: 2},
			want:   engine.Readiness{Message: "waiting for rollout to finish: 1 old replicas are pending termination", Retriable: true},
		},
		{
			name: "updated replicas not available", spec: 1, threshold: 100,
			status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1},
			want:   engine.Readiness{Message: "waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated replicas are available", Retriable: true},
		},
		{
			name: "ready threshold truncates", spec: 4, threshold: 50,
			status: appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 4, AvailableReplicas: 2},
			want:   engine.Readiness{Ready: true, Retriable: true},
		},
		{
			name: "below ready threshold", spec: 4, threshold: 75,
			status: appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 4, AvailableReplicas: 2},
			want:   engine.Readiness{Message: "waiting for rollout to finish: 2 of 3 (readyThreshold 75%) updated replicas are available", Retriable: true},
		},
		{
			name: "unavailable within the canary deadline is retriable", spec: 1, threshold: 100,
			status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, Conditions: []appsv1.DeploymentCondition{progressing, unavailableSince(5 * time.Minute)}},
			want:   engine.Readiness{Message: "waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated replicas are available", Retriable: true},
		},
		{
			name: "unavailable past the canary deadline is not retriable", spec: 1, threshold: 100,
			status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, Conditions: []appsv1.DeploymentCondition{progressing, unavailableSince(11 * time.Minute)}},
			want:   engine.Readiness{Message: "waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated replicas are available", Retriable: false},
		},
		{
			name: "past the deadline but available is ready", spec: 1, threshold: 100,
			status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1, Conditions: []appsv1.DeploymentCondition{progressing, unavailableSince(time.Hour)}},
			want:   engine.Readiness{Ready: true, Retriable: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dep := newTarget(withReplicas(ptr.To(tt.spec)))
			dep.Generation = tt.gen
			dep.Status = tt.status
			if dep.Status.ObservedGeneration == 0 {
				dep.Status.ObservedGeneration = tt.gen
			}
			got := readiness(dep, tt.threshold, 10*time.Minute, now)
			require.Equal(t, tt.want, got)
		})
	}
}
