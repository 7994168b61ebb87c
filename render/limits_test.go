package render

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bomb returns a "billion laughs" YAML value: levels of sequences, each holding width aliases
// of the one before, indented by indent. It expands to about width^levels nodes.
func bomb(indent string, width, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sl0: &l0 [%s]\n", indent, strings.TrimSuffix(strings.Repeat(`"lol",`, width), ","))
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "%sl%d: &l%d [%s]\n", indent, i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), width), ","))
	}
	return b.String()
}

func TestYAMLNodes(t *testing.T) {
	tests := []struct {
		name string
		data string
		max  int64
		want int64
	}{
		// Each document counts one node for itself.
		{name: "scalar", data: "a", max: 100, want: 1 + 1},
		{name: "map of two pairs", data: "a: b\nc: d\n", max: 100, want: 1 + 5},
		{name: "alias expanded", data: "a: &x [1, 2, 3]\nb: *x\n", max: 100, want: 1 + 1 + (1 + 4) + (1 + 4)},
		{name: "merge key expanded", data: "a: &x {k: v}\nb: {<<: *x}\n", max: 100, want: 1 + 1 + (1 + 3) + (1 + (1 + 1 + 3))},
		{name: "documents add up", data: "a: 1\n---\nb: 2\n---\nc: 3\n", max: 100, want: 3 * (1 + 3)},
		{name: "separator with a comment", data: "a: 1\n--- # next\nb: 2\n", max: 100, want: 2 * (1 + 3)},
		{name: "not YAML counts nothing", data: "a: [\n", max: 100, want: 0},
		{name: "stops past max", data: bomb("", 10, 9), max: 1000, want: 1001},
		{name: "YAML with aliases in a string is counted", data: "patch: |\n" + bomb("  ", 3, 3), max: 1000,
			want: 1 + 1 + 1 + 1 + yamlNodes([]byte(bomb("", 3, 3)), 1000)},
		{name: "string without aliases is one node", data: "patch: |\n  a: 1\n  b: 2\n", max: 100, want: 1 + 3},
		{name: "alias cycle does not hang", data: "a: &a [1, *a]\n", max: 100, want: 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := yamlNodes([]byte(tt.data), tt.max)
			if tt.name == "alias cycle does not hang" {
				require.LessOrEqual(t, got, tt.max+1)
				return
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// TestBuildLimits renders overlays over each limit: each is refused with an error naming the
// file (or the overlay) and the flag that raises the limit.
func TestBuildLimits(t *testing.T) {
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {x: \"" + strings.Repeat("x", 2000) + "\"}\n"
	cm := func(name string) string { return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n" }
	tests := []struct {
		name     string
		limits   Limits
		files    map[string]string
		wantText []string
	}{
		{name: "file too large", limits: Limits{FileBytes: 1000},
			files:    map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - big.yaml\n", "apps/podinfo/big.yaml": big},
			wantText: []string{"apps/podinfo/big.yaml", "over the limit of 1000 bytes per file", "-" + FlagFileBytes}},
		{name: "kustomization too large", limits: Limits{FileBytes: 100},
			files:    map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "# " + strings.Repeat("x", 100) + "\n"},
			wantText: []string{"apps/podinfo/kustomization.yaml", "bytes per file"}},
		{name: "too much read", limits: Limits{ReadBytes: 3000},
			files: map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - big.yaml\n  - big2.yaml\n",
				"apps/podinfo/big.yaml": big, "apps/podinfo/big2.yaml": strings.Replace(big, "name: big", "name: big2", 1)},
			wantText: []string{"apps/podinfo/big", "bytes read per overlay", "-" + FlagReadBytes}},
		{name: "too many YAML nodes", limits: Limits{YAMLNodes: 50},
			files:    map[string]string{"apps/podinfo/kustomization.yaml": kustomization + "  - a.yaml\n  - b.yaml\n", "apps/podinfo/a.yaml": cm("a"), "apps/podinfo/b.yaml": cm("b")},
			wantText: []string{"apps/podinfo/", "over the limit of 50 YAML nodes per overlay", "-" + FlagYAMLNodes}},
		{name: "rendered output too large", limits: Limits{RenderedBytes: 500},
			files:    overlay(nil),
			wantText: []string{"apps/podinfo: the rendered objects up to", "bytes of rendered objects per overlay", "-" + FlagRenderedBytes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := overlay(nil)
			for k, v := range tt.files {
				files[k] = v
			}
			root := writeRepo(t, files)
			b, err := Build(root, "apps/podinfo", WithLimits(tt.limits))
			require.Nil(t, b)
			var limit *LimitError
			require.True(t, errors.As(err, &limit), "error %T: %v", err, err)
			for _, s := range tt.wantText {
				require.Contains(t, err.Error(), s)
			}
			require.NotContains(t, err.Error(), root)
		})
	}
	b, err := Build(writeRepo(t, overlay(nil)), "apps/podinfo")
	require.NoError(t, err, "the default limits let a real overlay through")
	require.Len(t, b.Objects, 2)
}

// TestBuildRefusesYAMLBombs: a ~1 KiB document of nested aliases that kustomize would expand to
// 387 million nodes is refused before kustomize parses it, wherever it hides, and refusing it
// allocates little: the count stops at the limit.
func TestBuildRefusesYAMLBombs(t *testing.T) {
	laughs := bomb("  ", 9, 9)
	transformer := "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\ntarget: {kind: Deployment}\npatch: |\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: podinfo}\n" + bomb("  ", 9, 9)
	tests := map[string]struct {
		files map[string]string
		file  string
	}{
		"in a resource": {files: map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "  - bomb.yaml\n",
			"apps/podinfo/bomb.yaml":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n" + laughs,
		}, file: "apps/podinfo/bomb.yaml"},
		"in the kustomization": {files: map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "commonAnnotations:\n" + laughs,
		}, file: "apps/podinfo/kustomization.yaml"},
		"in an inline patch of the kustomization": {files: map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "patches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: podinfo}\n" + bomb("      ", 9, 9),
		}, file: "apps/podinfo/kustomization.yaml"},
		"in the patch of a transformer file": {files: map[string]string{
			"apps/podinfo/kustomization.yaml": kustomization + "transformers: [t.yaml]\n",
			"apps/podinfo/t.yaml":             transformer,
		}, file: "apps/podinfo/t.yaml"},
		"in a plain folder": {files: map[string]string{
			"apps/podinfo/kustomization.yaml":       kustomization + "  - plain\n",
			"apps/podinfo/plain/kustomization.yaml": "resources: [bomb.json]\n",
			"apps/podinfo/plain/bomb.json":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n" + laughs,
		}, file: "apps/podinfo/plain/bomb.json"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			root := writeRepo(t, overlay(tt.files))
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Build(root, "apps/podinfo")
			runtime.ReadMemStats(&after)
			var limit *LimitError
			require.True(t, errors.As(err, &limit), "error %T: %v", err, err)
			require.Equal(t, tt.file, limit.File)
			require.Equal(t, FlagYAMLNodes, limit.Flag)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("refusing the bomb allocated %d KiB", allocated>>10)
			require.Less(t, allocated, uint64(64<<20), "refusing a bomb must not expand it")
		})
	}
}
