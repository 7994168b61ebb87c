package render

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
)

// TestBuildBadInput renders broken repositories. Each error must name what is wrong: the file
// for kustomize and YAML failures, the object and the field path for invalid specs.
func TestBuildBadInput(t *testing.T) {
	analysis := `  provider: smi:crossover
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 9898}
  analysis:
    interval: 1m
    threshold: 5
`
	tests := []struct {
		name    string
		files   map[string]string
		overlay string
		// wantType is a pointer to the error type Build must return.
		wantType any
		// wantText are substrings of the error: the file, object and field it names.
		wantText []string
	}{
		{name: "broken YAML in a resource", files: overlay(map[string]string{"apps/podinfo/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: [\n"}),
			wantType: new(*KustomizeError), wantText: []string{"kustomize build apps/podinfo", "deployment.yaml", "MalformedYAMLError"}},
		{name: "broken kustomization", files: overlay(map[string]string{"apps/podinfo/kustomization.yaml": "resources: [deployment.yaml\n"}),
			wantType: new(*FileError), wantText: []string{"apps/podinfo/kustomization.yaml", "decode kustomization"}},
		{name: "missing resource file", files: overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - service.yaml\n"}),
			wantType: new(*KustomizeError), wantText: []string{"service.yaml"}},
		{name: "resource outside the root", files: overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - ../../../../etc/passwd\n"}),
			wantType: new(*FileError), wantText: []string{"apps/podinfo/kustomization.yaml", "outside the repository root"}},
		{name: "patch outside the root", files: overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "patches:\n  - path: ../../../x.yaml\n"}),
			wantType: new(*FileError), wantText: []string{"patches", "outside the repository root"}},
		{name: "generator file outside the root", files: overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "configMapGenerator:\n  - name: cfg\n    files: [conf=../../../app.conf]\n"}),
			wantType: new(*FileError), wantText: []string{"configMapGenerator", "outside the repository root"}},
		{name: "overlay outside the root", files: overlay(nil), overlay: "../elsewhere",
			wantType: new(*OutsideRootError), wantText: []string{"../elsewhere"}},
		{name: "remote base", files: overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - github.com/weaveworks/flagger//kustomize/podinfo\n"}),
			wantType: new(*RemoteError), wantText: []string{"apps/podinfo/kustomization.yaml", "resources", "github.com/weaveworks/flagger//kustomize/podinfo", "not fetched"}},
		{name: "remote file", files: overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - https://example.com/deploy.yaml\n"}),
			wantType: new(*RemoteError), wantText: []string{"https://example.com/deploy.yaml"}},
		{name: "remote base in a base", files: overlay(map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "  - ../base\n",
			"apps/base/kustomization.yaml":    "resources:\n  - git@github.com:org/repo.git//deploy?ref=v1\n",
		}), wantType: new(*RemoteError), wantText: []string{"apps/base/kustomization.yaml"}},
		{name: "comma in a name with a namespace (kustomize panics)", files: overlay(map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "  - cm.yaml\n",
			"apps/podinfo/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a,b\"}\n",
		}), wantType: new(*PanicError), wantText: []string{"kustomize build apps/podinfo", "recovered panic", "nothing of the overlay is applied"}},
		{name: "overlay is a file", files: overlay(nil), overlay: "apps/podinfo/canary.yaml",
			wantType: new(*FileError), wantText: []string{"apps/podinfo/canary.yaml", "not a directory"}},
		{name: "missing overlay", files: overlay(nil), overlay: "apps/frontend",
			wantType: new(*FileError), wantText: []string{"apps/frontend", "no such overlay folder"}},
		{name: "empty folder", files: map[string]string{"empty/README.md": "nothing"}, overlay: "empty",
			wantType: new(*FileError), wantText: []string{"empty", "no kustomization.yaml and no manifests"}},
		{name: "broken YAML in a plain folder", files: map[string]string{"plain/canary.yaml": "kind: Canary\n  bad: indent\n"}, overlay: "plain",
			wantType: new(*KustomizeError), wantText: []string{"kustomize build plain", "canary.yaml"}},
		{name: "unknown Canary field", files: withCanarySpec(analysis + "    stepweight: 5\n"),
			wantType: new(*InvalidError), wantText: []string{"Canary test/podinfo", "spec.analysis.stepweight", "unknown field"}},
		{name: "Canary field of the wrong type", files: withCanarySpec(analysis + "    stepWeight: five\n"),
			wantType: new(*InvalidError), wantText: []string{"Canary test/podinfo", "does not decode"}},
		{name: "Canary without targetRef", files: withCanarySpec("  service: {port: 9898}\n  analysis: {interval: 1m, threshold: 1, stepWeight: 5}\n"),
			wantType: new(*InvalidError), wantText: []string{"Canary test/podinfo", "spec.targetRef.name: Required value"}},
		{name: "Canary without service port", files: withCanarySpec("  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n  analysis: {interval: 1m, threshold: 1, stepWeight: 5}\n"),
			wantType: new(*InvalidError), wantText: []string{"spec.service.port: Required value"}},
		{name: "stepWeight and stepWeights", files: withCanarySpec(analysis + "    stepWeight: 5\n    stepWeights: [10, 20]\n"),
			wantType: new(*InvalidError), wantText: []string{"spec.analysis.stepWeights", "only one of"}},
		{name: "unknown webhook type", files: withCanarySpec(analysis + "    stepWeight: 5\n    webhooks:\n      - {name: gate, type: approve, url: http://loadtester/gate/approve}\n"),
			wantType: new(*InvalidError), wantText: []string{"spec.analysis.webhooks[0].type", `"approve"`}},
		{name: "relative webhook URL", files: withCanarySpec(analysis + "    stepWeight: 5\n    webhooks:\n      - {name: load, url: flagger-loadtester.test/}\n"),
			wantType: new(*InvalidError), wantText: []string{"spec.analysis.webhooks[0].url", "absolute"}},
		{name: "metric with nothing to query", files: withCanarySpec(analysis + "    stepWeight: 5\n    metrics:\n      - {name: error-rate, thresholdRange: {max: 1}}\n"),
			wantType: new(*InvalidError), wantText: []string{"spec.analysis.metrics[0].templateRef", "not built in"}},
		{name: "threshold range upside down", files: withCanarySpec(analysis + "    stepWeight: 5\n    metrics:\n      - {name: request-success-rate, thresholdRange: {min: 99, max: 1}}\n"),
			wantType: new(*InvalidError), wantText: []string{"spec.analysis.metrics[0].thresholdRange.min"}},
		{name: "A/B match under SMI", files: withCanarySpec(analysis + "    iterations: 10\n    match:\n      - headers: {x-canary: {exact: insider}}\n"),
			wantType: new(*InvalidError), wantText: []string{"spec.analysis.match", "A/B testing is not supported by SMI"}},
		{name: "bad interval", files: withCanarySpec("  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n  service: {port: 9898}\n  analysis: {interval: 1h, threshold: 1, stepWeight: 5}\n"),
			wantType: new(*InvalidError), wantText: []string{"spec.analysis.interval"}},
		{name: "unsupported MetricTemplate provider", files: overlay(map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "  - template.yaml\n",
			"apps/podinfo/template.yaml":      "apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: rate}\nspec:\n  provider: {type: datadog}\n  query: x\n",
		}), wantType: new(*InvalidError), wantText: []string{"MetricTemplate test/rate", "spec.provider.type"}},
		{name: "AlertProvider without address", files: overlay(map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "  - alert.yaml\n",
			"apps/podinfo/alert.yaml":         "apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata: {name: slack}\nspec: {type: slack}\n",
		}), wantType: new(*InvalidError), wantText: []string{"AlertProvider test/slack", "spec.address"}},
		{name: "old flagger API version", files: overlay(map[string]string{"apps/podinfo/canary.yaml": "apiVersion: flagger.app/v1alpha3\n" + canary[len("apiVersion: flagger.app/v1beta1\n"):]}),
			wantType: new(*InvalidError), wantText: []string{"Canary test/podinfo", "apiVersion", "flagger.app/v1alpha3"}},
		{name: "unknown flagger kind", files: overlay(map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "  - rollout.yaml\n",
			"apps/podinfo/rollout.yaml":       "apiVersion: flagger.app/v1beta1\nkind: Rollout\nmetadata: {name: podinfo}\n",
		}), wantType: new(*InvalidError), wantText: []string{"Rollout test/podinfo", "kind"}},
		{name: "two canaries, one target", files: overlay(map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "  - canary2.yaml\n",
			"apps/podinfo/canary2.yaml":       "---\n" + canary[:len("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: podinfo")] + "-b" + canary[len("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: podinfo"):],
		}), wantType: new(*InvalidError), wantText: []string{"Canary test/podinfo-b", "spec.targetRef.name", "already the target of Canary test/podinfo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeRepo(t, tt.files)
			ov := tt.overlay
			if ov == "" {
				ov = "apps/podinfo"
			}
			b, err := Build(root, ov)
			require.Error(t, err)
			require.True(t, errors.As(err, tt.wantType), "error %T: %v", err, err)
			for _, s := range tt.wantText {
				require.Contains(t, err.Error(), s)
			}
			require.NotContains(t, err.Error(), root, "errors name files relative to the repository root")
			var invalid *InvalidError
			if errors.As(err, &invalid) {
				require.NotNil(t, b, "invalid specs still return what was rendered")
				for _, e := range invalid.Errs {
					var verr *v1beta1.ValidationError
					require.True(t, errors.As(e, &verr), "each problem names its object: %v", e)
				}
			} else {
				require.Nil(t, b)
			}
		})
	}
}

