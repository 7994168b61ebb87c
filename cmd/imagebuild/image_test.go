package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/stretchr/testify/require"
)

var testMeta = imageMeta{Version: "v0.0.0-test", Revision: "0123456789abcdef0123456789abcdef01234567",
	Source: "https://github.com/gitcanary/gitcanary", Created: time.Unix(1700000000, 0).UTC()}

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

// files lists the entries of the image's only layer with their contents.
func files(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 1)
	rc, err := layers[0].Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		require.Equal(t, testMeta.Created, h.ModTime.UTC(), h.Name)
		require.Zero(t, h.Uid, h.Name)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		out[h.Name] = string(b)
	}
}

func TestAssembleImage(t *testing.T) {
	img, err := assembleImage([]byte("binary"), amd64, testMeta)
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "65532:65532", cf.Config.User)
	require.Equal(t, []string{"/gitcanary"}, cf.Config.Entrypoint)
	require.Equal(t, []string{"controller"}, cf.Config.Cmd)
	require.Equal(t, "linux", cf.OS)
	require.Equal(t, "amd64", cf.Architecture)
	require.Equal(t, testMeta.Created, cf.Created.UTC())
	require.Equal(t, map[string]string{
		"org.opencontainers.image.source":   testMeta.Source,
		"org.opencontainers.image.revision": testMeta.Revision,
		"org.opencontainers.image.version":  testMeta.Version,
		"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
		"org.opencontainers.image.title":    "gitcanary",
	}, cf.Config.Labels)

	got := files(t, img)
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	require.Equal(t, []string{"etc/", "etc/group", "etc/passwd", "gitcanary", "tmp/"}, names, "no shell, no git")
	require.Equal(t, "binary", got["gitcanary"])
	require.Contains(t, got["etc/passwd"], "nonroot:x:65532:65532:")
	require.Contains(t, got["etc/group"], "nonroot:x:65532:")
}

func TestAssembleIsReproducible(t *testing.T) {
	digest := func(meta imageMeta, binary string) v1.Hash {
		dir := t.TempDir()
		bin := filepath.Join(dir, "gitcanary")
		require.NoError(t, writeTestFile(bin, binary))
		idx, err := assembleIndex([]platformImage{{Platform: amd64, Binary: bin}}, meta)
		require.NoError(t, err)
		d, err := idx.Digest()
		require.NoError(t, err)
		return d
	}
	first := digest(testMeta, "binary")
	require.Equal(t, first, digest(testMeta, "binary"), "same inputs, same digest")
	later := testMeta
	later.Created = later.Created.Add(time.Second)
	require.NotEqual(t, first, digest(later, "binary"), "the source date is in the image")
	require.NotEqual(t, first, digest(testMeta, "other binary"))
}

func TestWriteLayoutAndReadBack(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gitcanary")
	require.NoError(t, writeTestFile(bin, "binary"))
	idx, err := assembleIndex([]platformImage{{Platform: amd64, Binary: bin}}, testMeta)
	require.NoError(t, err)
	layoutDir := filepath.Join(dir, "image")
	digest, err := writeLayout(layoutDir, idx, testMeta)
	require.NoError(t, err)
	// Written twice: the folder is replaced, not appended to.
	_, err = writeLayout(layoutDir, idx, testMeta)
	require.NoError(t, err)
	back, err := readLayoutIndex(layoutDir)
	require.NoError(t, err)
	got, err := back.Digest()
	require.NoError(t, err)
	require.Equal(t, digest, got)
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no subcommand", args: nil, wantErr: "usage: imagebuild build|push"},
		{name: "unknown subcommand", args: []string{"bake"}, wantErr: `unknown subcommand "bake"`},
		{name: "no source date", args: []string{"build", "-version", "v1", "-revision", "abc", "-source-date-epoch", ""},
			wantErr: "-source-date-epoch (or SOURCE_DATE_EPOCH) is required"},
		{name: "bad source date", args: []string{"build", "-version", "v1", "-revision", "abc", "-source-date-epoch", "yesterday"},
			wantErr: `-source-date-epoch "yesterday": want Unix seconds`},
		{name: "no version", args: []string{"build", "-revision", "abc", "-source-date-epoch", "1"},
			wantErr: "-version and -revision are required"},
		{name: "bad platform", args: []string{"build", "-version", "v1", "-revision", "abc", "-source-date-epoch", "1", "-platforms", "darwin/arm64"},
			wantErr: `-platforms: "darwin/arm64" is not linux/<arch>`},
		{name: "push without ref", args: []string{"push"}, wantErr: "-ref is required"},
		{name: "push without layout", args: []string{"push", "-layout", "/nonexistent/image", "-ref", "127.0.0.1:1/x:y"},
			wantErr: "read layout /nonexistent/image (run make image first)"},
		{name: "push to a bad reference", args: []string{"push", "-ref", "UPPER/case:tag"}, wantErr: `-ref "UPPER/case:tag"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			require.NotEqual(t, 0, code)
			require.Contains(t, stderr.String(), tt.wantErr)
			require.False(t, strings.Contains(stdout.String(), "index sha256"), "nothing built")
		})
	}
}
