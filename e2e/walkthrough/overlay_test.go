package walkthrough

import (
	"strings"
	"testing"

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
