package notify

import "errors"

// Sentinel errors of alert delivery.
var (
	// ErrNoAddress: the AlertProvider has no address, neither in its spec nor in its Secret.
	ErrNoAddress = errors.New("no address")
	// ErrUnsupportedType: the AlertProvider's type is not slack, msteams, discord, rocket or gchat.
	ErrUnsupportedType = errors.New("unsupported alert provider type")
)
