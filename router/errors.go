package router

import (
	"errors"
	"fmt"
)

// ErrNoRoutes is returned by Routes when the TrafficSplit or HTTPRoute routes nothing to
// either backend.
var ErrNoRoutes = errors.New("no routes")

// ErrInvalidWeights is returned by SetRoutes for weights that are negative or do not sum to 100.
var ErrInvalidWeights = errors.New("invalid weights")

// ErrGatewayAPIUnavailable is returned for a Gateway API canary when the controller watches no
// HTTPRoutes of its version (the cluster does not serve them).
var ErrGatewayAPIUnavailable = errors.New("the cluster serves no Gateway API HTTPRoutes of this version (install the Gateway API CRDs; the controller looks again every 30s)")

// ErrUnsupportedVersion is returned by NewSMI for a TrafficSplit version it cannot write.
var ErrUnsupportedVersion = errors.New("unsupported TrafficSplit version")

// noRoutesError is ErrNoRoutes with Flagger's wording.
type noRoutesError struct {
	kind                              string // TrafficSplit when empty
	split, namespace, primary, canary string
}

func (e *noRoutesError) Error() string {
	kind := e.kind
	if kind == "" {
		kind = splitKind
	}
	return fmt.Sprintf("%s %s.%s does not contain routes for %s and %s", kind, e.split, e.namespace, e.primary, e.canary)
}

func (e *noRoutesError) Unwrap() error { return ErrNoRoutes }
