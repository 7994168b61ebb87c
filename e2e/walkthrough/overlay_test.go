package walkthrough

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitcanary/gitcanary/render"

	"github.com/stretchr/testify/require"
)

func TestPodinfoOverlayAndEdits(t *testing.T) {
	o, err := PodinfoOverlay("../..", "demo", "5s")
	require.NoError(t, err)
	require.NotContains(t, o, OverlayPath+"/namespace.yaml")
	require.Contains(t, string(o[OverlayPath+"/kustomization.yaml"]), "namespace: demo")
	require.NotContains(t, string(o[OverlayPath+"/kustomization.yaml"]), "namespace.yaml")
	canary := string(o[OverlayPath+"/canary.yaml"])
	require.Contains(t, canary, "interval: 5s")
	require.Contains(t, canary, "http://flagger-loadtester.demo/")
	require.Contains(t, canary, "-H 'Host: podinfo.demo' http://envoy.demo:10000/")

	o.Edit("deployment.yaml", SetImage("6.0.1"))
	o.Edit("deployment.yaml", SetImage("6.0.2", "PODINFO_FAULT", "500"))
	deploy := string(o[OverlayPath+"/deployment.yaml"])
	require.Contains(t, deploy, "image: ghcr.io/stefanprodan/podinfo:6.0.2\n", "edits apply on top of each other")
	require.Equal(t, 1, strings.Count(deploy, "ghcr.io/stefanprodan/podinfo:"))
	require.Contains(t, deploy, "- name: PODINFO_FAULT\n              value: \"500\"\n")

	o.Edit("canary.yaml", BuiltinMetrics)
	canary = string(o[OverlayPath+"/canary.yaml"])
	require.Contains(t, canary, "- name: request-success-rate")
	require.NotContains(t, canary, "templateRef")
	require.Contains(t, canary, "webhooks:", "the webhooks stay")
}

func TestEventsFromLog(t *testing.T) {
	log := `{"level":"info","logger":"events","msg":"Advance podinfo.test canary weight 5","canary":"podinfo.test"}
not json
{"level":"info","logger":"engine","msg":"canary phase changed","canary":"podinfo"}
{"level":"info","logger":"events","msg":"Advance other.test canary weight 5","canary":"other.test"}
{"level":"info","logger":"events","msg":"Advance podinfo.test canary weight 5","canary":"podinfo.test"}
`
	require.Equal(t, []string{"Advance podinfo.test canary weight 5", "Advance podinfo.test canary weight 5"}, EventsFromLog(log, "podinfo.test"))
}

func TestNamedOverlay(t *testing.T) {
	o, err := PodinfoOverlay("../..", "demo", "5s")
	require.NoError(t, err)
	n := o.Named("frontend")
	require.Len(t, n, len(o))
	require.NotContains(t, n, OverlayPath+"/canary.yaml")
	b, err := render.Build(writeOverlay(t, n), "apps/frontend")
	require.NoError(t, err)
	var names []string
	for _, obj := range b.Objects {
		names = append(names, obj.GetKind()+" "+obj.GetNamespace()+"/"+obj.GetName())
	}
	require.ElementsMatch(t, []string{"Deployment demo/frontend", "HorizontalPodAutoscaler demo/frontend", "Canary demo/frontend",
		"MetricTemplate demo/frontend-error-rate", "MetricTemplate demo/frontend-latency"}, names)
	c := b.Canaries[0]
	require.Equal(t, "frontend", c.Spec.TargetRef.Name)
	require.Equal(t, "frontend", c.Spec.AutoscalerRef.Name)
	require.Equal(t, "frontend-error-rate", c.Spec.Analysis.Metrics[0].TemplateRef.Name)
	require.Contains(t, c.Spec.Analysis.Webhooks[0].Metadata["cmd"], "http://frontend-canary.demo:9898/token")
	require.Contains(t, c.Spec.Analysis.Webhooks[1].Metadata["cmd"], "-H 'Host: frontend.demo'")
	deploy := string(n["apps/frontend/deployment.yaml"])
	require.Contains(t, deploy, "image: ghcr.io/stefanprodan/podinfo:6.0.0")
	require.Contains(t, deploy, "      app: frontend\n")
	require.Contains(t, deploy, "- name: podinfod\n", "the container keeps its name")
}

// writeOverlay writes the overlay's files into a new repository folder and returns it.
func writeOverlay(t *testing.T, o Overlay) string {
	t.Helper()
	root := t.TempDir()
	for path, data := range o {
		full := filepath.Join(root, path)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, data, 0o600))
	}
	return root
}

func TestControllerLogTail(t *testing.T) {
	c := &Controller{LogPath: filepath.Join(t.TempDir(), "controller.log")}
	require.NoError(t, os.WriteFile(c.LogPath, []byte("one\ntwo\nthree\n"), 0o600))
	require.Equal(t, "two\nthree", c.LogTail(2))
	require.Equal(t, "one\ntwo\nthree", c.LogTail(10))
}
