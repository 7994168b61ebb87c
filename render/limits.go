package render

import (
	"fmt"
)

// Default limits of one overlay's render. They are far above what real overlays need (a large
// CRD, Gateway API's HTTPRoute, is 0.5 MiB and 7,000 YAML nodes) and below what exhausts a
// controller: measured, kustomize holds about 1.2 KiB of heap per YAML node, so the node limit
// bounds one render near 360 MiB.
const (
	DefaultFileBytes     int64 = 4 << 20
	DefaultReadBytes     int64 = 32 << 20
	DefaultYAMLNodes     int64 = 300_000
	DefaultRenderedBytes int64 = 32 << 20
)

// Command-line flags of the controller and of `gitcanary render` that set each limit; errors
// name them so that the person who meets a limit knows which knob raises it.
const (
	FlagFileBytes     = "render-max-file-size"
	FlagReadBytes     = "render-max-read-size"
	FlagYAMLNodes     = "render-max-yaml-nodes"
	FlagRenderedBytes = "render-max-output-size"
)

// Limits bound what rendering one overlay may cost. A field that is zero or negative takes its
// default.
type Limits struct {
	// FileBytes is the size of the largest file read (default DefaultFileBytes).
	FileBytes int64
	// ReadBytes is the total of the bytes of every file read, counting a file each time
	// kustomize reads it (default DefaultReadBytes).
	ReadBytes int64
	// YAMLNodes is the number of YAML nodes, with aliases expanded, of every file read,
	// counting YAML embedded in strings (inline patches and configurations) (default
	// DefaultYAMLNodes). It bounds kustomize's memory, and stops "billion laughs" documents
	// before kustomize expands them.
	YAMLNodes int64
	// RenderedBytes is the size of the JSON of every rendered object together (default
	// DefaultRenderedBytes).
	RenderedBytes int64
}

// withDefaults returns l with every unset field at its default.
func (l Limits) withDefaults() Limits {
	set := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.FileBytes, DefaultFileBytes)
	set(&l.ReadBytes, DefaultReadBytes)
	set(&l.YAMLNodes, DefaultYAMLNodes)
	set(&l.RenderedBytes, DefaultRenderedBytes)
	return l
}

// LimitError is an overlay that costs more than a Limit allows.
type LimitError struct {
	// File is the file or overlay, relative to the repository root.
	File string
	// What says what went over, e.g. "5242881 bytes".
	What string
	// Max is the limit, Unit what it counts (e.g. "bytes per file") and Flag the flag that
	// sets it.
	Max  int64
	Unit string
	Flag string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s: over the limit of %d %s (-%s)", e.File, e.What, e.Max, e.Unit, e.Flag)
}
