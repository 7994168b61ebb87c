package revert

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/render"
)

// A revert renders the overlay as the sync loop does: an A/B test on a Gateway API overlay
// whose Canary leaves spec.provider to the controller's -mesh-provider renders only with it.
func TestRenderedTemplateUsesTheSyncLoopsRenderOptions(t *testing.T) {
	ab := `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
    gatewayRefs:
      - name: gateway
        namespace: ingress
  analysis:
    interval: 15s
    threshold: 10
    iterations: 10
    match:
      - headers:
          x-canary:
            exact: insider
`
	root := writeTree(t, Files{
		"o/kustomization.yaml": []byte("resources:\n  - deployment.yaml\n  - canary.yaml\n"),
		"o/deployment.yaml":    []byte(deployment("ghcr.io/stefanprodan/podinfo:6.0.1", "")),
		"o/canary.yaml":        []byte(ab),
	})
	_, err := RenderedTemplate(root, "o", "test", "podinfo")
	require.ErrorContains(t, err, "not supported by SMI TrafficSplits", "checked as smi:crossover's without the option")
	tmpl, err := RenderedTemplate(root, "o", "test", "podinfo", render.WithDefaultProvider(v1beta1.ProviderGatewayAPIv1))
	require.NoError(t, err)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", tmpl.Spec.Containers[0].Image)
}
