package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/render"
	"sigs.k8s.io/yaml"
)

func init() {
	register(command{name: "render", summary: "render an overlay and check its Canaries, MetricTemplates and AlertProviders", run: runRender})
}

const renderUsage = `Usage: gitcanary render PATH [--root DIR] [--mesh-provider P] [-o table|yaml|json] [--render-max-… LIMIT]

Renders the kustomize overlay (or plain folder of manifests) at PATH as the controller would,
lists the objects found and checks every Canary, MetricTemplate and AlertProvider. Canaries
without spec.provider are checked as canaries of --mesh-provider (the controller's flag).
Rendering never reaches the network or runs a program, and is bounded by the same limits as in
the controller (--render-max-…, the controller's flags). Warnings go to stderr. Exit status: 0 valid, 1 invalid or not renderable, 2 usage error.

`

func runRender(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("render", renderUsage, stderr)
	root := fs.String("root", "", "repository root that confines rendering (default: the Git work tree containing PATH, else the current directory)")
	output := fs.String("o", "table", "output format: table, yaml or json")
	provider := fs.String("mesh-provider", v1beta1.DefaultProvider, "provider of canaries without spec.provider, as the controller's -mesh-provider")
	var limits render.Limits
	registerRenderLimits(fs, &limits)
	paths, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(paths) != 1 {
		fmt.Fprintln(stderr, "gitcanary render: exactly one PATH is required")
		fs.Usage()
		return exitUsage
	}
	if *output != "table" && *output != "yaml" && *output != "json" {
		fmt.Fprintf(stderr, "gitcanary render: unknown output format %q (table, yaml or json)\n", *output)
		return exitUsage
	}
	if _, err := v1beta1.ParseProvider(*provider); err != nil {
		fmt.Fprintf(stderr, "gitcanary render: --mesh-provider: %v\n", err)
		return exitUsage
	}
	if *root == "" {
		*root = defaultRoot(paths[0])
	}
	overlay, err := overlayPath(*root, paths[0])
	if err != nil {
		fmt.Fprintf(stderr, "gitcanary render: %v\n", err)
		return exitUsage
	}

	bundle, err := render.Build(*root, overlay, render.WithDefaultProvider(*provider), render.WithLimits(limits))
	if bundle != nil {
		for _, w := range bundle.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if perr := printBundle(stdout, bundle, *output); perr != nil {
			fmt.Fprintf(stderr, "gitcanary render: %v\n", perr)
			return exitFailure
		}
	}
	if err != nil {
		printRenderError(stderr, err)
		return exitFailure
	}
	return exitOK
}

// printRenderError lists each problem of an invalid bundle on a line of its own.
func printRenderError(w io.Writer, err error) {
	var invalid *render.InvalidError
	if !errors.As(err, &invalid) {
		fmt.Fprintf(w, "error: %v\n", err)
		return
	}
	for _, e := range invalid.Errs {
		var verr *v1beta1.ValidationError
		if !errors.As(e, &verr) {
			fmt.Fprintf(w, "error: %v\n", e)
			continue
		}
		for _, p := range verr.Problems() {
			fmt.Fprintf(w, "error: %s: %s\n", verr.Object(), p)
		}
	}
	fmt.Fprintf(w, "%s: %d invalid object(s)\n", invalid.Overlay, len(invalid.Errs))
}

func printBundle(w io.Writer, b *render.Bundle, format string) error {
	switch format {
	case "yaml":
		for _, o := range b.Objects {
			data, err := yaml.Marshal(o.Object)
			if err != nil {
				return fmt.Errorf("encode %s: %w", render.ObjectName(o), err)
			}
			fmt.Fprintf(w, "---\n%s", data)
		}
	case "json":
		items := make([]map[string]any, len(b.Objects))
		for i, o := range b.Objects {
			items[i] = o.Object
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	default:
		for _, o := range b.Objects {
			fmt.Fprintln(w, render.ObjectName(o))
		}
	}
	return nil
}

// defaultRoot returns the Git work tree that contains path, else the current directory.
func defaultRoot(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "."
	}
	for dir := abs; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return "."
		}
	}
}

// overlayPath returns path relative to root; it fails when path is not inside root.
func overlayPath(root, path string) (string, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	absPath, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absRoot, absPath)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is not inside the repository root %s (set --root)", path, root)
	}
	return rel, nil
}
