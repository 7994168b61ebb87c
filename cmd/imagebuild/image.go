package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's user, as distroless names it.
const (
	nonrootID   = 65532
	binaryPath  = "gitcanary"
	etcPasswd   = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	etcGroup    = "root:x:0:\nnonroot:x:65532:\n"
	imageAuthor = "gitcanary imagebuild"
)

// platformImage is one platform's compiled binary.
type platformImage struct {
	Platform v1.Platform
	Binary   string
}

// labels are the OCI annotations of the image config and the index.
func (m imageMeta) labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.source":   m.Source,
		"org.opencontainers.image.revision": m.Revision,
		"org.opencontainers.image.version":  m.Version,
		"org.opencontainers.image.created":  m.Created.Format(time.RFC3339),
		"org.opencontainers.image.title":    "gitcanary",
	}
}

// assembleIndex builds one image per platform and the OCI index over them.
func assembleIndex(images []platformImage, meta imageMeta) (v1.ImageIndex, error) {
	var adds []mutate.IndexAddendum
	for _, pi := range images {
		bin, err := os.ReadFile(pi.Binary)
		if err != nil {
			return nil, fmt.Errorf("read binary for %s: %w", platformString(pi.Platform), err)
		}
		img, err := assembleImage(bin, pi.Platform, meta)
		if err != nil {
			return nil, fmt.Errorf("assemble image for %s: %w", platformString(pi.Platform), err)
		}
		p := pi.Platform
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	return mutate.Annotations(idx, meta.labels()).(v1.ImageIndex), nil
}

// assembleImage builds the image of one platform from scratch around binary.
func assembleImage(binary []byte, p v1.Platform, meta imageMeta) (v1.Image, error) {
	layerTar, err := rootFS(binary, meta.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	created := v1.Time{Time: meta.Created}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: created, CreatedBy: imageAuthor, Author: imageAuthor},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created, cf.Author = created, imageAuthor
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", nonrootID, nonrootID),
		Entrypoint: []string{"/" + binaryPath},
		Cmd:        []string{"controller"},
		WorkingDir: "/",
		Labels:     meta.labels(),
	}
	return mutate.ConfigFile(img, cf)
}

// rootFS is the layer: /etc/passwd, /etc/group and the binary, owned by root, every time the
// source date.
func rootFS(binary []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	entries := []struct {
		name string
		mode int64
		data []byte
		dir  bool
	}{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: []byte(etcGroup)},
		{name: "etc/passwd", mode: 0o644, data: []byte(etcPasswd)},
		{name: binaryPath, mode: 0o755, data: binary},
		{name: "tmp/", mode: 0o1777, dir: true},
	}
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: mtime, Format: tar.FormatUSTAR, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		if e.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeLayout replaces dir with an OCI image layout holding idx, tagged with the version, and
// returns the index digest.
func writeLayout(dir string, idx v1.ImageIndex, meta imageMeta) (v1.Hash, error) {
	digest, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return v1.Hash{}, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("write layout %s: %w", dir, err)
	}
	err = p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": meta.Version}))
	if err != nil {
		return v1.Hash{}, fmt.Errorf("write layout %s: %w", dir, err)
	}
	return digest, nil
}
