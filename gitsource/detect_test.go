package gitsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDetector(t *testing.T) {
	digests := map[string]string{"a": "1", "b": "2"}
	failing := errors.New("kustomize: broken")
	d := NewDetector(func(_ context.Context, root, overlay string) (string, error) {
		require.Equal(t, "/repo", root)
		if overlay == "broken" {
			return "", failing
		}
		return digests[overlay], nil
	})
	ctx := context.Background()
	steps := []struct {
		name    string
		set     map[string]string
		apply   bool
		forget  string
		want    []Change
		wantErr error
	}{
		{name: "never applied: every overlay changed", apply: true,
			want: []Change{{Overlay: "a", Digest: "1"}, {Overlay: "b", Digest: "2"}}},
		{name: "same digests: nothing changed", want: nil},
		{name: "one digest moved", set: map[string]string{"b": "3"}, apply: true,
			want: []Change{{Overlay: "b", Digest: "3", Previous: "2"}}},
		{name: "forgotten overlay is reported again", forget: "a", want: []Change{{Overlay: "a", Digest: "1"}}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for k, v := range st.set {
				digests[k] = v
			}
			if st.forget != "" {
				d.Forget(st.forget)
			}
			got, err := d.Detect(ctx, "/repo", []string{"a", "b"})
			require.NoError(t, err)
			require.Equal(t, st.want, got)
			if st.apply {
				for _, c := range got {
					d.MarkApplied(c.Overlay, c.Digest)
				}
			}
		})
	}
	t.Run("a broken overlay does not hide the others", func(t *testing.T) {
		digests["b"] = "4"
		got, err := d.Detect(ctx, "/repo", []string{"broken", "b"})
		require.ErrorIs(t, err, failing)
		require.ErrorContains(t, err, "digest overlay broken")
		require.Equal(t, []Change{{Overlay: "b", Digest: "4", Previous: "3"}}, got)
	})
	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := d.Detect(cctx, "/repo", []string{"a"})
		require.ErrorIs(t, err, context.Canceled)
	})
}

// dirDigest stands in for render: the digest of the overlay's files and of base/, which every
// overlay of the fixture includes.
func dirDigest(_ context.Context, root, overlay string) (string, error) {
	h := sha256.New()
	for _, dir := range []string{overlay, "base"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			h.Write([]byte(p[len(root):]))
			h.Write(b)
			return err
		})
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func TestCommitsThatDoNotTouchAnOverlayCauseNoWork(t *testing.T) {
	fx := newFixture(t)
	f := newTestFetcher(t, fx.httpRemote(), Ref{Branch: "main"})
	d := NewDetector(dirDigest)
	overlays := []string{"overlays/prod", "overlays/canary"}
	sync := func() []string {
		co, err := f.Fetch(testContext(t))
		require.NoError(t, err)
		changes, err := d.Detect(testContext(t), co.Dir, overlays)
		require.NoError(t, err)
		var names []string
		for _, c := range changes {
			d.MarkApplied(c.Overlay, c.Digest)
			names = append(names, c.Overlay)
		}
		return names
	}
	require.Equal(t, overlays, sync())
	fx.commit(t, map[string]string{"README.md": "docs only\n", "status/test/podinfo.yaml": "phase: Succeeded\n"})
	require.Empty(t, sync(), "a new commit, but no overlay's output changed")
	fx.commit(t, map[string]string{"overlays/canary/kustomization.yaml": "resources: [../../base]\nnamePrefix: c2-\n"})
	require.Equal(t, []string{"overlays/canary"}, sync())
	fx.commit(t, map[string]string{"base/deploy.yaml": "kind: Deployment\nspec: {}\n"})
	require.Equal(t, overlays, sync())
}
