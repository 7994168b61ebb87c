package render

import (
	"strings"
	"testing"
)

// BenchmarkBuildPodinfo renders, decodes, validates and digests the podinfo example: the work
// of one changed overlay in a sync.
func BenchmarkBuildPodinfo(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		bundle, err := Build("..", "manifests/examples/podinfo")
		if err != nil {
			b.Fatal(err)
		}
		_ = bundle.Digest()
	}
}

// BenchmarkParseQuery reads the seed's error-rate for the lints, and queries at the lints' bounds
// that make Prometheus's parser work hardest: the longest, the deepest, and the most operators.
func BenchmarkParseQuery(b *testing.B) {
	for _, bm := range []struct{ name, query string }{
		{"seed error-rate", seedErrorRate},
		{"16 KiB by list", "sum by (a" + strings.Repeat(",a", (maxLintQuery-20)/2) + ") (m)"},
		{"16 KiB call arguments", `label_join(m, "d", ","` + strings.Repeat(`, "a"`, (maxLintQuery-30)/5) + ")"},
		{"nesting and operators", strings.Repeat("(", maxLintDepth-1) + strings.Repeat("m+", maxLintOperators) + "m" + strings.Repeat(")", maxLintDepth-1)},
		{"unary operators", strings.Repeat("-", maxLintOperators) + "m"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if parseQuery(bm.query) == nil {
					b.Fatal("not read")
				}
			}
		})
	}
}
