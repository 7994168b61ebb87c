package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRenderPodinfoExample(t *testing.T) {
	code, stdout, stderr := runCmd(t, "render", "../../manifests/examples/podinfo")
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{"Canary test/podinfo", "MetricTemplate test/error-rate", "MetricTemplate test/latency",
		"Deployment test/podinfo", "HorizontalPodAutoscaler test/podinfo"} {
		require.Contains(t, stdout, want+"\n")
	}
	require.Empty(t, stderr)
}

func TestRenderOutputs(t *testing.T) {
	code, stdout, _ := runCmd(t, "render", "-o", "json", "../../manifests/examples/podinfo")
	require.Equal(t, exitOK, code)
	var list struct {
		Kind  string
		Items []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &list))
	require.Equal(t, "List", list.Kind)
	require.Len(t, list.Items, 6)

	code, stdout, _ = runCmd(t, "render", "../../manifests/examples/podinfo", "-o", "yaml")
	require.Equal(t, exitOK, code)
	docs := bytes.Split([]byte(stdout), []byte("---\n"))
	require.Len(t, docs, 7) // a leading empty document, then one per object
	var canary map[string]any
	require.NoError(t, yaml.Unmarshal(docs[6], &canary))
	require.Equal(t, "Canary", canary["kind"])
}

func TestRenderWarningsGoToStderr(t *testing.T) {
	code, stdout, stderr := runCmd(t, "render", "../../render/testdata/seed")
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "Canary test/podinfo")
	require.Contains(t, stderr, "warning: Canary test/podinfo: spec.targetRef: Deployment test/podinfo is not in this overlay")
	require.Contains(t, stderr, "warning: MetricTemplate test/error-rate: spec.query: it divides envoy_cluster_upstream_rq by envoy_cluster_upstream_rq without aggregating either side")
	require.Contains(t, stderr, "warning: Canary test/podinfo: spec.analysis.metrics[1].thresholdRange.max: 0.5 means 0.5 ms")
}

func TestRenderMeshProvider(t *testing.T) {
	code, stdout, stderr := runCmd(t, "render", "--mesh-provider", "gatewayapi:v1", "../../render/testdata/gatewayapi-ab")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "Canary ab-test/podinfo\n")

	code, _, stderr = runCmd(t, "render", "../../render/testdata/gatewayapi-ab")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "error: Canary ab-test/podinfo: spec.analysis.match: Forbidden: A/B testing is not supported by SMI")
}

func TestRenderBadInput(t *testing.T) {
	const canary = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: podinfo, namespace: test}\nspec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n"
	tests := []struct {
		name     string
		files    map[string]string
		wantErrs []string
	}{
		{name: "broken YAML", files: map[string]string{"ov/a.yaml": "kind: [\n"}, wantErrs: []string{"error: kustomize build ov", "a.yaml"}},
		{name: "invalid canary lists every problem", files: map[string]string{"ov/c.yaml": canary + "  analysis: {interval: soon, threshold: 1, stepWeight: 500}\n"},
			wantErrs: []string{
				"error: Canary test/podinfo: spec.service.port: Required value",
				"error: Canary test/podinfo: spec.analysis.interval: Invalid value",
				"error: Canary test/podinfo: spec.analysis.stepWeight: Invalid value: 500",
				"ov: 1 invalid object(s)",
			}},
		{name: "path traversal", files: map[string]string{"ov/kustomization.yaml": "resources: [../../outside]\n"}, wantErrs: []string{"error: ov/kustomization.yaml", "outside the repository root"}},
		{name: "remote base", files: map[string]string{"ov/kustomization.yaml": "resources: [https://github.com/fluxcd/flagger//kustomize/podinfo]\n"}, wantErrs: []string{"remote bases and files are not fetched"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tt.files {
				require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(content), 0o644))
			}
			code, _, stderr := runCmd(t, "render", "--root", root, filepath.Join(root, "ov"))
			require.Equal(t, exitFailure, code)
			for _, want := range tt.wantErrs {
				require.Contains(t, stderr, want)
			}
		})
	}
}

func TestRenderUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no path", args: []string{"render"}, want: "exactly one PATH is required"},
		{name: "two paths", args: []string{"render", "a", "b"}, want: "exactly one PATH is required"},
		{name: "bad format", args: []string{"render", "-o", "xml", "../../manifests/examples/podinfo"}, want: `unknown output format "xml"`},
		{name: "unknown flag", args: []string{"render", "--colour", "."}, want: "flag provided but not defined"},
		{name: "path outside root", args: []string{"render", "--root", "../../manifests", "../../render"}, want: "is not inside the repository root"},
		{name: "unknown command", args: []string{"rendr"}, want: `unknown command "rendr"`},
		{name: "unknown mesh provider", args: []string{"render", "--mesh-provider", "istio", "../../manifests/examples/podinfo"}, want: `--mesh-provider: unsupported provider "istio"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tt.args...)
			require.Equal(t, exitUsage, code)
			require.Contains(t, stderr, tt.want)
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCmd(t, "version")
	require.Equal(t, exitOK, code)
	require.Regexp(t, `^gitcanary \S+\n$`, stdout)
}
