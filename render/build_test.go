package render

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
)

func objectNames(b *Bundle) []string {
	var names []string
	for _, o := range b.Objects {
		names = append(names, ObjectName(o))
	}
	return names
}

func TestBuildPodinfoExample(t *testing.T) {
	b, err := Build("..", "manifests/examples/podinfo")
	require.NoError(t, err)
	require.Equal(t, []string{
		"Namespace test",
		"Deployment test/podinfo",
		"HorizontalPodAutoscaler test/podinfo",
		"MetricTemplate test/error-rate",
		"MetricTemplate test/latency",
		"Canary test/podinfo",
	}, objectNames(b))
	require.Empty(t, b.Warnings)
	require.Len(t, b.Canaries, 1)
	require.Len(t, b.MetricTemplates, 2)
	require.Len(t, b.Workloads, 3)

	c := b.Canaries[0]
	require.Equal(t, "smi:crossover", c.Spec.Provider)
	require.Equal(t, "autoscaling/v2beta1", c.Spec.AutoscalerRef.APIVersion)
	require.Equal(t, v1beta1.AutoscalingV2, c.Spec.AutoscalerRef.HPAAPIVersion())
	require.Equal(t, 500.0, *c.Spec.Analysis.Metrics[1].ThresholdRange.Max, "latency threshold is in ms")
	_, found, _ := unstructuredInt(b.Workloads[1].Object, "spec", "replicas")
	require.False(t, found, "the Deployment must not set spec.replicas")
}

func unstructuredInt(obj map[string]any, fields ...string) (int64, bool, error) {
	cur := any(obj)
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return 0, false, nil
		}
		cur, ok = m[f]
		if !ok {
			return 0, false, nil
		}
	}
	n, ok := cur.(int64)
	return n, ok, nil
}

func TestSeedFixture(t *testing.T) {
	b, err := Build("testdata", "seed")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"MetricTemplate test/error-rate", "MetricTemplate test/latency", "Canary test/podinfo"}, objectNames(b))
	c := b.Canaries[0]
	require.Equal(t, 0.5, *c.Spec.Analysis.Metrics[1].ThresholdRange.Max)
	require.Equal(t, v1beta1.PreRolloutHook, c.Spec.Analysis.Webhooks[0].Type)
	require.Equal(t, "hey -z 1m -q 10 -c 2 -H 'Host: podinfo.test' http://envoy.test:10000/", c.Spec.Analysis.Webhooks[1].Metadata["cmd"])
	require.Equal(t, "http://flagger-prometheus:9090", b.MetricTemplates[0].Spec.Provider.Address)
	// The tutorial installs podinfo from another repository: the target and the HPA are
	// warnings, not errors (the lints that follow are TestLintSeed's).
	require.Equal(t, []string{
		"Canary test/podinfo: spec.targetRef: Deployment test/podinfo is not in this overlay; it must exist in the cluster",
		"Canary test/podinfo: spec.autoscalerRef: HorizontalPodAutoscaler test/podinfo is not in this overlay; it must exist in the cluster",
	}, b.Warnings[:2])
}

func TestBuildWarnsAboutMissingReferences(t *testing.T) {
	root := writeRepo(t, withCanarySpec(`  provider: smi:crossover
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 9898}
  analysis:
    interval: 1m
    threshold: 5
    stepWeight: 5
    metrics:
      - name: error-rate
        templateRef: {name: error-rate, namespace: monitoring}
    alerts:
      - name: on-call
        providerRef: {name: slack}
`))
	b, err := Build(root, "apps/podinfo")
	require.NoError(t, err)
	require.Equal(t, []string{
		"Canary test/podinfo: spec.analysis.metrics[0].templateRef: MetricTemplate monitoring/error-rate is not in this overlay; it must exist in the cluster",
		"Canary test/podinfo: spec.analysis.alerts[0].providerRef: AlertProvider test/slack is not in this overlay; it must exist in the cluster",
	}, b.Warnings)
}

