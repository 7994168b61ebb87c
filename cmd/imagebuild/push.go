package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pushOptions say which layout goes where.
type pushOptions struct {
	// Layout is the OCI layout that build wrote.
	Layout string
	// Ref is the destination, such as ghcr.io/gitcanary/gitcanary:v0.1.0.
	Ref string
	// Insecure allows plain HTTP (loopback and private addresses use it anyway).
	Insecure bool
}

func parsePushFlags(args []string, stderr io.Writer) (pushOptions, error) {
	fs := flag.NewFlagSet("imagebuild push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := pushOptions{}
	fs.StringVar(&o.Layout, "layout", "dist/image", "OCI layout written by imagebuild build")
	fs.StringVar(&o.Ref, "ref", "", "destination reference, such as ghcr.io/gitcanary/gitcanary:v0.1.0 (required)")
	fs.BoolVar(&o.Insecure, "insecure", false, "allow a registry over plain HTTP")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.Ref == "" {
		return o, errors.New("-ref is required")
	}
	return o, nil
}

// runPush writes the layout's image index to the registry and prints ref@digest.
func runPush(ctx context.Context, o pushOptions, stdout io.Writer) error {
	var opts []name.Option
	if o.Insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(o.Ref, opts...)
	if err != nil {
		return fmt.Errorf("-ref %q: %w", o.Ref, err)
	}
	idx, err := readLayoutIndex(o.Layout)
	if err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	err = remote.WriteIndex(ref, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	fmt.Fprintf(stdout, "%s@%s\n", ref.Context().Name(), digest)
	return nil
}

// readLayoutIndex returns the image index that build wrote into the layout at dir (the only
// manifest its index.json lists).
func readLayoutIndex(dir string) (v1.ImageIndex, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("read layout %s (run make image first): %w", dir, err)
	}
	root, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("read layout %s: %w", dir, err)
	}
	m, err := root.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read layout %s: %w", dir, err)
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("layout %s lists %d manifests, want the one image index imagebuild writes", dir, len(m.Manifests))
	}
	return root.ImageIndex(m.Manifests[0].Digest)
}
