package ledger

import "errors"

// Sentinel errors of the ledger.
var (
	// ErrSourceBranch is returned by New when the status branch is the branch gitcanary syncs
	// from and Options.AllowSourceBranch is not set.
	ErrSourceBranch = errors.New("refusing to write the status ledger to the source branch")
	// ErrQueueFull is returned by Record when Options.MaxQueue transitions wait already. The
	// transition is not recorded; the canary's file counts it in unrecordedTransitions.
	ErrQueueFull = errors.New("ledger queue full")
	// ErrInvalidTransition is returned by Record for a transition without a valid namespace, name
	// or phase.
	ErrInvalidTransition = errors.New("invalid canary transition")
	// ErrBranchNotFound is returned when reading a ledger whose status branch does not exist.
	ErrBranchNotFound = errors.New("status branch not found")
	// ErrBadSSHSignature is wrapped by every failure to verify an SSH signature.
	ErrBadSSHSignature = errors.New("bad SSH signature")
	// ErrBadOpenPGPSignature is wrapped by every failure to verify an OpenPGP signature other
	// than ErrUntrustedSigner.
	ErrBadOpenPGPSignature = errors.New("bad OpenPGP signature")
	// ErrUntrustedSigner is returned when a signature verifies but its key is not an allowed
	// signer (for OpenPGP, also when the allowed key is revoked or expired).
	ErrUntrustedSigner = errors.New("signer not allowed")
)
