package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/gitcanary/gitcanary/render"
	"k8s.io/apimachinery/pkg/api/resource"
)

// parseInterspersed parses flags that may appear before, between or after positional
// arguments (`gitcanary render PATH -o yaml`), and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a FlagSet that reports errors instead of exiting, with usage on stderr.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// registerRenderLimits adds the flags of render's limits, shared by the controller and
// `gitcanary render`, starting at render's defaults.
func registerRenderLimits(fs *flag.FlagSet, l *render.Limits) {
	l.FileBytes, l.ReadBytes, l.YAMLNodes, l.RenderedBytes = render.DefaultFileBytes, render.DefaultReadBytes, render.DefaultYAMLNodes, render.DefaultRenderedBytes
	fs.Var(byteSize{&l.FileBytes}, render.FlagFileBytes, "largest file an overlay may read while rendering (e.g. 4Mi)")
	fs.Var(byteSize{&l.ReadBytes}, render.FlagReadBytes, "most bytes of files one overlay's render may read, each read counted")
	fs.Int64Var(&l.YAMLNodes, render.FlagYAMLNodes, l.YAMLNodes, "most YAML nodes, aliases expanded, one overlay's files may hold")
	fs.Var(byteSize{&l.RenderedBytes}, render.FlagRenderedBytes, "largest rendered output (JSON of all objects) of one overlay")
}

// byteSize is a flag holding a positive number of bytes, written as a Kubernetes quantity:
// 4194304, 4Mi or 4M.
type byteSize struct{ v *int64 }

func (b byteSize) String() string {
	if b.v == nil {
		return ""
	}
	return resource.NewQuantity(*b.v, resource.BinarySI).String()
}

func (b byteSize) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("want a size such as 4Mi: %w", err)
	}
	n, ok := q.AsInt64()
	if !ok || n <= 0 {
		return fmt.Errorf("want a positive size such as 4Mi, got %s", s)
	}
	*b.v = n
	return nil
}
