package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// buildOptions are the inputs of one image build.
type buildOptions struct {
	// ModuleDir is the gitcanary module's root, Package the main package built in it.
	ModuleDir, Package string
	// OutDir receives image/ (the OCI layout) and sbom/.
	OutDir string
	// Platforms are the os/arch pairs to build.
	Platforms []v1.Platform
	// Meta is what the image says about its source.
	Meta imageMeta
}

// imageMeta is stamped into the binary, the labels and the SBOM.
type imageMeta struct {
	Version, Revision, Source string
	// Created is the source date: every timestamp in the image.
	Created time.Time
}

func parseBuildFlags(args []string, stderr io.Writer) (buildOptions, error) {
	fs := flag.NewFlagSet("imagebuild build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := buildOptions{}
	fs.StringVar(&o.ModuleDir, "module", ".", "root of the gitcanary module")
	fs.StringVar(&o.Package, "package", "./cmd/gitcanary", "main package to build")
	fs.StringVar(&o.OutDir, "out", "dist", "output folder (image/ and sbom/ are replaced)")
	platforms := fs.String("platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list")
	fs.StringVar(&o.Meta.Version, "version", "", "version stamped into the binary and the labels (required)")
	fs.StringVar(&o.Meta.Revision, "revision", "", "source commit (required)")
	fs.StringVar(&o.Meta.Source, "source", "https://github.com/gitcanary/gitcanary", "source repository URL")
	epoch := fs.String("source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"),
		"source date in Unix seconds, the commit time (default $SOURCE_DATE_EPOCH; required)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.Platforms, err = parsePlatforms(*platforms); err != nil {
		return o, err
	}
	if o.Meta.Created, err = parseEpoch(*epoch); err != nil {
		return o, err
	}
	if o.Meta.Version == "" || o.Meta.Revision == "" {
		return o, errors.New("-version and -revision are required")
	}
	return o, nil
}

func parsePlatforms(s string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, p := range strings.Split(s, ",") {
		osName, arch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || osName != "linux" || arch == "" || strings.Contains(arch, "/") {
			return nil, fmt.Errorf("-platforms: %q is not linux/<arch>", p)
		}
		out = append(out, v1.Platform{OS: osName, Architecture: arch})
	}
	return out, nil
}

func parseEpoch(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("-source-date-epoch (or SOURCE_DATE_EPOCH) is required: the commit time, e.g. $(git log -1 --format=%ct)")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("-source-date-epoch %q: want Unix seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// runBuild compiles each platform, assembles the index and writes the layout and the SBOMs.
func runBuild(ctx context.Context, o buildOptions, stdout io.Writer) error {
	_, err := build(ctx, o, stdout)
	return err
}

// build is runBuild returning the index digest.
func build(ctx context.Context, o buildOptions, stdout io.Writer) (v1.Hash, error) {
	work, err := os.MkdirTemp("", "imagebuild-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(work)
	var images []platformImage
	for _, p := range o.Platforms {
		bin := filepath.Join(work, "gitcanary-"+p.OS+"-"+p.Architecture)
		start := time.Now()
		if err := compile(ctx, o, p, bin); err != nil {
			return v1.Hash{}, err
		}
		fmt.Fprintf(stdout, "imagebuild: compiled %s in %s\n", platformString(p), time.Since(start).Round(time.Second))
		images = append(images, platformImage{Platform: p, Binary: bin})
	}
	idx, err := assembleIndex(images, o.Meta)
	if err != nil {
		return v1.Hash{}, err
	}
	digest, err := writeLayout(filepath.Join(o.OutDir, "image"), idx, o.Meta)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := writeSBOMs(filepath.Join(o.OutDir, "sbom"), images, o.Meta); err != nil {
		return v1.Hash{}, err
	}
	fmt.Fprintf(stdout, "imagebuild: index %s (%d platforms) in %s, SBOMs in %s\n",
		digest, len(images), filepath.Join(o.OutDir, "image"), filepath.Join(o.OutDir, "sbom"))
	return digest, nil
}

// compile cross-compiles the static binary for one platform with `go build` (build tooling
// may run the Go toolchain; the product never runs a program).
func compile(ctx context.Context, o buildOptions, p v1.Platform, out string) error {
	ldflags := fmt.Sprintf("-s -w -X main.version=%s -X main.revision=%s", o.Meta.Version, o.Meta.Revision)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, o.Package)
	cmd.Dir = o.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture,
		// Fixed: a GOFLAGS or an architecture level from the environment would change the binary.
		"GOFLAGS=", "GOAMD64=v1", "GOARM64=v8.0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s: %w\n%s", o.Package, platformString(p), err, b)
	}
	return nil
}

func platformString(p v1.Platform) string { return p.OS + "/" + p.Architecture }