// TestBuildEmptyOverlay: an overlay that renders nothing would prune everything it applied; it
// is an error unless its folder holds EmptyMarker.
func TestBuildEmptyOverlay(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"resources: []":             {"apps/podinfo/kustomization.yaml": "resources: []\n"},
		"files reduced to comments": {"apps/podinfo/kustomization.yaml": kustomization, "apps/podinfo/deployment.yaml": "# gone\n", "apps/podinfo/canary.yaml": "---\n# gone too\n"},
		"plain folder of comments":  {"apps/podinfo/a.yaml": "# nothing\n"},
		"manifests deleted":         {"apps/podinfo/README.md": "moved to apps/podinfo-v2\n"},
	} {
		t.Run(name, func(t *testing.T) {
			root := writeRepo(t, files)
			b, err := Build(root, "apps/podinfo")
			var empty *EmptyError
			require.Nil(t, b)
			if name == "manifests deleted" {
				require.EqualError(t, err, "apps/podinfo: no kustomization.yaml and no manifests (*.yaml, *.yml, *.json)")
			} else {
				require.True(t, errors.As(err, &empty), "error %T: %v", err, err)
				require.Contains(t, err.Error(), "apps/podinfo: renders no objects")
				require.Contains(t, err.Error(), EmptyMarker)
			}

			files[filepath.Join("apps/podinfo", EmptyMarker)] = ""
			b, err = Build(writeRepo(t, files), "apps/podinfo")
			require.NoError(t, err)
			require.Empty(t, b.Objects)
			require.True(t, b.IntentionallyEmpty)
		})
	}
	b, err := Build(writeRepo(t, overlay(map[string]string{"apps/podinfo/" + EmptyMarker: ""})), "apps/podinfo")
	require.NoError(t, err)
	require.False(t, b.IntentionallyEmpty, "the marker changes nothing for an overlay with objects")
}
