//go:build e2e

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"
)

// The image end to end, without a cluster: `go build` for both platforms, the layout, a push to
// a registry (go-containerregistry's, in process on loopback), a pull, and the amd64 binary run
// from the pulled layer.

func e2eOptions(out string) buildOptions {
	return buildOptions{
		ModuleDir: "../..", Package: "./cmd/gitcanary", OutDir: out,
		Platforms: []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}},
		Meta:      testMeta,
	}
}

func buildForTest(t *testing.T, out string) v1.Hash {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var log bytes.Buffer
	digest, err := build(ctx, e2eOptions(out), &log)
	require.NoError(t, err, log.String())
	t.Log(strings.TrimSpace(log.String()))
	return digest
}

func TestImagePushPullRun(t *testing.T) {
	out := t.TempDir()
	digest := buildForTest(t, out)

	// Given a registry on loopback, when the layout is pushed
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	refName := strings.TrimPrefix(srv.URL, "http://") + "/gitcanary/gitcanary:" + testMeta.Version
	var pushed bytes.Buffer
	require.NoError(t, runPush(context.Background(), pushOptions{Layout: filepath.Join(out, "image"), Ref: refName}, &pushed))
	require.Equal(t, strings.TrimPrefix(srv.URL, "http://")+"/gitcanary/gitcanary@"+digest.String()+"\n", pushed.String())

	// Then the tag pulls back as the same index, with one image per platform
	ref, err := name.ParseReference(refName)
	require.NoError(t, err)
	idx, err := remote.Index(ref)
	require.NoError(t, err)
	got, err := idx.Digest()
	require.NoError(t, err)
	require.Equal(t, digest, got)
	m, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Equal(t, testMeta.Version, m.Annotations["org.opencontainers.image.version"])
	var platforms []string
	var amd64Image v1.Image
	for _, desc := range m.Manifests {
		platforms = append(platforms, platformString(*desc.Platform))
		img, err := idx.Image(desc.Digest)
		require.NoError(t, err)
		cf, err := img.ConfigFile()
		require.NoError(t, err)
		require.Equal(t, desc.Platform.Architecture, cf.Architecture)
		require.Equal(t, "65532:65532", cf.Config.User)
		require.Equal(t, []string{"/gitcanary"}, cf.Config.Entrypoint)
		require.Equal(t, []string{"controller"}, cf.Config.Cmd)
		for _, key := range []string{"source", "revision", "version", "created"} {
			require.NotEmpty(t, cf.Config.Labels["org.opencontainers.image."+key], key)
		}
		require.Equal(t, testMeta.Revision, cf.Config.Labels["org.opencontainers.image.revision"])
		fs := files(t, img)
		require.Len(t, fs, 5, "the binary, /etc/passwd, /etc/group and their folders: no shell, no git")
		if desc.Platform.Architecture == "amd64" {
			amd64Image = img
		}
	}
	require.ElementsMatch(t, []string{"linux/amd64", "linux/arm64"}, platforms)

	// And the amd64 binary, taken out of the pulled layer, runs
	bin := filepath.Join(t.TempDir(), "gitcanary")
	require.NoError(t, os.WriteFile(bin, []byte(files(t, amd64Image)["gitcanary"]), 0o755))
	version, err := exec.Command(bin, "version").CombinedOutput()
	require.NoError(t, err, string(version))
	require.Equal(t, "gitcanary "+testMeta.Version+" (revision "+testMeta.Revision+")\n", string(version))

	// And an SBOM per platform lists the modules, the fallback CA roots among them
	for _, arch := range []string{"amd64", "arm64"} {
		b, err := os.ReadFile(filepath.Join(out, "sbom", "gitcanary-linux-"+arch+".spdx.json"))
		require.NoError(t, err)
		var doc spdxDocument
		require.NoError(t, json.Unmarshal(b, &doc))
		require.Equal(t, "SPDX-2.3", doc.SPDXVersion)
		var names []string
		for _, p := range doc.Packages {
			names = append(names, p.Name)
		}
		require.Contains(t, names, "github.com/gitcanary/gitcanary")
		require.Contains(t, names, "golang.org/x/crypto/x509roots/fallback")
		require.Contains(t, names, "k8s.io/client-go")
	}
}

// Two builds of the same source give the same index digest.
func TestImageIsReproducible(t *testing.T) {
	first := buildForTest(t, t.TempDir())
	second := buildForTest(t, t.TempDir())
	require.Equal(t, first, second)
}
