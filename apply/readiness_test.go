package apply

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadinessOf: the kstatus rules on Deployments: rolled out is ready, a rollout under way is
// not, one past its progress deadline failed; a missing object is not ready.
func TestReadinessOf(t *testing.T) {
	ref := ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "test", Name: "backend"}
	deployment := func(status string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: test, generation: 2}
spec: {replicas: 2}
status:
` + status
	}
	tests := []struct {
		name   string
		doc    string
		want   Readiness
		prefix string
	}{
		{name: "rolled out", doc: deployment(`  observedGeneration: 2
  replicas: 2
  updatedReplicas: 2
  readyReplicas: 2
  availableReplicas: 2
  conditions: [{type: Available, status: "True"}, {type: Progressing, status: "True", reason: NewReplicaSetAvailable}]
`), want: Readiness{Ready: true}},
		{name: "not observed yet", doc: deployment("  observedGeneration: 1\n"), prefix: "Deployment test/backend: InProgress"},
		{name: "rolling out", doc: deployment(`  observedGeneration: 2
  replicas: 2
  updatedReplicas: 1
  readyReplicas: 1
  availableReplicas: 1
  conditions: [{type: Progressing, status: "True", reason: ReplicaSetUpdated}]
`), prefix: "Deployment test/backend: InProgress"},
		{name: "past its progress deadline", doc: deployment(`  observedGeneration: 2
  replicas: 2
  updatedReplicas: 1
  conditions: [{type: Progressing, status: "False", reason: ProgressDeadlineExceeded}]
`), prefix: "Deployment test/backend: Progress deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadinessOf(ref, decode(t, tt.doc))
			require.NoError(t, err)
			if tt.prefix == "" {
				require.Equal(t, tt.want, got)
				return
			}
			require.False(t, got.Ready)
			require.Contains(t, got.Message, tt.prefix)
			require.Equal(t, tt.name == "past its progress deadline", got.Failed)
		})
	}
	got, err := ReadinessOf(ref, nil)
	require.NoError(t, err)
	require.Equal(t, Readiness{Message: "Deployment test/backend: not found"}, got)
}
