package gitsource

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// DigestFunc returns the digest of the rendered output of overlay (a path relative to root), for
// example render.Build followed by Bundle.Digest.
type DigestFunc func(ctx context.Context, root, overlay string) (digest string, err error)

// Change is an overlay whose rendered output differs from the last one applied.
type Change struct {
	// Overlay is the overlay path, as given to Detect.
	Overlay string
	// Digest is the digest of the overlay's output now.
	Digest string
	// Previous is the digest last marked applied, or "" when none was.
	Previous string
}

// Detector tells which overlays changed by the digest of their rendered output rather than by
// commit: a commit that leaves an overlay's output alone (another overlay, a README, the status
// ledger) causes no work for it. It remembers the digest last applied per overlay, in memory.
// It is safe for concurrent use.
type Detector struct {
	digest DigestFunc

	mu      sync.Mutex
	applied map[string]string
}

// NewDetector returns a detector that computes digests with digest.
func NewDetector(digest DigestFunc) *Detector {
	return &Detector{digest: digest, applied: map[string]string{}}
}

// Detect computes the digest of each overlay in root and returns, in the order given, those whose
// digest differs from the one last marked applied. An overlay whose digest fails is left out and
// its error, naming the overlay, is joined into the returned error; the other overlays are still
// reported, so one broken overlay does not hold the others back.
func (d *Detector) Detect(ctx context.Context, root string, overlays []string) ([]Change, error) {
	var changes []Change
	var errs []error
	for _, o := range overlays {
		if err := ctx.Err(); err != nil {
			return changes, errors.Join(append(errs, err)...)
		}
		digest, err := d.digest(ctx, root, o)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest overlay %s: %w", o, err))
			continue
		}
		if prev, _ := d.Applied(o); prev != digest {
			changes = append(changes, Change{Overlay: o, Digest: digest, Previous: prev})
		}
	}
	return changes, errors.Join(errs...)
}

// MarkApplied records that digest of overlay is now applied.
func (d *Detector) MarkApplied(overlay, digest string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.applied[overlay] = digest
}

// Applied returns the digest last marked applied for overlay.
func (d *Detector) Applied(overlay string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.applied[overlay]
	return v, ok
}

// Forget drops what the detector knows of overlay, so the next Detect reports it as changed.
func (d *Detector) Forget(overlay string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.applied, overlay)
}
