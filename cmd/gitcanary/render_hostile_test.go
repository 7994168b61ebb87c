package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRenderHostileInput is the acceptance of issue 10 for `gitcanary render`: each input a
// hostile commit may hold exits 1 with an error naming the file (relative to the root) or the
// object and field, never a panic nor a host path. render's tests prove, with a witness, that
// none of them makes a request or starts a program.
func TestRenderHostileInput(t *testing.T) {
	const kust = "resources: [cm.yaml]\n"
	const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
	laughs := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n"
	prev := `"lol"`
	for i := 0; i < 9; i++ {
		laughs += "  l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [" + strings.TrimSuffix(strings.Repeat(prev+",", 9), ",") + "]\n"
		prev = "*l" + string(rune('0'+i))
	}
	canary := "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: podinfo, namespace: test}\nspec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n  service: {port: 9898}\n  analysis:\n    interval: 1m\n    threshold: 1\n    stepWeight: 5\n"
	tests := []struct {
		name     string
		args     []string
		files    map[string]string
		wantErrs []string
	}{
		{name: "PatchTransformer fetching a URL", files: map[string]string{"ov/kustomization.yaml": kust + "transformers:\n  - |\n    apiVersion: builtin\n    kind: PatchTransformer\n    metadata: {name: p}\n    path: http://example.com/p.yaml\n", "ov/cm.yaml": cm},
			wantErrs: []string{"error: ov/kustomization.yaml: transformers[0]: PatchTransformer \"p\" path: remote reference"}},
		{name: "scp-style Git base", files: map[string]string{"ov/kustomization.yaml": "resources: [deploy@gitserver:org/repo]\n"},
			wantErrs: []string{"error: ov/kustomization.yaml: resources[0]: remote reference \"deploy@gitserver:org/repo\""}},
		{name: "GitHub base shadowed by a folder", files: map[string]string{"ov/kustomization.yaml": "resources: [github.com/org/repo]\n", "ov/github.com/org/repo/kustomization.yaml": kust, "ov/github.com/org/repo/cm.yaml": cm},
			wantErrs: []string{"resources[0]", "write \"./github.com/org/repo\""}},
		{name: "exec plugin", files: map[string]string{"ov/kustomization.yaml": "generators: [gen.yaml]\n", "ov/gen.yaml": "apiVersion: example.com/v1\nkind: Inflator\nmetadata: {name: x}\n"},
			wantErrs: []string{"error: ov/kustomization.yaml: generators[0] (ov/gen.yaml): Inflator \"x\" (apiVersion example.com/v1) is an external kustomize plugin"}},
		{name: "Helm chart", files: map[string]string{"ov/kustomization.yaml": "helmCharts:\n  - {name: podinfo, repo: https://stefanprodan.github.io/podinfo}\n"},
			wantErrs: []string{"error: ov/kustomization.yaml: helmCharts: Helm charts are not rendered"}},
		{name: "kustomize panic", files: map[string]string{"ov/kustomization.yaml": "namespace: test\n" + kust, "ov/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a,b\"}\n"},
			wantErrs: []string{"error: kustomize build ov: kustomize failed on this input (recovered panic"}},
		{name: "YAML bomb", files: map[string]string{"ov/kustomization.yaml": "resources: [bomb.yaml]\n", "ov/bomb.yaml": laughs},
			wantErrs: []string{"error: ov/bomb.yaml: its YAML documents, aliases expanded: over the limit of 300000 YAML nodes per overlay (-render-max-yaml-nodes)"}},
		{name: "file over a lowered limit", args: []string{"--render-max-file-size", "1Ki"}, files: map[string]string{"ov/kustomization.yaml": kust, "ov/cm.yaml": cm + "data: {x: \"" + strings.Repeat("x", 2000) + "\"}\n"},
			wantErrs: []string{"error: ov/cm.yaml: ", "over the limit of 1024 bytes per file (-render-max-file-size)"}},
		{name: "query template with a loop", files: map[string]string{"ov/t.yaml": "apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: t, namespace: test}\nspec:\n  provider: {type: prometheus, address: http://prometheus:9090}\n  query: \"{{ range 1000000000000 }}x{{ end }}\"\n"},
			wantErrs: []string{"error: MetricTemplate test/t: spec.query: Invalid value", "range is not allowed in a query"}},
		{name: "webhook retried 500 times", files: map[string]string{"ov/c.yaml": canary + "    webhooks: [{name: h, url: http://loadtester/, retries: 500, timeout: 120m}]\n"},
			wantErrs: []string{"error: Canary test/podinfo: spec.analysis.webhooks[0].timeout: Invalid value: \"120m\": must be at most 5m0s",
				"error: Canary test/podinfo: spec.analysis.webhooks[0].retries: Invalid value: 500: must be at most 10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tt.files {
				require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(content), 0o644))
			}
			code, _, stderr := runCmd(t, append([]string{"render", "--root", root, filepath.Join(root, "ov")}, tt.args...)...)
			require.Equal(t, exitFailure, code, stderr)
			for _, want := range tt.wantErrs {
				require.Contains(t, stderr, want)
			}
			require.NotContains(t, stderr, root)
			require.NotContains(t, stderr, "goroutine")
			require.NotContains(t, stderr, "enable-helm")
		})
	}
}

func TestRenderLimitFlags(t *testing.T) {
	code, _, stderr := runCmd(t, "render", "--render-max-file-size", "lots", "../../manifests/examples/podinfo")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `invalid value "lots" for flag -render-max-file-size: want a size such as 4Mi`)
	code, _, stderr = runCmd(t, "render", "--render-max-output-size", "-1", "../../manifests/examples/podinfo")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "want a positive size")
	code, _, stderr = runCmd(t, "render", "--render-max-yaml-nodes", "10", "../../manifests/examples/podinfo")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "over the limit of 10 YAML nodes per overlay")
	code, _, _ = runCmd(t, "render", "--render-max-read-size", "64Mi", "../../manifests/examples/podinfo")
	require.Equal(t, exitOK, code)
}
