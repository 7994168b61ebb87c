package revert

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const podinfo = "ghcr.io/stefanprodan/podinfo"

func TestPlanImages(t *testing.T) {
	base := Files{"base/deployment.yaml": []byte(deployment(podinfo+":6.0.0", "")),
		"base/kustomization.yaml": []byte("resources: [deployment.yaml]\n")}
	overlay := func(images string) Files {
		return merged(base, Files{"overlays/prod/kustomization.yaml": []byte("# production\nresources:\n  - ../../base\nimages:\n" + images)})
	}
	tests := []struct {
		name        string
		failed      Files
		promoted    Files
		overlay     string
		wantFile    string
		wantLines   []string
		wantChanges []string
	}{
		{
			name:      "plain Deployment YAML",
			failed:    Files{"podinfo/deployment.yaml": []byte(deployment(podinfo+":6.0.2", "")), "podinfo/hpa.yaml": []byte("kind: ConfigMap\napiVersion: v1\nmetadata: {name: x, namespace: test}\n")},
			promoted:  Files{"podinfo/deployment.yaml": []byte(deployment(podinfo+":6.0.1", ""))},
			overlay:   "podinfo",
			wantFile:  "podinfo/deployment.yaml",
			wantLines: []string{"image: " + podinfo + ":6.0.1"},
			wantChanges: []string{"podinfo/deployment.yaml: Deployment podinfo container podinfod image " + podinfo + ":6.0.1 (was " +
				podinfo + ":6.0.2)"},
		},
		{
			name:        "kustomize newTag, quoted, comments kept",
			failed:      overlay("  - name: " + podinfo + "\n    newTag: \"6.0.2\" # the release\n"),
			promoted:    overlay("  - name: " + podinfo + "\n    newTag: \"6.0.1\" # the release\n"),
			overlay:     "overlays/prod",
			wantFile:    "overlays/prod/kustomization.yaml",
			wantLines:   []string{`newTag: "6.0.1" # the release`},
			wantChanges: []string{"overlays/prod/kustomization.yaml: images " + podinfo + ": newTag 6.0.1 (was " + podinfo + ":6.0.2)"},
		},
		{
			name:      "kustomize newName and newTag",
			failed:    overlay("  - name: " + podinfo + "\n    newName: registry.example.com/podinfo\n    newTag: 6.0.2\n"),
			promoted:  overlay("  - name: " + podinfo + "\n    newName: registry.example.com/podinfo\n    newTag: 6.0.1\n"),
			overlay:   "overlays/prod",
			wantFile:  "overlays/prod/kustomization.yaml",
			wantLines: []string{"newTag: 6.0.1"},
		},
		{
			name:      "kustomize digest",
			failed:    overlay("  - name: " + podinfo + "\n    digest: sha256:" + hex('b') + "\n"),
			promoted:  overlay("  - name: " + podinfo + "\n    digest: sha256:" + hex('a') + "\n"),
			overlay:   "overlays/prod",
			wantFile:  "overlays/prod/kustomization.yaml",
			wantLines: []string{"digest: sha256:" + hex('a')},
		},
		{
			name: "the overlay's override wins over the base's",
			failed: merged(overlay("  - name: "+podinfo+"\n    newTag: 6.0.2\n"), Files{"base/kustomization.yaml": []byte(
				"resources: [deployment.yaml]\nimages:\n  - name: " + podinfo + "\n    newTag: 6.0.2\n")}),
			promoted: merged(overlay("  - name: "+podinfo+"\n    newTag: 6.0.1\n"), Files{"base/kustomization.yaml": []byte(
				"resources: [deployment.yaml]\nimages:\n  - name: " + podinfo + "\n    newTag: 6.0.2\n")}),
			overlay:   "overlays/prod",
			wantFile:  "overlays/prod/kustomization.yaml",
			wantLines: []string{"newTag: 6.0.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failedT, promotedT := rendered(t, tt.failed, tt.overlay), rendered(t, tt.promoted, tt.overlay)
			e, err := Plan(Request{Target: "podinfo", Overlay: tt.overlay, Failed: failedT, Promoted: promotedT, Files: tt.failed})
			require.NoError(t, err)
			require.Equal(t, ModeImages, e.Mode)
			require.Len(t, e.Files, 1)
			require.Equal(t, tt.wantLines, changedLines(t, tt.failed[tt.wantFile], e.Files[tt.wantFile]), "only the image changes, in place")
			if tt.wantChanges != nil {
				require.Equal(t, tt.wantChanges, e.Changes)
			}
			dir := writeTree(t, merged(tt.failed, e.Files))
			require.NoError(t, Verify(dir, tt.overlay, "test", "podinfo", promotedT))
			require.Error(t, Verify(writeTree(t, tt.failed), tt.overlay, "test", "podinfo", promotedT), "the check can fail")
		})
	}
}

