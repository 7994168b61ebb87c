package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeRepo creates a repository root in a temp dir with the given files (path → content).
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return root
}

const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: test
resources:
  - deployment.yaml
  - canary.yaml
`

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      containers:
        - name: podinfod
          image: ghcr.io/stefanprodan/podinfo:6.0.0
`

const canary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  provider: smi:crossover
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 5
`

// overlay returns the files of a valid overlay, with files replaced or added by extra.
func overlay(extra map[string]string) map[string]string {
	files := map[string]string{
		"apps/podinfo/kustomization.yaml": kustomization,
		"apps/podinfo/deployment.yaml":    deployment,
		"apps/podinfo/canary.yaml":        canary,
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

// withCanary returns an overlay whose Canary's analysis (indented under spec) is replaced.
func withCanarySpec(spec string) map[string]string {
	return overlay(map[string]string{"apps/podinfo/canary.yaml": `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
` + spec})
}
func ptr[T any](v T) *T { return &v }
