package render

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestWitnessSeesKustomizeFetch is the control of the hermetic tests: kustomize run directly on
// the disk, without render's file system, does fetch files and run git, and the witness sees it.
func TestWitnessSeesKustomizeFetch(t *testing.T) {
	for name, ref := range map[string]string{
		"direct request":   counterURL + "/cm.yaml",
		"through proxy":    "https://manifests.example.com/cm.yaml",
		"git clone (exec)": "github.com/example/repo//deploy?ref=v1",
	} {
		t.Run(name, func(t *testing.T) {
			w := newWitness(t)
			root := writeRepo(t, map[string]string{"o/kustomization.yaml": "resources:\n  - " + ref + "\n"})
			opts := krusty.MakeDefaultOptions()
			opts.PluginConfig = types.DisabledPluginConfig()
			_, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), filepath.Join(root, "o"))
			t.Log(err)
			require.True(t, w.sawRequests() > 0 || w.calls() != "", "kustomize reached out for %s and the witness must see it", ref)
		})
	}
}

// TestBuildIsHermetic renders every way a kustomization can name something remote or run a
// program. Each must fail with an error naming the kustomization file and field, without one
// request and without one program started.
func TestBuildIsHermetic(t *testing.T) {
	u := counterURL
	inlinePatchTransformer := "transformers:\n  - |\n    apiVersion: builtin\n    kind: PatchTransformer\n    metadata: {name: fetch}\n    path: " + u + "/patch.yaml\n    target: {kind: Deployment}\n"
	tests := []struct {
		name string
		// kust is appended to the overlay's kustomization; files are added to the repository.
		kust  string
		files map[string]string
		// wantType is a pointer to the error type; wantText are substrings of the error.
		wantType any
		wantText []string
	}{
		{name: "resource URL", kust: "  - " + u + "/cm.yaml\n", wantType: new(*RemoteError), wantText: []string{"resources[2]"}},
		{name: "resource URL of another host", kust: "  - https://manifests.example.com/cm.yaml\n", wantType: new(*RemoteError)},
		{name: "GitHub base", kust: "  - github.com/example/repo//deploy?ref=v1\n", wantType: new(*RemoteError)},
		{name: "scp-style GitHub", kust: "  - git@github.com:example/repo.git\n", wantType: new(*RemoteError)},
		{name: "scp-style host without a dot", kust: "  - deploy@gitserver:org/repo\n", wantType: new(*RemoteError), wantText: []string{"deploy@gitserver:org/repo"}},
		{name: "ssh URL", kust: "  - ssh://git@gitserver/org/repo\n", wantType: new(*RemoteError)},
		{name: "file URL (local clone runs git)", kust: "  - file:///var/repo\n", wantType: new(*RemoteError)},
		{name: "forced git protocol", kust: "  - git::https://gitserver/org/repo\n", wantType: new(*RemoteError)},
		{name: "GitHub base shadowed by a folder", kust: "  - github.com/example/repo\n",
			files:    map[string]string{"apps/podinfo/github.com/example/repo/kustomization.yaml": "resources: []\n"},
			wantType: new(*RemoteError), wantText: []string{"a folder of that name exists", "./github.com/example/repo"}},
		{name: "ssh .git URL shadowed by a folder", kust: "  - ssh://gitserver/org/repo.git\n",
			files:    map[string]string{"apps/podinfo/ssh:/gitserver/org/repo.git/kustomization.yaml": "resources: []\n"},
			wantType: new(*RemoteError), wantText: []string{"a folder of that name exists"}},
		{name: "https URL shadowed by a folder", kust: "  - https://gitserver.example.com/org/repo.git\n",
			files:    map[string]string{"apps/podinfo/https:/gitserver.example.com/org/repo.git/kustomization.yaml": "resources: []\n"},
			wantType: new(*RemoteError)},
		{name: "remote base", kust: "bases:\n  - " + u + "/base\n", wantType: new(*RemoteError), wantText: []string{"bases[0]"}},
		{name: "remote component", kust: "components:\n  - github.com/example/components//canary\n", wantType: new(*RemoteError), wantText: []string{"components[0]"}},
		{name: "patch path", kust: "patches:\n  - path: " + u + "/patch.yaml\n", wantType: new(*RemoteError), wantText: []string{"patches[0].path"}},
		{name: "strategic merge patch", kust: "patchesStrategicMerge:\n  - " + u + "/patch.yaml\n", wantType: new(*RemoteError), wantText: []string{"patchesStrategicMerge[0]"}},
		{name: "JSON 6902 patch", kust: "patchesJson6902:\n  - path: " + u + "/patch.json\n    target: {kind: Deployment, name: podinfo}\n", wantType: new(*RemoteError), wantText: []string{"patchesJson6902[0].path"}},
		{name: "replacements source file", kust: "replacements:\n  - path: " + u + "/r.yaml\n", wantType: new(*RemoteError), wantText: []string{"replacements[0].path"}},
		{name: "openapi schema", kust: "openapi:\n  path: " + u + "/schema.json\n", wantType: new(*RemoteError), wantText: []string{"openapi.path"}},
		{name: "crds", kust: "crds:\n  - " + u + "/crd.json\n", wantType: new(*RemoteError), wantText: []string{"crds[0]"}},
		{name: "configurations", kust: "configurations:\n  - " + u + "/conf.yaml\n", wantType: new(*RemoteError), wantText: []string{"configurations[0]"}},
		{name: "ConfigMap generator file", kust: "configMapGenerator:\n  - name: c\n    files: [conf=" + u + "/x]\n", wantType: new(*RemoteError), wantText: []string{"configMapGenerator[0].files[0]"}},
		{name: "Secret generator env file", kust: "secretGenerator:\n  - name: s\n    envs: [" + u + "/x.env]\n", wantType: new(*RemoteError), wantText: []string{"secretGenerator[0].envs[0]"}},
		{name: "inline PatchTransformer path", kust: inlinePatchTransformer, wantType: new(*RemoteError), wantText: []string{"transformers[0]", "PatchTransformer \"fetch\" path"}},
		{name: "PatchTransformer path in a referenced file", kust: "transformers:\n  - patcher.yaml\n",
			files:    map[string]string{"apps/podinfo/patcher.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: fetch}\npath: " + u + "/patch.yaml\ntarget: {kind: Deployment}\n"},
			wantType: new(*RemoteError), wantText: []string{"transformers[0] (apps/podinfo/patcher.yaml)", "path"}},
		{name: "PatchTransformer in a List", kust: "transformers:\n  - list.yaml\n",
			files:    map[string]string{"apps/podinfo/list.yaml": "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: builtin\n    kind: PatchTransformer\n    metadata: {name: fetch}\n    path: " + u + "/p.yaml\n"},
			wantType: new(*RemoteError)},
		{name: "strategic merge transformer paths", kust: "transformers:\n  - |\n    apiVersion: builtin\n    kind: PatchStrategicMergeTransformer\n    metadata: {name: psm}\n    paths: [" + u + "/p.yaml]\n",
			wantType: new(*RemoteError), wantText: []string{"paths[0]"}},
		{name: "replacement transformer source file", kust: "transformers:\n  - |\n    apiVersion: builtin\n    kind: ReplacementTransformer\n    metadata: {name: r}\n    replacements:\n      - path: " + u + "/r.yaml\n",
			wantType: new(*RemoteError), wantText: []string{"replacements[0].path"}},
		{name: "generator file of an inline ConfigMapGenerator", kust: "generators:\n  - |\n    apiVersion: builtin\n    kind: ConfigMapGenerator\n    metadata: {name: cm}\n    files: [" + u + "/x]\n",
			wantType: new(*RemoteError), wantText: []string{"generators[0]", "files[0]"}},
		{name: "remote transformer file", kust: "transformers:\n  - " + u + "/t.yaml\n", wantType: new(*RemoteError), wantText: []string{"transformers[0]"}},
		{name: "remote transformer repository", kust: "transformers:\n  - github.com/example/transformers\n", wantType: new(*RemoteError)},
		{name: "remote validator", kust: "validators:\n  - deploy@gitserver:org/validators\n", wantType: new(*RemoteError), wantText: []string{"validators[0]"}},
		{name: "transformer directory", kust: "transformers:\n  - tdir\n",
			files:    map[string]string{"apps/podinfo/tdir/kustomization.yaml": "resources: [t.yaml]\n", "apps/podinfo/tdir/t.yaml": "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: l}\nlabels: {a: b}\n"},
			wantType: new(*RefusedError), wantText: []string{"transformers[0]", "is a directory"}},
		{name: "exec plugin", kust: "generators:\n  - gen.yaml\n",
			files:    map[string]string{"apps/podinfo/gen.yaml": "apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata: {name: notImportantHere}\n"},
			wantType: new(*RefusedError), wantText: []string{"generators[0]", "ChartInflator", "external kustomize plugin"}},
		{name: "container function", kust: "transformers:\n  - |\n    apiVersion: example.com/v1\n    kind: Fn\n    metadata:\n      name: f\n      annotations:\n        config.kubernetes.io/function: |\n          container:\n            image: example.com/fn:v1\n",
			wantType: new(*RefusedError), wantText: []string{"transformers[0]", "external kustomize plugin"}},
		{name: "exec function", kust: "validators:\n  - |\n    apiVersion: example.com/v1\n    kind: Fn\n    metadata:\n      name: f\n      annotations:\n        config.kubernetes.io/function: |\n          exec:\n            path: ./script.sh\n",
			wantType: new(*RefusedError), wantText: []string{"validators[0]"}},
		{name: "helm charts", kust: "helmCharts:\n  - name: podinfo\n    repo: " + u + "/charts\n", wantType: new(*RefusedError), wantText: []string{"helmCharts", "helm template"}},
		{name: "helm globals", kust: "helmGlobals:\n  chartHome: charts\n", wantType: new(*RefusedError), wantText: []string{"helmGlobals"}},
		{name: "legacy helm generator field", kust: "helmChartInflationGenerator:\n  - chartName: podinfo\n    chartRepoUrl: " + u + "\n", wantType: new(*RefusedError)},
		{name: "builtin Helm generator", kust: "generators:\n  - |\n    apiVersion: builtin\n    kind: HelmChartInflationGenerator\n    metadata: {name: h}\n    name: podinfo\n    repo: " + u + "\n",
			wantType: new(*RefusedError), wantText: []string{"generators[0]", "HelmChartInflationGenerator", "not rendered"}},
		{name: "builtin ValueAddTransformer", kust: "transformers:\n  - |\n    apiVersion: builtin\n    kind: ValueAddTransformer\n    metadata: {name: v}\n    value: x\n",
			wantType: new(*RefusedError), wantText: []string{"ValueAddTransformer"}},
		{name: "remote reference in a base", kust: "  - ../base\n",
			files:    map[string]string{"apps/base/kustomization.yaml": "resources:\n  - " + u + "/cm.yaml\n"},
			wantType: new(*RemoteError), wantText: []string{"apps/base/kustomization.yaml", "resources[0]"}},
		{name: "remote reference in a component", kust: "components:\n  - ../comp\n",
			files:    map[string]string{"apps/comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: " + u + "/p.yaml\n"},
			wantType: new(*RemoteError), wantText: []string{"apps/comp/kustomization.yaml", "patches[0].path"}},
		{name: "field name in another case", kust: "Components:\n  - github.com/example/components\n", wantType: new(*RemoteError)},
		{name: "reference hidden behind an alias", kust: "x-remote: &remote " + u + "/cm.yaml\n", wantType: new(*FileError), wantText: []string{"decode kustomization"}},
		{name: "URL through an alias", kust: "patches:\n  - path: &p " + u + "/p.yaml\n  - path: *p\n", wantType: new(*RemoteError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWitness(t)
			files := overlay(map[string]string{"apps/podinfo/kustomization.yaml": kustomization + tt.kust})
			for k, v := range tt.files {
				files[k] = v
			}
			root := writeRepo(t, files)
			_, err := Build(root, "apps/podinfo")
			w.requireNothing(t)
			require.Error(t, err)
			require.True(t, errors.As(err, tt.wantType), "error %T: %v", err, err)
			if !strings.Contains(strings.Join(tt.wantText, " "), "kustomization.yaml") {
				require.Contains(t, err.Error(), "apps/podinfo/kustomization.yaml")
			}
			for _, s := range tt.wantText {
				require.Contains(t, err.Error(), s)
			}
			require.NotContains(t, err.Error(), root, "errors name files relative to the repository root")
			require.NotContains(t, err.Error(), "enable-helm", "gitcanary has no such flag")
		})
	}
}