func hex(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func TestPlanAddsAndRemovesOverrideKeys(t *testing.T) {
	base := Files{"base/deployment.yaml": []byte(deployment(podinfo+":6.0.0", "")),
		"base/kustomization.yaml": []byte("resources: [deployment.yaml]\n")}
	failed := merged(base, Files{"o/kustomization.yaml": []byte("resources: [../base]\nimages:\n  - name: " + podinfo + "\n    digest: sha256:" + hex('b') + "\n")})
	promoted := merged(base, Files{"o/kustomization.yaml": []byte("resources: [../base]\nimages:\n  - name: " + podinfo + "\n    newName: registry.example.com/podinfo\n    newTag: 6.0.1\n")})
	failedT, promotedT := rendered(t, failed, "o"), rendered(t, promoted, "o")
	e, err := Plan(Request{Target: "podinfo", Overlay: "o", Failed: failedT, Promoted: promotedT, Files: failed})
	require.NoError(t, err)
	require.Equal(t, []string{"o/kustomization.yaml: images " + podinfo + ": newName registry.example.com/podinfo, newTag 6.0.1 (was " + podinfo + "@sha256:" + hex('b') + ")"}, e.Changes)
	require.NoError(t, Verify(writeTree(t, merged(failed, e.Files)), "o", "test", "podinfo", promotedT))
}

func TestPlanPodTemplate(t *testing.T) {
	env := "          env:\n            - name: FAULT\n              value: \"30\"\n"
	failed := Files{"podinfo/deployment.yaml": []byte(deployment(podinfo+":6.0.2", env)), "podinfo/other.yaml": []byte("# untouched\n")}
	promoted := Files{"podinfo/deployment.yaml": []byte(deployment(podinfo+":6.0.1", ""))}
	failedT, promotedT := rendered(t, failed, "podinfo"), rendered(t, promoted, "podinfo")
	e, err := Plan(Request{Target: "podinfo", Overlay: "podinfo", Failed: failedT, Promoted: promotedT, Files: failed, PromotedFiles: promoted})
	require.NoError(t, err)
	require.Equal(t, ModePodTemplate, e.Mode)
	require.Equal(t, []string{"podinfo/deployment.yaml: Deployment podinfo spec.template restored from the promoted commit"}, e.Changes)
	require.NotContains(t, e.Files, "podinfo/other.yaml")
	require.NoError(t, Verify(writeTree(t, merged(failed, e.Files)), "podinfo", "test", "podinfo", promotedT))
	require.Contains(t, string(e.Files["podinfo/deployment.yaml"]), "# the canary's selector label", "comments survive")
}

func TestPlanRefuses(t *testing.T) {
	plain := Files{"p/deployment.yaml": []byte(deployment(podinfo+":6.0.2", ""))}
	promotedPlain := Files{"p/deployment.yaml": []byte(deployment(podinfo+":6.0.1", ""))}
	failedT, promotedT := rendered(t, plain, "p"), rendered(t, promotedPlain, "p")

	_, err := Plan(Request{Target: "podinfo", Overlay: "p", Failed: failedT, Promoted: failedT, Files: plain})
	require.ErrorIs(t, err, ErrNothingToRevert)

	twice := Files{"a/deployment.yaml": []byte(deployment(podinfo+":6.0.2", "")),
		"b/deployment.yaml": []byte(deployment(podinfo+":6.0.2", ""))}
	_, err = Plan(Request{Target: "podinfo", Overlay: "p", Failed: failedT, Promoted: promotedT, Files: twice})
	require.ErrorIs(t, err, ErrCannotRevert)
	require.ErrorContains(t, err, "is set in 2 Deployments")

	_, err = Plan(Request{Target: "podinfo", Overlay: "p", Failed: failedT, Promoted: promotedT, Files: Files{"README.md": []byte("x")}})
	require.ErrorContains(t, err, "no images override and no Deployment YAML sets image "+podinfo+":6.0.2 of container podinfod")

	ambiguous := Files{"k1/kustomization.yaml": []byte("images:\n  - name: " + podinfo + "\n    newTag: 6.0.2\n"),
		"k2/kustomization.yaml": []byte("images:\n  - name: " + podinfo + "\n    newTag: 6.0.2\n")}
	_, err = Plan(Request{Target: "podinfo", Overlay: "p", Failed: failedT, Promoted: promotedT, Files: ambiguous})
	require.ErrorContains(t, err, "is set by images overrides in k1/kustomization.yaml, k2/kustomization.yaml")

	// A kustomize patch changed the template: restoring the Deployment's file does not render
	// the promoted revision, and Verify says so.
	env := "- op: add\n  path: /spec/template/spec/containers/0/env\n  value: [{name: FAULT, value: \"30\"}]\n"
	patched := Files{"base/deployment.yaml": []byte(deployment(podinfo+":6.0.1", "")), "base/kustomization.yaml": []byte("resources: [deployment.yaml]\n"),
		"o/kustomization.yaml": []byte("resources: [../base]\npatches:\n  - path: env.yaml\n    target: {kind: Deployment, name: podinfo}\n"),
		"o/env.yaml":           []byte(env)}
	promotedPatched := merged(patched, Files{"o/kustomization.yaml": []byte("resources: [../base]\n")})
	pf, pp := rendered(t, patched, "o"), rendered(t, promotedPatched, "o")
	e, err := Plan(Request{Target: "podinfo", Overlay: "o", Failed: pf, Promoted: pp, Files: patched, PromotedFiles: promotedPatched})
	require.NoError(t, err)
	err = Verify(writeTree(t, merged(patched, e.Files)), "o", "test", "podinfo", pp)
	require.ErrorIs(t, err, ErrCannotRevert)
	require.ErrorContains(t, err, "not the promoted")

	_, err = Plan(Request{Target: "podinfo", Overlay: "o", Failed: pf, Promoted: pp, Files: patched})
	require.ErrorContains(t, err, "base/deployment.yaml, which defines Deployment podinfo, did not exist at the promoted commit")
	require.Error(t, Edit{Files: Files{"../x": []byte("x")}}.WriteTo(t.TempDir()))
}
