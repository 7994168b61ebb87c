package render

import (
	"fmt"
	"strings"
)

// OutsideRootError is a path that leaves the repository root, directly or through a symlink.
type OutsideRootError struct {
	Path string
}

func (e *OutsideRootError) Error() string {
	return fmt.Sprintf("%s is outside the repository root: files outside the root are never read", e.Path)
}

// RemoteError is a kustomization entry that points at a remote base or file.
type RemoteError struct {
	// File is the kustomization file, relative to the repository root.
	File string
	// Field is the kustomization field, e.g. resources.
	Field string
	// Ref is the remote reference.
	Ref string
	// Shadowed is set when a local folder has the name of a reference that kustomize reads as a
	// Git repository all the same.
	Shadowed bool
}

func (e *RemoteError) Error() string {
	msg := fmt.Sprintf("%s: %s: remote reference %q: remote bases and files are not fetched; vendor them into the repository", e.File, e.Field, e.Ref)
	if e.Shadowed {
		msg += fmt.Sprintf(" (kustomize reads it as a Git repository although a folder of that name exists here: write \"./%s\" to mean the folder)", e.Ref)
	}
	return msg
}

// RefusedError is a kustomization entry that gitcanary never renders: Helm charts, external
// plugins, builtin plugins off the allow-list.
type RefusedError struct {
	// File is the kustomization file, relative to the repository root.
	File string
	// Field is the kustomization field, e.g. transformers[0].
	Field string
	// Reason says what is refused and what to do instead.
	Reason string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Reason) }

// PanicError is a panic inside kustomize while rendering an overlay, recovered: kustomize
// panics on some inputs (for example a comma in a name with a namespace set).
type PanicError struct {
	// Overlay is the overlay path, relative to the repository root.
	Overlay string
	// Value is what kustomize panicked with.
	Value string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("kustomize build %s: kustomize failed on this input (recovered panic: %s); nothing of the overlay is applied", e.Overlay, e.Value)
}

// FileError is a file that could not be read or decoded.
type FileError struct {
	// File is relative to the repository root.
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

// KustomizeError is a failure of kustomize itself; its text names the files involved.
type KustomizeError struct {
	// Overlay is the overlay path, relative to the repository root.
	Overlay string
	Err     error
}

func (e *KustomizeError) Error() string {
	return fmt.Sprintf("kustomize build %s: %v", e.Overlay, e.Err)
}

func (e *KustomizeError) Unwrap() error { return e.Err }

// InvalidError lists the invalid objects of a rendered overlay. Build returns it together with
// the Bundle, so that callers can still show what was rendered.
type InvalidError struct {
	// Overlay is the overlay path, relative to the repository root.
	Overlay string
	// Errs holds one error per invalid object (usually *v1beta1.ValidationError).
	Errs []error
}

func (e *InvalidError) Error() string {
	lines := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		lines[i] = err.Error()
	}
	return fmt.Sprintf("%s: %d invalid object(s): %s", e.Overlay, len(e.Errs), strings.Join(lines, "; "))
}

// EmptyMarker is the file that marks an overlay as intentionally empty: an overlay that renders
// no objects is otherwise an error, since applying it would prune everything it applied
// before (a commit that empties a kustomization by mistake must not delete an application).
const EmptyMarker = ".gitcanary-empty"

// EmptyError is an overlay that renders no objects and is not marked intentionally empty.
type EmptyError struct {
	// Overlay is the overlay path, relative to the repository root.
	Overlay string
}

func (e *EmptyError) Error() string {
	return fmt.Sprintf("%s: renders no objects; applying it would prune every object it applied before. "+
		"If the overlay is meant to be empty, add an empty file %s to its folder", e.Overlay, EmptyMarker)
}