// TestBuildHermeticOtherEntryPoints covers kustomization files kustomize finds by itself: the
// Kustomization file name, and a sub-folder with a kustomization in a plain folder.
func TestBuildHermeticOtherEntryPoints(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"file named Kustomization": {"o/Kustomization": "resources:\n  - " + counterURL + "/cm.yaml\n"},
		"kustomization in a plain folder": {
			"o/cm.yaml":                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
			"o/sub/kustomization.yaml": "resources:\n  - github.com/example/repo\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWitness(t)
			root := writeRepo(t, files)
			_, err := Build(root, "o")
			w.requireNothing(t)
			var remote *RemoteError
			require.True(t, errors.As(err, &remote), "error %T: %v", err, err)
		})
	}
}

// TestBuildAllowsLocalPluginsAndURLsInContent: URLs inside manifests and inline patches are
// content, and the allowed builtin plugins work with local files.
func TestBuildAllowsLocalPluginsAndURLsInContent(t *testing.T) {
	w := newWitness(t)
	root := writeRepo(t, overlay(map[string]string{
		"apps/podinfo/kustomization.yaml": kustomization + `  - links.yaml
patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: podinfo, annotations: {docs: "https://example.com/podinfo"}}
transformers:
  - patcher.yaml
  - |
    apiVersion: builtin
    kind: LabelTransformer
    metadata: {name: team}
    labels: {team: web}
    fieldSpecs: [{path: metadata/labels, create: true}]
generators:
  - |
    apiVersion: builtin
    kind: ConfigMapGenerator
    metadata: {name: settings}
    files: [settings.env]
`,
		"apps/podinfo/links.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: links}\ndata: {repo: \"github.com/example/repo\", url: \"" + counterURL + "/x\"}\n",
		"apps/podinfo/patcher.yaml":  "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: replicas.yaml\ntarget: {kind: Deployment}\n",
		"apps/podinfo/replicas.yaml": "- op: add\n  path: /spec/minReadySeconds\n  value: 7\n",
		"apps/podinfo/settings.env":  "A=1\n",
	}))
	b, err := Build(root, "apps/podinfo")
	w.requireNothing(t)
	require.NoError(t, err)
	labels := b.Workloads[0].GetLabels()
	require.Equal(t, "web", labels["team"])
	require.Equal(t, int64(7), b.Workloads[0].Object["spec"].(map[string]any)["minReadySeconds"])
	require.Contains(t, objectNames(b), "ConfigMap test/links")
}

// TestLocalFolderWithRemoteLookingName: "./github.com/…" names the local folder, which
// kustomize then reads from disk, as it does for a host with a dot but neither scheme nor user.
func TestLocalFolderWithRemoteLookingName(t *testing.T) {
	w := newWitness(t)
	root := writeRepo(t, overlay(map[string]string{
		"apps/podinfo/kustomization.yaml":                                    kustomization + "  - ./github.com/example/repo\n  - gitserver.example.com/org/repo.git\n",
		"apps/podinfo/gitserver.example.com/org/repo.git/kustomization.yaml": "resources: [cm.yaml]\nnamePrefix: other-\n",
		"apps/podinfo/gitserver.example.com/org/repo.git/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vendored}\n",
		"apps/podinfo/github.com/example/repo/kustomization.yaml":            "resources: [cm.yaml]\n",
		"apps/podinfo/github.com/example/repo/cm.yaml":                       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vendored}\n",
	}))
	b, err := Build(root, "apps/podinfo")
	w.requireNothing(t)
	require.NoError(t, err)
	require.Contains(t, objectNames(b), "ConfigMap test/vendored")
	require.Contains(t, objectNames(b), "ConfigMap test/other-vendored")
}