func TestPlainFolder(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"plain/deployment.yaml":             deployment,
		"plain/canary.yml":                  canary,
		"plain/notes.txt":                   "not a manifest",
		"plain/.hidden/ignored.yaml":        "broken: [",
		"plain/sub/kustomization.yaml":      "resources: [cm.yaml]\nnamePrefix: sub-\n",
		"plain/sub/cm.yaml":                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n",
		"plain/sub/not-included-twice.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n",
	})
	b, err := Build(root, "plain")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"Deployment podinfo", "Canary podinfo", "ConfigMap sub-cfg"}, objectNames(b))
}

func TestDigest(t *testing.T) {
	build := func(files map[string]string) string {
		b, err := Build(writeRepo(t, files), "apps/podinfo")
		require.NoError(t, err)
		return b.Digest()
	}
	base := build(overlay(nil))
	require.Equal(t, base, build(overlay(nil)), "same content, same digest")
	require.Equal(t, base, build(overlay(map[string]string{"apps/podinfo/canary.yaml": "# a comment\n" + canary, "README.md": "docs"})),
		"comments and files outside the overlay do not change the digest")
	require.NotEqual(t, base, build(overlay(map[string]string{"apps/podinfo/deployment.yaml": deployment[:len(deployment)-6] + "6.0.1\n"})),
		"a new image changes the digest")
}

func TestBuildRefusesSymlinkOutsideRoot(t *testing.T) {
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n"), 0o644))
	root := writeRepo(t, overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - secret.yaml\n"}))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(root, "apps/podinfo/secret.yaml")))
	_, err := Build(root, "apps/podinfo")
	var outsideErr *OutsideRootError
	require.True(t, errors.As(err, &outsideErr), "got %v", err)
	require.Contains(t, err.Error(), "secret.yaml")
}

func TestGatewayAPIFixture(t *testing.T) {
	b, err := Build("testdata", "gatewayapi", WithDefaultProvider(v1beta1.ProviderGatewayAPIv1))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"MetricTemplate flagger-system/latency", "MetricTemplate flagger-system/error-rate", "Canary test/podinfo"}, objectNames(b))
	c := b.Canaries[0]
	require.Empty(t, c.Spec.Provider, "the bundle keeps the Canary as written")
	require.Equal(t, []string{"localproject.contour.io"}, c.Spec.Service.Hosts)
	require.Equal(t, []v1beta1.GatewayRef{{Name: "contour", Namespace: ptr("projectcontour")}}, c.Spec.Service.GatewayRefs)

	b, err = Build("testdata", "gatewayapi-ab", WithDefaultProvider(v1beta1.ProviderGatewayAPIv1))
	require.NoError(t, err)
	require.Len(t, b.Canaries, 1)
	require.Len(t, b.Canaries[0].Spec.Analysis.Match, 1)

	// Checked as the default provider's (SMI), the A/B test is refused with the reason.
	_, err = Build("testdata", "gatewayapi-ab")
	require.ErrorContains(t, err, "Canary ab-test/podinfo: spec.analysis.match: Forbidden: A/B testing is not supported by SMI TrafficSplits")
}

// TestBuildRefusesSymlinkChainOutsideRoot: each link's text stays inside the repository, the
// chain leaves it; render resolves links for real, dangling ones too, and never names the host
// path they lead to.
func TestBuildRefusesSymlinkChainOutsideRoot(t *testing.T) {
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n"), 0o644))
	for name, target := range map[string]string{"existing": outside, "dangling": filepath.Join(outside, "missing")} {
		t.Run(name, func(t *testing.T) {
			root := writeRepo(t, overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - ../../escape/secret.yaml\n"}))
			require.NoError(t, os.MkdirAll(filepath.Join(root, "deep/a/b"), 0o755))
			require.NoError(t, os.Symlink("../..", filepath.Join(root, "deep/a/b/up"))) // resolves to deep
			rel, err := filepath.Rel(root, target)
			require.NoError(t, err)
			require.NoError(t, os.Symlink("deep/a/b/up/../"+rel, filepath.Join(root, "escape")))
			_, err = Build(root, "apps/podinfo")
			var outsideErr *OutsideRootError
			require.True(t, errors.As(err, &outsideErr), "got %v", err)
			require.NotContains(t, err.Error(), outside, "no host path")
			require.NotContains(t, err.Error(), root)
		})
	}
}
