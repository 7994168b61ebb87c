package render

import "testing"

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
