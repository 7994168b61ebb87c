package receiver

import "errors"

// Reasons a notification is refused; Handler answers 401 for ErrUnsigned and 403 for the others.
var (
	// ErrUnsigned: the request carries no signature or token.
	ErrUnsigned = errors.New("unsigned request")
	// ErrBadSignature: the signature or token does not match the secret.
	ErrBadSignature = errors.New("wrong signature")
	// ErrStale: the generic request's timestamp is missing, malformed or too far from now.
	ErrStale = errors.New("stale or missing timestamp")
	// ErrReplayed: the delivery was received before.
	ErrReplayed = errors.New("replayed delivery")
)
