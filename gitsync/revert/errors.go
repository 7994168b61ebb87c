package revert

import "errors"

// Sentinel errors of Plan and Verify.
var (
	// ErrNothingToRevert is returned when the failed and the promoted templates are the same.
	ErrNothingToRevert = errors.New("nothing to revert: the failed revision renders the promoted pod template")
	// ErrCannotRevert wraps every reason the promoted revision cannot be written back to the
	// overlay's files (where an image comes from is ambiguous or unknown, the Deployment is not
	// found, the edit would not render the promoted template).
	ErrCannotRevert = errors.New("cannot revert the overlay to the promoted revision")
	// ErrNewerWork is returned by Push when the overlay renders differently at the source
	// branch's head than at the failed commit: newer work is never reverted.
	ErrNewerWork = errors.New("not reverted: the overlay changed since the failed revision")
)
