package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzBuild renders an overlay whose kustomization and one extra manifest are arbitrary, beside
// a Deployment and a Canary it may refer to, under small limits. Whatever the input, Build must
// not panic, reach the network, start a program or name a host path, and it returns either a
// Bundle or an error.
//
// Seeds: testdata/fuzz/FuzzBuild (remote references of every form, plugins, Helm, bombs, the
// comma that makes kustomize panic) and the cases below.
func FuzzBuild(f *testing.F) {
	f.Add(kustomization+"  - extra.yaml\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n")
	f.Add("namespace: test\nresources: [extra.yaml]\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a,b\"}\n")
	f.Add(kustomization+"transformers: [extra.yaml]\n", "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: https://example.com/p.yaml\n")
	f.Add(kustomization+"  - github.com/example/repo\n", "")
	f.Add("resources: [extra.yaml]\n", "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n")
	f.Add(kustomization+"  - extra.yaml\n", "apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: m}\n"+
		"spec:\n  provider: {type: prometheus, address: http://prometheus:9090}\n  query: rate(m{a=\"{{ target }}\"}[{{ interval }}]) / rate(m[1m])\n")
	w := newWitness(f)
	limits := Limits{FileBytes: 64 << 10, ReadBytes: 1 << 20, YAMLNodes: 20_000, RenderedBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, kust, manifest string) {
		root := t.TempDir()
		files := overlay(map[string]string{"apps/podinfo/kustomization.yaml": kust, "apps/podinfo/extra.yaml": manifest})
		for name, content := range files {
			p := filepath.Join(root, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := Build(root, "apps/podinfo", WithLimits(limits))
		w.requireNothing(t)
		if err == nil && b == nil {
			t.Fatal("no Bundle and no error")
		}
		if err != nil && strings.Contains(err.Error(), root) {
			t.Fatalf("error names a host path: %v", err)
		}
	})
}

// FuzzLintQuery reads an arbitrary query template for the lints (lint_query.go): whatever the
// query, reading and linting it must not panic. The reader hands Prometheus's parser only
// queries within its bounds, and walks the tree the parser returns.
func FuzzLintQuery(f *testing.F) {
	f.Add(seedErrorRate)
	f.Add(`histogram_quantile({{ variables.q }}, sum(rate(m_ms_bucket{a="{{ target }}"}[{{ interval }}] offset 1m)) by (le))`)
	f.Add(`sum by (a) (rate({__name__="m"}[1m:10s] @ start())) / on(a) group_left(b) -m ^ 2 or vector(1) # c`)
	f.Fuzz(func(t *testing.T, query string) {
		parsed := parseQuery(query)
		lintRatio(parsed)
		millisecondMetric(parsed)
	})
}
